from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        # Odoo marks the recipient's notification bounced; an automatic e-mail
        # also fails its document, which would otherwise stay Sent.
        result = super()._routing_handle_bounce(email_message, message_dict)
        if message_dict.get("bounced_message") and message_dict.get("bounced_email"):
            self.env["account.move"]._autocomm_receive_bounce(
                message_dict["bounced_message"],
                message_dict["bounced_email"],
                message_dict.get("body") or "",
            )
        return result
