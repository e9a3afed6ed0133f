#!/usr/bin/env python3
"""Benchmark: flexi_autocomm's scheduled sending against Odoo's own Send & Print,
and the customer contracts' invoice generation, in one run.

    python3 bench/run.py                    # N = 100, 500, 2000
    python3 bench/run.py --sizes 100,500    # smaller sets
    python3 bench/run.py --help

What one run does (see bench/README.md):

1. checks that this Python imports Odoo 18.0, installs what the benchmark
   needs when it is missing (wkhtmltopdf with apt-get, aiosmtpd and matplotlib
   with pip);
2. uses PostgreSQL as tools/devenv.py does (the server of the PG* variables,
   else the throwaway cluster in .dev/pgdata) and creates a fresh database
   with flexi_autocomm installed, without demo data;
3. starts an SMTP sink (bench/smtp_sink.py) and an Odoo HTTP server for that
   database, which serves the reports' CSS to wkhtmltopdf, as in production;
4. for each N: N customers (a company with two contacts flagged "Send
   invoices") and N posted invoices are sent by flexi_autocomm's scheduled
   action, N more by Odoo's Send & Print (batch wizard, then
   account.ir_cron_account_move_send), the order alternating from one run to
   the next; then N confirmed customer payments, each customer with two
   contacts flagged "Send payment documents", have their receipts sent by the
   same scheduled action; then N due customer contracts are invoiced. Each
   pipeline is run
   by its own worker process (bench/worker.py) that calls Odoo's cron worker
   loop (``ir.cron._process_jobs``) until its documents are done;
5. prints a Markdown table and writes it to bench/results/latest.md, with a
   chart bench/results/latest.png; the database is dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import itertools
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
WORK_DIR = ROOT / ".dev" / "bench"
REQUIREMENTS = BENCH_DIR / "requirements.txt"
# The runs done so far, written after each one (a stopped run keeps them).
PARTIAL = WORK_DIR / "partial.json"
ADDON = "flexi_autocomm"
PIPELINES = ("ours", "native", "receipts", "contracts")
DEFAULT_SIZES = (100, 500, 2000)
WARM_UP_SIZE = 4
# Issue 11: no more queries per invoice than before the engine (two recipients).
MAX_QUERIES_PER_INVOICE = 78

sys.path.insert(0, str(ROOT / "tools"))
import devenv  # noqa: E402 - the project's own PostgreSQL and process helpers

# wkhtmltopdf's complaints about header switches unpatched Qt ignores, which
# Odoo logs for each PDF.
QUIET_LINE = re.compile(r"wkhtmltopdf: The switch|XDG_RUNTIME_DIR")

LABELS = {
    "ours": "flexi_autocomm scheduled action",
    "native": "Odoo Send & Print (async cron)",
    "receipts": "flexi_autocomm scheduled action: payment receipts",
    "contracts": "contract invoice generation",
}


def log(message: str) -> None:
    print(f"bench: {message}", flush=True)


# --------------------------------------------------------------------------- #
# Prerequisites
# --------------------------------------------------------------------------- #


def ensure_python_packages() -> None:
    """pip-install bench/requirements.txt when something is missing."""
    unmet = devenv._unmet_requirements(REQUIREMENTS)
    if not unmet:
        return
    log(f"installing {', '.join(unmet)} with pip")
    command = [sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
    if subprocess.run(command, check=False).returncode:
        log("pip failed; the chart falls back to a plain PNG without matplotlib")


def ensure_wkhtmltopdf() -> str:
    """Install Debian's wkhtmltopdf when missing; return its version line."""
    if not shutil.which("wkhtmltopdf"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise devenv.DevEnvError(
                "wkhtmltopdf is missing: install it "
                "(Debian: apt-get install wkhtmltopdf)"
            )
        log("installing wkhtmltopdf with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-q"],
            [
                "apt-get",
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "wkhtmltopdf",
            ],
        ):
            if subprocess.run(command, env=env, check=False).returncode:
                raise devenv.DevEnvError(f"failed: {' '.join(command)}")
    completed = subprocess.run(
        ["wkhtmltopdf", "--version"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "wkhtmltopdf (version unknown)"


# --------------------------------------------------------------------------- #
# Services
# --------------------------------------------------------------------------- #


class Background:
    """Processes running beside the benchmark, stopped on exit."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack

    def start(self, command, log_path: Path, env=None) -> subprocess.Popen:
        log_stream = open(log_path, "ab")  # noqa: SIM115 - closed on exit
        self.stack.callback(log_stream.close)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        pid_file = devenv.note_child(process)
        self.stack.callback(pid_file.unlink, missing_ok=True)
        self.stack.callback(devenv.stop_process, process, signal.SIGTERM, 20)
        return process


def write_odoo_conf(
    server: devenv.PgServer, smtp_port: int, path: Path, addons_root: Path
) -> None:
    addons_path = ",".join(str(p) for p in [*devenv.odoo_addons_paths(), addons_root])
    options = {
        "addons_path": addons_path,
        "data_dir": WORK_DIR / "data",
        "db_host": server.host or False,
        "db_port": server.port or False,
        "db_user": server.user,
        "db_password": server.password or False,
        "max_cron_threads": 0,
        "log_level": "warn",
        "smtp_server": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_ssl": False,
        "list_db": False,
    }
    lines = ["; Written by bench/run.py on each run.", "[options]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n")


def wait_for_port(port: int, what: str, process: subprocess.Popen, timeout=120) -> None:
    def accepts() -> bool:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        return False

    devenv.wait_for(accepts, timeout, what, process)


def wait_for_http(url: str, process: subprocess.Popen, timeout=180) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def answers() -> bool:
        with contextlib.suppress(OSError):
            with opener.open(url, timeout=5):
                return True
        return False

    devenv.wait_for(answers, timeout, f"Odoo at {url}", process)


class SinkCounter:
    """Counts the messages the SMTP sink has logged."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def count(self) -> int:
        with contextlib.suppress(FileNotFoundError):
            with open(self.path) as log_file:
                return sum(1 for _line in log_file)
        return 0

    def settle(self, previous: int, expected: int, timeout=30.0) -> int:
        """The count once it reaches ``expected`` new messages or stops moving."""
        deadline = time.monotonic() + timeout
        count = self.count()
        while count - previous < expected and time.monotonic() < deadline:
            time.sleep(0.5)
            count = self.count()
        return count - previous


# --------------------------------------------------------------------------- #
# The benchmark
# --------------------------------------------------------------------------- #


class Bench:
    def __init__(self, args, processes: devenv.Processes, stack: contextlib.ExitStack):
        self.args = args
        self.processes = processes
        self.stack = stack
        self.background = Background(stack)
        self.conf = WORK_DIR / "odoo.conf"
        self.db = f"{ADDON}_bench_{secrets.token_hex(4)}"
        self.env = {**devenv.child_env(), "PYTHONUNBUFFERED": "1"}

    def odoo(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "odoo", "-c", str(self.conf), *args]

    def worker(self, *args: str) -> list[str]:
        return [
            sys.executable,
            str(BENCH_DIR / "worker.py"),
            "--config",
            str(self.conf),
            "--db",
            self.db,
            *args,
        ]

    def run_checked(self, command, what: str, on_line=None) -> None:
        status = self.processes.run(command, env=self.env, on_line=on_line)
        if status:
            raise devenv.DevEnvError(f"{what} failed (exit status {status})")

    def start(self) -> None:
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        server = devenv.existing_server()
        if server is None:
            cluster = devenv.LocalCluster()
            self.stack.callback(cluster.stop)
            server = cluster.start()
        self.server = server
        smtp_port = devenv.free_port()
        # One line per message received, kept after the run for a look.
        sink_log = WORK_DIR / "sink.log"
        sink_log.unlink(missing_ok=True)
        sink = self.background.start(
            [
                sys.executable,
                str(BENCH_DIR / "smtp_sink.py"),
                "--port",
                str(smtp_port),
                "--log",
                str(sink_log),
            ],
            WORK_DIR / "smtp-sink.out",
        )
        wait_for_port(smtp_port, "the SMTP sink", sink)
        self.sink = SinkCounter(sink_log)
        write_odoo_conf(server, smtp_port, self.conf, self.addons_root())

        log(f"creating database {self.db} with {ADDON} (no demo data)")
        if not self.args.keep_db:
            self.stack.callback(self.drop_database)
        started = time.monotonic()
        self.run_checked(
            self.odoo(
                "-d",
                self.db,
                "-i",
                ADDON,
                "--without-demo=all",
                "--stop-after-init",
            ),
            "installing the addon",
        )
        log(f"installed in {time.monotonic() - started:.0f} s")
        self.check_installed_addons()

        http_port = devenv.free_port()
        self.base_url = f"http://127.0.0.1:{http_port}"
        http = self.background.start(
            self.odoo(
                "-d",
                self.db,
                f"--db-filter=^{self.db}$",
                "--http-interface=127.0.0.1",
                f"--http-port={http_port}",
                "--max-cron-threads=0",
            ),
            WORK_DIR / "odoo-http.log",
            env=self.env,
        )
        wait_for_http(f"{self.base_url}/web/login", http)
        configure = [
            "configure",
            f"--smtp-port={smtp_port}",
            f"--base-url={self.base_url}",
        ]
        if self.args.pdf_workers is not None:
            configure.append(f"--pdf-workers={self.args.pdf_workers}")
        if not self.args.patched_wkhtmltopdf:
            # Debian's wkhtmltopdf fails on multi-invoice calls (see
            # ../shared/ODOO18-NOTES.md): 0 makes Send & Print render one
            # invoice per call, the only way it works with this binary.
            configure.append("--native-pdf-batch=0")
        self.run_checked(self.worker(*configure), "configuring the database")

    def check_installed_addons(self) -> None:
        """Of the repository's addons, only flexi_autocomm is installed: the
        bridges (flexi_autocomm_sale …) auto-install only with their apps,
        which this database has not."""
        ours = {path.parent.name for path in ROOT.glob("*/__manifest__.py")}
        rows = self.server.query(
            "SELECT name FROM ir_module_module WHERE state = 'installed'",
            dbname=self.db,
        )
        installed = sorted(ours & {name for (name,) in rows})
        if installed != [ADDON]:
            raise devenv.DevEnvError(
                f"the database has {', '.join(installed)} of the repository's "
                f"addons installed, not {ADDON} alone"
            )
        log(f"of the repository's addons, only {ADDON} is installed")

    def addons_root(self) -> Path:
        """The repository, or with --snapshot the addon as committed in HEAD
        (other work going on in the tree does not change the figures)."""
        commit = git("rev-parse", "--short", "HEAD")
        if not self.args.snapshot:
            dirty = git("status", "--porcelain", ADDON)
            self.args.commit = commit + (" with uncommitted changes" if dirty else "")
            return ROOT
        self.args.commit = f"{commit} (as committed)"
        snapshot = WORK_DIR / "snapshot"
        shutil.rmtree(snapshot, ignore_errors=True)
        snapshot.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, ADDON],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive, check=True)
        log(f"running {ADDON} as committed in {commit} ({snapshot})")
        return snapshot

    def drop_database(self) -> None:
        try:
            self.server.drop_database(self.db)
        except Exception as exc:  # noqa: BLE001 - reported, the clean-up goes on
            log(f"could not drop database {self.db}: {exc}")
        shutil.rmtree(WORK_DIR / "data" / "filestore" / self.db, ignore_errors=True)

    def measure(self, pipeline: str, n: int, label: str) -> dict:
        """Set up N documents for ``pipeline``, run it, return its figures."""
        tag = f"b{secrets.token_hex(3)}"
        log(f"{label}: {LABELS[pipeline]}, N={n}: creating the data")
        started = time.monotonic()
        self.run_checked(
            self.worker("setup", f"--pipeline={pipeline}", f"--n={n}", f"--tag={tag}"),
            "creating the data",
        )
        log(f"{label}: data ready in {time.monotonic() - started:.0f} s; running")
        before = self.sink.count()
        load_before = os.getloadavg()[0]
        results = []

        def on_line(line: str) -> None:
            if line.startswith("BENCH_RESULT "):
                results.append(json.loads(line.split(" ", 1)[1]))
            elif line.strip() and not QUIET_LINE.search(line):
                sys.stdout.write(f"    worker: {line}")

        self.run_checked(
            self.worker(
                "run",
                f"--pipeline={pipeline}",
                f"--n={n}",
                f"--tag={tag}",
                f"--timeout={self.args.timeout}",
            ),
            "the measured run",
            on_line=on_line,
        )
        if not results:
            raise devenv.DevEnvError("the worker reported no result")
        result = results[0]
        # Two flagged contacts per customer, no BCC address: two messages per
        # invoice or receipt; Send & Print sends one to the invoice's partner.
        expected = {"ours": 2 * n, "native": n, "receipts": 2 * n, "contracts": 0}[
            pipeline
        ]
        result["messages"] = self.sink.settle(before, expected) if expected else 0
        result["load"] = (load_before + os.getloadavg()[0]) / 2
        log(
            f"{label}: {result['seconds']:.1f} s, "
            f"{n / result['seconds']:.2f} documents/s, "
            f"{result['queries'] / n:.1f} queries/document, "
            f"peak RSS {result['peak_rss'] / 2**20:.0f} MiB, "
            f"{result['messages']} messages, outcome {result['outcome']}"
        )
        return result

    def run(self) -> list[dict]:
        runs = []
        pipelines = [p for p in ("ours", "native") if p in self.args.pipelines]
        if self.args.warm_up:
            # Asset bundles, report templates and the HTTP server's caches are
            # built here, not in the first measured run.
            for pipeline in self.args.pipelines:
                self.measure(pipeline, WARM_UP_SIZE, "warm-up")
        rounds = list(itertools.product(self.args.sizes, range(self.args.repeat)))
        for index, (n, repetition) in enumerate(rounds):
            order = pipelines if index % 2 == 0 else pipelines[::-1]
            if n > self.args.native_max:
                order = [p for p in order if p != "native"]
            if "receipts" in self.args.pipelines and n <= self.args.receipts_max:
                order = [*order, "receipts"]
            if "contracts" in self.args.pipelines:
                order = [*order, "contracts"]
            for pipeline in order:
                label = f"[{index + 1}/{len(rounds)}]"
                result = self.measure(pipeline, n, label)
                result["repetition"] = repetition
                result["position"] = order.index(pipeline)
                runs.append(result)
                self.save_partial(runs)
        return runs

    def save_partial(self, runs: list[dict]) -> None:
        """The runs done so far, for ``--from-json`` if the run is stopped."""
        saved = {"context": run_context(self.args, runs), "runs": runs}
        PARTIAL.write_text(json.dumps(saved, indent=1) + "\n")


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def summarize(runs: list[dict]) -> dict:
    """Median figures per (pipeline, N)."""
    table = {}
    for (pipeline, n), group in itertools.groupby(
        sorted(runs, key=lambda r: (r["pipeline"], r["n"])),
        key=lambda r: (r["pipeline"], r["n"]),
    ):
        group = list(group)
        seconds = statistics.median(r["seconds"] for r in group)
        table[pipeline, n] = {
            "runs": len(group),
            "seconds": seconds,
            "per_second": n / seconds,
            "queries": statistics.median(r["queries"] / n for r in group),
            "peak_rss": max(r["peak_rss"] for r in group) / 2**20,
            "growth_rss": max(r["peak_rss"] - r["baseline_rss"] for r in group) / 2**20,
            "peak_tree_rss": max(r["peak_tree_rss"] for r in group) / 2**20,
            "cpu_worker": statistics.median(r["cpu_worker"] / n for r in group),
            "cpu_wkhtmltopdf": statistics.median(
                r["cpu_wkhtmltopdf"] / n for r in group
            ),
            "messages": statistics.median(r["messages"] for r in group),
            "outcome": group[-1]["outcome"],
            "load": statistics.mean(r["load"] for r in group),
            "timed_out": any(r["timed_out"] for r in group),
        }
    return table


def render_markdown(table: dict, context: dict) -> str:
    sizes = sorted({n for _pipeline, n in table})
    lines = [
        "# Benchmark: automatic sending (invoices, payment receipts) against "
        "Send & Print, and contract generation",
        "",
        f"Run of {context['date']} by `python3 bench/run.py {context['argv']}` "
        f"({context['elapsed']:.0f} min).",
        "",
        "| Pipeline | N | Runs | Wall s | Docs/s | SQL/doc | CPU s/doc worker + "
        "wkhtmltopdf | Peak RSS worker MiB (growth) | Peak RSS + wkhtmltopdf MiB "
        "| Messages at sink | Load avg | Ours / native |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for pipeline in PIPELINES:
        for n in sizes:
            row = table.get((pipeline, n))
            if not row:
                continue
            ratio = ""
            native = table.get(("native", n))
            if pipeline == "ours" and native:
                ratio = f"**{native['seconds'] / row['seconds']:.2f}×**"
            flag = " (timed out)" if row["timed_out"] else ""
            lines.append(
                f"| {LABELS[pipeline]}{flag} | {n} | {row['runs']} "
                f"| {row['seconds']:.1f} "
                f"| {row['per_second']:.2f} | {row['queries']:.1f} "
                f"| {row['cpu_worker']:.2f} + {row['cpu_wkhtmltopdf']:.2f} "
                f"| {row['peak_rss']:.0f} (+{row['growth_rss']:.0f}) "
                f"| {row['peak_tree_rss']:.0f} | {row['messages']:.0f} "
                f"| {row['load']:.1f} | {ratio} |"
            )
    lines += ["", "## Goals", ""]
    lines += [f"- {goal}" for goal in goals(table, sizes)]
    lines += [
        "",
        "## How it was measured",
        "",
        *[f"- {item}" for item in context["notes"]],
        "",
        "Outcomes per run (last repetition): "
        + "; ".join(
            f"{pipeline} N={n}: {row['outcome']}"
            for (pipeline, n), row in sorted(table.items())
        ),
        "",
    ]
    return "\n".join(lines)


def goals(table: dict, sizes: list[int]) -> list[str]:
    """The issue's goals, checked against the figures."""
    verdicts = []
    ratios = {
        n: table["native", n]["seconds"] / table["ours", n]["seconds"]
        for n in sizes
        if ("ours", n) in table and ("native", n) in table
    }
    if ratios:
        text = ", ".join(f"{ratio:.2f}× at N={n}" for n, ratio in ratios.items())
        verdicts.append(
            f"Throughput ours ≥ 3 × native: {text} — {mark(min(ratios.values()) >= 3)}"
        )
    if 500 in ratios:
        verdicts.append(
            f"Throughput ours ≥ 4 × native at N=500 (issue 11): {ratios[500]:.2f}× — "
            + mark(ratios[500] >= 4)
        )
    ours_sizes = [n for n in sizes if ("ours", n) in table]
    if len(ours_sizes) >= 2:
        small, large = ours_sizes[0], ours_sizes[-1]
        rss = [table["ours", n]["peak_rss"] for n in ours_sizes]
        # A cron job runs up to 10 batches on one cursor before it hands
        # over (ir_cron's MAX_BATCH_PER_CRON_JOB): the peak is reached by
        # then, and must not grow from one size to the next after it.
        verdicts.append(
            "Memory bounded by the batch, not by N: worker peak RSS "
            + ", ".join(f"{value:.0f} MiB" for value in rss)
            + f" for N={', '.join(map(str, ours_sizes))}; from N={ours_sizes[-2]} "
            f"to N={ours_sizes[-1]}: {(rss[-1] / rss[-2] - 1) * 100:+.0f} % — "
            + mark(rss[-1] <= rss[-2] * 1.2)
        )
        q_small, q_large = (
            table["ours", small]["queries"],
            table["ours", large]["queries"],
        )
        verdicts.append(
            f"SQL queries per document independent of N: {q_small:.1f} at N={small}, "
            f"{q_large:.1f} at N={large} ({(q_large / q_small - 1) * 100:+.1f} %) — "
            + mark(abs(q_large / q_small - 1) <= 0.10)
        )
    if ours_sizes:
        figures = ", ".join(
            f"{table['ours', n]['queries']:.1f} at N={n}" for n in ours_sizes
        )
        worst = max(table["ours", n]["queries"] for n in ours_sizes)
        verdicts.append(
            f"Queries per invoice ≤ {MAX_QUERIES_PER_INVOICE} (issue 11, two "
            f"recipients): {figures} — {mark(worst <= MAX_QUERIES_PER_INVOICE)}"
        )
    below = [
        f"{table['ours', n]['queries']:.1f} vs "
        f"{table['native', n]['queries']:.1f} at N={n}"
        for n in sizes
        if ("ours", n) in table and ("native", n) in table
    ]
    if below:
        ok = all(
            table["ours", n]["queries"] < table["native", n]["queries"]
            for n in sizes
            if ("ours", n) in table and ("native", n) in table
        )
        per_message = "; ".join(
            f"{table['ours', n]['queries'] * n / table['ours', n]['messages']:.1f} vs "
            f"{table['native', n]['queries'] * n / table['native', n]['messages']:.1f}"
            f" at N={n}"
            for n in sizes
            if ("ours", n) in table
            and ("native", n) in table
            and table["ours", n]["messages"]
            and table["native", n]["messages"]
        )
        verdicts.append(
            f"SQL queries per document below native's: {'; '.join(below)} — "
            f"{mark(ok)} (per e-mail received by the sink: {per_message})"
        )
    if ("ours", 500) in table and ("ours", 2000) in table:
        factor = table["ours", 2000]["seconds"] / table["ours", 500]["seconds"]
        verdicts.append(
            f"Time linear in N: seconds at 2,000 = {factor:.2f} × seconds at 500 "
            f"(goal ≤ 4.4) — {mark(factor <= 4.4)}"
        )
    verdicts += receipt_goals(table, sizes)
    contract_sizes = [n for n in sizes if ("contracts", n) in table]
    if contract_sizes:
        figures = ", ".join(
            f"{table['contracts', n]['per_second']:.1f} contracts/s and "
            f"{table['contracts', n]['queries']:.1f} queries/contract at N={n}"
            for n in contract_sizes
        )
        verdict = f"Contract generation: {figures}"
        if len(contract_sizes) >= 2:
            q0 = table["contracts", contract_sizes[0]]["queries"]
            q1 = table["contracts", contract_sizes[-1]]["queries"]
            verdict += (
                f" — queries per contract {(q1 / q0 - 1) * 100:+.1f} % "
                f"from N={contract_sizes[0]} to N={contract_sizes[-1]}: "
                + mark(abs(q1 / q0 - 1) <= 0.10)
            )
        verdicts.append(verdict)
    return verdicts


def receipt_goals(table: dict, sizes: list[int]) -> list[str]:
    """Payment receipts: measured (issue 11), flat queries, every one sent."""
    receipt_sizes = [n for n in sizes if ("receipts", n) in table]
    if not receipt_sizes:
        return []
    figures = ", ".join(
        f"{table['receipts', n]['per_second']:.2f} receipts/s and "
        f"{table['receipts', n]['queries']:.1f} queries/receipt at N={n}"
        for n in receipt_sizes
    )
    verdict = f"Payment receipts: {figures}"
    if len(receipt_sizes) >= 2:
        q0 = table["receipts", receipt_sizes[0]]["queries"]
        q1 = table["receipts", receipt_sizes[-1]]["queries"]
        verdict += (
            f" — queries per receipt {(q1 / q0 - 1) * 100:+.1f} % "
            f"from N={receipt_sizes[0]} to N={receipt_sizes[-1]}: "
            + mark(abs(q1 / q0 - 1) <= 0.10)
        )
    complete = all(
        table["receipts", n]["outcome"] == {"sent": n}
        and table["receipts", n]["messages"] == 2 * n
        for n in receipt_sizes
    )
    return [
        verdict,
        "Every receipt Sent, two messages each at the sink — " + mark(complete),
    ]


def mark(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.split("\n\n", 1)[0]
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated numbers of documents (default %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size and pipeline (default 1)"
    )
    parser.add_argument(
        "--pipelines",
        default=",".join(PIPELINES),
        help=f"which of {','.join(PIPELINES)} to run (default all)",
    )
    parser.add_argument(
        "--pdf-workers",
        type=int,
        help="flexi_autocomm.pdf_workers (default: the addon's own)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3 * 3600, help="seconds per measured run"
    )
    parser.add_argument(
        "--native-max",
        type=int,
        default=500,
        help="run Send & Print only up to this N (default %(default)s: at 2000 it "
        "alone takes about 50 minutes on 2 cores)",
    )
    parser.add_argument(
        "--receipts-max",
        type=int,
        help="run the payment receipts only up to this N (default: every size)",
    )
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="run the addon as committed in HEAD, not the work tree",
    )
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false")
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database"
    )
    parser.add_argument(
        "--output", default=str(RESULTS_DIR), help="folder of latest.md and latest.png"
    )
    parser.add_argument(
        "--from-json",
        metavar="FILE",
        help="only write the table and chart again from a run's latest.json",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        return report(saved["runs"], saved["context"], Path(args.output))
    args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    args.pipelines = [p.strip() for p in args.pipelines.split(",") if p.strip()]
    unknown = sorted(set(args.pipelines) - set(PIPELINES))
    if unknown:
        parser.error(f"unknown pipelines {', '.join(unknown)}: choose from {PIPELINES}")
    if args.receipts_max is None:
        args.receipts_max = max(args.sizes, default=0)
    problem = devenv.odoo_problem()
    if problem:
        print(f"bench: error: {problem}", file=sys.stderr)
        return 2
    processes = devenv.Processes()
    processes.install_signal_handlers()
    args.started = time.monotonic()
    args.argv = " ".join(sys.argv[1:] if argv is None else argv)
    try:
        ensure_python_packages()
        wkhtmltopdf_version = ensure_wkhtmltopdf()
        args.wkhtmltopdf_version = wkhtmltopdf_version
        args.patched_wkhtmltopdf = "patched qt" in wkhtmltopdf_version.lower()
        log(f"{wkhtmltopdf_version} on {os.cpu_count()} cores")
        with contextlib.ExitStack() as stack:
            PARTIAL.unlink(missing_ok=True)
            bench = Bench(args, processes, stack)
            bench.start()
            runs = bench.run()
    except devenv.DevEnvError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"bench: interrupted{partial_hint()}", file=sys.stderr)
        return 130
    except devenv.Terminated as exc:
        print(f"bench: stopped ({exc}){partial_hint()}", file=sys.stderr)
        return 143
    context = run_context(args, runs)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.json").write_text(
        json.dumps({"context": context, "runs": runs}, indent=1) + "\n"
    )
    return report(runs, context, output)


def run_context(args, runs: list[dict]) -> dict:
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "argv": args.argv,
        "elapsed": (time.monotonic() - args.started) / 60,
        "notes": notes(args, args.wkhtmltopdf_version, runs),
    }


def partial_hint() -> str:
    if not PARTIAL.exists():
        return ""
    return f"; the runs done are in {PARTIAL} (--from-json {PARTIAL})"


def report(runs: list[dict], context: dict, output: Path) -> int:
    """Write latest.md and latest.png from the runs, print the table."""
    table = summarize(runs)
    markdown = render_markdown(table, context)
    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.md").write_text(markdown)
    from chart import write_chart  # noqa: PLC0415 - matplotlib is optional

    write_chart(table, output / "latest.png", LABELS)
    print()
    print(markdown)
    log(f"written {output / 'latest.md'} and {output / 'latest.png'}")
    return 0


def git(*command: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *command],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def notes(args, wkhtmltopdf_version: str, runs: list[dict]) -> list[str]:
    import odoo.release  # noqa: PLC0415

    commit = getattr(args, "commit", None)
    loads = [r["load"] for r in runs]
    workers = args.pdf_workers
    if workers is None:
        workers = f"the addon's default: {min(16, 4 * (os.cpu_count() or 1))}"
    return [
        f"Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, Odoo {odoo.release.version}, "
        f"commit {commit or 'unknown'}; load average during the runs "
        f"{min(loads):.1f}–{max(loads):.1f} (other work on the machine makes "
        "the seconds noisy; queries per document are exact).",
        f"PDF: `{wkhtmltopdf_version}`, QT_QPA_PLATFORM=offscreen, reports' CSS "
        "served by an Odoo HTTP server of the benchmark database (report.url), "
        "`--javascript-delay 1000` as Odoo passes it.",
        "Ours: `flexi_autocomm.ir_cron_autocomm_send`, batch "
        "`flexi_autocomm.batch_size` (default 50), PDFs rendered side by side by "
        "`flexi_autocomm.pdf_workers` wkhtmltopdf processes "
        f"({workers}); "
        "each invoice goes to its customer's two flagged contacts: two e-mails, "
        "each with its own SMTP delivery outcome.",
        "Native: the batch wizard `account.move.send.batch.wizard` "
        "(`action_send_and_print`, in the set-up), then "
        "`account.ir_cron_account_move_send` (20 invoices per run) and the mail "
        "queue; one e-mail per invoice, to the invoice's partner. "
        + (
            "`account.pdf_generation_batch` = 0 (one invoice per wkhtmltopdf "
            "call): with Debian's wkhtmltopdf a multi-invoice call fails "
            "(EmptyFileError)."
            if not args.patched_wkhtmltopdf
            else "`account.pdf_generation_batch` left at Odoo's default (80)."
        ),
        "Receipts: N customer payments (inbound, customer) on the bank journal, "
        "whose *Send* default (`autocomm_auto_send`) is on, confirmed "
        "(`action_post`) in the set-up; the same scheduled action "
        "`flexi_autocomm.ir_cron_autocomm_send` e-mails each receipt, with "
        "Odoo's payment receipt PDF, to its customer's two contacts flagged "
        "*Send payment documents*: two e-mails per payment"
        + (
            f", up to N={args.receipts_max} (`--receipts-max`)."
            if args.receipts_max < max(args.sizes, default=0)
            else "."
        ),
        "Contracts: `flexi_autocomm.ir_cron_contract_generate`, batch "
        "`flexi_autocomm.contract_batch_size` (default 100); each contract has one "
        "line, is due for one monthly period, posts its invoice and does not send it.",
        "Each pipeline is run by a fresh worker process calling Odoo's cron worker "
        "loop `ir.cron._process_jobs` until its documents are done: wall seconds "
        "from the first call to the last document done; SQL queries counted by "
        "Odoo's `odoo.sql_db.sql_counter` in that process (idle polling left out); "
        "peak RSS of the worker (`getrusage`), growth over its RSS before the run, "
        "and peak of the worker with its wkhtmltopdf children (sampled every 50 ms).",
        "Data set-up (customers, invoices, payments, contracts) is not timed; "
        f"a warm-up run of N={WARM_UP_SIZE} per pipeline precedes the measured "
        "ones. With one run per size, ours goes first at the 1st, 3rd, ... "
        "size and native at the others; `--repeat` alternates within a size. "
        f"Send & Print runs up to N={args.native_max} (`--native-max`).",
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    sys.exit(main())
