from odoo import models

from .account_edi_xml_isdoc import ISDOC_NS


class AccountMove(models.Model):
    _inherit = "account.move"

    def _get_edi_decoder(self, file_data, new=False):
        # EXTENDS 'account': a received ISDOC invoice or credit note.
        if file_data["type"] == "xml" and file_data["xml_tree"].tag == (
            f"{{{ISDOC_NS}}}Invoice"
        ):
            return self.env["account.edi.xml.isdoc"]._import_invoice_ubl_cii
        return super()._get_edi_decoder(file_data, new=new)
