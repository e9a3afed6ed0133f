from odoo import api, fields, models

PAYMENT_RECEIPT_REPORT = "account.action_report_payment_receipt"


class AccountPayment(models.Model):
    """Customer payment receipts, e-mailed once the payment is confirmed to
    the contacts flagged "Send payment documents" (FlexiBee's payment
    documents), with Odoo's payment receipt PDF."""

    _name = "account.payment"
    _inherit = ["account.payment", "autocomm.mixin"]

    autocomm_recipient_ids = fields.Many2many(
        relation="account_payment_autocomm_recipient_rel",
        column1="payment_id",
        column2="partner_id",
    )

    @api.depends("journal_id", "payment_type", "partner_type")
    def _compute_autocomm_state(self):
        return super()._compute_autocomm_state()

    @api.model
    def _autocomm_get_kind_domain(self):
        return [("payment_type", "=", "inbound"), ("partner_type", "=", "customer")]

    @api.model
    def _autocomm_get_ready_domain(self):
        return [
            ("state", "in", ("in_process", "paid")),
            *self._autocomm_get_kind_domain(),
        ]

    @api.model
    def _autocomm_get_cancelled_domain(self):
        return [("state", "in", ("canceled", "rejected"))]

    @api.model
    def _autocomm_get_ready_description(self):
        return self.env._("confirmed customer payments")

    def _autocomm_get_contact_flag(self):
        return "autocomm_send_payments"

    @api.model
    def _autocomm_get_default_body_template(self):
        return "flexi_autocomm.autocomm_email_default_body_payment"

    def _autocomm_get_report(self):
        return self.env.ref(PAYMENT_RECEIPT_REPORT)

    def _autocomm_get_document_title(self):
        return self.env._("Payment Receipt")

    def _autocomm_mark_sent(self):
        """Payments: Odoo's "Sent" (``is_sent``, its Sent / Not Sent filters)."""
        self.filtered(lambda payment: not payment.is_sent).with_context(
            mail_notrack=True
        ).write({"is_sent": True})

    def _autocomm_mark_unsent(self):
        self.filtered("is_sent").with_context(mail_notrack=True).write(
            {"is_sent": False}
        )

    def action_post(self):
        res = super().action_post()
        # Queued when confirmed: the receipt goes out with the next run.
        if self.filtered(lambda payment: payment.autocomm_state == "to_send"):
            self.env["autocomm.engine"]._trigger()
        return res
