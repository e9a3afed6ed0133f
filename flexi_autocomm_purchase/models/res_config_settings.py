from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    autocomm_rfq_auto_send = fields.Boolean(
        related="company_id.autocomm_rfq_auto_send",
        readonly=False,
    )
    autocomm_rfq_text = fields.Html(
        related="company_id.autocomm_rfq_text",
        readonly=False,
    )
    autocomm_purchase_order_auto_send = fields.Boolean(
        related="company_id.autocomm_purchase_order_auto_send",
        readonly=False,
    )
    autocomm_purchase_order_text = fields.Html(
        related="company_id.autocomm_purchase_order_text",
        readonly=False,
    )
