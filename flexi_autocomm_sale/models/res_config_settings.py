from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    autocomm_quotation_auto_send = fields.Boolean(
        related="company_id.autocomm_quotation_auto_send",
        readonly=False,
    )
    autocomm_quotation_text = fields.Html(
        related="company_id.autocomm_quotation_text",
        readonly=False,
    )
    autocomm_sale_order_auto_send = fields.Boolean(
        related="company_id.autocomm_sale_order_auto_send",
        readonly=False,
    )
    autocomm_sale_order_text = fields.Html(
        related="company_id.autocomm_sale_order_text",
        readonly=False,
    )
