from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    autocomm_send_stock = fields.Boolean(
        string="Send stock documents",
        help="Delivery slips of the deliveries to the company this contact "
        "belongs to are e-mailed automatically to this contact. When no contact "
        "of the company is flagged, the delivery address's own e-mail address "
        "is used.",
    )
