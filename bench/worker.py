"""The part of the benchmark that runs inside Odoo (started by bench/run.py).

Each subcommand is its own process, so that the one that measures a pipeline
holds nothing but the pipeline (its peak memory is the pipeline's).

``configure``  company, mail server, parameters, the crons that may run
``setup``      customers and invoices (or payments, or contracts) of one
               measured run
``run``        a cron worker: ``ir.cron._process_jobs`` in a loop, as Odoo's
               cron thread calls it, until the run's documents are done;
               prints one ``BENCH_RESULT {json}`` line
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from datetime import date

import psutil

import odoo
from odoo import Command
from odoo.tools import config

ADDON = "flexi_autocomm"
PIPELINES = ("ours", "native", "receipts", "contracts")
# The crons that may run during the benchmark; every other one is switched
# off so that a daily job that happens to be due does not pollute a run.
CRONS = (
    "flexi_autocomm.ir_cron_autocomm_send",
    "flexi_autocomm.ir_cron_contract_generate",
    "account.ir_cron_account_move_send",
    "mail.ir_cron_mail_scheduler_action",
)


def environment(args):
    config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    return registry


def superuser_env(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


# --------------------------------------------------------------------------- #
# configure
# --------------------------------------------------------------------------- #


def configure(args):
    registry = environment(args)
    with registry.cursor() as cr:
        env = superuser_env(cr)
        params = env["ir.config_parameter"]
        params.set_param("web.base.url", args.base_url)
        params.set_param("web.base.url.freeze", True)
        params.set_param("report.url", args.base_url)
        if args.native_pdf_batch is not None:
            params.set_param("account.pdf_generation_batch", args.native_pdf_batch)
        if args.pdf_workers is not None:
            params.set_param("flexi_autocomm.pdf_workers", args.pdf_workers)
        env["ir.mail_server"].search([]).active = False
        env["ir.mail_server"].create(
            {
                "name": "Benchmark SMTP sink",
                "smtp_host": "127.0.0.1",
                "smtp_port": args.smtp_port,
                "smtp_encryption": "none",
                "sequence": 1,
            }
        )
        company = env.company
        company.write(
            {
                "autocomm_mode": "send",
                "email": "billing@bench.example.com",
            }
        )
        admin = env.ref("base.user_admin")
        # On the partner: a change of the user's own e-mail address would send
        # Odoo's security notice to the old address during the first run.
        admin.partner_id.email = "admin@bench.example.com"
        sale_journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        sale_journal.autocomm_auto_send = True
        # Customer payments on the bank journal are queued when confirmed
        # (payment receipts); no other pipeline confirms payments.
        env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        ).autocomm_auto_send = True
        keep = {env.ref(xmlid).id for xmlid in CRONS}
        crons = env["ir.cron"].with_context(active_test=False).search([])
        (crons.filtered(lambda cron: cron.id not in keep)).active = False
        crons.filtered(lambda cron: cron.id in keep).active = True
        product = env["product.product"].create(
            {
                "name": "Bench service",
                "type": "service",
                "lst_price": 1000.0,
                "default_code": "BENCH",
            }
        )
        env["customer.contract.type"].create(
            {
                "name": "Bench monthly",
                "journal_id": sale_journal.id,
                "recurring_interval": 1,
                "recurring_rule_type": "monthly",
                "auto_post": True,
                "auto_send": False,
            }
        )
        print(json.dumps({"product_id": product.id}))


# --------------------------------------------------------------------------- #
# setup
# --------------------------------------------------------------------------- #


def create_customers(env, tag, count, flag="autocomm_send_invoices"):
    """``count`` companies, each with two contacts flagged ``flag`` (Send
    invoices, or Send payment documents)."""
    customers = env["res.partner"].create(
        [
            {
                "name": f"{tag} customer {n} s.r.o.",
                "is_company": True,
                "email": f"info-{n}@{tag}.bench.example.com",
                "lang": "en_US",
            }
            for n in range(count)
        ]
    )
    env["res.partner"].create(
        [
            {
                "name": f"{tag} contact {n}-{contact}",
                "parent_id": customer.id,
                "type": "contact",
                "email": f"{contact}-{n}@{tag}.bench.example.com",
                flag: True,
            }
            for n, customer in enumerate(customers)
            for contact in ("billing", "boss")
        ]
    )
    return customers


def create_contracts(env, tag, start, customers, product, admin):
    contract_type = env["customer.contract.type"].search(
        [("name", "=", "Bench monthly")], limit=1
    )
    env["customer.contract"].create(
        [
            {
                "name": f"{tag}-{start + n}",
                "partner_id": customer.id,
                "type_id": contract_type.id,
                "user_id": admin.id,
                "date_start": date.today().replace(day=1),
                "state": "running",
                "auto_post": True,
                "auto_send": False,
                "line_ids": [Command.create({"product_id": product.id, "quantity": 2})],
            }
            for n, customer in enumerate(customers)
        ]
    )


def create_invoices(env, pipeline, tag, customers, product, admin):
    invoices = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": date.today(),
                "invoice_user_id": admin.id,
                "invoice_origin": tag,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": 2,
                            "price_unit": 1000.0,
                        }
                    )
                ],
            }
            for customer in customers
        ]
    )
    if pipeline == "native":
        invoices.autocomm_state = "no_send"
    invoices.action_post()
    if pipeline == "ours":
        assert set(invoices.mapped("autocomm_state")) == {"to_send"}


def create_payments(env, tag, start, customers):
    """Confirmed customer payments on the bank journal (marked Send by its
    default): their receipts wait for the scheduled action."""
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    payments = env["account.payment"].create(
        [
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": 1000.0 + start + n,
                "journal_id": journal.id,
                "memo": tag,
            }
            for n, customer in enumerate(customers)
        ]
    )
    payments.action_post()
    assert set(payments.mapped("autocomm_state")) == {"to_send"}


def setup(args):
    registry = environment(args)
    chunk = 200  # one transaction per chunk: bounded memory, visible progress
    flag = (
        "autocomm_send_payments"
        if args.pipeline == "receipts"
        else "autocomm_send_invoices"
    )
    with registry.cursor() as cr:
        env = superuser_env(cr)
        product = env["product.product"].search(
            [("default_code", "=", "BENCH")], limit=1
        )
        admin = env.ref("base.user_admin")
        for start in range(0, args.n, chunk):
            count = min(chunk, args.n - start)
            customers = create_customers(env, f"{args.tag}-{start}", count, flag)
            if args.pipeline == "contracts":
                create_contracts(env, args.tag, start, customers, product, admin)
            elif args.pipeline == "receipts":
                create_payments(env, args.tag, start, customers)
            else:
                create_invoices(env, args.pipeline, args.tag, customers, product, admin)
            cr.commit()
            env.invalidate_all()
        if args.pipeline == "native":
            # What a user does: select the invoices, Send & Print; the wizard
            # queues them for account.ir_cron_account_move_send.
            invoices = env["account.move"].search([("invoice_origin", "=", args.tag)])
            wizard = (
                env["account.move.send.batch.wizard"]
                .with_user(admin)
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create({})
            )
            wizard.action_send_and_print()
            cr.commit()


# --------------------------------------------------------------------------- #
# run
# --------------------------------------------------------------------------- #

REMAINING_SQL = {
    "ours": """
        SELECT count(*) FROM account_move
         WHERE invoice_origin = %(tag)s AND autocomm_state IN ('to_send', 'sending')
    """,
    "receipts": """
        SELECT count(*) FROM account_payment
         WHERE memo = %(tag)s AND autocomm_state IN ('to_send', 'sending')
    """,
    "native": """
        SELECT (SELECT count(*) FROM account_move
                 WHERE invoice_origin = %(tag)s AND sending_data IS NOT NULL)
             + (SELECT count(*) FROM mail_mail mail
                  JOIN mail_message message ON message.id = mail.mail_message_id
                  JOIN account_move move ON move.id = message.res_id
                 WHERE message.model = 'account.move'
                   AND move.invoice_origin = %(tag)s
                   AND mail.state = 'outgoing')
    """,
    "contracts": """
        SELECT count(*) FROM customer_contract
         WHERE name LIKE %(prefix)s AND state = 'running'
           AND recurring_next_date <= CURRENT_DATE
           AND generation_error IS NULL
    """,
}

OUTCOME_SQL = {
    "ours": """
        SELECT autocomm_state, count(*) FROM account_move
         WHERE invoice_origin = %(tag)s GROUP BY autocomm_state
    """,
    "receipts": """
        SELECT autocomm_state, count(*) FROM account_payment
         WHERE memo = %(tag)s GROUP BY autocomm_state
    """,
    "native": """
        SELECT CASE WHEN EXISTS (
                   SELECT 1 FROM ir_attachment attachment
                    WHERE attachment.res_model = 'account.move'
                      AND attachment.res_id = move.id
                      AND attachment.res_field = 'invoice_pdf_report_file'
               ) THEN 'with PDF' ELSE 'no PDF' END,
               count(*)
          FROM account_move move WHERE move.invoice_origin = %(tag)s GROUP BY 1
    """,
    "contracts": """
        SELECT move.state, count(*) FROM account_move move
          JOIN customer_contract contract ON contract.id = move.customer_contract_id
         WHERE contract.name LIKE %(prefix)s GROUP BY move.state
    """,
}

START_CRON = {
    "ours": "flexi_autocomm.ir_cron_autocomm_send",
    "receipts": "flexi_autocomm.ir_cron_autocomm_send",
    "native": "account.ir_cron_account_move_send",
    "contracts": "flexi_autocomm.ir_cron_contract_generate",
}


class MemorySampler(threading.Thread):
    """Peak resident memory of this process and of it with its children
    (the wkhtmltopdf processes), sampled every 50 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.peak_tree = 0
        self.peak_children = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.05):
            try:
                children = sum(
                    child.memory_info().rss
                    for child in self.process.children(recursive=True)
                )
            except psutil.Error:
                continue
            own = self.process.memory_info().rss
            self.peak_children = max(self.peak_children, children)
            self.peak_tree = max(self.peak_tree, own + children)


def cpu_seconds():
    """CPU seconds (user + system) of this process and of its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(args):
    registry = environment(args)
    ir_cron = registry["ir.cron"]
    threading.current_thread().dbname = args.db
    params = {"tag": args.tag, "prefix": f"{args.tag}-%"}
    watch = odoo.sql_db.db_connect(args.db).cursor()  # raw reads, not counted
    watch._cnx.autocommit = True

    def remaining():
        watch.execute(REMAINING_SQL[args.pipeline], params)
        return watch.fetchone()[0]

    with registry.cursor() as cr:
        env = superuser_env(cr)
        env.ref(START_CRON[args.pipeline])._trigger()
        mail_cron = env.ref("mail.ir_cron_mail_scheduler_action")
    baseline_rss = psutil.Process().memory_info().rss
    cpu_before = cpu_seconds()
    sampler = MemorySampler()
    sampler.start()
    queries_before = odoo.sql_db.sql_counter
    started = time.perf_counter()
    deadline = started + args.timeout
    idle_rounds = 0
    idle_queries = 0
    timed_out = False
    while remaining():
        if time.perf_counter() > deadline:
            print(f"bench worker: timed out after {args.timeout} s", file=sys.stderr)
            timed_out = True
            break
        jobs_before = odoo.sql_db.sql_counter
        ir_cron._process_jobs(args.db)
        if odoo.sql_db.sql_counter - jobs_before <= 3:  # no job was ready
            # The polling of an idle cron worker is not the pipeline's cost.
            idle_queries += odoo.sql_db.sql_counter - jobs_before
            idle_rounds += 1
            if idle_rounds % 20 == 0 and args.pipeline == "native":
                # E-mails left in the queue: the hourly queue manager.
                with registry.cursor() as cr:
                    mail_cron.with_env(superuser_env(cr))._trigger()
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    cpu_self, cpu_children = (
        after - before for after, before in zip(cpu_seconds(), cpu_before, strict=True)
    )
    queries = odoo.sql_db.sql_counter - queries_before - idle_queries
    sampler.stopped.set()
    sampler.join()
    watch.execute(OUTCOME_SQL[args.pipeline], params)
    outcome = dict(watch.fetchall())
    watch.close()
    result = {
        "pipeline": args.pipeline,
        "n": args.n,
        "seconds": seconds,
        "queries": queries,
        "cpu_worker": cpu_self,
        "cpu_wkhtmltopdf": cpu_children,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baseline_rss": baseline_rss,
        "peak_tree_rss": sampler.peak_tree,
        "peak_children_rss": sampler.peak_children,
        "outcome": outcome,
        "timed_out": timed_out,
    }
    print("BENCH_RESULT " + json.dumps(result), flush=True)


def trace_queries(lines):
    """Count the queries by call site (the last frames of Odoo's and our
    addons); print the busiest at exit. A developer's tool, slow."""
    import atexit  # noqa: PLC0415
    import collections  # noqa: PLC0415
    import traceback  # noqa: PLC0415

    counter = collections.Counter()
    original = odoo.sql_db.Cursor.execute

    def execute(cr, query, params=None, log_exceptions=True):
        frames = [
            frame
            for frame in traceback.extract_stack()[:-1]
            if ("/addons/" in frame.filename or f"/{ADDON}/" in frame.filename)
            and "/base/models/ir_cron" not in frame.filename
        ]
        counter[
            " < ".join(
                f"{frame.filename.split('/addons/')[-1].split(f'/{ADDON}/')[-1]}"
                f":{frame.lineno} {frame.name}"
                for frame in frames[-1:-5:-1]
            )
        ] += 1
        return original(cr, query, params, log_exceptions)

    odoo.sql_db.Cursor.execute = execute

    @atexit.register
    def report():
        print(f"queries by call site (total {sum(counter.values())}):")
        for site, count in counter.most_common(lines):
            print(f"{count:6d} {site}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/worker.py")
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    configure_parser = commands.add_parser("configure")
    configure_parser.add_argument("--smtp-port", type=int, required=True)
    configure_parser.add_argument("--base-url", required=True)
    configure_parser.add_argument("--pdf-workers", type=int)
    configure_parser.add_argument("--native-pdf-batch", type=int)
    for name in ("setup", "run"):
        sub = commands.add_parser(name)
        sub.add_argument("--pipeline", choices=PIPELINES, required=True)
        sub.add_argument("--n", type=int, required=True)
        sub.add_argument("--tag", required=True)
        sub.add_argument("--timeout", type=float, default=4 * 3600)
        sub.add_argument("--profile", help="write cProfile statistics to this file")
        sub.add_argument(
            "--trace-queries",
            type=int,
            metavar="LINES",
            help="print the LINES call sites that run the most queries",
        )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    command = {"configure": configure, "setup": setup, "run": run}[args.command]
    if getattr(args, "trace_queries", None):
        trace_queries(args.trace_queries)
    if getattr(args, "profile", None):
        import cProfile  # noqa: PLC0415 - a developer's option

        cProfile.runctx(
            "command(args)",
            globals(),
            {"command": command, "args": args},
            filename=args.profile,
        )
    else:
        command(args)


if __name__ == "__main__":
    main()
