#!/usr/bin/env python3
"""Benchmark: quotations e-mailed by the automatic sending (flexi_autocomm_sale)
against Odoo's own mass "Send by e-mail" of quotations, on the same data, in one
run, with real PDFs.

    python3 bench/sale.py                   # N = 100 and 500
    python3 bench/sale.py --sizes 100,200
    python3 bench/sale.py --help

What one run does (see bench/README.md, section "Quotations"):

1. uses PostgreSQL as tools/devenv.py does (the server of the PG* variables,
   else the throwaway cluster in .dev/pgdata), creates a fresh database with
   flexi_autocomm_sale installed, without demo data, and starts the SMTP sink
   of bench/smtp_sink.py on a loopback port (the database's only mail server);
2. for each N: N customer companies, each with one contact flagged "Send
   quotations", and two identical sets of N quotations (one line each), one
   marked Send for ours, one not (not timed);
3. ours: the scheduled action ``autocomm.engine._cron_autocomm_send()``, called
   (and committed) as the cron worker does, until every quotation is Sent;
   native: the list's "Send by e-mail" (``action_quotation_send`` on the
   selection: ``mail.compose.message`` in mass mode) with Odoo's quotation
   template "Sales: Send Quotation" chosen, so that each e-mail carries the
   quotation PDF, then Odoo's mail queue (``mail.mail.process_email_queue``)
   until every e-mail left; the two alternate which goes first;
4. prints seconds, quotations per second and SQL queries per quotation of both
   and the ratio, writes them to bench/results/sale.md; the database is dropped.

Both render their PDFs with the wkhtmltopdf found on the PATH; with no Odoo
HTTP server (``report.url`` points to a closed port), without CSS, the same for
both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".dev" / "bench-sale"
RESULTS = ROOT / "bench" / "results" / "sale.md"
ADDON = "flexi_autocomm_sale"
PIPELINES = ("ours", "native")

sys.path.insert(0, str(ROOT / "tools"))
import devenv  # noqa: E402 - the project's own PostgreSQL helpers


def log(message: str) -> None:
    print(f"bench-sale: {message}", flush=True)


def write_conf(server: devenv.PgServer, path: Path) -> None:
    addons = ",".join(str(p) for p in [*devenv.odoo_addons_paths(), ROOT])
    options = {
        "addons_path": addons,
        "data_dir": WORK_DIR / "data",
        "db_host": server.host or False,
        "db_port": server.port or False,
        "db_user": server.user,
        "db_password": server.password or False,
        "log_level": "warn",
    }
    lines = ["; Written by bench/sale.py on each run.", "[options]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- #
# Inside Odoo
# --------------------------------------------------------------------------- #


def configure(env, smtp_port: int) -> None:
    env["ir.mail_server"].search([]).active = False
    env["ir.mail_server"].create(
        {
            "name": "Benchmark SMTP sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_encryption": "none",
        }
    )
    params = env["ir.config_parameter"].sudo()
    # Nothing listens there: both pipelines render without CSS, alike.
    params.set_param("report.url", "http://127.0.0.1:9")
    env.company.write(
        {
            "autocomm_mode": "send",
            "email": "sales@bench.example.com",
            "autocomm_quotation_auto_send": False,
            "autocomm_sale_order_auto_send": False,
        }
    )
    # On the partner: writing the user's e-mail queues Odoo's "Security
    # Update: Email Changed" to the old address, which a leg would count.
    env.user.partner_id.email = "salesperson@bench.example.com"


def set_up(env, count: int, tag: str):
    """``count`` customers (one contact flagged "Send quotations" each) and
    two identical sets of ``count`` quotations; return ``(ours, native)``."""
    from odoo import Command

    product = env["product.product"].create(
        {"name": f"Bench product {tag}", "list_price": 100.0}
    )
    customers = env["res.partner"].create(
        [
            {
                "name": f"Customer {tag}-{index} s.r.o.",
                "is_company": True,
                "email": f"info-{tag}-{index}@customer.example.com",
                "child_ids": [
                    Command.create(
                        {
                            "name": f"Buyer {tag}-{index}",
                            "type": "contact",
                            "email": f"buyer-{tag}-{index}@customer.example.com",
                            "autocomm_send_quotations": True,
                        }
                    )
                ],
            }
            for index in range(count)
        ]
    )

    def quotations(state):
        return env["sale.order"].create(
            [
                {
                    "partner_id": customer.id,
                    "autocomm_state": state,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 3})
                    ],
                }
                for customer in customers
            ]
        )

    return quotations("to_send"), quotations("no_send")


def run_ours(env, orders) -> None:
    engine = env["autocomm.engine"]
    for _attempt in range(10 * len(orders)):
        engine._cron_autocomm_send()
        env.cr.commit()
        env.invalidate_all()
        if not orders.filtered_domain(
            [("autocomm_state", "in", ("to_send", "sending"))]
        ):
            return
    raise RuntimeError("ours did not finish")


def run_native(env, orders) -> None:
    action = orders.with_context(hide_default_template=True).action_quotation_send()
    composer = (
        env["mail.compose.message"]
        .with_context(**action["context"])
        .create({"template_id": env.ref("sale.email_template_edi_sale").id})
    )
    composer.action_send_mail()
    env.cr.commit()
    mails = env["mail.mail"]
    domain = [
        ("model", "=", "sale.order"),
        ("res_id", "in", orders.ids),
        ("state", "=", "outgoing"),
    ]
    for _attempt in range(10 * len(orders)):
        if not mails.search_count(domain):
            return
        mails.process_email_queue()
        env.cr.commit()
        env.invalidate_all()
    raise RuntimeError("native did not finish")


def measure(env, pipeline: str, orders) -> dict:
    from odoo import sql_db

    env.invalidate_all()
    orders = orders.browse(orders.ids)
    queries = sql_db.sql_counter
    started = time.perf_counter()
    (run_ours if pipeline == "ours" else run_native)(env, orders)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": sql_db.sql_counter - queries}


def sink_count(sink_log: Path) -> int:
    return len(sink_log.read_text().splitlines()) if sink_log.exists() else 0


def run_inside(args) -> list[dict]:
    import odoo

    odoo.tools.config.parse_config(["-c", str(args.conf), "-d", args.db])
    registry = odoo.modules.registry.Registry(args.db)
    runs = []
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        configure(env, args.smtp_port)
        cr.commit()
        sizes = [4, *(int(size) for size in args.sizes.split(","))]
        for index, count in enumerate(sizes):
            started = time.monotonic()
            sets = dict(zip(PIPELINES, set_up(env, count, f"n{index}"), strict=True))
            cr.commit()
            log(f"N={count}: set-up in {time.monotonic() - started:.0f} s (not timed)")
            order = PIPELINES if index % 2 else PIPELINES[::-1]
            for pipeline in order:
                received = sink_count(args.sink_log)
                figures = measure(env, pipeline, sets[pipeline])
                figures.update(
                    pipeline=pipeline,
                    n=count,
                    messages=sink_count(args.sink_log) - received,
                )
                log(
                    f"N={count} {pipeline}: {figures['seconds']:.1f} s, "
                    f"{figures['queries'] / count:.1f} queries/quotation, "
                    f"{figures['messages']} messages"
                )
                if count > 4:  # the first size only warms up
                    runs.append(figures)
    return runs


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def render(runs: list[dict], args) -> str:
    workers = os.environ.get("AUTOCOMM_PDF_WORKERS", "the addon's default")
    lines = [
        f"# Quotations benchmark ({datetime.date.today()})",
        "",
        "N quotations (one line each) to N customers, each with one contact "
        "flagged *Send quotations*; real PDFs (`sale.action_report_saleorder`, "
        "wkhtmltopdf, no CSS for either: no Odoo HTTP server). *Ours*: the "
        "scheduled action until every quotation is Sent. *Native*: the list's "
        "*Send by e-mail* (mass mode composer) with the template *Sales: Send "
        "Quotation*, then Odoo's mail queue until every e-mail left. Same "
        "database, same run, alternating which goes first; `python3 "
        f"bench/sale.py --sizes {args.sizes}`.",
        "",
        "| N | pipeline | seconds | quotations/s | queries/quotation | messages |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run['n']} | {run['pipeline']} | {run['seconds']:.1f} | "
            f"{run['n'] / run['seconds']:.2f} | {run['queries'] / run['n']:.1f} | "
            f"{run['messages']} |"
        )
    lines.append("")
    by_key = {(run["n"], run["pipeline"]): run for run in runs}
    for count in sorted({run["n"] for run in runs}):
        ours, native = by_key[count, "ours"], by_key[count, "native"]
        ratio = native["seconds"] / ours["seconds"]
        verdict = "met" if ratio >= 3 else "NOT met"
        lines.append(
            f"- N={count}: ours is {ratio:.1f}x as fast as native (goal ≥ 3x: "
            f"{verdict})."
        )
    ours_runs = sorted(
        (run for run in runs if run["pipeline"] == "ours"), key=lambda r: r["n"]
    )
    if len(ours_runs) > 1:
        first, last = ours_runs[0], ours_runs[-1]
        lines.append(
            f"- Ours, queries per quotation: {first['queries'] / first['n']:.1f} at "
            f"N={first['n']}, {last['queries'] / last['n']:.1f} at N={last['n']} "
            "(goal: flat in N)."
        )
    lines += [
        "",
        f"PDF workers of ours: {workers}. "
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other jobs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        f"Python {platform.python_version()}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,500", help="comma-separated N")
    parser.add_argument("--keep-db", action="store_true", help="keep the database")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--conf", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--smtp-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sink-log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        runs = run_inside(args)
        report = render(runs, args)
        print(report)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)
        return 0

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    env = {**devenv.child_env(), "QT_QPA_PLATFORM": "offscreen"}
    with contextlib.ExitStack() as stack:
        server = devenv.existing_server()
        if server is None:
            cluster = devenv.LocalCluster()
            stack.callback(cluster.stop)
            server = cluster.start()
        conf = WORK_DIR / "odoo.conf"
        write_conf(server, conf)
        db = f"{ADDON}_bench_{secrets.token_hex(4)}"
        if not args.keep_db:
            stack.callback(server.drop_database, db)
        log(f"creating database {db} with {ADDON} (no demo data)")
        odoo = [sys.executable, "-m", "odoo", "-c", str(conf), "-d", db]
        subprocess.run(
            [*odoo, "-i", ADDON, "--without-demo=all", "--stop-after-init"],
            check=True,
            env=env,
        )
        smtp_port = devenv.free_port()
        sink_log = WORK_DIR / f"sink-{db}.log"
        sink = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "smtp_sink.py"),
                f"--port={smtp_port}",
                f"--log={sink_log}",
            ],
            env=env,
        )
        stack.callback(sink.wait)
        stack.callback(sink.terminate)
        for _attempt in range(100):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", smtp_port), timeout=1),
            ):
                break
            time.sleep(0.1)
        # Measured in a process of its own, which holds nothing but Odoo.
        command = [__file__, "--inside", f"--conf={conf}", f"--db={db}"]
        command += [f"--sizes={args.sizes}", f"--smtp-port={smtp_port}"]
        command += [f"--sink-log={sink_log}"]
        return subprocess.run(
            [sys.executable, *command], env=env, check=False
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
