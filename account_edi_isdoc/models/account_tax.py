from odoo import fields, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    isdoc_reverse_charge_code = fields.Char(
        string="Local Reverse Charge Code (ISDOC)",
        help="Set on the taxes of the Czech local reverse charge (§ 92a of the VAT "
        "Act): the code of the supply, e.g. 1 gold, 4 construction work, 5 waste. "
        "ISDOC marks the lines with such a tax as reverse charge.",
    )
