import logging
import re
import smtplib
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models, tools
from odoo.fields import Command
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# SMTP reply codes as Odoo writes them into ``failure_reason``, e.g.
# "SMTPRecipientsRefused: {'a@b.c': (451, b'4.3.0 Try later')}".
SMTP_CODE_RE = re.compile(r"\((?P<code>[245]\d\d),")
# Odoo's failure types that say the address itself is wrong.
INVALID_ADDRESS_FAILURES = ("mail_email_invalid", "mail_email_missing")
# Outcomes after which an e-mail is never sent again by the engine.
FINISHED_OUTCOMES = ("sent", "failed", "unknown", "cancel")


class SmtpDataWatch:
    """Whether the current message's data went out in full on an SMTP session.

    The end-of-data line (CRLF.CRLF, RFC 5321 section 4.1.1.4) completes a
    message for the server. A connection lost before it was sent leaves the
    server without a message; lost after it and before the server's reply,
    the message may have been delivered (RFC 1047). smtplib raises
    ``SMTPServerDisconnected`` in both cases: this watch tells them apart by
    noting when the session's ``send()`` has handed the end of the data over.
    """

    END_OF_DATA = b"\r\n.\r\n"

    def __init__(self, smtp_session):
        self.data_sent = False
        # ir.mail_server's connections wrap smtplib's session in ``__obj__``;
        # in Odoo's test mode there is no session (nothing is sent).
        smtp = getattr(smtp_session, "__obj__", smtp_session)
        if smtp is None:
            return
        send = smtp.send

        def send_and_watch(data):
            send(data)
            if isinstance(data, bytes) and data.endswith(self.END_OF_DATA):
                self.data_sent = True

        smtp.send = send_and_watch

    def reset(self):
        """Before each message."""
        self.data_sent = False


class MailMail(models.Model):
    _inherit = "mail.mail"

    # Set on the engine's e-mails only (the document is the one of their
    # message: ``model``, ``res_id``); Odoo's own queue leaves them alone.
    autocomm_outcome = fields.Selection(
        selection=[
            ("new", "Built"),
            ("pending", "Waiting"),
            ("retry", "Retry later"),
            ("sent", "Accepted"),
            ("failed", "Refused"),
            ("unknown", "Unknown"),
            ("cancel", "Cancelled"),
        ],
        string="Automatic e-mail outcome",
        index="btree_not_null",
        readonly=True,
    )
    autocomm_attempts = fields.Integer(
        string="Sending attempts", default=0, readonly=True
    )
    # The claim of a worker: set, and committed, just before the message goes
    # to the SMTP server, cleared with its outcome. A claim still there when
    # its lease has run out was left by a worker that died in between: the
    # outcome of that e-mail is unknown (see _autocomm_recover_interrupted).
    autocomm_claimed_until = fields.Datetime(string="Claimed until", readonly=True)
    autocomm_dispatch_date = fields.Datetime(string="Sending started", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        # The notification e-mails Odoo creates while posting an automatic
        # e-mail are ours: tag them so that our dispatcher, and only it,
        # sends them, and keep them until the document's outcome is known.
        if self.env.context.get("autocomm_posting"):
            for vals in vals_list:
                vals.update(autocomm_outcome="new", auto_delete=False)
        return super().create(vals_list)

    def _autocomm_error_text(self):
        """What went wrong, address by address, for the document."""
        return (
            "\n".join(
                f"{mail._autocomm_address()}: {mail.failure_reason or ''}".strip()
                for mail in self
                if mail.autocomm_outcome in ("failed", "unknown", "retry")
            )
            or False
        )

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        # Automatic e-mails are sent by our scheduled action, which records
        # each attempt before it is made (see _autocomm_dispatch).
        filters = [
            *self.env.context.get("filters", []),
            ("autocomm_outcome", "=", False),
        ]
        return super(MailMail, self.with_context(filters=filters)).process_email_queue(
            ids=ids, batch_size=batch_size
        )

    def _prepare_outgoing_list(
        self, mail_server=False, recipients_follower_status=None
    ):
        email_list = super()._prepare_outgoing_list(
            mail_server=mail_server,
            recipients_follower_status=recipients_follower_status,
        )
        if self.autocomm_outcome:
            # A line break in a recipient's name must not start a header line
            # of its own. Odoo hands the recipients to the e-mail as a list,
            # which Python's e-mail package does not check for line breaks
            # (it does so for strings only).
            for email in email_list:
                for key in ("email_to", "email_cc"):
                    email[key] = [" ".join(value.split()) for value in email[key] or []]
                for key in ("reply_to", "subject"):
                    if email.get(key):
                        email[key] = " ".join(email[key].split())
        return email_list

    def _autocomm_address(self):
        self.ensure_one()
        return ", ".join(self.recipient_ids.mapped("email")) or self.email_to or ""

    # ------------------------------------------------------------------
    # One SMTP message per e-mail
    # ------------------------------------------------------------------

    def _autocomm_split_per_recipient(self):
        """Give each recipient its own e-mail, then mark them all Waiting.

        Odoo sends an e-mail with several recipients as one SMTP message per
        recipient and stops at the first refusal; with one recipient per
        e-mail, each delivery has its own outcome, retry and proof.
        """
        copies, moved = [], []
        for mail in self.filtered(lambda m: len(m.recipient_ids) > 1):
            for partner in mail.recipient_ids[1:]:
                copies.append(
                    {
                        "mail_message_id": mail.mail_message_id.id,
                        "body_html": mail.body_html,
                        "headers": mail.headers,
                        "references": mail.references,
                        "is_notification": mail.is_notification,
                        "mail_server_id": mail.mail_server_id.id,
                        "recipient_ids": [Command.set(partner.ids)],
                        "auto_delete": False,
                        "state": "outgoing",
                        "autocomm_outcome": "pending",
                    }
                )
                moved.append((mail, partner))
        if copies:
            new_mails = self.sudo().create(copies)
            # One statement each for the whole batch: the moved recipients
            # leave their original e-mail, their notifications follow them.
            moves = SQL(", ").join(
                SQL("(%s, %s, %s)", mail.id, partner.id, new_mail.id)
                for (mail, partner), new_mail in zip(moved, new_mails, strict=True)
            )
            self.env.cr.execute(
                SQL(
                    "DELETE FROM mail_mail_res_partner_rel rel "
                    "USING (VALUES %s) AS moved (mail_id, partner_id, new_mail_id) "
                    "WHERE rel.mail_mail_id = moved.mail_id "
                    "AND rel.res_partner_id = moved.partner_id",
                    moves,
                )
            )
            self.env.cr.execute(
                SQL(
                    "UPDATE mail_notification notif "
                    "SET mail_mail_id = moved.new_mail_id "
                    "FROM (VALUES %s) AS moved (mail_id, partner_id, new_mail_id) "
                    "WHERE notif.mail_mail_id = moved.mail_id "
                    "AND notif.res_partner_id = moved.partner_id",
                    moves,
                )
            )
            self.invalidate_recordset(["recipient_ids"])
            self.env["mail.notification"].invalidate_model(["mail_mail_id"])
        self.write({"autocomm_outcome": "pending"})

    # ------------------------------------------------------------------
    # Dispatch: Odoo's own send(), one claimed e-mail at a time
    # ------------------------------------------------------------------

    def _autocomm_documents(self):
        """The documents of these e-mails: a recordset per model, each
        document once (a document has an e-mail per recipient)."""
        ids_by_model = defaultdict(dict)
        for mail in self:
            if mail.model:
                ids_by_model[mail.model][mail.res_id] = None
        return [
            self.env[model].sudo().browse(list(ids)).exists()
            for model, ids in ids_by_model.items()
            if "autocomm_state" in self.env[model]._fields
        ]

    @api.model
    def _autocomm_dispatch(self, limit=None):
        """Send the waiting automatic e-mails with Odoo's ``mail.mail.send()``
        (one SMTP connection per mail server), each e-mail in its own
        transaction (see :meth:`_send`)."""
        engine = self.env["autocomm.engine"]
        engine._commit()
        mails = self.sudo().search(
            [
                ("autocomm_outcome", "in", ("pending", "retry")),
                ("state", "=", "outgoing"),
                ("autocomm_claimed_until", "=", False),
            ],
            order="mail_message_id, id",
            limit=limit,
        )
        # Read now: another worker may delete these e-mails once they are sent.
        documents = mails._autocomm_documents()
        try:
            mails.with_context(autocomm_dispatching=True).send()
        except smtplib.SMTPServerDisconnected as error:
            # A session lost in the middle (see _send): Odoo's send() stops
            # and cannot close it; what it did not send waits for the next
            # run (a server that hangs up is not asked again at once).
            _logger.warning("SMTP server disconnected: %s", error)
        # The documents' states follow from their e-mails' outcomes, once for
        # the whole run; a crash before this point is caught up by the next
        # run (see _autocomm_recover_interrupted).
        self._autocomm_sync_documents(documents)
        engine._commit()

    def _send(
        self,
        auto_commit=False,
        raise_exception=False,
        smtp_session=None,
        alias_domain_id=False,
        mail_server=False,
        post_send_callback=None,
    ):
        if not self.env.context.get("autocomm_dispatching"):
            return super()._send(
                auto_commit=auto_commit,
                raise_exception=raise_exception,
                smtp_session=smtp_session,
                alias_domain_id=alias_domain_id,
                mail_server=mail_server,
                post_send_callback=post_send_callback,
            )
        # The engine's layer on Odoo's sending of one connection's e-mails:
        # each e-mail is claimed, and the claim committed, before it goes to
        # the SMTP server; its outcome is committed right after. A crash in
        # between leaves a claim whose lease runs out (recovered as "Check
        # delivery", never sent twice).
        data_watch = SmtpDataWatch(smtp_session)
        for mail in self:
            if not (mail._autocomm_claim() and mail._autocomm_lock_document()):
                continue
            data_watch.reset()
            try:
                mail._autocomm_send_claimed(
                    super(MailMail, mail)._send,
                    smtp_session=smtp_session,
                    alias_domain_id=alias_domain_id,
                    mail_server=mail_server,
                )
            except smtplib.SMTPServerDisconnected:
                mail._autocomm_note_disconnected(data_watch.data_sent)
                self.env["autocomm.engine"]._commit()
                raise
            self.env["autocomm.engine"]._commit()
        return True

    @api.model
    def _autocomm_claim_lease(self):
        """Seconds a claim is good for (system parameter
        ``flexi_autocomm.claim_lease_seconds``, default 600).

        A live worker settles a claim within one SMTP conversation (Odoo's
        SMTP timeout is 60 s per step); a claim older than this is one whose
        worker died. A longer lease only makes a dead worker's documents wait
        longer for "Check delivery".
        """
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.claim_lease_seconds", 600)
        )

    def _autocomm_claim(self):
        """Record, and commit, that this worker is about to send the e-mail,
        with the lease of the claim (the database's clock, the same for every
        worker)."""
        self.ensure_one()
        self.flush_recordset()
        claimed = self.env["autocomm.engine"]._lock_rows(
            SQL(
                "UPDATE mail_mail SET autocomm_claimed_until = "
                "clock_timestamp() AT TIME ZONE 'UTC' + make_interval(secs => %s), "
                "autocomm_dispatch_date = now() AT TIME ZONE 'UTC', "
                "autocomm_attempts = COALESCE(autocomm_attempts, 0) + 1 "
                "WHERE id = %s AND state = 'outgoing' "
                "AND autocomm_claimed_until IS NULL RETURNING id",
                self._autocomm_claim_lease(),
                self.id,
            )
        )
        self.invalidate_recordset(
            ["autocomm_claimed_until", "autocomm_dispatch_date", "autocomm_attempts"]
        )
        self.env["autocomm.engine"]._commit()
        return bool(claimed)

    def _autocomm_lock_document(self):
        """Lock the claimed e-mail's document before the SMTP conversation: a
        concurrent edit then waits, or is skipped here, harmlessly, and does
        not fail the outcome after the server has accepted the message. When
        another worker or a user holds it, nothing is sent now."""
        self.ensure_one()
        document = self.env[self.model]
        locked = self.env["autocomm.engine"]._lock_rows(
            SQL(
                "SELECT id FROM %s WHERE id = %s FOR UPDATE SKIP LOCKED",
                SQL.identifier(document._table),
                self.res_id,
            )
        )
        if not locked:
            self._autocomm_release(self.autocomm_outcome)
        return bool(locked)

    def _autocomm_send_claimed(self, send, **session):
        """Send a claimed e-mail with Odoo's ``send`` (``mail.mail._send``);
        its outcome is written by the post-processing.

        Odoo's ``_send`` records every refusal itself; what it lets through
        (a database error, a lost session) leaves the outcome unknown, but for
        a lost session, which the caller tells apart.
        """
        self.ensure_one()
        try:
            with self.env["autocomm.engine"]._step():
                send(**session)
        except smtplib.SMTPServerDisconnected:
            raise
        except Exception as error:  # noqa: BLE001 - outcome cannot be known
            _logger.exception("Automatic e-mail %s: outcome unknown", self.id)
            self._autocomm_mark_unknown(tools.exception_to_unicode(error))

    def _autocomm_note_disconnected(self, data_sent):
        """The server hung up without answering the message.

        Before the end of the data, it has no message: it is sent again
        later. After it, it may have delivered it (RFC 1047): sending it again
        could deliver it twice, so its outcome is unknown ("Check delivery").
        """
        if not data_sent:
            self._autocomm_release("retry")
            return
        self._autocomm_mark_unknown(
            self.env._(
                "The connection to the mail server was lost after the e-mail "
                "was handed over and before the server confirmed it: it may or "
                "may not have been delivered. Check with the recipient, then use "
                "Resend if needed."
            )
        )

    def _autocomm_release(self, outcome):
        self.write(
            {
                "autocomm_claimed_until": False,
                "autocomm_dispatch_date": False,
                "autocomm_outcome": outcome,
            }
        )

    def _autocomm_cancel(self):
        """Never to be sent: neither by our dispatcher nor by Odoo's queue."""
        self.sudo().write({"autocomm_outcome": "cancel", "state": "cancel"})

    def _autocomm_mark_unknown(self, reason):
        self.write(
            {
                "state": "exception",
                "autocomm_outcome": "unknown",
                "autocomm_claimed_until": False,
                "failure_reason": reason,
            }
        )

    # ------------------------------------------------------------------
    # Outcome
    # ------------------------------------------------------------------

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        ours = self.filtered("autocomm_outcome")
        if ours:
            ours._autocomm_record_outcome(failure_type, failure_reason)
        res = super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
        if ours and not self.env.context.get("autocomm_dispatching"):
            for documents in ours._autocomm_documents():
                documents._autocomm_sync_state()
        return res

    @api.model
    def _autocomm_classify_failure(self, failure_type, failure_reason):
        """``retry`` for what the server may accept later, else ``failed``."""
        if failure_type == "mail_smtp":
            return "retry"
        if failure_type in INVALID_ADDRESS_FAILURES:
            return "failed"
        codes = SMTP_CODE_RE.findall(failure_reason or "")
        if codes and all(code.startswith("4") for code in codes):
            return "retry"
        return "failed"

    def _autocomm_record_outcome(self, failure_type, failure_reason):
        if not failure_type:
            self.write({"autocomm_outcome": "sent", "autocomm_claimed_until": False})
            return
        if failure_type == "mail_smtp":
            # Odoo's send() could not connect: a temporary outage.
            self._autocomm_note_outage(self[:1].failure_reason)
            return
        outcome = self._autocomm_classify_failure(failure_type, failure_reason)
        max_attempts = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.max_attempts", 12)
        )
        retried = self.filtered(
            lambda mail: outcome == "retry" and mail.autocomm_attempts < max_attempts
        )
        retried.write(
            {
                "state": "outgoing",
                "autocomm_outcome": "retry",
                "autocomm_claimed_until": False,
            }
        )
        (self - retried).write(
            {"autocomm_outcome": "failed", "autocomm_claimed_until": False}
        )

    def _autocomm_note_outage(self, error):
        """The mail server cannot be reached: the e-mails wait for the next run."""
        reason = self.env._(
            "The mail server is not available (%(error)s); the e-mail will be "
            "sent automatically when it is back.",
            error=error,
        )
        self.write(
            {"state": "outgoing", "autocomm_outcome": "retry", "failure_reason": reason}
        )

    def _autocomm_note_lost_hidden_copies(self):
        """Say on each document that its hidden copy did not arrive, though its
        recipients received it (the document is Sent: nothing to resend)."""
        mails_by_document = self.grouped(lambda mail: (mail.model, mail.res_id))
        for documents in self._autocomm_documents():
            bodies = {
                document.id: self.env._(
                    "The document was delivered to its recipients, but not its "
                    "hidden copy to the archive address: %(error)s",
                    error=mails_by_document[
                        documents._name, document.id
                    ]._autocomm_error_text(),
                )
                for document in documents
            }
            documents._message_log_batch(bodies=bodies)

    @api.model
    def _autocomm_sync_documents(self, documents_by_model):
        """Sync the documents' states, unless another worker writes them now.

        Two workers may finish e-mails of the same documents; the one that
        loses the race (a serialization failure or deadlock in PostgreSQL's
        repeatable read) leaves the documents to the next run, whose recovery
        syncs every document whose e-mails are all settled, instead of
        failing the whole run.

        :param documents_by_model: a list of recordsets of documents
        """
        try:
            with self.env.cr.savepoint():
                for documents in documents_by_model:
                    documents.exists()._autocomm_sync_state()
        except psycopg2.extensions.TransactionRollbackError as error:
            _logger.info("Documents left to the next run (another worker): %s", error)
            self.env["autocomm.engine"]._trigger()

    # ------------------------------------------------------------------
    # Crash recovery
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_recover_interrupted(self):
        """E-mails claimed by a worker that is gone: their outcome is unknown.

        A claim whose lease has run out was never settled: its worker died
        between the claim and the commit of the outcome. Nothing here relies
        on the worker's database connection, which a connection pooler (such
        as pgbouncer in transaction mode) keeps alive after the worker died.
        """
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT mail.id FROM mail_mail mail
             WHERE mail.autocomm_outcome IS NOT NULL
               AND mail.state = 'outgoing'
               AND mail.autocomm_claimed_until
                   < clock_timestamp() AT TIME ZONE 'UTC'
               FOR UPDATE OF mail SKIP LOCKED
            """
        )
        mails = self.sudo().browse(row[0] for row in self.env.cr.fetchall())
        mails._autocomm_mark_interrupted()
        settled = [
            model._autocomm_settled_but_sending()
            for model in self.env["autocomm.engine"]._get_document_models()
        ]
        self._autocomm_sync_documents(mails._autocomm_documents() + settled)
        self.env["autocomm.engine"]._commit()

    def _autocomm_mark_interrupted(self):
        self._autocomm_mark_unknown(
            self.env._(
                "Sending was interrupted (the sending process stopped) after the "
                "e-mail was handed to the mail server: it may or may not have been "
                "delivered. Check with the recipient, then use Resend if needed."
            )
        )

    # ------------------------------------------------------------------
    # Housekeeping
    # ------------------------------------------------------------------

    @api.autovacuum
    def _gc_autocomm_mails(self):
        """Remove the engine's finished e-mails after
        ``flexi_autocomm.mail_keep_days`` days (default 180).

        Odoo deletes its own invoice e-mails once sent (``auto_delete``), as
        the engine does once a document is Sent; the e-mails of failed or
        unknown deliveries stay for a while to explain them, as long as Odoo
        keeps its notifications (``mail.notification._gc_notifications``,
        180 days). The e-mails of a document still being sent stay: its state
        is derived from them. The chatter message of each e-mail stays.
        """
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.mail_keep_days", 180)
        )
        mails = self.sudo().search(
            [
                ("autocomm_outcome", "in", FINISHED_OUTCOMES),
                ("state", "!=", "outgoing"),
                ("write_date", "<", fields.Datetime.now() - timedelta(days=days)),
            ],
            limit=models.GC_UNLINK_LIMIT,
        )
        if len(mails) >= models.GC_UNLINK_LIMIT:
            self.env.ref("base.autovacuum_job")._trigger()
        sending = [
            (documents._name, document.id)
            for documents in mails._autocomm_documents()
            for document in documents
            if document.autocomm_state == "sending"
        ]
        mails.filtered(lambda mail: (mail.model, mail.res_id) not in sending).unlink()

    @api.model
    def _autocomm_cancel_before_uninstall(self):
        """Cancel the automatic e-mails that still wait for the engine
        (queued, to be retried, or claimed).

        Once the addon is gone, Odoo's own mail queue sends every e-mail in
        state ``outgoing``: it would send these behind the engine's back.
        Their documents, and those still queued, say in their chatter that
        they were not (or not fully) e-mailed, since the mail state goes away
        with the addon.
        """
        mails = self.sudo().search(
            [("autocomm_outcome", "!=", False), ("state", "=", "outgoing")]
        )
        mails.write(
            {
                "state": "cancel",
                "autocomm_outcome": "cancel",
                "failure_reason": self.env._(
                    "Cancelled: the automatic e-mail sending was uninstalled."
                ),
            }
        )
        note = self.env._(
            "Automatic e-mail sending was uninstalled before this document was "
            "e-mailed to all its recipients: what had not gone out yet will not "
            "be sent."
        )
        queued = [
            model.sudo().search([("autocomm_state", "=", "to_send")])
            for model in self.env["autocomm.engine"]._get_document_models()
        ]
        for documents in mails._autocomm_documents() + queued:
            documents._message_log_batch(bodies=dict.fromkeys(documents.ids, note))
