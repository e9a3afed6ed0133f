import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    # Automatic sending supplies its own body, subject and recipients as custom
    # settings: skip rendering Odoo's defaults for nothing.

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return None
        return super()._get_default_mail_body(move, mail_template, mail_lang)

    @api.model
    def _get_default_mail_subject(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return None
        return super()._get_default_mail_subject(move, mail_template, mail_lang)

    @api.model
    def _get_default_mail_partner_ids(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return self.env["res.partner"]
        return super()._get_default_mail_partner_ids(move, mail_template, mail_lang)

    @api.model
    def _autocomm_generate_documents(self, moves_data):
        """Render the PDF (and EDI documents) of a batch, as Send & Print does.

        The batch is rendered together; when that fails, each document is
        rendered alone so that one bad document does not stop the others.
        :return: ``{move: error text}`` for the documents that failed.
        """
        try:
            with self.env.cr.savepoint():
                self._generate_invoice_documents(moves_data)
        except Exception:  # noqa: BLE001 - retried document by document
            _logger.warning("Batch PDF rendering failed, rendering one by one")
            for move, move_data in moves_data.items():
                try:
                    with self.env.cr.savepoint():
                        self._generate_invoice_documents({move: move_data})
                except Exception as error:  # noqa: BLE001 - recorded on the document
                    move_data["error"] = self.env._(
                        "The PDF could not be generated: %(error)s", error=error
                    )
        return {
            move: self._format_error_text(move_data["error"])
            for move, move_data in moves_data.items()
            if move_data.get("error")
        }

    @api.model
    def _autocomm_post_message(self, move, move_data):
        """Post the e-mail in the chatter; Odoo queues it for the recipients.

        ``_send_mails`` is not used: it skips documents whose partner has no
        e-mail address, while ours go to the flagged contacts.
        """
        values = move_data["autocomm_values"]
        self.with_context(autocomm_move_id=move.id)._send_mail(
            move.with_context(autocomm_move_id=move.id),
            move_data["mail_template"],
            subtype_id=self.env.ref("mail.mt_comment").id,
            model_description=values["model_description"],
            email_from=values["email_from"],
            **self._get_mail_params(move, move_data),
        )
