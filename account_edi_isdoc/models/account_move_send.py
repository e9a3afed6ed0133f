from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _postprocess_invoice_ubl_xml(self, invoice, invoice_data):
        # Odoo embeds the PDF into UBL files; ISDOC has no place for it inside the
        # XML (only the .isdocx archive does), and the insertion would break it.
        if invoice_data["ubl_cii_xml_options"]["ubl_cii_format"] == "isdoc":
            return
        super()._postprocess_invoice_ubl_xml(invoice, invoice_data)
