from odoo import api, fields, models

# Text field of the company -> the sale orders it is written for.
SALE_TEXTS = {
    "autocomm_quotation_text": [("state", "in", ("draft", "sent"))],
    "autocomm_sale_order_text": [("state", "=", "sale")],
}


class ResCompany(models.Model):
    """The company holds the switches and texts of its quotations' and order
    confirmations' automatic e-mails (Sales settings)."""

    _name = "res.company"
    _inherit = ["res.company", "autocomm.text.mixin"]

    autocomm_quotation_auto_send = fields.Boolean(
        string="Send quotations automatically",
        help="New quotations are marked Send: the scheduled action e-mails "
        "them to the customer's contacts flagged 'Send quotations', when the "
        "company's automatic e-mail sending is switched on.",
    )
    autocomm_quotation_text = fields.Html(
        string="Text for sending quotations",
        translate=True,
        sanitize="email_outgoing",
        help="Body of the automatic e-mail of a quotation. Placeholders such "
        "as {{ object.name }}, {{ object.amount_total }} or "
        "{{ object.validity_date }} are replaced by the quotation's values. "
        "When empty, a default text is used. The salesperson's signature is "
        "added below.",
    )
    autocomm_sale_order_auto_send = fields.Boolean(
        string="Send order confirmations automatically",
        help="A quotation that is confirmed is marked Send again: the "
        "scheduled action e-mails the order confirmation to the customer's "
        "contacts flagged 'Send orders', when the company's automatic e-mail "
        "sending is switched on.",
    )
    autocomm_sale_order_text = fields.Html(
        string="Text for sending order confirmations",
        translate=True,
        sanitize="email_outgoing",
        help="Body of the automatic e-mail of an order confirmation. "
        "Placeholders such as {{ object.name }}, {{ object.amount_total }} or "
        "{{ object.commitment_date }} are replaced by the order's values. When "
        "empty, a default text is used. The salesperson's signature is added "
        "below.",
    )

    @api.constrains("autocomm_quotation_text", "autocomm_sale_order_text")
    def _check_autocomm_sale_texts(self):
        """Refuse a text that does not render, saying which placeholder is
        wrong; ``_update_field_translations`` checks each language it writes."""
        self._autocomm_check_texts(list(SALE_TEXTS))

    def _autocomm_text_fields(self):
        return {
            **super()._autocomm_text_fields(),
            **dict.fromkeys(SALE_TEXTS, "sale.order"),
        }

    def _autocomm_text_holder_label(self, field_name):
        if field_name == "autocomm_quotation_text":
            return self.env._("quotations of %(company)s", company=self.display_name)
        if field_name == "autocomm_sale_order_text":
            return self.env._(
                "order confirmations of %(company)s", company=self.display_name
            )
        return super()._autocomm_text_holder_label(field_name)

    def _autocomm_sample_domain(self, field_name):
        if field_name in SALE_TEXTS:
            return [("company_id", "=", self.id), *SALE_TEXTS[field_name]]
        return super()._autocomm_sample_domain(field_name)
