"""The benchmark's chart: wall seconds against N, one line per pipeline.

Drawn with matplotlib when it is installed; otherwise a plain PNG (axes, one
coloured line per pipeline, no text) is written by a small PNG encoder, and
the Markdown table carries the figures.
"""

import struct
import zlib

COLOURS = {
    "ours": (31, 119, 180),
    "native": (214, 39, 40),
    "receipts": (148, 103, 189),
    "contracts": (44, 160, 44),
}


def series(table):
    lines = {}
    for (pipeline, n), row in sorted(table.items()):
        lines.setdefault(pipeline, []).append((n, row["seconds"]))
    return lines


def write_chart(table, path, labels):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        write_plain_png(series(table), path)
        return
    figure, axes = plt.subplots(figsize=(8, 5), dpi=100)
    for pipeline, points in series(table).items():
        colour = tuple(c / 255 for c in COLOURS.get(pipeline, (0, 0, 0)))
        sizes, seconds = zip(*points, strict=True)
        axes.plot(
            sizes,
            seconds,
            marker="o",
            color=colour,
            label=labels.get(pipeline, pipeline),
        )
        for size, value in points:
            axes.annotate(
                f"{value:.0f} s",
                (size, value),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=8,
                color=colour,
            )
    axes.set_xlabel("N (documents)")
    axes.set_ylabel("wall seconds")
    axes.set_title(
        "Sending (invoices, payment receipts) and contract generation: "
        "seconds against N"
    )
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_plain_png(lines, path, width=640, height=400, margin=40):
    """Axes and lines only, on white, as an RGB PNG."""
    pixels = [[(255, 255, 255)] * width for _ in range(height)]
    max_n = max((n for points in lines.values() for n, _s in points), default=1)
    max_s = max((s for points in lines.values() for _n, s in points), default=1)

    def to_xy(n, s):
        x = margin + int((width - 2 * margin) * n / max_n)
        y = height - margin - int((height - 2 * margin) * s / max_s)
        return x, y

    def draw(x0, y0, x1, y1, colour):
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            x = x0 + (x1 - x0) * i // steps
            y = y0 + (y1 - y0) * i // steps
            for dx in (0, 1):
                for dy in (0, 1):
                    if 0 <= x + dx < width and 0 <= y + dy < height:
                        pixels[y + dy][x + dx] = colour

    draw(margin, height - margin, width - margin, height - margin, (0, 0, 0))
    draw(margin, margin, margin, height - margin, (0, 0, 0))
    for pipeline, points in lines.items():
        colour = COLOURS.get(pipeline, (0, 0, 0))
        xy = [to_xy(n, s) for n, s in points]
        for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
            draw(x0, y0, x1, y1, colour)
        for x, y in xy:
            draw(x - 3, y, x + 3, y, colour)
            draw(x, y - 3, x, y + 3, colour)
    raw = b"".join(b"\x00" + bytes(c for pixel in row for c in pixel) for row in pixels)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as output:
        output.write(png)
