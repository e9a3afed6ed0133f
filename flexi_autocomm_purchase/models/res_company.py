from odoo import api, fields, models

# The company's texts for sending of purchase orders, by the state of the
# order they are written for.
PURCHASE_TEXT_FIELDS = {
    "autocomm_rfq_text": ("draft", "sent"),
    "autocomm_purchase_order_text": ("purchase", "done"),
}
TEXT_HELP = (
    "Body of the automatic e-mail. Placeholders such as {{ object.name }}, "
    "{{ object.partner_ref }}, {{ object.amount_total }} or "
    "{{ object.date_planned }} are replaced by the order's values. When empty, "
    "a default text is used. The purchase representative's signature is added "
    "below."
)


class ResCompany(models.Model):
    """The company holds the switches and texts of the automatic e-mails of
    its requests for quotation and purchase orders (FlexiBee's document type
    settings; Odoo has no journal for orders)."""

    _name = "res.company"
    _inherit = ["res.company", "autocomm.text.mixin"]

    autocomm_rfq_auto_send = fields.Boolean(
        string="Automatically send RFQs",
        help="New requests for quotation are marked Send: the scheduled action "
        "e-mails them to the vendor's contacts flagged 'Send RFQs', when the "
        "company's automatic e-mail sending is switched on.",
    )
    autocomm_rfq_text = fields.Html(
        string="Text for sending RFQs",
        translate=True,
        sanitize="email_outgoing",
        help=TEXT_HELP,
    )
    autocomm_purchase_order_auto_send = fields.Boolean(
        string="Automatically send purchase orders",
        help="Confirmed purchase orders are marked Send: the scheduled action "
        "e-mails them to the vendor's contacts flagged 'Send orders', when the "
        "company's automatic e-mail sending is switched on.",
    )
    autocomm_purchase_order_text = fields.Html(
        string="Text for sending purchase orders",
        translate=True,
        sanitize="email_outgoing",
        help=TEXT_HELP,
    )

    @api.constrains("autocomm_rfq_text", "autocomm_purchase_order_text")
    def _check_autocomm_purchase_texts(self):
        """Refuse a text that does not render, saying which placeholder is
        wrong; ``_update_field_translations`` checks each language it writes."""
        self._autocomm_check_texts(list(PURCHASE_TEXT_FIELDS))

    def _autocomm_text_fields(self):
        return {
            **super()._autocomm_text_fields(),
            **dict.fromkeys(PURCHASE_TEXT_FIELDS, "purchase.order"),
        }

    def _autocomm_text_holder_label(self, field_name):
        if field_name == "autocomm_rfq_text":
            return self.env._("RFQs of %(company)s", company=self.display_name)
        if field_name == "autocomm_purchase_order_text":
            return self.env._(
                "purchase orders of %(company)s", company=self.display_name
            )
        return super()._autocomm_text_holder_label(field_name)

    def _autocomm_sample_domain(self, field_name):
        if field_name in PURCHASE_TEXT_FIELDS:
            return [
                ("company_id", "=", self.id),
                ("state", "in", PURCHASE_TEXT_FIELDS[field_name]),
            ]
        return super()._autocomm_sample_domain(field_name)
