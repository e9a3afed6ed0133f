from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    autocomm_send_rfqs = fields.Boolean(
        string="Send RFQs",
        help="Requests for quotation of the company this contact belongs to are "
        "e-mailed automatically to this contact. When no contact of the company "
        "is flagged, the company's own e-mail address is used.",
    )
    # Defined identically by flexi_autocomm_sale: one flag for the orders of
    # both sides, as FlexiBee's "Send orders".
    autocomm_send_orders = fields.Boolean(
        string="Send orders",
        help="Order confirmations (sales) and purchase orders of the company this "
        "contact belongs to are e-mailed automatically to this contact. When no "
        "contact of the company is flagged, the company's own e-mail address is "
        "used.",
    )
