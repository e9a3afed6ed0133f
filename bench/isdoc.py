#!/usr/bin/env python3
"""Benchmark: writing ISDOC (account_edi_isdoc) against Odoo's own UBL BIS 3
writer, on the same posted invoices, in one run.

    python3 bench/isdoc.py                  # 1,000 invoices, two rounds
    python3 bench/isdoc.py --invoices 200 --rounds 1
    python3 bench/isdoc.py --help

What one run does (see bench/README.md, section "ISDOC export"):

1. uses PostgreSQL as tools/devenv.py does (the server of the PG* variables,
   else the throwaway cluster in .dev/pgdata) and creates a fresh database with
   account_edi_isdoc installed, without demo data;
2. in that database: a Czech company (CZK, Odoo's generic chart, taxes 21 %
   and 12 %, a bank account), 50 Czech customers with IČO and DIČ, and the
   posted invoices, three lines each at two VAT rates (not timed);
3. writes every invoice with ``account.edi.xml.isdoc._export_invoice`` (which
   also validates each document against the ISDOC schema) and with
   ``account.edi.xml.ubl_bis3._export_invoice``, from a cold ORM cache each
   time, the order alternating from one round to the next;
4. prints invoices per second and SQL queries per invoice of both, and the
   ratio, and writes them to bench/results/isdoc.md; the database is dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / ".dev" / "bench-isdoc"
RESULTS = ROOT / "bench" / "results" / "isdoc.md"
ADDON = "account_edi_isdoc"
CUSTOMERS = 50
BATCH = 100
WRITERS = {
    "ISDOC 6.0.2": "account.edi.xml.isdoc",
    "UBL BIS 3 (Odoo)": "account.edi.xml.ubl_bis3",
}

sys.path.insert(0, str(ROOT / "tools"))
import devenv  # noqa: E402 - the project's own PostgreSQL helpers


def log(message: str) -> None:
    print(f"bench-isdoc: {message}", flush=True)


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
    lines = ["; Written by bench/isdoc.py on each run.", "[options]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- #
# Inside Odoo
# --------------------------------------------------------------------------- #


def set_up(env, count: int):
    """The company, customers and ``count`` posted invoices; return them."""
    from odoo import Command

    company = env.company
    czk = env.ref("base.CZK")
    czk.active = True
    company.write(
        {
            "name": "Dodavatel s.r.o.",
            "country_id": env.ref("base.cz").id,
            "currency_id": czk.id,
            "vat": "CZ12345679",
            "company_registry": "12345679",
            "street": "Vodičkova 699/30",
            "city": "Praha",
            "zip": "11000",
        }
    )
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
    bank = env["res.bank"].create({"name": "Česká spořitelna", "bic": "GIBACZPX"})
    env["res.partner.bank"].create(
        {
            "acc_number": "CZ6508000000192000145399",
            "partner_id": company.partner_id.id,
            "bank_id": bank.id,
        }
    )
    taxes = [
        env["account.tax"].create(
            {"name": f"{rate}%", "amount": rate, "type_tax_use": "sale"}
        )
        for rate in (21.0, 12.0)
    ]
    customers = env["res.partner"].create(
        [
            {
                "name": f"Odběratel {index} s.r.o.",
                "is_company": True,
                "company_registry": f"{27082440 + index}",
                "vat": f"CZ{27082440 + index}",
                "street": f"Na Příkopě {index + 1}",
                "city": "Brno",
                "zip": "60200",
                "country_id": env.ref("base.cz").id,
                "email": f"faktury{index}@example.com",
            }
            for index in range(CUSTOMERS)
        ]
    )
    product = env["product.product"].create({"name": "Konzultace", "list_price": 1})
    invoices = env["account.move"]
    for start in range(0, count, BATCH):
        batch = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": customers[index % CUSTOMERS].id,
                    "invoice_date": datetime.date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": f"Položka {line}",
                                "quantity": line + 1,
                                "price_unit": 100.0 * (line + 1) + index % 97,
                                "tax_ids": [Command.set(taxes[line % 2].ids)],
                            }
                        )
                        for line in range(3)
                    ],
                }
                for index in range(start, min(start + BATCH, count))
            ]
        )
        batch.action_post()
        invoices |= batch
        log(f"{len(invoices)} invoices posted")
    return invoices


def measure(env, invoices, model: str) -> dict:
    """Write every invoice with ``model``, from a cold cache."""
    from odoo import sql_db

    builder = env[model]
    env.invalidate_all()
    invoices = invoices.browse(invoices.ids)
    queries = sql_db.sql_counter
    started = time.perf_counter()
    size = 0
    errors = 0
    for invoice in invoices:
        xml, invoice_errors = builder._export_invoice(invoice)
        size += len(xml)
        errors += bool(invoice_errors)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "queries": sql_db.sql_counter - queries,
        "bytes": size,
        "with_errors": errors,
    }


def run_inside(args) -> list[dict]:
    import odoo

    odoo.tools.config.parse_config(["-c", str(args.conf), "-d", args.db])
    registry = odoo.modules.registry.Registry(args.db)
    runs = []
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        started = time.monotonic()
        invoices = set_up(env, args.invoices)
        cr.commit()
        log(f"set-up in {time.monotonic() - started:.0f} s (not timed)")
        # Warm-up: code paths, the schema, the registry's caches.
        for model in WRITERS.values():
            measure(env, invoices[:10], model)
        writers = list(WRITERS.items())
        for round_index in range(args.rounds):
            order = writers if round_index % 2 == 0 else writers[::-1]
            for label, model in order:
                figures = measure(env, invoices, model)
                figures.update(writer=label, round=round_index + 1)
                runs.append(figures)
                log(
                    f"round {round_index + 1}, {label}: {figures['seconds']:.1f} s, "
                    f"{figures['queries']} queries"
                )
        cr.rollback()
    return runs


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def summarize(runs: list[dict], count: int) -> dict:
    table = {}
    for label in WRITERS:
        mine = [run for run in runs if run["writer"] == label]
        seconds = statistics.median(run["seconds"] for run in mine)
        table[label] = {
            "per_second": count / seconds,
            "queries": statistics.median(run["queries"] for run in mine) / count,
            "ms": 1000 * seconds / count,
            "kib": statistics.median(run["bytes"] for run in mine) / count / 1024,
            "with_errors": max(run["with_errors"] for run in mine),
        }
    return table


def render(table: dict, args) -> str:
    isdoc, ubl = table["ISDOC 6.0.2"], table["UBL BIS 3 (Odoo)"]
    ratio = isdoc["per_second"] / ubl["per_second"]
    lines = [
        f"# ISDOC export benchmark ({datetime.date.today()})",
        "",
        f"{args.invoices} posted invoices (3 lines, 2 VAT rates), written by each "
        f"writer from a cold ORM cache; median of {args.rounds} round(s), the order "
        "alternating.",
        "",
        "| Writer | invoices/s | ms/invoice | queries/invoice | KiB/invoice |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, row in table.items():
        lines.append(
            f"| {label} | {row['per_second']:.1f} | {row['ms']:.2f} | "
            f"{row['queries']:.1f} | {row['kib']:.1f} |"
        )
    verdict = "met" if ratio >= 1 else "NOT met"
    lines += [
        "",
        f"ISDOC/UBL throughput: {ratio:.2f}x (goal: ISDOC no slower: {verdict}).",
        "The ISDOC figures include the validation of every document against the "
        "ISDOC 6.0.2 schema.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end; "
        f"Python {platform.python_version()}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true", help="keep the database")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--conf", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        runs = run_inside(args)
        table = summarize(runs, args.invoices)
        report = render(table, args)
        print(report)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(report)
        return 0

    WORK_DIR.mkdir(parents=True, exist_ok=True)
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
            env=devenv.child_env(),
        )
        # Measured in a process of its own, which holds nothing but Odoo.
        command = [__file__, "--inside", f"--conf={conf}", f"--db={db}"]
        command += [f"--invoices={args.invoices}", f"--rounds={args.rounds}"]
        return subprocess.run(
            [sys.executable, *command], env=devenv.child_env(), check=False
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
