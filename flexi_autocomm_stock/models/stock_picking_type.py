from odoo import api, fields, models


class StockPickingType(models.Model):
    """A delivery operation type holds the switch and text of its deliveries'
    automatic e-mail, as a sales journal does for its invoices."""

    _name = "stock.picking.type"
    _inherit = ["stock.picking.type", "autocomm.text.mixin"]

    autocomm_auto_send = fields.Boolean(
        string="Automatically send by e-mail to client",
        help="New delivery orders of this operation type are marked Send: the "
        "scheduled action e-mails their delivery slip once they are validated, "
        "when the company's automatic e-mail sending is switched on.",
    )
    autocomm_email_text = fields.Html(
        string="Text for sending",
        translate=True,
        sanitize="email_outgoing",
        help="Body of the automatic e-mail. Placeholders such as "
        "{{ object.name }}, {{ object.origin }} or {{ object.date_done }} are "
        "replaced by the delivery order's values. When empty, a default text is "
        "used. The responsible person's signature is added below.",
    )

    @api.constrains("autocomm_email_text")
    def _check_autocomm_email_text(self):
        """Refuse a text that does not render, saying which placeholder is
        wrong; ``_update_field_translations`` checks each language it writes."""
        self._autocomm_check_texts(["autocomm_email_text"])

    def _autocomm_document_model(self, field_name="autocomm_email_text"):
        return self.env["stock.picking"]

    def _autocomm_text_holder_label(self, field_name):
        return self.env._(
            "operation type %(operation_type)s", operation_type=self.display_name
        )

    def _autocomm_sample_domain(self, field_name):
        return [("picking_type_id", "=", self.id)]
