"""Shared set-up of the tests: a real SMTP server and invoicing data.

How the scheduled action runs inside a test
-------------------------------------------
The suite runs with pytest-odoo. On Odoo 18, pytest-odoo marks the thread as
testing (``threading.current_thread().testing``) but leaves
``odoo.modules.module.current_test`` unset, so Odoo takes its production
paths: ``ir.mail_server`` really connects to the configured SMTP server. That
is what these tests want: every e-mail goes through the real ``mail.mail``
queue and the real SMTP protocol to :class:`SmtpServer`, started on a free
loopback port for each test class and registered as the only active
``ir.mail_server``.

The only production path a ``TransactionCase`` cannot take is ``cr.commit()``.
The scheduled action commits through ``autocomm.engine._commit()``,
which skips the commit on a testing thread; everything else (claims, outcomes,
savepoints) runs as in production, inside the test's transaction. Run the
scheduled action with :meth:`AutocommCase.run_autocomm_cron`, which also lifts
``test_enable`` for the run so that the invoice PDFs are real PDFs rendered by
wkhtmltopdf (Odoo renders HTML instead while ``test_enable`` is set).
"""

import contextlib
import email
import email.policy
import socket
from dataclasses import dataclass, field
from unittest.mock import patch

from aiosmtpd.controller import Controller

from odoo import Command
from odoo.tests import HttpCase, new_test_user
from odoo.tools import config

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


def create_office_users(env, company, prefix):
    """A billing user, an accounting manager and a plain internal user of
    ``company``, for the access-rights tests.

    :return: ``(billing user, accounting manager, internal user)``
    """
    common = {"company_id": company.id, "company_ids": company.ids}
    return tuple(
        new_test_user(env, login=f"{prefix}_{role}", groups=groups, **common)
        for role, groups in (
            ("billing", "account.group_account_invoice"),
            ("manager", "account.group_account_manager"),
            ("internal", "base.group_user"),
        )
    )


def free_port():
    """A TCP port on the loopback interface that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMessage:
    """One message the SMTP server accepted: envelope and parsed content."""

    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: email.message.EmailMessage = field(init=False)

    def __post_init__(self):
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self):
        return str(self.message["Subject"] or "")

    @property
    def to(self):
        return str(self.message["To"] or "")

    def header_text(self):
        """All headers, as a recipient's mail client sees them."""
        return "\n".join(f"{name}: {value}" for name, value in self.message.items())

    def html_body(self):
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    def attachment_names(self):
        return [part.get_filename() for part in self.message.iter_attachments()]

    def attachments(self):
        return {
            part.get_filename(): part.get_payload(decode=True)
            for part in self.message.iter_attachments()
        }


class RecordingHandler:
    """aiosmtpd handler: records messages, refuses recipients on demand, and
    hangs up without a word at a chosen step (``mail``: at MAIL FROM, before
    the message data; ``data``: once the whole message arrived, before the
    reply)."""

    def __init__(self):
        self.messages = []
        self.refusals = {}
        self.hang_ups = {}

    def _hang_up(self, server, step):
        if self.hang_ups.get(step):
            self.hang_ups[step] -= 1
            server.transport.abort()
            return True
        return False

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self._hang_up(server, "mail"):
            return "421 never sent"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            ReceivedMessage(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.content
            )
        )
        if self._hang_up(server, "data"):
            return "421 never sent"
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a free loopback port, for one test class.

    ``accept()``, ``refuse_permanently(address)``, ``refuse_temporarily(address)``,
    ``hang_up(step)`` and ``go_down()`` / ``come_back()`` set its behaviour;
    ``messages`` holds
    what it accepted, ``delivered_to(address)`` what one recipient got.
    """

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    go_down = stop

    def come_back(self):
        self.start()

    @property
    def is_up(self):
        return self.controller is not None

    @property
    def messages(self):
        return self.handler.messages

    def reset(self):
        """Forget the messages and accept every recipient again."""
        self.handler.messages.clear()
        self.handler.refusals.clear()
        self.handler.hang_ups.clear()
        if not self.is_up:
            self.start()

    accept = reset

    def refuse_permanently(self, address, reply="550 5.1.1 Mailbox unavailable"):
        self.handler.refusals[address.lower()] = reply

    def refuse_temporarily(self, address, reply="451 4.3.0 Mailbox busy, try later"):
        self.handler.refusals[address.lower()] = reply

    def hang_up(self, step, times=1):
        """Drop the connection without a reply at ``step`` (``mail`` or
        ``data``) of the next ``times`` messages. At ``data`` the server has
        the whole message (it is in ``messages``), the client no answer
        (RFC 1047)."""
        self.handler.hang_ups[step] = times

    def delivered_to(self, address):
        address = address.lower()
        return [
            message
            for message in self.messages
            if address in (rcpt.lower() for rcpt in message.rcpt_tos)
        ]

    def envelope_recipients(self):
        return sorted(
            rcpt.lower() for message in self.messages for rcpt in message.rcpt_tos
        )


def start_smtp_server(test_class, name):
    """Start an :class:`SmtpServer` as ``test_class.smtp`` (stopped by the
    class's cleanup) and make it the only active ``ir.mail_server`` of the
    class's environment; return that ``ir.mail_server``."""
    test_class.smtp = SmtpServer()
    test_class.smtp.start()
    test_class.addClassCleanup(test_class.smtp.stop)
    mail_servers = test_class.env["ir.mail_server"]
    mail_servers.search([]).active = False
    return mail_servers.create(
        {
            "name": name,
            "smtp_host": "127.0.0.1",
            "smtp_port": test_class.smtp.port,
            "smtp_encryption": "none",
            "sequence": 1,
        }
    )


class AutocommTourCase(HttpCase):
    """Base of the browser tours' tests: the same real SMTP server, the only
    active ``ir.mail_server``, and an admin who reads English labels, as the
    tours do, whatever language the database's admin has chosen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_smtp_server(cls, "Tour SMTP server")
        cls.env.ref("base.user_admin").lang = "en_US"

    def run_autocomm_cron(self):
        """Run the scheduled action once more, as "Run Manually" does (the
        ``HttpCase`` is in test mode already: the PDF threads share its
        transaction)."""
        self.env.ref("flexi_autocomm.ir_cron_autocomm_send").method_direct_trigger()
        self.env.invalidate_all()


class AutocommCase(AccountTestInvoicingCommon):
    """Invoicing data, a real SMTP server and a company that sends.

    ``self.customer`` is a company with two contacts flagged "Send invoices"
    (``self.contact_billing``, ``self.contact_boss``) and one that is not
    (``self.contact_other``).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mail_server = start_smtp_server(cls, "Test SMTP server")
        cls.company = cls.company_data["company"]
        # The scheduled action sends the queue of every company that sends:
        # keep the other companies' documents (the demo data's included) out
        # of what these tests count.
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).write(
            {"autocomm_mode": "no_send"}
        )
        cls.company.write({"autocomm_mode": "send", "email": "billing@our.example.com"})
        cls.sale_journal = cls.company_data["default_journal_sale"]
        cls.sale_journal.autocomm_auto_send = True
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Jana Nováková",
                "login": "jana.novakova",
                "email": "jana.novakova@our.example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set(cls.env.ref("account.group_account_invoice").ids)
                ],
            }
        )
        cls.salesperson.partner_id.title = cls.env["res.partner.title"].create(
            {"name": "Inženýr", "shortcut": "Ing."}
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Odběratel s.r.o.",
                "is_company": True,
                "email": "info@customer.example.com",
                "lang": "en_US",
            }
        )
        cls.contact_billing = cls._create_contact(
            "Petr Účetní", "accounts@customer.example.com", True
        )
        cls.contact_boss = cls._create_contact(
            "Eva Ředitelka", "boss@customer.example.com", True
        )
        cls.contact_other = cls._create_contact(
            "Karel Sklad", "store@customer.example.com", False
        )

    @classmethod
    def _create_contact(cls, name, email_address, send_invoices, parent=None):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "parent_id": (parent or cls.customer).id,
                "type": "contact",
                "email": email_address,
                "autocomm_send_invoices": send_invoices,
            }
        )

    def setUp(self):
        super().setUp()
        self.smtp.reset()

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def create_invoice(
        self, partner=None, post=True, move_type="out_invoice", **values
    ):
        invoice = self.init_invoice(
            move_type,
            partner=partner or self.customer,
            amounts=[1000.0],
            post=False,
        )
        invoice.write({"invoice_user_id": self.salesperson.id, **values})
        if post:
            invoice.action_post()
        return invoice

    def run_autocomm_cron(self, real_pdf=True):
        """Run the scheduled action as the cron worker does (superuser).

        pytest-odoo sets ``test_enable``, with which Odoo renders reports as
        HTML; the cron's context cannot carry ``force_report_rendering``, so
        the flag is lifted for the run: the attachments are real PDFs. Tests
        that count queries may keep the HTML rendering (``real_pdf=False``):
        wkhtmltopdf runs no query.

        The PDFs are rendered in threads, each on a cursor of its own, which
        cannot see the test's uncommitted data: for the run, the registry is
        in Odoo's test mode (as for ``HttpCase``), where those cursors share
        the test's transaction, one thread at a time.
        """
        cron = self.env.ref("flexi_autocomm.ir_cron_autocomm_send")
        with contextlib.ExitStack() as stack:
            stack.enter_context(
                patch.dict(
                    config.options,
                    {"test_enable": not real_pdf and config["test_enable"]},
                )
            )
            if real_pdf:
                stack.enter_context(self.threads_share_transaction())
            cron.sudo().method_direct_trigger()
        self.env.invalidate_all()

    @contextlib.contextmanager
    def threads_share_transaction(self):
        """Let the cursors other threads open work in the test's transaction,
        one thread at a time (Odoo's test mode, as in ``HttpCase``)."""
        if self.registry.in_test_mode():
            yield
            return
        self.registry.enter_test_mode(self.cr, test_readonly_enabled=False)
        try:
            yield
        finally:
            self.registry.leave_test_mode()
