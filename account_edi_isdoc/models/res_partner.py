from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_edi_format = fields.Selection(
        selection_add=[("isdoc", "ISDOC (Czech)")],
    )

    @api.model
    def _get_ubl_cii_formats_info(self):
        # Listed with Odoo's UBL/CII formats so that Send & Print writes and keeps
        # the file as it does for UBL. The sequence keeps BIS 3 the suggested
        # format of Czech partners: installing changes no partner's format.
        formats_info = super()._get_ubl_cii_formats_info()
        formats_info["isdoc"] = {
            "countries": ["CZ"],
            "on_peppol": False,
            "sequence": 300,
        }
        return formats_info

    @api.model
    def _get_edi_builder(self, invoice_edi_format):
        if invoice_edi_format == "isdoc":
            return self.env["account.edi.xml.isdoc"]
        return super()._get_edi_builder(invoice_edi_format)
