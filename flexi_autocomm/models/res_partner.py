from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    autocomm_send_invoices = fields.Boolean(
        string="Send invoices",
        help="Invoices and credit notes of the company this contact belongs to "
        "are e-mailed automatically to this contact. When no contact of the "
        "company is flagged, the company's own e-mail address is used.",
    )
