from odoo import api, fields, models


class AccountJournal(models.Model):
    """A sales journal holds the switch and text of its invoices' automatic
    e-mail; a bank or cash journal those of its customer payments' receipts."""

    _name = "account.journal"
    _inherit = ["account.journal", "autocomm.text.mixin"]

    autocomm_auto_send = fields.Boolean(
        string="Automatically send by e-mail to client",
        help="New customer invoices and credit notes of this sales journal, or "
        "new customer payments of this bank or cash journal, are marked Send: "
        "the scheduled action e-mails them (the payment receipt for a payment) "
        "once they are posted, when the company's automatic e-mail sending is "
        "switched on.",
    )
    autocomm_email_text = fields.Html(
        string="Text for sending",
        translate=True,
        sanitize="email_outgoing",
        help="Body of the automatic e-mail. Placeholders such as "
        "{{ object.name }}, {{ object.amount_total }} or "
        "{{ object.invoice_date_due }} are replaced by the document's values. "
        "When empty, a default text is used. The responsible person's signature "
        "is added below.",
    )

    @api.constrains("autocomm_email_text")
    def _check_autocomm_email_text(self):
        """Refuse a text that does not render, saying which placeholder is
        wrong; ``_update_field_translations`` checks each language it writes."""
        self._autocomm_check_texts(["autocomm_email_text"])

    def _autocomm_document_model(self, field_name="autocomm_email_text"):
        """Payments for a bank or cash journal's text, else invoices."""
        if self[:1].type in ("bank", "cash", "credit"):
            return self.env["account.payment"]
        return self.env["account.move"]

    def _autocomm_text_holder_label(self, field_name):
        return self.env._("journal %(journal)s", journal=self.display_name)

    def _autocomm_sample_domain(self, field_name):
        return [("journal_id", "=", self.id)]
