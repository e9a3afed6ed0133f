from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        # Odoo marks the recipient's notification bounced; an automatic e-mail
        # also fails its document, which would otherwise stay Sent.
        result = super()._routing_handle_bounce(email_message, message_dict)
        message = message_dict.get("bounced_message")
        if message and message_dict.get("bounced_email"):
            document = self._autocomm_document_of_message(message)
            if document:
                document._autocomm_receive_bounce(
                    message_dict["bounced_email"], message_dict.get("body") or ""
                )
        return result

    @api.model
    def _autocomm_document_of_message(self, message):
        """The document whose automatic e-mail ``message`` is, if any."""
        model = self.env.get(message.model)
        if model is None or "autocomm_message_id" not in model._fields:
            return None
        return model.sudo().search([("autocomm_message_id", "=", message.id)], limit=1)

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if not self.env.context.get("autocomm_posting"):
            return recipients
        # The automatic e-mail goes to the recipients of SPEC 3.2 only:
        # followers are not notified on top of them, and the recipients get
        # an e-mail even when they are users preferring Odoo's inbox.
        wanted = set(
            msg_vals.get("partner_ids") or [] if msg_vals else message.partner_ids.ids
        )
        recipients = [r for r in recipients if r["id"] in wanted]
        for recipient in recipients:
            recipient["notif"] = "email"
        return recipients
