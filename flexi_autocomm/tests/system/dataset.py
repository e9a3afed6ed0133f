"""Data of the system scenarios, written through Odoo's API and committed.

Runs in a process of its own, never imported by the tests (which run in the
pytest process, connected to another database)::

    python3 dataset.py --config odoo.conf --database db FUNCTION '{"arg": 1}'

opens the registry of the database, calls ``FUNCTION(env, **args)`` as the
superuser, commits, and prints the JSON of its result on a line of its own
starting with ``DATASET-RESULT: `` (see ``ScenarioDatabase.call``).
"""

import argparse
import io
import json
import sys

FUNCTIONS = {}
RESULT_MARKER = "DATASET-RESULT: "


def dataset(function):
    """Make ``function`` callable from the command line."""
    FUNCTIONS[function.__name__] = function
    return function


# --------------------------------------------------------------------------- #
# Sending set-up
# --------------------------------------------------------------------------- #


@dataset
def setup_sending(
    env, smtp_port, batch_size=50, mode="send", bcc_email=False, crons=()
):
    """A company that sends through the scenario's SMTP sink, and nothing else.

    Only the scheduled actions of this addon (``crons``: more xml ids) and
    Odoo's own mail queue run: the mail queue must leave our e-mails alone,
    and the other scheduled actions of the demo database would only slow the
    scenario down (or call the Internet). The demo documents are taken out of
    the queue, and Odoo's own outgoing e-mails are dropped, so that the sink
    receives the scenario's e-mails only.
    """
    keep = [
        env.ref("flexi_autocomm.ir_cron_autocomm_send").id,
        env.ref("mail.ir_cron_mail_scheduler_action").id,
        *(env.ref(xmlid).id for xmlid in crons),
    ]
    env["ir.cron"].search([("id", "not in", keep)]).active = False
    env["ir.cron"].browse(keep).active = True
    env["ir.mail_server"].search([]).active = False
    env["ir.mail_server"].create(
        {
            "name": "Scenario SMTP sink",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_encryption": "none",
            "sequence": 1,
        }
    )
    params = env["ir.config_parameter"]
    params.set_param("flexi_autocomm.batch_size", str(batch_size))
    # One invoice per wkhtmltopdf call (see ODOO18-NOTES: Debian's binary
    # fails on several), and no HTTP server to fetch the report's CSS from.
    params.set_param("account.pdf_generation_batch", "0")
    params.set_param("report.url", "http://127.0.0.1:9")
    env["mail.mail"].search([]).unlink()
    # The demo documents of every kind (the bridges' orders too); releases
    # before the engine (the upgrade scenario's) send invoices only.
    from odoo.tools import SQL

    if "autocomm.engine" in env:
        models = env["autocomm.engine"]._get_document_models()
    else:
        models = [env["account.move"]]
    for model in models:
        queued = model.search([("autocomm_state", "not in", ("no_send", "sent"))])
        if queued:
            env.cr.execute(
                SQL(
                    "UPDATE %s SET autocomm_state = 'no_send' WHERE id IN %s",
                    SQL.identifier(model._table),
                    tuple(queued.ids),
                )
            )
    company = env.ref("base.main_company")
    company.write(
        {
            "autocomm_mode": mode,
            "autocomm_bcc_email": bcc_email,
            "email": "billing@our.example.com",
        }
    )
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    journal.autocomm_auto_send = True
    salesperson = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Jana Nováková",
                "login": "jana.novakova",
                "email": "jana.novakova@our.example.com",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, env.ref("account.group_account_invoice").ids)],
            }
        )
    )
    return {
        "cron_id": keep[0],
        "company_id": company.id,
        "journal_id": journal.id,
        "salesperson_id": salesperson.id,
    }


@dataset
def duplicate_send_cron(env):
    """A second scheduled action running the same method (an admin's copy).

    Two cron workers never run one scheduled action at once (Odoo locks its
    row); with two, both workers run ``_cron_autocomm_send`` concurrently.
    """
    cron = env.ref("flexi_autocomm.ir_cron_autocomm_send")
    copy = cron.copy({"name": "Automatic communication: send documents (copy)"})
    copy.active = True
    return copy.id


@dataset
def create_customers(env, count, contacts=1, prefix="customer", domain="example.com"):
    """``count`` companies, each with ``contacts`` contacts flagged Send invoices.

    :return: ``[[partner_id, [contact e-mails]], ...]``
    """
    customers = env["res.partner"].create(
        [
            {
                "name": f"{prefix.title()} {number:04d} s.r.o.",
                "is_company": True,
                "email": f"office@{prefix}{number:04d}.{domain}",
                "lang": "en_US",
            }
            for number in range(count)
        ]
    )
    contact_vals = [
        {
            "name": f"Contact {index} of {customer.name}",
            "parent_id": customer.id,
            "type": "contact",
            "email": f"contact{index}@{prefix}{number:04d}.{domain}",
            "autocomm_send_invoices": True,
        }
        for number, customer in enumerate(customers)
        for index in range(contacts)
    ]
    env["res.partner"].create(contact_vals)
    return [
        [
            customer.id,
            [
                vals["email"]
                for vals in contact_vals
                if vals["parent_id"] == customer.id
            ],
        ]
        for customer in customers
    ]


@dataset
def create_invoices(
    env,
    partner_ids,
    per_partner=1,
    fake_pdf=True,
    journal_id=None,
    salesperson_login="jana.novakova",
):
    """Posted customer invoices, marked Send by their journal.

    ``fake_pdf``: attach a one-page PDF as the invoice's PDF, as if Send &
    Print had made it already (Odoo reuses it instead of running wkhtmltopdf).
    :return: ``[[move_id, name, partner_id], ...]``
    """
    salesperson = env["res.users"].search([("login", "=", salesperson_login)])
    # A line without product nor taxes, and no chatter tracking: posting
    # hundreds of invoices costs a fraction of what full invoices cost, and
    # sending does not depend on their lines.
    env = env(context=dict(env.context, tracking_disable=True))
    vals_list = [
        {
            "move_type": "out_invoice",
            "partner_id": partner_id,
            "invoice_user_id": salesperson.id,
            **({"journal_id": journal_id} if journal_id else {}),
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Services",
                        "quantity": 1,
                        "price_unit": 100.0 + n,
                        "tax_ids": [],
                    },
                )
            ],
        }
        for partner_id in partner_ids
        for n in range(per_partner)
    ]
    moves = env["account.move"].create(vals_list)
    moves.action_post()
    if fake_pdf:
        attach_fake_pdfs(moves)
    return [[move.id, move.name, move.partner_id.id] for move in moves]


@dataset
def create_invoices_in_bulk(env, partner_ids, count, real=5):
    """``count`` invoices for the partners in turn (round robin), like
    :func:`create_invoices` but fast: ``real`` invoices are made by the ORM,
    the others are SQL copies of them (own number, own customer, own PDF), as
    posted invoices of the same journal.

    Posting 500 invoices through the ORM takes one to two minutes on two
    cores; copying them a second, and sending does not care how an invoice
    came to be.
    """
    targets = [partner_ids[index % len(partner_ids)] for index in range(count)]
    originals = env["account.move"].browse(
        move_id
        for move_id, _name, _partner in create_invoices(
            env, targets[:real], fake_pdf=False
        )
    )
    copies = _copy_moves(env, originals, targets[real:])
    moves = originals | copies
    attach_fake_pdfs(moves)
    return [[move.id, move.name, move.partner_id.id] for move in moves]


def _copy_moves(env, originals, partner_ids):
    """SQL copies of posted ``originals``, one per partner, numbered on."""
    cr = env.cr
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name NOT IN ('id', 'access_token', 'inalterable_hash', "
        "'message_main_attachment_id', 'secure_sequence_number')",
        ["account_move"],
    )
    move_columns = [row[0] for row in cr.fetchall()]
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name NOT IN ('id', 'move_id')",
        ["account_move_line"],
    )
    line_columns = [row[0] for row in cr.fetchall()]
    last = max(originals.mapped("sequence_number"))
    plan = [
        (last + index + 1, partner_id, originals[index % len(originals)].id)
        for index, partner_id in enumerate(partner_ids)
    ]
    overrides = {
        "sequence_number": "plan.seq",
        "name": "move.sequence_prefix || lpad(plan.seq::text, "
        "length(move.name) - length(move.sequence_prefix), '0')",
        "partner_id": "plan.partner_id",
        "commercial_partner_id": "plan.partner_id",
        "partner_shipping_id": "plan.partner_id",
        "invoice_partner_display_name": "partner.name",
    }
    overrides["payment_reference"] = overrides["name"]
    select = ", ".join(
        overrides.get(column, f"move.{column}") for column in move_columns
    )
    values = ", ".join(cr.mogrify("(%s, %s, %s)", row).decode() for row in plan)
    # Column names come from the catalogue, values through mogrify.
    # pylint: disable=sql-injection
    cr.execute(
        f"""
        WITH plan (seq, partner_id, original_id) AS (VALUES {values})
        INSERT INTO account_move ({", ".join(move_columns)})
        SELECT {select}
          FROM plan
          JOIN account_move move ON move.id = plan.original_id
          JOIN res_partner partner ON partner.id = plan.partner_id
        ORDER BY plan.seq
        RETURNING id, sequence_number
        """
    )
    new_ids = {seq: move_id for move_id, seq in cr.fetchall()}
    line_overrides = {
        "partner_id": "copy.partner_id",
        "move_name": "copy.name",
    }
    line_select = ", ".join(
        line_overrides.get(column, f"line.{column}") for column in line_columns
    )
    mapping = ", ".join(
        cr.mogrify("(%s, %s)", (new_ids[seq], original_id)).decode()
        for seq, _partner_id, original_id in plan
    )
    cr.execute(
        f"""
        WITH mapping (move_id, original_id) AS (VALUES {mapping})
        INSERT INTO account_move_line (move_id, {", ".join(line_columns)})
        SELECT mapping.move_id, {line_select}
          FROM mapping
          JOIN account_move copy ON copy.id = mapping.move_id
          JOIN account_move_line line ON line.move_id = mapping.original_id
        """
    )
    env.invalidate_all()
    return env["account.move"].browse(sorted(new_ids.values()))


@dataset
def scenario_two_workers(env, smtp_port, customers, invoices):
    """Scenario 1: a large queue, a second copy of the sending scheduled action."""
    setup = setup_sending(env, smtp_port, batch_size=50)
    setup["second_cron_id"] = duplicate_send_cron(env)
    setup["customers"] = create_customers(env, count=customers, contacts=1)
    setup["invoices"] = create_invoices_in_bulk(
        env, [partner_id for partner_id, _emails in setup["customers"]], invoices
    )
    return setup


@dataset
def scenario_crash(env, smtp_port, customers):
    """Scenario 2: small batches of invoices with real PDFs, two contacts each.

    The claims of e-mails expire after 2 s instead of 10 min, so that the
    worker started after a kill recovers them at once (one worker at a time:
    none is ever slower than that on its own claim).
    """
    setup = setup_sending(env, smtp_port, batch_size=3)
    env["ir.config_parameter"].set_param("flexi_autocomm.claim_lease_seconds", "2")
    setup["customers"] = create_customers(
        env, count=customers, contacts=2, prefix="crash"
    )
    setup["invoices"] = create_invoices(
        env, [partner_id for partner_id, _emails in setup["customers"]], fake_pdf=False
    )
    return setup


@dataset
def scenario_outage(env, smtp_port, customers, contacts):
    """Scenarios 3 and 4: one invoice per customer, ready-made PDFs."""
    setup = setup_sending(env, smtp_port, batch_size=50)
    setup["customers"] = create_customers(
        env, count=customers, contacts=contacts, prefix="out"
    )
    setup["invoices"] = create_invoices(
        env, [partner_id for partner_id, _emails in setup["customers"]]
    )
    return setup


@dataset
def scenario_every_state(env, smtp_port):
    """Scenarios 7 and 8 (upgrade, uninstall): one invoice in each state of
    the sending, two contacts each.

    ``sent`` went out; ``waiting`` waits for a mail server that is down (its
    e-mails are to be retried); ``claimed`` waits too, but one of its e-mails
    was claimed by a worker that died before its outcome (this process,
    which exits: its claim is left behind); ``queued`` is marked Send.

    :return: ``{"customers": ..., "invoices": {state: [move_id, name,
        partner_id]}, "claimed_mail_id": id}``
    """
    setup_sending(env, smtp_port)
    customers = create_customers(env, count=4, contacts=2, prefix="state")
    invoices = create_invoices(env, [partner_id for partner_id, _emails in customers])
    moves = env["account.move"].browse(move_id for move_id, _n, _p in invoices)
    sent, waiting, claimed, queued = moves

    def queue(documents, state="to_send"):
        env.cr.execute(
            "UPDATE account_move SET autocomm_state = %s WHERE id IN %s",
            [state, tuple(documents.ids)],
        )
        env.invalidate_all()

    queue(moves - sent, "no_send")
    moves._cron_autocomm_send()
    server = env["ir.mail_server"].search([("smtp_port", "=", smtp_port)])
    server.smtp_port = _closed_port()
    queue(waiting | claimed)
    moves._cron_autocomm_send()
    server.smtp_port = smtp_port
    claimed_mail = claimed.autocomm_mail_ids.sorted("id")[0]
    assert claimed_mail._autocomm_claim(), "the e-mail could not be claimed"
    queue(queued)
    return {
        "customers": customers,
        "invoices": dict(
            zip(("sent", "waiting", "claimed", "queued"), invoices, strict=True)
        ),
        "claimed_mail_id": claimed_mail.id,
    }


@dataset
def run_send_cron(env):
    """One run of the sending scheduled action's method, in this process."""
    env["account.move"]._cron_autocomm_send()
    return True


@dataset
def uninstall_autocomm(env):
    """Uninstall the addon, as the Apps menu does."""
    module = env["ir.module.module"].search([("name", "=", "flexi_autocomm")])
    module.button_immediate_uninstall()
    return module.state


@dataset
def process_mail_queue(env):
    """Odoo's own mail queue, as its scheduled action runs it."""
    env["mail.mail"].process_email_queue()
    return True


def _closed_port():
    """A loopback TCP port nothing listens on: the mail server is down."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


INJECTED = "injected@evil.example"


@dataset
def scenario_bad_input(env, smtp_port, good=30, per_kind=3):
    """Scenario 6: bad data among good, in volume.

    :return: ``{"documents": {kind: [[move_id, name], ...]}, "expected":
        {kind: [recipients]}, "refused": {what: error}}``, where ``refused``
        lists what Odoo refused to save (and so cannot be sent).
    """
    setup = setup_sending(env, smtp_port, batch_size=50)
    company = env["res.company"].browse(setup["company_id"])
    journal = env["account.journal"].browse(setup["journal_id"])
    partners = env["res.partner"]
    documents, expected, refused = {}, {}, {}

    def customer(name, email=False, contacts=()):
        partner = partners.create({"name": name, "is_company": True, "email": email})
        for contact_name, contact_email in contacts:
            partners.create(
                {
                    "name": contact_name,
                    "parent_id": partner.id,
                    "email": contact_email,
                    "autocomm_send_invoices": True,
                }
            )
        return partner

    def invoices(kind, customers, recipients=None, **kwargs):
        made = create_invoices(env, [c.id for c in customers], **kwargs)
        documents.setdefault(kind, []).extend(
            [move_id, name] for move_id, name, _p in made
        )
        if recipients is not None:
            expected.setdefault(kind, []).extend(recipients)

    manager = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Účetní manažerka",
                "login": "accounting.manager",
                "email": "manager@our.example.com",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, env.ref("account.group_account_manager").ids)],
            }
        )
    )

    editor = manager.copy({"login": "template.editor", "name": "Editorka šablon"})
    editor.groups_id |= env.ref("mail.group_mail_template_editor")

    def save(what, journal, text, user=editor):
        """Save a text for sending as an accounting manager would."""
        try:
            with env.cr.savepoint():
                journal.with_user(user).autocomm_email_text = text
                journal.flush_recordset()
        except Exception as error:  # noqa: BLE001 - the refusal is the result
            refused[what] = str(error)

    good_customers = [
        customer(
            f"Good {n:03d} a.s.",
            contacts=[(f"Clerk {n}", f"clerk{n}@good.example.com")],
        )
        for n in range(good)
    ]
    invoices(
        "good", good_customers, [f"clerk{n}@good.example.com" for n in range(good)]
    )

    malformed = [
        "broken@@example",
        "no-at-sign",
        "two@one.example, three@one.example",
        f"victim@one.example\r\nBcc: {INJECTED}",
        f"victim@one.example\nTo: {INJECTED}",
    ]
    invoices(
        "nobody",
        [
            customer(
                f"Malformed {n} s.r.o.", email=address, contacts=[(f"Bad {n}", address)]
            )
            for n, address in enumerate(malformed * per_kind)
        ],
    )
    invoices(
        "no email",
        [
            customer(f"Silent {n} s.r.o.", contacts=[(f"Mute {n}", False)])
            for n in range(per_kind)
        ],
    )
    invoices(
        "one malformed contact",
        [
            customer(
                f"Mixed {n} s.r.o.",
                contacts=[
                    (f"Bad {n}", malformed[n % len(malformed)]),
                    (f"Ok {n}", f"ok{n}@mixed.example.com"),
                ],
            )
            for n in range(per_kind)
        ],
        [f"ok{n}@mixed.example.com" for n in range(per_kind)],
    )
    invoices(
        "names with line breaks",
        [
            customer(
                f"Evil {n}\r\nBcc: {INJECTED}",
                email=f"office{n}@evil-name.example.com",
                contacts=[
                    (
                        f"Mallory {n}\r\nX-Injected: yes\nTo: {INJECTED}",
                        f"mallory{n}@evil-name.example.com",
                    )
                ],
            )
            for n in range(per_kind)
        ],
        [f"mallory{n}@evil-name.example.com" for n in range(per_kind)],
    )
    # A salesperson (From, signature) and a company (subject) with line breaks.
    salesperson = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": f"Jan\r\nBcc: {INJECTED}\r\nX-Injected: yes",
                "login": "evil.salesperson",
                "email": "jan@our.example.com",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, env.ref("account.group_account_invoice").ids)],
            }
        )
    )
    company.name = f"{company.name}\r\nBcc: {INJECTED}\r\nX-Injected: yes"
    invoices(
        "evil salesperson",
        good_customers[:per_kind],
        [f"clerk{n}@good.example.com" for n in range(per_kind)],
        salesperson_login=salesperson.login,
    )
    # A text for sending of a megabyte.
    big_text = "<p>" + "Lorem ipsum dolor sit amet. " * 38000 + "{{ object.name }}</p>"
    big_journal = journal.copy({"code": "BIG"})
    big_journal.name = "Big texts"
    invoices(
        "1 MB text",
        good_customers[:per_kind],
        [f"clerk{n}@good.example.com" for n in range(per_kind)],
        journal_id=big_journal.id,
    )
    save("1 MB text", big_journal, big_text)
    # Broken placeholders: refused when saved, whether or not the journal
    # has a document to try them on.
    broken_journal = journal.copy({"code": "BRK"})
    broken_journal.name = "Broken texts"
    save("placeholder syntax error", broken_journal, "<p>{{ object.name + }}</p>")
    save(
        "unknown field, no template editor",
        broken_journal,
        "<p>Dear {{ object.partner_id.no_such_field }}</p>",
        user=manager,
    )
    save(
        "unknown field",
        broken_journal,
        "<p>Dear {{ object.partner_id.no_such_field }}</p>",
    )
    # The same text, saved by an earlier version that did not check it: its
    # documents fail.
    env.cr.execute(
        "UPDATE account_journal SET autocomm_email_text = %s WHERE id = %s",
        [
            json.dumps({"en_US": "<p>Dear {{ object.partner_id.no_such_field }}</p>"}),
            broken_journal.id,
        ],
    )
    broken_journal.invalidate_recordset(["autocomm_email_text"])
    invoices(
        "broken placeholder", good_customers[:per_kind], journal_id=broken_journal.id
    )
    save(
        "unknown field, journal with documents",
        broken_journal,
        "<p>Dear {{ object.partner_id.other_missing_field }}</p>",
    )
    env.flush_all()
    return {
        "documents": documents,
        "expected": expected,
        "refused": refused,
        "cron_id": setup["cron_id"],
    }


@dataset
def scenario_contracts(env, smtp_port, contracts, months_back, batch_size):
    """Scenario 5: running monthly contracts with missed periods to catch up,
    and a second copy of the generation scheduled action.

    :return: the crons and ``expected``: ``{contract_id: [period starts]}``,
        the periods due today, as the contracts compute them.
    """
    from dateutil.relativedelta import relativedelta

    from odoo import fields

    setup = setup_sending(
        env, smtp_port, crons=["flexi_autocomm.ir_cron_contract_generate"]
    )
    env["ir.config_parameter"].set_param(
        "flexi_autocomm.contract_batch_size", str(batch_size)
    )
    cron = env.ref("flexi_autocomm.ir_cron_contract_generate")
    copy = cron.copy({"name": "Customer contracts: generate invoices (copy)"})
    copy.active = True
    # Other running contracts of the database (demo data) stay out of it.
    env["customer.contract"].search([("state", "=", "running")]).write(
        {"state": "closed"}
    )
    today = fields.Date.context_today(env["customer.contract"])
    partner = env["res.partner"].create(
        {"name": "Subscriber a.s.", "email": "subscriber@example.com"}
    )
    product = env["product.product"].create(
        {"name": "Hosting", "type": "service", "list_price": 100.0, "taxes_id": []}
    )
    records = env["customer.contract"].create(
        [
            {
                "partner_id": partner.id,
                "journal_id": setup["journal_id"],
                "date_start": today + relativedelta(day=1, months=-months_back),
                "recurring_rule_type": "monthly",
                "recurring_interval": 1,
                "invoicing_mode": "advance",
                "auto_post": True,
                "auto_send": False,
                "line_ids": [(0, 0, {"product_id": product.id, "quantity": 1})],
            }
            for _n in range(contracts)
        ]
    )
    records.action_start()
    expected = {
        contract.id: [
            str(period.start) for period in contract._get_due_periods(today)[0]
        ]
        for contract in records
    }
    return {
        "crons": [cron.id, copy.id],
        "expected": expected,
        "today": str(today),
    }


def attach_fake_pdfs(moves):
    """A small real PDF per invoice, linked as Send & Print links its PDF."""
    from reportlab.pdfgen import canvas

    vals_list = []
    for move in moves:
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.drawString(72, 720, f"{move.type_name} {move.name}")
        page.save()
        vals_list.append(
            {
                "name": move._get_invoice_report_filename(),
                "raw": buffer.getvalue(),
                "mimetype": "application/pdf",
                "res_model": "account.move",
                "res_id": move.id,
                "res_field": "invoice_pdf_report_file",
            }
        )
    moves.env["ir.attachment"].create(vals_list)
    moves.invalidate_recordset(["invoice_pdf_report_id", "invoice_pdf_report_file"])


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("function", choices=sorted(FUNCTIONS))
    parser.add_argument("arguments", nargs="?", default="{}")
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = Registry(args.database)
    with registry.cursor() as cr:  # commits on success
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        result = FUNCTIONS[args.function](env, **json.loads(args.arguments))
        env.flush_all()
    sys.stdout.write(f"{RESULT_MARKER}{json.dumps(result)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
