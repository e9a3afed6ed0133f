import logging
from textwrap import shorten

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, email_normalize, formataddr, html2plaintext
from odoo.tools.safe_eval import safe_eval, time
from odoo.tools.sql import column_exists

from .res_partner import is_valid_email

_logger = logging.getLogger(__name__)

AUTOCOMM_STATES = [
    ("no_send", "Do not send"),
    ("to_send", "Send"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("failed", "Failed"),
    ("unknown", "Check delivery"),
]
# States a user may set by hand; the others belong to the sending machinery.
AUTOCOMM_USER_STATES = ("no_send", "to_send")
# States from which a document can be queued again.
AUTOCOMM_RESENDABLE_STATES = ("sent", "failed", "unknown")

# The mail state of a document: (state, event) -> next state. Every change the
# engine makes goes through _autocomm_transition with one of these events; the
# user's own changes (no_send <-> to_send) through write().
#
#   queued     the e-mails are built and in the engine's mail queue
#   not_built  the e-mail could not be built (no recipient, text, PDF)
#   accepted   the mail server accepted every recipient's e-mail
#   refused    the mail server refused an e-mail for good (or it was deleted)
#   lost       the outcome of an e-mail cannot be known (crash, RFC 1047)
#   bounced    a bounce came back for an e-mail the server had accepted
#   withdrawn  the document is no longer ready (reset to draft, cancelled)
#   cancelled  the document is cancelled: never sent
#   resend     a user queues it again
#   reissued   the document became another one to send (a quotation
#              confirmed into an order): queued again, whatever was sent
AUTOCOMM_TRANSITIONS = {
    ("to_send", "queued"): "sending",
    ("to_send", "not_built"): "failed",
    ("to_send", "cancelled"): "no_send",
    ("sending", "accepted"): "sent",
    ("sending", "refused"): "failed",
    ("sending", "lost"): "unknown",
    ("sending", "bounced"): "failed",
    ("sending", "withdrawn"): "to_send",
    ("sent", "bounced"): "failed",
    ("sent", "resend"): "to_send",
    ("failed", "resend"): "to_send",
    ("failed", "cancelled"): "no_send",
    ("unknown", "resend"): "to_send",
    ("no_send", "reissued"): "to_send",
    ("sent", "reissued"): "to_send",
    ("failed", "reissued"): "to_send",
    ("unknown", "reissued"): "to_send",
}

# The outcomes of a document's e-mails (mail.mail.autocomm_outcome) that
# leave its state open: some e-mail still waits for the mail server.
OPEN_OUTCOMES = ("new", "pending", "retry")


class AutocommMixin(models.AbstractModel):
    """A document that the scheduled action e-mails to the partner's contacts
    flagged for its kind (FlexiBee's automatic communication).

    A model inheriting this mixin says only what differs, through the
    ``_autocomm_get_*`` hooks below: which documents are ready to be sent,
    which contact flag picks the recipients, where the default and the text
    come from, which report is attached, who signs. The states, buttons,
    recipients, e-mail, outcomes and the scheduled action are the same for
    every kind (see ``autocomm.engine`` and ``mail.mail``).
    """

    _name = "autocomm.mixin"
    _description = "Automatically e-mailed document"

    autocomm_state = fields.Selection(
        selection=AUTOCOMM_STATES,
        string="Mail state",
        compute="_compute_autocomm_state",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        tracking=True,
        help="Do not send: the document is not e-mailed automatically.\n"
        "Send: the scheduled action e-mails it once it is ready (posted, "
        "confirmed, done).\n"
        "Sending: the e-mail is in the mail queue.\n"
        "Sent: the mail server accepted the e-mail.\n"
        "Failed: the e-mail could not be built or was refused; see the reason.\n"
        "Check delivery: the sending was interrupted, it is not known whether "
        "the mail server received the e-mail.",
    )
    # What the sending did stays internal: customers with portal access read
    # their documents, not their contacts' addresses nor the server's answers.
    autocomm_error = fields.Text(
        string="Sending problem",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    autocomm_sent_date = fields.Datetime(
        string="E-mailed on",
        copy=False,
        readonly=True,
        help="When the mail server accepted the automatic e-mail.",
    )
    # Each model names its own relation table (see account.move).
    autocomm_recipient_ids = fields.Many2many(
        comodel_name="res.partner",
        string="E-mailed to",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    autocomm_mail_ids = fields.Many2many(
        comodel_name="mail.mail",
        string="Automatic e-mails",
        compute="_compute_autocomm_mail_ids",
        groups="base.group_user",
    )
    autocomm_message_id = fields.Many2one(
        comodel_name="mail.message",
        string="Automatic e-mail message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
        help="The chatter message of the last automatic e-mail: a bounce names "
        "it, once the e-mails themselves are deleted.",
    )
    autocomm_company_mode = fields.Selection(
        selection=lambda self: (
            self.env["res.company"]
            ._fields["autocomm_mode"]
            ._description_selection(self.env)
        ),
        string="Company's automatic e-mail sending",
        compute="_compute_autocomm_company_mode",
    )
    autocomm_cron_problem = fields.Char(
        string="Scheduled sending problem",
        compute="_compute_autocomm_cron_problem",
        help="Why a document waiting to be e-mailed is not sent: the scheduled "
        "action is disabled or failing.",
    )

    def _auto_init(self):
        # Documents that exist before the install are "Do not send". Adding the
        # column with a constant default is instant in PostgreSQL (no rewrite,
        # no ORM computation over millions of rows); the default is then
        # dropped so that new rows get their value from the compute method.
        if self._auto and not column_exists(self.env.cr, self._table, "autocomm_state"):
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s "
                    "ADD COLUMN autocomm_state varchar DEFAULT 'no_send'",
                    SQL.identifier(self._table),
                )
            )
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s ALTER COLUMN autocomm_state DROP DEFAULT",
                    SQL.identifier(self._table),
                )
            )
        return super()._auto_init()

    def init(self):
        res = super().init()
        if self._abstract:
            return res
        # The scheduled action only ever looks at the queue: keep it small.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (company_id, id) "
                "WHERE autocomm_state IN ('to_send', 'sending')",
                SQL.identifier(f"{self._table}_autocomm_queue_index"),
                SQL.identifier(self._table),
            )
        )
        return res

    # ------------------------------------------------------------------
    # What a kind of document says (override these)
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_get_ready_domain(self):
        """Documents of this kind that are e-mailed when marked Send (posted
        customer invoices, confirmed orders …)."""
        raise NotImplementedError

    @api.model
    def _autocomm_get_cancelled_domain(self):
        """Documents of this kind that are never sent (cancelled)."""
        return [("state", "=", "cancel")]

    @api.model
    def _autocomm_get_ready_description(self):
        """What is sent, in words: "posted customer invoices and credit notes"."""
        raise NotImplementedError

    def _autocomm_get_contact_flag(self):
        """The ``res.partner`` field flagging the contacts who receive this
        document (a sale order's flag differs for quotations and orders)."""
        raise NotImplementedError

    def _autocomm_is_sent_by_default(self):
        """Whether this new document is marked Send (its journal's or type's
        default), when its company sends automatically."""
        self.ensure_one()
        source = self._autocomm_get_text_source()
        return bool(source) and bool(source.autocomm_auto_send)

    def _autocomm_get_text_source(self):
        """The record holding this document's ``autocomm_auto_send`` and
        ``autocomm_email_text`` (its journal, its company …)."""
        self.ensure_one()
        return self.journal_id

    def _autocomm_get_text_field(self):
        """The field of the text source holding this document's text (a sale
        order's company has one for quotations, one for orders)."""
        return "autocomm_email_text"

    @api.model
    def _autocomm_get_default_body_template(self):
        """The QWeb template of the body when the text for sending is empty."""
        return "flexi_autocomm.autocomm_email_default_body"

    def _autocomm_get_report(self):
        """The report attached to the e-mail (an ``ir.actions.report``)."""
        raise NotImplementedError

    def _autocomm_get_document_title(self):
        """The document's printed title, in the context's language."""
        self.ensure_one()
        return self.env["ir.model"]._get(self._name).name

    def _autocomm_get_subject(self, title):
        """The subject of this document's e-mail, ``title`` its printed
        title: "Invoice INV/2026/00012 - My Company"."""
        self.ensure_one()
        return self.env._(
            "%(document)s %(number)s - %(company)s",
            document=title,
            number=self.name,
            company=self.company_id.name,
        )

    def _autocomm_get_responsible_candidates(self):
        """The users who may sign, by preference (salesperson, creator …)."""
        self.ensure_one()
        return [self.create_uid]

    def _autocomm_get_partner(self):
        """The partner the document is addressed to."""
        self.ensure_one()
        return self.partner_id

    @api.model
    def _autocomm_get_locked_partner_columns(self):
        """Columns of partners that the claim of a batch locks with the
        document (see :meth:`_autocomm_claim_batch`)."""
        return ["partner_id"]

    def _autocomm_mark_sent(self):
        """Mark the documents sent in Odoo's own terms, once the mail server
        accepted their automatic e-mail (and never before)."""

    def _autocomm_mark_unsent(self):
        """Undo :meth:`_autocomm_mark_sent` when the e-mail bounced."""

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------

    @api.depends(lambda self: self._autocomm_company_depends("company_id"))
    def _compute_autocomm_state(self):
        for document in self:
            if document.autocomm_state not in (False, *AUTOCOMM_USER_STATES):
                continue
            sends = (
                document.company_id.autocomm_mode != "no_send"
                and document.filtered_domain(self._autocomm_get_kind_domain())
                and document._autocomm_is_sent_by_default()
            )
            document.autocomm_state = "to_send" if sends else "no_send"

    @api.model
    def _autocomm_company_depends(self, path):
        # The mixin itself has no company: its models have.
        return [path] if "company_id" in self._fields else []

    @api.depends(
        lambda self: self._autocomm_company_depends("company_id.autocomm_mode")
    )
    def _compute_autocomm_company_mode(self):
        for document in self:
            document.autocomm_company_mode = document.company_id.autocomm_mode

    @api.model
    def _autocomm_get_kind_domain(self):
        """Documents of this model that are of the kind sent (customer
        invoices, not vendor bills), in any state."""
        return []

    def _compute_autocomm_mail_ids(self):
        mails = self.env["mail.mail"].sudo().search(self._autocomm_mail_domain())
        by_document = mails.grouped("res_id")
        for document in self:
            document.autocomm_mail_ids = by_document.get(document.id, mails.browse())

    def _autocomm_mail_domain(self):
        """The engine's e-mails of these documents."""
        return [
            ("autocomm_outcome", "!=", False),
            ("model", "=", self._name),
            ("res_id", "in", self.ids),
        ]

    @api.depends("autocomm_state")
    def _compute_autocomm_cron_problem(self):
        waiting = self.filtered(lambda d: d.autocomm_state in ("to_send", "sending"))
        (self - waiting).autocomm_cron_problem = False
        if waiting:
            waiting.autocomm_cron_problem = self.env[
                "res.company"
            ]._autocomm_cron_problem()

    def write(self, vals):
        if vals.get("autocomm_state") and not self.env.context.get("autocomm_engine"):
            self._autocomm_check_state_change(vals["autocomm_state"])
        res = super().write(vals)
        if vals.get("autocomm_state") == "sent":
            self._autocomm_close_failure_activities()
        if "state" in vals:
            self._autocomm_follow_document_state()
        return res

    def _autocomm_follow_document_state(self):
        """Documents no longer ready are withdrawn from the mail queue;
        cancelled ones are never sent."""
        queued = self.filtered(lambda d: d.autocomm_state != "no_send")
        if not queued:
            return
        (
            queued - queued.filtered_domain(self._autocomm_get_ready_domain())
        )._autocomm_withdraw()
        queued.filtered_domain(
            self._autocomm_get_cancelled_domain()
        )._autocomm_transition("cancelled")

    def _autocomm_transition(self, event, values=None):
        """Apply ``event`` (see ``AUTOCOMM_TRANSITIONS``) to the documents,
        writing ``values`` with the new state; a document for which the
        event means nothing is left alone.

        :return: the documents that changed state
        """
        changed = self.browse()
        engine = self.with_context(autocomm_engine=True)
        for state, documents in self.grouped("autocomm_state").items():
            next_state = AUTOCOMM_TRANSITIONS.get((state, event))
            if next_state:
                engine.browse(documents.ids).write(
                    {**(values or {}), "autocomm_state": next_state}
                )
                changed |= documents
        return changed

    def _autocomm_check_state_change(self, new_state):
        if new_state not in AUTOCOMM_USER_STATES:
            raise UserError(
                self.env._(
                    "The mail state %(state)s is set by the sending only.",
                    state=dict(
                        self._fields["autocomm_state"]._description_selection(self.env)
                    )[new_state],
                )
            )
        locked = self.filtered(
            lambda d: (
                d.autocomm_state not in AUTOCOMM_USER_STATES
                and d.autocomm_state != new_state
            )
        )
        if locked:
            raise UserError(
                self.env._(
                    "%(documents)s: the e-mail is being sent or was sent already. "
                    "Use Resend to send it again.",
                    documents=", ".join(locked.mapped("display_name")),
                )
            )

    def _autocomm_withdraw(self, note=None):
        """Documents no longer ready: the e-mails they still wait to send are
        withdrawn, so that what was built from the ready document never goes
        out. The document is marked Send again: sent once ready again;
        cancelled, not at all. ``note`` says why in the chatter (by default:
        no longer ready).

        :return: the documents whose e-mail was withdrawn
        """
        documents = self.filtered(lambda d: d.autocomm_state == "sending")
        if not documents:
            return documents
        documents.autocomm_mail_ids.filtered(
            lambda mail: mail.autocomm_outcome not in ("sent", "cancel")
        )._autocomm_cancel()
        documents._autocomm_transition("withdrawn", {"autocomm_error": False})
        note = note or self.env._(
            "The automatic e-mail waiting for the mail server was withdrawn: "
            "the document is no longer ready to be sent."
        )
        documents._message_log_batch(bodies=dict.fromkeys(documents.ids, note))
        return documents

    def _autocomm_set_failed(self, error, event="not_built"):
        """Failed, with the reason and a to-do for the responsible user."""
        self.ensure_one()
        if self._autocomm_transition(event, {"autocomm_error": error}):
            self.activity_schedule(
                "flexi_autocomm.mail_activity_type_autocomm_failed",
                user_id=self._autocomm_responsible_user().id,
                note=error,
            )

    def _autocomm_close_failure_activities(self):
        """Mark done the "Automatic e-mail failed" to-dos of these documents,
        sent after all."""
        activity_type = self.env.ref(
            "flexi_autocomm.mail_activity_type_autocomm_failed"
        )
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("The e-mail was sent on a later try.")
            )

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_autocomm_send_now(self):
        """Send these ready documents now, through the scheduled pipeline."""
        documents = self._autocomm_check_sendable()
        documents.check_access("write")
        if not self.env["res.company"]._with_locked_records(
            documents, allow_raising=True
        ):
            return False
        leftovers = documents.filtered(
            lambda d: d.autocomm_state in AUTOCOMM_RESENDABLE_STATES
        )
        leftovers._autocomm_requeue()
        documents.with_context(autocomm_engine=True).write(
            {"autocomm_state": "to_send"}
        )
        documents.sudo()._autocomm_prepare_messages()
        self.env["autocomm.engine"]._trigger()
        return documents._autocomm_send_now_notification()

    def action_autocomm_resend(self):
        """Queue sent or failed documents again, noting who did it."""
        documents = self.filtered(
            lambda d: d.autocomm_state in AUTOCOMM_RESENDABLE_STATES
        )
        if not documents:
            raise UserError(
                self.env._("Only sent or failed documents can be sent again.")
            )
        documents._autocomm_requeue()
        return True

    def action_autocomm_mark_to_send(self):
        """List action: mark ready documents Send."""
        self.filtered_domain(
            [("autocomm_state", "=", "no_send"), *self._autocomm_get_ready_domain()]
        ).autocomm_state = "to_send"
        return True

    def _autocomm_check_sendable(self):
        documents = self.filtered_domain(self._autocomm_get_ready_domain())
        if documents != self:
            raise UserError(
                self.env._(
                    "Only %(documents)s are sent.",
                    documents=self._autocomm_get_ready_description(),
                )
            )
        if sending := documents.filtered(lambda d: d.autocomm_state == "sending"):
            if waiting := sending.filtered("autocomm_error"):
                # The mail server is down, or refused it for now.
                raise UserError(
                    self.env._(
                        "%(document)s is in the mail queue already and waits: "
                        "%(reason)s",
                        document=waiting[0].display_name,
                        reason=waiting[0].autocomm_error,
                    )
                )
            raise UserError(self.env._("The e-mail is being sent already."))
        off = documents.company_id.filtered(lambda c: c.autocomm_mode == "no_send")
        if off:
            raise UserError(
                self.env._(
                    "Automatic e-mail sending is switched off for %(companies)s "
                    "(Invoicing settings).",
                    companies=", ".join(off.mapped("name")),
                )
            )
        return documents

    def _autocomm_requeue(self):
        """Back to Send, cancelling what is left of the previous e-mail."""
        self.autocomm_mail_ids.filtered(
            lambda mail: mail.autocomm_outcome in ("failed", "unknown", "retry")
        )._autocomm_cancel()
        self._autocomm_transition("resend", {"autocomm_error": False})
        for document in self:
            document.message_post(
                body=self.env._(
                    "Queued for automatic sending again by %(user)s.",
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _autocomm_send_now_notification(self):
        """What "Send now" did to each document, from its mail state after
        the attempt: failed (and why), in the mail queue (to whom, in BCC
        only mode), sent, or left queued for the scheduled action."""
        by_state = self.grouped("autocomm_state")
        sentences = [
            self.env._(
                "%(document)s was not sent: %(reason)s",
                document=document.display_name,
                reason=document.autocomm_error,
            )
            for document in by_state.get("failed", [])
        ]
        sentences += self._autocomm_queued_sentences(by_state.get("sending"))
        if sent := by_state.get("sent"):
            sentences.append(
                self.env._(
                    "%(documents)s: the mail server has accepted the e-mail.",
                    documents=", ".join(sent.mapped("display_name")),
                )
            )
        if waiting := by_state.get("to_send"):
            sentences.append(
                self.env._(
                    "%(documents)s: the customer was being updated by someone "
                    "else; the scheduled action sends it in a moment.",
                    documents=", ".join(waiting.mapped("display_name")),
                )
            )
        failed = "failed" in by_state
        if failed:
            kind = "danger" if len(by_state) == 1 else "warning"
        else:
            kind = "success" if set(by_state) == {"sent"} else "info"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": " ".join(sentences),
                "sticky": failed,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _autocomm_queued_sentences(self, queued):
        """Sentences for the documents whose e-mail is in the mail queue."""
        if not queued:
            return []
        sentences = []
        bcc_only = queued.filtered(lambda d: d.company_id.autocomm_mode == "bcc_only")
        if queued - bcc_only:
            sentences.append(
                self.env._(
                    "%(documents)s: the e-mail is in the mail queue; the mail state "
                    "shows when the mail server has accepted it.",
                    documents=", ".join((queued - bcc_only).mapped("display_name")),
                )
            )
        for company, documents in bcc_only.grouped("company_id").items():
            sentences.append(
                self.env._(
                    "%(documents)s: the e-mail is in the mail queue for the BCC "
                    "address %(bcc)s only, as %(company)s sends only to the BCC "
                    "address.",
                    documents=", ".join(documents.mapped("display_name")),
                    bcc=company.autocomm_bcc_email,
                    company=company.name,
                )
            )
        return sentences

    # ------------------------------------------------------------------
    # One batch of the scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_autocomm_send(self, batch_size=None):
        """Send the queued documents of every kind (the scheduled action)."""
        return self.env["autocomm.engine"]._cron_autocomm_send(batch_size)

    @api.model
    def _autocomm_send_batch(self, batch_size):
        """Claim up to ``batch_size`` queued documents of this model and hand
        their e-mails to the mail queue.

        :return: ``(documents, more)``: the documents handed over, and whether
            more wait
        """
        engine = self.env["autocomm.engine"]
        self._autocomm_fail_without_partner(limit=batch_size)
        documents = self._autocomm_claim_batch(limit=batch_size + 1)
        more = len(documents) > batch_size
        documents = documents[:batch_size]
        if not documents:
            return documents, more
        try:
            documents._autocomm_prepare_messages()
            # Commit point: the e-mails are in the mail queue and the
            # documents are Sending; the dispatch commits each e-mail alone.
            engine._commit()
        except psycopg2.extensions.TransactionRollbackError as error:
            if not engine._can_commit():
                raise
            # Another transaction wrote rows this batch writes too (Odoo
            # updates the customers' partners while it builds their
            # e-mails): the batch stays queued for the next run.
            _logger.info("Batch left queued (concurrent update): %s", error)
            engine._rollback()
            return documents.browse(), True
        return documents, more

    @api.model
    def _autocomm_queue_domain(self):
        """Documents the scheduled action sends: ready, queued, in a company
        whose automatic sending is switched on."""
        return [
            ("autocomm_state", "=", "to_send"),
            ("company_id.autocomm_mode", "in", ("send", "bcc_only")),
            *self._autocomm_get_kind_domain(),
            *self._autocomm_get_ready_domain(),
        ]

    @api.model
    def _autocomm_fail_without_partner(self, limit):
        """Queued documents with no partner (the claim of a batch locks the
        partners, and skips these): nobody to send to, they fail."""
        columns = self._autocomm_get_locked_partner_columns()
        queue = self.sudo()._search(
            [
                *self._autocomm_queue_domain(),
                *expression.OR([[(column, "=", False)] for column in columns]),
            ]
        )
        document_ids = self.env["autocomm.engine"]._lock_rows(
            SQL(
                "SELECT id FROM %s WHERE id IN %s ORDER BY id LIMIT %s "
                "FOR UPDATE SKIP LOCKED",
                SQL.identifier(self._table),
                queue.subselect(),
                limit,
            )
        )
        reason = self.env._(
            "Nobody to send to: the document has no partner (customer, "
            "vendor or delivery address)."
        )
        for document in self.sudo().browse(document_ids):
            document._autocomm_set_failed(reason)

    @api.model
    def _autocomm_claim_batch(self, limit):
        """Lock up to ``limit`` queued documents that no other worker holds,
        with their partners.

        Odoo writes the partners while it builds an e-mail to them (their
        signup link): two workers building e-mails of one customer at once
        would fail one of them, so a worker skips the documents whose partner
        another worker holds.
        """
        self.env.flush_all()
        queue = self.sudo()._search(self._autocomm_queue_domain())
        columns = self._autocomm_get_locked_partner_columns()
        joins = SQL(" ").join(
            SQL(
                "JOIN res_partner %s ON %s.id = document.%s",
                SQL.identifier(f"partner_{index}"),
                SQL.identifier(f"partner_{index}"),
                SQL.identifier(column),
            )
            for index, column in enumerate(columns)
        )
        partners = SQL(", ").join(
            SQL.identifier(f"partner_{index}") for index in range(len(columns))
        )
        document_ids = self.env["autocomm.engine"]._lock_rows(
            SQL(
                """
                SELECT document.id
                  FROM %(table)s document %(joins)s
                 WHERE document.id IN %(queue)s
                 ORDER BY document.id
                 LIMIT %(limit)s
                   FOR UPDATE OF document SKIP LOCKED
                   FOR NO KEY UPDATE OF %(partners)s SKIP LOCKED
                """,
                table=SQL.identifier(self._table),
                joins=joins,
                queue=queue.subselect(),
                limit=limit,
                partners=partners,
            )
        )
        return self.sudo().browse(document_ids)

    # ------------------------------------------------------------------
    # Building the e-mails
    # ------------------------------------------------------------------

    def _autocomm_prepare_messages(self):
        """Build each document's e-mail and hand it to the mail queue.

        A document whose e-mail cannot be built ends Failed; the others go on.
        """
        # mail_notify_force_send: Odoo would send the notification e-mails at
        # once (or right after the commit); ours wait for our dispatcher.
        context = {"autocomm_sending": True, "mail_notify_force_send": False}
        for company, documents in self.grouped("company_id").items():
            documents.with_company(company).with_context(
                **context
            )._autocomm_prepare_company_messages()

    def _autocomm_prepare_company_messages(self):
        """:meth:`_autocomm_prepare_messages` for documents of one company."""
        company = self.company_id
        recipients, skipped = self._autocomm_get_recipients_and_skipped()
        bcc_partner = company._autocomm_bcc_partner()
        if company.autocomm_mode == "bcc_only":
            recipients, skipped = dict.fromkeys(self, bcc_partner), {}
        errors = {
            document: document._autocomm_nobody_error()
            for document in self
            if not recipients[document]
        }
        values = (self - self.browse().union(*errors))._autocomm_prepare_mail_values()
        errors.update(
            (document, vals)
            for document, vals in values.items()
            if isinstance(vals, str)
        )
        values = {d: v for d, v in values.items() if d not in errors}
        for document, vals in values.items():
            vals["partner_ids"] = (recipients[document] | bcc_partner).ids
        errors.update(self._autocomm_generate_attachments(values))
        queued = self._autocomm_post_messages(
            {d: v for d, v in values.items() if d not in errors}, errors
        )
        # Not tracked: the chatter shows the e-mail itself now, and the
        # outcome (Sent, Failed) when it is known.
        queued.with_context(mail_notrack=True)._autocomm_transition(
            "queued", {"autocomm_error": False}
        )
        queued._autocomm_set_recipients(recipients)
        queued._autocomm_remember_messages()
        queued._autocomm_after_queued(values)
        self.env["mail.mail"].sudo().search(
            [*queued._autocomm_mail_domain(), ("autocomm_outcome", "=", "new")]
        )._autocomm_split_per_recipient()
        for document, error in errors.items():
            document._autocomm_set_failed(error)
        self._autocomm_note_skipped_contacts(skipped)

    def _autocomm_nobody_error(self):
        self.ensure_one()
        return self.env._(
            "Nobody to send to: no contact of %(customer)s is flagged "
            "'%(flag)s' with a valid e-mail address, and the "
            "partner's own e-mail address is missing or invalid.",
            customer=self._autocomm_get_partner().commercial_partner_id.display_name,
            flag=self._autocomm_contact_flag_label(self._autocomm_get_contact_flag()),
        )

    @api.model
    def _autocomm_contact_flag_label(self, flag):
        return self.env["res.partner"]._fields[flag]._description_string(self.env)

    def _autocomm_after_queued(self, values):
        """Hook: the e-mails of these documents are in the mail queue;
        ``values`` are the mail values of :meth:`_autocomm_prepare_mail_values`."""

    def _autocomm_get_recipients_and_skipped(self):
        """Who receives each document (SPEC 3.2), and which contacts flagged
        to receive it are left out because their address is missing or
        invalid; in one query per contact flag for the batch.

        :return: ``({document: res.partner}, {document: res.partner})``,
            recipients (an empty recordset when nobody can) and skipped
            contacts.
        """
        recipients, skipped = {}, {}
        for flag, documents in self.grouped(
            lambda d: d._autocomm_get_contact_flag()
        ).items():
            flag_recipients, flag_skipped = documents._autocomm_get_flagged(flag)
            recipients.update(flag_recipients)
            skipped.update(flag_skipped)
        return recipients, skipped

    def _autocomm_get_flagged(self, flag):
        """:meth:`_autocomm_get_recipients_and_skipped` for the documents
        whose contacts are flagged by ``flag``."""
        customers = {d: d._autocomm_get_partner().commercial_partner_id for d in self}
        commercial_partners = self.env["res.partner"].union(*customers.values())
        flagged = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", commercial_partners.ids),
                    ("id", "not in", commercial_partners.ids),
                    (flag, "=", True),
                ]
            )
        )
        valid = flagged.filtered(lambda p: is_valid_email(p.email))
        flagged_by_commercial = valid.grouped("commercial_partner_id")
        skipped_by_commercial = (flagged - valid).grouped("commercial_partner_id")
        recipients, skipped = {}, {}
        no_partner = self.env["res.partner"]
        for document, commercial in customers.items():
            partners = (
                flagged_by_commercial.get(commercial)
                or document._autocomm_get_fallback_recipient()
            )
            recipients[document] = partners or no_partner
            skipped[document] = skipped_by_commercial.get(commercial, no_partner)
        return recipients, skipped

    def _autocomm_get_fallback_recipient(self):
        """Who receives the document when no contact is flagged: the
        commercial partner, when its own e-mail address is valid."""
        self.ensure_one()
        partner = self._autocomm_get_partner().commercial_partner_id
        return partner if is_valid_email(partner.email) else partner.browse()

    def _autocomm_get_recipients(self):
        """Who receives each document: ``{document: res.partner}``."""
        return self._autocomm_get_recipients_and_skipped()[0]

    def _autocomm_note_skipped_contacts(self, skipped):
        """Say on each document which flagged contacts its e-mail left out,
        and why: one note per document, logged for the batch at once.

        :param skipped: ``{document: res.partner}``
        """
        bodies = {
            document.id: Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._(
                    "The automatic e-mail was not sent to these contacts "
                    "flagged '%(flag)s':",
                    flag=self._autocomm_contact_flag_label(
                        document._autocomm_get_contact_flag()
                    ),
                ),
                Markup().join(
                    Markup("<li>%s</li>") % self._autocomm_skipped_reason(contact)
                    for contact in contacts
                ),
            )
            for document, contacts in skipped.items()
            if contacts
        }
        if bodies:
            self.browse(bodies)._message_log_batch(bodies=bodies)

    @api.model
    def _autocomm_skipped_reason(self, contact):
        """Why ``contact``, flagged, cannot receive the e-mail, in a line."""
        if not contact.email:
            return self.env._(
                "%(contact)s: no e-mail address", contact=contact.display_name
            )
        return self.env._(
            "%(contact)s: the e-mail address %(email)s is not valid",
            contact=contact.display_name,
            email=contact.email,
        )

    def _autocomm_responsible_user(self):
        """The person on whose behalf the document is sent (signature, sender,
        to-do); none when nobody may sign (see :meth:`_autocomm_may_sign`):
        the company signs."""
        self.ensure_one()
        for user in self._autocomm_get_responsible_candidates():
            if self._autocomm_may_sign(user):
                return user
        return self.env["res.users"]

    @api.model
    def _autocomm_may_sign(self, user):
        """Whether ``user`` is a person of the company: not OdooBot or the
        superuser, not a portal or public user, not archived."""
        return (
            bool(user) and user.active and not user.share and not user._is_superuser()
        )

    def _autocomm_mail_lang(self):
        self.ensure_one()
        partner = self._autocomm_get_partner()
        return (
            partner.lang
            or partner.commercial_partner_id.lang
            or self.company_id.partner_id.lang
            or "en_US"
        )

    def _autocomm_prepare_mail_values(self):
        """Subject, body, language and author of each document's e-mail.

        Rendering is batched per text and language.
        :return: ``{document: dict}``, or a ``str`` error for a document whose
            e-mail cannot be built.
        """
        values = {}
        for (source, field_name, lang), documents in self.grouped(
            lambda d: (
                d._autocomm_get_text_source(),
                d._autocomm_get_text_field(),
                d._autocomm_mail_lang(),
            )
        ).items():
            documents = documents.with_context(lang=lang)
            try:
                bodies = documents._autocomm_render_bodies(source, field_name, lang)
            except ValidationError as error:  # the text's own check, in words
                values.update(dict.fromkeys(documents, error.args[0]))
                continue
            except Exception as error:  # noqa: BLE001 - recorded on the documents
                message = source._autocomm_text_error(error, field_name).args[0]
                values.update(dict.fromkeys(documents, message))
                continue
            for document in documents:
                values[document] = document._autocomm_prepare_document_mail_values(
                    lang, bodies[document.id]
                )
        return values

    def _autocomm_render_bodies(self, source, field_name, lang):
        """The body of each document's e-mail: the text, then the signature.

        :return: ``{id: Markup}``
        """
        bodies = source._autocomm_render_email_text(self, lang, field_name)
        signatures = (
            self.env["mail.render.mixin"]
            .with_context(lang=lang)
            ._render_template(
                "flexi_autocomm.autocomm_email_signature",
                self._name,
                self.ids,
                engine="qweb_view",
            )
        )
        return {
            document_id: bodies[document_id] + Markup(signatures[document_id])
            for document_id in self.ids
        }

    def _autocomm_prepare_document_mail_values(self, lang, body):
        """The e-mail of this document, in ``lang``, with ``body``."""
        self.ensure_one()
        user = self._autocomm_responsible_user()
        sender = self._autocomm_sender(user)
        title = self._autocomm_get_document_title()
        subject = self._autocomm_get_subject(title)
        return {
            "mail_lang": lang,
            # No line break can reach a header.
            "mail_subject": " ".join(subject.split()),
            "mail_body": body,
            "author_user_id": user.id,
            "author_partner_id": sender.id,
            "email_from": self._autocomm_email_from(sender),
            "model_description": title,
        }

    def _autocomm_sender(self, user):
        """Who the e-mail is from, in the chatter and in its From: the
        responsible ``user`` when their address is usable, else the company.
        """
        self.ensure_one()
        if user and email_normalize(user.partner_id.email or "", strict=True):
            return user.partner_id
        return self.company_id.partner_id

    def _autocomm_email_from(self, sender):
        """The From address of ``sender``; a company without an address of
        its own sends from Odoo's default sender address (its mail domain's)
        under its name. The name on one line: a line break in a name would
        make the header unusable and the e-mail fail."""
        self.ensure_one()
        email = email_normalize(sender.email or "", strict=True) or (
            self.env["ir.mail_server"]
            .with_company(self.company_id)
            ._get_default_from_address()
        )
        if not email:
            return False
        return formataddr((" ".join((sender.name or "").split()), email))

    def _autocomm_generate_attachments(self, values):
        """Render each document's report into an attachment, noted in its
        ``values`` as ``attachment_ids``.

        :param values: ``{document: mail values}``
        :return: ``{document: error text}`` for the documents that failed
        """
        documents = self.browse().union(*values)
        errors = {}
        for report, report_documents in documents.grouped(
            lambda d: d._autocomm_get_report()
        ).items():
            rendered = report_documents._autocomm_render_report(report)
            attachments = self.env["ir.attachment"]
            for document in report_documents:
                content, error = rendered[document.id]
                if error:
                    errors[document] = self.env._(
                        "The PDF could not be generated: %(error)s", error=error
                    )
                    continue
                values[document]["attachment_ids"] = attachments.create(
                    document._autocomm_prepare_attachment_vals(report, content)
                ).ids
        return errors

    def _autocomm_render_report(self, report):
        """The PDF of each document: ``{id: (content, error)}``, several
        wkhtmltopdf processes at once where they help."""
        report_model = self.env["ir.actions.report"].with_company(self.company_id[:1])
        workers = report_model._autocomm_pdf_workers()
        if workers:
            return report_model._autocomm_render_pdfs(report, self.ids, workers)
        rendered = {}
        for document in self:
            try:
                with self.env.cr.savepoint():
                    content, _type = report_model._render_qweb_pdf(report, document.ids)
            except Exception as error:  # noqa: BLE001 - recorded on the document
                rendered[document.id] = (None, report_model._autocomm_error_text(error))
            else:
                rendered[document.id] = (content, None)
        return rendered

    def _autocomm_prepare_attachment_vals(self, report, content):
        """The attachment of this document's PDF, named as Odoo names it."""
        self.ensure_one()
        name = (
            report.print_report_name
            # The sandbox refuses raw modules: its wrapped time, as Odoo passes
            and safe_eval(report.print_report_name, {"object": self, "time": time})
            or f"{report.name} - {self.display_name}"
        )
        return {
            "name": f"{name}.pdf",
            "raw": content,
            "mimetype": "application/pdf",
            "res_model": self._name,
            "res_id": self.id,
        }

    def _autocomm_post_messages(self, values, errors):
        """Post the e-mails of a batch in the chatter, under one savepoint;
        when one fails, post them one by one so that it fails alone.

        :param errors: ``{document: error text}``, completed with the
            documents whose e-mail could not be built
        :return: the documents whose e-mail is in the mail queue
        """
        documents = self.browse().union(*values)
        try:
            with self.env.cr.savepoint():
                for document, vals in values.items():
                    document._autocomm_post_message(vals)
        except Exception as error:  # noqa: BLE001 - retried document by document
            _logger.info("Batch not posted at once (%s), posting one by one", error)
        else:
            return documents
        posted = self.browse()
        for document, vals in values.items():
            try:
                with self.env.cr.savepoint():
                    document._autocomm_post_message(vals)
            except psycopg2.extensions.TransactionRollbackError as error:
                # Not a failure of the document: another transaction
                # (a second worker, a user) updated the customer's partner
                # meanwhile. It stays queued for the next run.
                _logger.info("%s left queued: %s", document.display_name, error)
                self.env["autocomm.engine"]._trigger()
                continue
            except Exception as error:  # noqa: BLE001 - recorded on the document
                _logger.exception("Automatic e-mail of %s not built", document)
                errors[document] = self.env._(
                    "The e-mail could not be built: %(error)s", error=error
                )
                continue
            posted |= document
        return posted

    def _autocomm_post_message(self, values):
        """Post the e-mail in the chatter; Odoo queues it for the recipients."""
        self.ensure_one()
        self.with_context(autocomm_posting=True).message_post(
            body=values["mail_body"],
            subject=values["mail_subject"],
            partner_ids=values["partner_ids"],
            attachment_ids=values.get("attachment_ids", []),
            author_id=values["author_partner_id"],
            email_from=values["email_from"],
            email_layout_xmlid="mail.mail_notification_light",
            model_description=values["model_description"],
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _autocomm_set_recipients(self, recipients):
        """Record who each document is sent to, in one statement for the batch
        (a write per document would re-run the checks of each document)."""
        if not self:
            return
        field = self._fields["autocomm_recipient_ids"]
        self.env.cr.execute(
            SQL(
                "DELETE FROM %s WHERE %s IN %s",
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                tuple(self.ids),
            )
        )
        rows = SQL(", ").join(
            SQL("(%s, %s)", document.id, partner.id)
            for document in self
            for partner in recipients[document]
        )
        if rows:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) VALUES %s",
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    rows,
                )
            )
        self.invalidate_recordset(["autocomm_recipient_ids"])

    def _autocomm_remember_messages(self):
        """Note each document's chatter message of the automatic e-mail just
        queued (its e-mails are deleted once sent; a bounce names it)."""
        if not self:
            return
        self.env["mail.mail"].flush_model(["autocomm_outcome", "mail_message_id"])
        self.env.cr.execute(
            SQL(
                """UPDATE %(table)s document
                      SET autocomm_message_id = message.id
                     FROM mail_mail mail
                     JOIN mail_message message ON message.id = mail.mail_message_id
                    WHERE message.model = %(model)s
                      AND message.res_id = document.id
                      AND mail.autocomm_outcome = 'new'
                      AND document.id IN %(ids)s""",
                table=SQL.identifier(self._table),
                model=self._name,
                ids=tuple(self.ids),
            )
        )
        self.invalidate_recordset(["autocomm_message_id"])

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------

    def _autocomm_sync_state(self):
        """Derive the mail state of Sending documents from their e-mails.

        Set-based: one search for the e-mails of all documents, one write for
        all the documents that were delivered.
        """
        documents = self.filtered(lambda d: d.autocomm_state == "sending")
        if not documents:
            return
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    *documents._autocomm_mail_domain(),
                    ("autocomm_outcome", "!=", "cancel"),
                ]
            )
        )
        mails_by_document = mails.grouped("res_id")
        delivered = self.browse()
        lost_copies = mails.browse()
        for document in documents:
            document_mails = mails_by_document.get(document.id, mails.browse())
            hidden_copies = document._autocomm_hidden_copies(document_mails)
            event = document._autocomm_outcome_event(document_mails, hidden_copies)
            if event == "accepted":
                delivered |= document
                lost_copies |= hidden_copies.filtered(
                    lambda m: m.autocomm_outcome in ("failed", "unknown")
                )
            elif event:
                document._autocomm_apply_outcome(event, document_mails)
            elif (error := document_mails._autocomm_error_text()) != (
                document.autocomm_error
            ):
                document.with_context(autocomm_engine=True).autocomm_error = error
        delivered._autocomm_set_delivered(mails)
        lost_copies._autocomm_note_lost_hidden_copies()

    def _autocomm_outcome_event(self, mails, hidden_copies):
        """The event the outcomes of this document's ``mails`` make (see
        ``AUTOCOMM_TRANSITIONS``); None while an e-mail still waits.

        The hidden copy (archive) is not what the document is sent for: its
        refusal does not fail the document.
        """
        self.ensure_one()
        if set(mails.mapped("autocomm_outcome")) & set(OPEN_OUTCOMES):
            return None
        outcomes = set((mails - hidden_copies).mapped("autocomm_outcome"))
        if "unknown" in outcomes:
            return "lost"
        if "failed" in outcomes or not outcomes:
            return "refused"
        return "accepted"

    def _autocomm_apply_outcome(self, event, mails):
        """Apply a lost or refused outcome to this document."""
        self.ensure_one()
        error = mails._autocomm_error_text() or self.env._(
            "The e-mail was deleted from the mail queue before it was sent."
        )
        if event == "lost":
            self._autocomm_transition(event, {"autocomm_error": error})
        else:
            self._autocomm_set_failed(error, event)

    def _autocomm_set_delivered(self, mails):
        """The mail server accepted the e-mails of these documents."""
        if not self:
            return
        engine = self.with_context(autocomm_engine=True)
        # Odoo's flag first: the tracked write below then finds it set, and
        # the chatter tells the sending once, with the mail state.
        engine._autocomm_mark_sent()
        engine._autocomm_transition(
            "accepted",
            {"autocomm_error": False, "autocomm_sent_date": fields.Datetime.now()},
        )
        # Like Odoo's invoice e-mail (auto_delete), keep the message in the
        # chatter but not the sent e-mails in the queue.
        mails.filtered(
            lambda m: m.res_id in self.ids and m.autocomm_outcome == "sent"
        ).unlink()

    @api.model
    def _autocomm_settled_but_sending(self):
        """Documents still Sending whose e-mails all have an outcome (a worker
        stopped before it wrote the document's state)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT document.id FROM %(table)s document
                 WHERE document.autocomm_state = 'sending'
                   AND NOT EXISTS (
                       SELECT 1 FROM mail_mail mail
                         JOIN mail_message message
                           ON message.id = mail.mail_message_id
                        WHERE message.model = %(model)s
                          AND message.res_id = document.id
                          AND mail.autocomm_outcome IN %(open)s
                   )
                """,
                table=SQL.identifier(self._table),
                model=self._name,
                open=OPEN_OUTCOMES,
            )
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    def _autocomm_hidden_copies(self, mails):
        """The e-mails of this document that are the hidden copy to the
        company's BCC address: their recipient is none of the document's
        recipients (in "BCC only" mode the BCC address is the recipient)."""
        self.ensure_one()
        return mails.filtered(
            lambda mail: (
                mail.recipient_ids
                and not mail.recipient_ids & self.autocomm_recipient_ids
            )
        )

    def _autocomm_receive_bounce(self, email, report):
        """A bounce came back for this document's automatic e-mail to
        ``email``: the document failed after all (a bounced hidden copy is
        only noted). ``report`` is the bounce's text."""
        self.ensure_one()
        if self.autocomm_state not in ("sending", "sent"):
            return
        reason = self.env._(
            "The e-mail to %(email)s came back undelivered: %(report)s",
            email=email,
            report=shorten(html2plaintext(report), 500, placeholder=" …"),
        )
        if email not in self.autocomm_recipient_ids.mapped("email_normalized"):
            # The hidden archive copy (as for _autocomm_hidden_copies): its
            # loss does not fail a document its recipients received.
            self._message_log(body=reason)
            return
        self._autocomm_set_failed(reason, "bounced")
        self._autocomm_mark_unsent()
