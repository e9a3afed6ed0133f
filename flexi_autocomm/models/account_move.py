import gc
import logging
import threading
from contextlib import contextmanager
from textwrap import shorten

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, email_normalize, formataddr, html2plaintext
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
AUTOCOMM_MOVE_TYPES = ("out_invoice", "out_refund")
# Name of the unique index that makes a second invoice for the same contract
# period impossible (see AccountMove.init).
CONTRACT_PERIOD_CONSTRAINT = "account_move_customer_contract_period_unique"


class AccountMove(models.Model):
    _inherit = "account.move"

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
        "Send: the scheduled action e-mails it once it is posted.\n"
        "Sending: the e-mail is in the mail queue.\n"
        "Sent: the mail server accepted the e-mail.\n"
        "Failed: the e-mail could not be built or was refused; see the reason.\n"
        "Check delivery: the sending was interrupted, it is not known whether "
        "the mail server received the e-mail.",
    )
    # What the sending did stays internal: customers with portal access read
    # their invoices, not their contacts' addresses nor the mail server's
    # answers.
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
    autocomm_recipient_ids = fields.Many2many(
        comodel_name="res.partner",
        relation="account_move_autocomm_recipient_rel",
        column1="move_id",
        column2="partner_id",
        string="E-mailed to",
        copy=False,
        readonly=True,
        groups="base.group_user",
    )
    autocomm_mail_ids = fields.One2many(
        comodel_name="mail.mail",
        inverse_name="autocomm_move_id",
        string="Automatic e-mails",
        readonly=True,
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
        related="company_id.autocomm_mode",
        string="Company's automatic e-mail sending",
    )
    autocomm_cron_problem = fields.Char(
        string="Scheduled sending problem",
        compute="_compute_autocomm_cron_problem",
        help="Why a document waiting to be e-mailed is not sent: the scheduled "
        "action is disabled or failing.",
    )

    customer_contract_id = fields.Many2one(
        comodel_name="customer.contract",
        string="Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        ondelete="restrict",
        help="The customer contract this invoice was generated from.",
    )
    customer_contract_period_start = fields.Date(
        string="Invoiced period from",
        readonly=True,
        copy=False,
    )
    customer_contract_period_end = fields.Date(
        string="Invoiced period to",
        readonly=True,
        copy=False,
    )

    # Implemented by the partial unique index of init(): the ORM checks that
    # the index exists and shows this message when it refuses a row.
    _sql_constraints = [
        (
            "customer_contract_period_unique",
            "",
            "This contract period has been invoiced already: a contract never "
            "invoices the same period twice (cancel the other invoice first).",
        ),
    ]

    def _auto_init(self):
        # Documents that exist before the install are "Do not send". Adding the
        # column with a constant default is instant in PostgreSQL (no rewrite,
        # no ORM computation over millions of moves); the default is then
        # dropped so that new rows get their value from the compute method.
        if not column_exists(self.env.cr, self._table, "autocomm_state"):
            self.env.cr.execute(
                f"ALTER TABLE {self._table} "
                "ADD COLUMN autocomm_state varchar DEFAULT 'no_send'"
            )
            self.env.cr.execute(
                f"ALTER TABLE {self._table} ALTER COLUMN autocomm_state DROP DEFAULT"
            )
        return super()._auto_init()

    def init(self):
        res = super().init()
        # The scheduled action only ever looks at the queue: keep it small.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS account_move_autocomm_queue_index "
            "ON account_move (company_id, id) "
            "WHERE autocomm_state IN ('to_send', 'sending')"
        )
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS %s
                    ON account_move
                       (customer_contract_id, customer_contract_period_start)
                 WHERE customer_contract_id IS NOT NULL AND state != 'cancel'
                """,
                SQL.identifier(CONTRACT_PERIOD_CONSTRAINT),
            )
        )
        return res

    @api.depends("journal_id", "move_type")
    def _compute_autocomm_state(self):
        for move in self:
            if move.autocomm_state and move.autocomm_state not in AUTOCOMM_USER_STATES:
                continue
            move.autocomm_state = (
                "to_send" if move._autocomm_is_sent_by_default() else "no_send"
            )

    @api.depends("autocomm_state")
    def _compute_autocomm_cron_problem(self):
        waiting = self.filtered(lambda m: m.autocomm_state in ("to_send", "sending"))
        (self - waiting).autocomm_cron_problem = False
        if waiting:
            waiting.autocomm_cron_problem = self.env[
                "res.company"
            ]._autocomm_cron_problem()

    def _autocomm_is_sent_by_default(self):
        """Whether a new document is marked Send by its journal's flag.

        Contracts pass the mail state of their invoices explicitly (their own
        flag wins over the journal's).
        """
        self.ensure_one()
        return (
            self.move_type in AUTOCOMM_MOVE_TYPES
            and self.company_id.autocomm_mode != "no_send"
            and self.journal_id.autocomm_auto_send
        )

    def write(self, vals):
        if vals.get("autocomm_state") and not self.env.context.get("autocomm_engine"):
            self._autocomm_check_state_change(vals["autocomm_state"])
        res = super().write(vals)
        if vals.get("autocomm_state") == "sent":
            self._autocomm_close_failure_activities()
        if vals.get("state") in ("draft", "cancel"):
            self._autocomm_withdraw()
        if vals.get("state") == "cancel":
            # A cancelled document is never sent.
            self.filtered(
                lambda m: m.autocomm_state in ("to_send", "failed")
            ).with_context(autocomm_engine=True).autocomm_state = "no_send"
        return res

    def _autocomm_withdraw(self):
        """Documents no longer posted: the e-mails they still wait to send are
        withdrawn, so that what was built from the posted document never goes
        out. The document is marked Send again: like any draft marked Send,
        it is sent once posted again; cancelled, it is not sent at all.
        """
        moves = self.filtered(lambda m: m.autocomm_state == "sending")
        if not moves:
            return
        moves.sudo().autocomm_mail_ids.filtered(
            lambda mail: mail.autocomm_outcome not in ("sent", "cancel")
        )._autocomm_cancel()
        moves.with_context(autocomm_engine=True).write(
            {"autocomm_state": "to_send", "autocomm_error": False}
        )
        note = self.env._(
            "The automatic e-mail waiting for the mail server was withdrawn: "
            "the document is no longer posted."
        )
        moves._message_log_batch(bodies=dict.fromkeys(moves.ids, note))

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
            lambda m: (
                m.autocomm_state not in AUTOCOMM_USER_STATES
                and m.autocomm_state != new_state
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

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------

    def action_autocomm_send_now(self):
        """Send these posted documents now, through the scheduled pipeline."""
        moves = self._autocomm_check_sendable()
        moves.check_access("write")
        if not self.env["res.company"]._with_locked_records(moves, allow_raising=True):
            return False
        leftovers = moves.filtered(
            lambda m: m.autocomm_state in AUTOCOMM_RESENDABLE_STATES
        )
        leftovers._autocomm_requeue()
        moves.with_context(autocomm_engine=True).write({"autocomm_state": "to_send"})
        moves.sudo()._autocomm_prepare_messages()
        self.env.ref("flexi_autocomm.ir_cron_autocomm_send")._trigger()
        return moves._autocomm_send_now_notification()

    def _autocomm_send_now_notification(self):
        """What "Send now" did to each document, from its mail state after
        the attempt: failed (and why), in the mail queue (to whom, in BCC
        only mode), sent, or left queued for the scheduled action."""
        sentences = []
        by_state = self.grouped("autocomm_state")
        for move in by_state.get("failed", []):
            sentences.append(
                self.env._(
                    "%(document)s was not sent: %(reason)s",
                    document=move.display_name,
                    reason=move.autocomm_error,
                )
            )
        queued = by_state.get("sending", self.browse())
        bcc_only = queued.filtered(lambda m: m.company_id.autocomm_mode == "bcc_only")
        if queued - bcc_only:
            sentences.append(
                self.env._(
                    "%(documents)s: the e-mail is in the mail queue; the mail state "
                    "shows when the mail server has accepted it.",
                    documents=", ".join((queued - bcc_only).mapped("display_name")),
                )
            )
        for company, moves in bcc_only.grouped("company_id").items():
            sentences.append(
                self.env._(
                    "%(documents)s: the e-mail is in the mail queue for the BCC "
                    "address %(bcc)s only, as %(company)s sends only to the BCC "
                    "address.",
                    documents=", ".join(moves.mapped("display_name")),
                    bcc=company.autocomm_bcc_email,
                    company=company.name,
                )
            )
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

    def action_autocomm_resend(self):
        """Queue sent or failed documents again, noting who did it."""
        moves = self.filtered(lambda m: m.autocomm_state in AUTOCOMM_RESENDABLE_STATES)
        if not moves:
            raise UserError(
                self.env._("Only sent or failed documents can be sent again.")
            )
        moves._autocomm_requeue()
        return True

    def action_autocomm_mark_to_send(self):
        """List action: mark posted customer documents Send."""
        moves = self.filtered(
            lambda m: (
                m.move_type in AUTOCOMM_MOVE_TYPES
                and m.state == "posted"
                and m.autocomm_state == "no_send"
            )
        )
        moves.autocomm_state = "to_send"
        return True

    def _autocomm_check_sendable(self):
        moves = self.filtered(lambda m: m.move_type in AUTOCOMM_MOVE_TYPES)
        if moves != self or any(m.state != "posted" for m in moves):
            raise UserError(
                self.env._("Only posted customer invoices and credit notes are sent.")
            )
        if sending := moves.filtered(lambda m: m.autocomm_state == "sending"):
            waiting = sending.filtered("autocomm_error")
            if waiting:
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
        off = moves.company_id.filtered(lambda c: c.autocomm_mode == "no_send")
        if off:
            raise UserError(
                self.env._(
                    "Automatic e-mail sending is switched off for %(companies)s "
                    "(Invoicing settings).",
                    companies=", ".join(off.mapped("name")),
                )
            )
        return moves

    def _autocomm_requeue(self):
        """Back to Send, cancelling what is left of the previous e-mail."""
        self.sudo().autocomm_mail_ids.filtered(
            lambda mail: mail.autocomm_outcome in ("failed", "unknown", "retry")
        ).write({"autocomm_outcome": "cancel", "state": "cancel"})
        self.with_context(autocomm_engine=True).write(
            {"autocomm_state": "to_send", "autocomm_error": False}
        )
        for move in self:
            move.message_post(
                body=self.env._(
                    "Queued for automatic sending again by %(user)s.",
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_autocomm_send(self, batch_size=None):
        """Build the e-mails of one batch of queued documents, then send them."""
        mail_model = self.env["mail.mail"]
        mail_model._autocomm_recover_interrupted()
        batch_size = batch_size or int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.batch_size", 50)
        )
        moves = self._autocomm_claim_batch(limit=batch_size + 1)
        need_retrigger = len(moves) > batch_size
        moves = moves[:batch_size]
        if moves:
            try:
                moves._autocomm_prepare_messages()
                # Commit point: the e-mails are in the mail queue and the
                # documents are Sending; the dispatch below commits each
                # e-mail on its own.
                self._autocomm_commit()
            except psycopg2.extensions.TransactionRollbackError as error:
                if not self._autocomm_can_commit():
                    raise
                # Another transaction wrote rows this batch writes too (Odoo
                # updates the customers' partners while it builds their
                # e-mails): the batch stays queued for the next run.
                _logger.info("Batch left queued (concurrent update): %s", error)
                self.env.cr.rollback()  # pylint: disable=invalid-commit
                moves = moves.browse()
                need_retrigger = True
        mail_model._autocomm_dispatch(limit=batch_size * 20)
        # Building the e-mails leaves reference cycles that only a full
        # collection frees (Python's e-mail package makes a class per header,
        # PDF readers point back to their objects): about 18 MB a batch of
        # 50, and Odoo runs up to 10 batches in one cron job. Collected here,
        # the worker's memory is bounded by the batch.
        gc.collect()
        self.env["ir.cron"]._notify_progress(
            done=len(moves), remaining=int(need_retrigger)
        )
        if need_retrigger:
            self.env.ref("flexi_autocomm.ir_cron_autocomm_send")._trigger()

    @api.model
    def _autocomm_queue_domain(self):
        """Documents the scheduled action sends: posted, queued, in a company
        whose automatic sending is switched on."""
        return [
            ("autocomm_state", "=", "to_send"),
            ("state", "=", "posted"),
            ("move_type", "in", AUTOCOMM_MOVE_TYPES),
            ("company_id.autocomm_mode", "in", ("send", "bcc_only")),
        ]

    @api.model
    def _autocomm_claim_batch(self, limit):
        """Lock up to ``limit`` queued documents that no other worker holds,
        with their customers.

        Odoo writes the customer's partner while it builds an e-mail to it
        (its signup link): two workers building e-mails of one customer at
        once would fail one of them, so a worker skips the documents whose
        customer another worker holds.
        """
        self.env.flush_all()
        queue = self.sudo()._search(self._autocomm_queue_domain())
        try:
            with self._autocomm_step(flush=False):
                self.env.cr.execute(
                    SQL(
                        """
                        SELECT move.id
                          FROM account_move move
                          JOIN res_partner customer
                            ON customer.id = move.commercial_partner_id
                          JOIN res_partner partner ON partner.id = move.partner_id
                         WHERE move.id IN %s
                         ORDER BY move.id
                         LIMIT %s
                           FOR UPDATE OF move SKIP LOCKED
                           FOR NO KEY UPDATE OF customer, partner SKIP LOCKED
                        """,
                        queue.subselect(),
                        limit,
                    )
                )
                move_ids = [row[0] for row in self.env.cr.fetchall()]
        except psycopg2.extensions.TransactionRollbackError:
            # A row changed since this transaction began (another worker
            # committed its batch): the next run claims with a fresh view.
            self.env.ref("flexi_autocomm.ir_cron_autocomm_send")._trigger()
            move_ids = []
        return self.sudo().browse(move_ids)

    @api.model
    def _autocomm_can_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    @api.model
    def _autocomm_commit(self):
        """Commit a step of the scheduled action (never inside a test).

        The sending must commit between steps: the claim of an e-mail before
        it goes to the SMTP server, its outcome right after (see
        ``mail.mail._autocomm_dispatch``). Business methods never commit.
        """
        if self._autocomm_can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    @contextmanager
    def _autocomm_step(self, flush=True):
        """A step of the scheduled action that is undone when it fails.

        The scheduled action commits before and after each step (the claim
        of a batch; in the dispatch, the claim of an e-mail, the lock of its
        document, the SMTP conversation), so a step is the whole of its
        transaction: when it fails, the transaction is
        rolled back, which costs nothing where a savepoint would cost two
        queries per step and e-mail. Tests never commit: there a savepoint
        stands in for the transaction.
        """
        if not self._autocomm_can_commit():
            with self.env.cr.savepoint(flush=flush):
                yield
            return
        try:
            yield
            if flush:
                # Inside the step: a failure to write is the step's failure.
                self.env.flush_all()
        except Exception:
            self.env.cr.rollback()  # pylint: disable=invalid-commit
            raise

    # ------------------------------------------------------------------
    # Building the e-mails
    # ------------------------------------------------------------------

    def _autocomm_get_recipients(self):
        """Who receives each document (SPEC 3.2), in one query for the batch.

        :return: ``{move: res.partner}``; an empty recordset when nobody can.
        """
        return self._autocomm_get_recipients_and_skipped()[0]

    def _autocomm_get_recipients_and_skipped(self):
        """Who receives each document (SPEC 3.2), and which contacts flagged
        to receive it are left out because their address is missing or
        invalid; in one query for the batch.

        :return: ``({move: res.partner}, {move: res.partner})``, recipients
            (an empty recordset when nobody can) and skipped contacts.
        """
        commercial_partners = self.commercial_partner_id
        flagged = (
            self.env["res.partner"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", commercial_partners.ids),
                    ("id", "not in", commercial_partners.ids),
                    ("autocomm_send_invoices", "=", True),
                ]
            )
        )
        valid = flagged.filtered(lambda p: is_valid_email(p.email))
        flagged_by_commercial = valid.grouped("commercial_partner_id")
        skipped_by_commercial = (flagged - valid).grouped("commercial_partner_id")
        recipients, skipped = {}, {}
        no_partner = self.env["res.partner"]
        for move in self:
            commercial = move.commercial_partner_id
            partners = flagged_by_commercial.get(commercial)
            if not partners and is_valid_email(commercial.email):
                partners = commercial
            recipients[move] = partners or no_partner
            skipped[move] = skipped_by_commercial.get(commercial, no_partner)
        return recipients, skipped

    def _autocomm_note_skipped_contacts(self, skipped):
        """Say on each document which flagged contacts its e-mail left out,
        and why: one note per document, logged for the batch at once.

        :param skipped: ``{move: res.partner}``
        """
        bodies = {
            move.id: Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._(
                    "The automatic e-mail was not sent to these contacts "
                    "flagged 'Send invoices':"
                ),
                Markup().join(
                    Markup("<li>%s</li>") % self._autocomm_skipped_reason(contact)
                    for contact in contacts
                ),
            )
            for move, contacts in skipped.items()
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
        to-do): its salesperson, else the user who created it; none when
        neither may sign (see :meth:`_autocomm_may_sign`): the company signs.
        """
        self.ensure_one()
        for user in (self.invoice_user_id, self.create_uid):
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
        return (
            self.partner_id.lang
            or self.commercial_partner_id.lang
            or self.company_id.partner_id.lang
            or "en_US"
        )

    def _autocomm_prepare_mail_values(self):
        """Subject, body, language and author of each document's e-mail.

        Rendering is batched per journal and language.
        :return: ``{move: dict}``, or a ``str`` error for a document whose
            e-mail cannot be built.
        """
        values = {}
        render_mixin = self.env["mail.render.mixin"]
        for (journal, lang), moves in self.grouped(
            lambda m: (m.journal_id, m._autocomm_mail_lang())
        ).items():
            moves = moves.with_context(lang=lang)
            # The document's title depends on the language, but Odoo caches
            # it for the whole batch in the language it was first read in.
            moves.invalidate_recordset(["type_name"])
            try:
                bodies = journal._autocomm_render_email_text(moves, lang)
                signatures = render_mixin.with_context(lang=lang)._render_template(
                    "flexi_autocomm.autocomm_email_signature",
                    "account.move",
                    moves.ids,
                    engine="qweb_view",
                )
            except ValidationError as error:  # the text's own check, in words
                values.update(dict.fromkeys(moves, error.args[0]))
                continue
            except Exception as error:  # noqa: BLE001 - recorded on the documents
                message = journal._autocomm_text_error(error).args[0]
                values.update(dict.fromkeys(moves, message))
                continue
            for move in moves:
                user = move._autocomm_responsible_user()
                sender = move._autocomm_sender(user)
                subject = moves.env._(
                    "%(document)s %(number)s - %(company)s",
                    document=move.type_name,
                    number=move.name,
                    company=move.company_id.name,
                )
                values[move] = {
                    "mail_lang": lang,
                    # No line break can reach a header.
                    "mail_subject": " ".join(subject.split()),
                    "mail_body": bodies[move.id] + Markup(signatures[move.id]),
                    "author_user_id": user.id,
                    "author_partner_id": sender.id,
                    "email_from": move._autocomm_email_from(sender),
                    "model_description": move.type_name,
                }
        return values

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

    def _autocomm_prepare_messages(self):
        """Build each document's e-mail and hand it to the mail queue.

        Uses Odoo's invoice-sending machinery (``account.move.send``) for the
        PDF and EDI documents and the chatter message. A document whose e-mail
        cannot be built ends Failed; the others go on.
        """
        # mail_notify_force_send: Odoo would send the notification e-mails at
        # once (or right after the commit); ours wait for our dispatcher.
        autocomm_context = {"autocomm_sending": True, "mail_notify_force_send": False}
        sender = self.env["account.move.send"].with_context(**autocomm_context)
        for company, company_moves in self.grouped("company_id").items():
            moves = company_moves.with_company(company).with_context(**autocomm_context)
            recipients, skipped = moves._autocomm_get_recipients_and_skipped()
            bcc_partner = company._autocomm_bcc_partner()
            if company.autocomm_mode == "bcc_only":
                recipients = dict.fromkeys(moves, bcc_partner)
                skipped = {}
            errors = {
                move: self.env._(
                    "Nobody to send to: no contact of %(customer)s is flagged "
                    "'Send invoices' with a valid e-mail address, and the "
                    "customer's own e-mail address is missing or invalid.",
                    customer=move.commercial_partner_id.display_name,
                )
                for move in moves
                if not recipients[move]
            }
            mail_values = (
                moves - moves.browse(m.id for m in errors)
            )._autocomm_prepare_mail_values()
            errors.update(
                {
                    move: vals
                    for move, vals in mail_values.items()
                    if isinstance(vals, str)
                }
            )
            moves_data = {
                move: {
                    **sender._get_default_sending_settings(
                        move,
                        sending_methods={"email"},
                        mail_partner_ids=(recipients[move] | bcc_partner).ids,
                        **{k: v for k, v in vals.items() if k in SENDING_SETTINGS},
                    ),
                    "autocomm_values": vals,
                }
                for move, vals in mail_values.items()
                if not isinstance(vals, str)
            }
            errors.update(sender._autocomm_generate_documents(moves_data))
            sent = self._autocomm_post_messages(
                sender,
                {m: data for m, data in moves_data.items() if m not in errors},
                errors,
            )
            # Not tracked: the chatter shows the e-mail itself now, and the
            # outcome (Sent, Failed) when it is known.
            sent.with_context(autocomm_engine=True, mail_notrack=True).write(
                {"autocomm_state": "sending", "autocomm_error": False}
            )
            sent._autocomm_set_recipients(recipients)
            sent._autocomm_remember_messages()
            sender._autocomm_note_einvoices_left_out(
                {move: data for move, data in moves_data.items() if move in sent}
            )
            self.env["mail.mail"].search(
                [("autocomm_move_id", "in", sent.ids), ("autocomm_outcome", "=", "new")]
            )._autocomm_split_per_recipient()
            for move, error in errors.items():
                move._autocomm_set_failed(error)
            moves._autocomm_note_skipped_contacts(skipped)

    @api.model
    def _autocomm_post_messages(self, sender, moves_data, errors):
        """Post the e-mails of a batch in the chatter, under one savepoint;
        when one fails, post them one by one so that it fails alone.

        :param errors: ``{move: error text}``, completed with the documents
            whose e-mail could not be built
        :return: the documents whose e-mail is in the mail queue
        """
        moves = self.browse(move.id for move in moves_data)
        # Odoo gives each document its portal link while it builds the
        # e-mail: a write that re-checks the balance of the entry, one query
        # per document for nothing (no line changes).
        for move in moves.filtered(lambda m: not m.access_token):
            move.with_context(check_move_validity=False)._portal_ensure_token()
        try:
            with self.env.cr.savepoint():
                for move, move_data in moves_data.items():
                    sender._autocomm_post_message(move, move_data)
        except Exception as error:  # noqa: BLE001 - retried document by document
            _logger.info("Batch not posted at once (%s), posting one by one", error)
        else:
            return moves
        posted = self.browse()
        for move, move_data in moves_data.items():
            try:
                with self.env.cr.savepoint():
                    sender._autocomm_post_message(move, move_data)
            except psycopg2.extensions.TransactionRollbackError as error:
                # Not a failure of the document: another transaction
                # (a second worker, a user) updated the customer's partner
                # meanwhile. It stays queued for the next run.
                _logger.info("%s left queued: %s", move.name, error)
                self.env.ref("flexi_autocomm.ir_cron_autocomm_send")._trigger()
                continue
            except Exception as error:  # noqa: BLE001 - recorded on the document
                _logger.exception("Automatic e-mail of %s not built", move.name)
                errors[move] = self.env._(
                    "The e-mail could not be built: %(error)s", error=error
                )
                continue
            posted |= move
        return posted

    def _autocomm_set_recipients(self, recipients):
        """Record who each document is sent to, in one statement for the batch
        (a write per document would re-run the balance checks of each move)."""
        if not self:
            return
        self.env.cr.execute(
            "DELETE FROM account_move_autocomm_recipient_rel WHERE move_id IN %s",
            [tuple(self.ids)],
        )
        rows = [(move.id, partner.id) for move in self for partner in recipients[move]]
        if rows:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO account_move_autocomm_recipient_rel "
                    "(move_id, partner_id) VALUES %s",
                    SQL(", ").join(SQL("(%s, %s)", *row) for row in rows),
                )
            )
        self.invalidate_recordset(["autocomm_recipient_ids"])

    def _autocomm_set_failed(self, error):
        """Failed, with the reason and a to-do for the responsible user."""
        self.ensure_one()
        self.with_context(autocomm_engine=True).write(
            {"autocomm_state": "failed", "autocomm_error": error}
        )
        self.activity_schedule(
            "flexi_autocomm.mail_activity_type_autocomm_failed",
            user_id=self._autocomm_responsible_user().id,
            note=error,
        )

    def _autocomm_remember_messages(self):
        """Note each document's chatter message of the automatic e-mail just
        queued (its e-mails are deleted once sent; a bounce names it)."""
        if not self:
            return
        self.env["mail.mail"].flush_model(
            ["autocomm_move_id", "autocomm_outcome", "mail_message_id"]
        )
        self.env.cr.execute(
            SQL(
                """UPDATE account_move move
                      SET autocomm_message_id = mail.mail_message_id
                     FROM mail_mail mail
                    WHERE mail.autocomm_move_id = move.id
                      AND mail.autocomm_outcome = 'new'
                      AND move.id IN %s""",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["autocomm_message_id"])

    @api.model
    def _autocomm_receive_bounce(self, message, email, report):
        """A bounce came back for the automatic e-mail ``message`` to ``email``:
        the document it was sent for failed after all (a bounced hidden copy
        is only noted). ``report`` is the bounce's text."""
        move = self.sudo().search([("autocomm_message_id", "=", message.id)], limit=1)
        if not move or move.autocomm_state not in ("sending", "sent"):
            return
        reason = self.env._(
            "The e-mail to %(email)s came back undelivered: %(report)s",
            email=email,
            report=shorten(html2plaintext(report), 500, placeholder=" …"),
        )
        if email not in move.autocomm_recipient_ids.mapped("email_normalized"):
            # The hidden archive copy (as for _autocomm_hidden_copies): its
            # loss does not fail a document its recipients received.
            move._message_log(body=reason)
            return
        move._autocomm_set_failed(reason)
        move._autocomm_mark_unsent()

    def _autocomm_close_failure_activities(self):
        """Mark done the "Automatic e-mail failed" to-dos of these documents,
        sent after all."""
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    (
                        "activity_type_id",
                        "=",
                        self.env.ref(
                            "flexi_autocomm.mail_activity_type_autocomm_failed"
                        ).id,
                    ),
                ]
            )
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("The e-mail was sent on a later try.")
            )

    def _autocomm_mark_sent(self):
        """Mark the documents sent in Odoo's own terms, now that the mail
        server accepted their automatic e-mail (and never before).

        Invoices: ``is_move_sent``, read by Odoo's "Not Sent" filter and list
        badge. Another kind of document sets its own indicator (a quotation's
        or RFQ's state "Sent"). Not tracked: the chatter tells the sending
        once, with the mail state Sent.
        """
        self.filtered(lambda move: not move.is_move_sent).with_context(
            check_move_validity=False, mail_notrack=True
        ).write({"is_move_sent": True})

    def _autocomm_mark_unsent(self):
        """Undo :meth:`_autocomm_mark_sent` for documents whose e-mail
        bounced after the mail server had accepted it."""
        self.filtered("is_move_sent").with_context(
            check_move_validity=False, mail_notrack=True
        ).write({"is_move_sent": False})

    def _autocomm_sync_state(self):
        """Derive the mail state of Sending documents from their e-mails.

        Set-based: one search for the e-mails of all documents, one write for
        all the documents that were delivered.
        """
        moves = self.filtered(lambda m: m.autocomm_state == "sending")
        if not moves:
            return
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("autocomm_move_id", "in", moves.ids),
                    ("autocomm_outcome", "!=", "cancel"),
                ]
            )
        )
        mails_by_move = mails.grouped("autocomm_move_id")
        delivered = self.browse()
        lost_copies = mails.browse()
        engine = self.with_context(autocomm_engine=True)
        for move in moves:
            move_mails = mails_by_move.get(move, mails.browse())
            hidden_copies = move._autocomm_hidden_copies(move_mails)
            # The hidden copy (archive) is not what the document is sent for:
            # its refusal does not fail the document (see below).
            outcomes = set((move_mails - hidden_copies).mapped("autocomm_outcome"))
            error = move_mails._autocomm_error_text()
            if set(move_mails.mapped("autocomm_outcome")) & {"new", "pending", "retry"}:
                if move.autocomm_error != error:
                    engine.browse(move.id).autocomm_error = error
            elif "unknown" in outcomes:
                engine.browse(move.id).write(
                    {"autocomm_state": "unknown", "autocomm_error": error}
                )
            elif "failed" in outcomes:
                move._autocomm_set_failed(error)
            elif not outcomes:
                move._autocomm_set_failed(
                    self.env._(
                        "The e-mail was deleted from the mail queue before it was sent."
                    )
                )
            else:
                delivered |= move
                lost_copies |= hidden_copies.filtered(
                    lambda m: m.autocomm_outcome in ("failed", "unknown")
                )
        if delivered:
            # Odoo's flag first: the tracked write below then finds it set,
            # and the chatter tells the sending once, with the mail state.
            engine.browse(delivered.ids)._autocomm_mark_sent()
            engine.browse(delivered.ids).write(
                {
                    "autocomm_state": "sent",
                    "autocomm_error": False,
                    "autocomm_sent_date": fields.Datetime.now(),
                }
            )
            # Like Odoo's invoice e-mail (auto_delete), keep the message in
            # the chatter but not the sent e-mails in the queue.
            mails.filtered(
                lambda m: (
                    m.autocomm_move_id in delivered and m.autocomm_outcome == "sent"
                )
            ).unlink()
        lost_copies._autocomm_note_lost_hidden_copies()

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

    def _message_compute_author(
        self, author_id=None, email_from=None, raise_on_email=True
    ):
        # account.move.send passes the sender's address but not the author,
        # whom Odoo then looks up by that address (three queries, and maybe
        # another partner with the same address): ours is known.
        author = self.env.context.get("autocomm_author")
        if author_id is None and author and email_from == author[1]:
            author_id = author[0]
        return super()._message_compute_author(
            author_id=author_id, email_from=email_from, raise_on_email=raise_on_email
        )

    # ------------------------------------------------------------------
    # Notifications: only the recipients of SPEC 3.2
    # ------------------------------------------------------------------

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if not self.env.context.get("autocomm_sending"):
            return recipients
        wanted = set(
            msg_vals.get("partner_ids") or [] if msg_vals else message.partner_ids.ids
        )
        # Followers are not notified on top of the explicit recipients, and the
        # recipients get an e-mail even when they are users preferring Odoo's inbox.
        recipients = [r for r in recipients if r["id"] in wanted]
        for recipient in recipients:
            recipient["notif"] = "email"
        return recipients


# Keys of our mail values that account.move.send takes as custom settings.
SENDING_SETTINGS = (
    "mail_lang",
    "mail_subject",
    "mail_body",
    "author_user_id",
    "author_partner_id",
)
