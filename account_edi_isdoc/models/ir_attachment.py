from odoo import api, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def _get_edi_supported_formats(self):
        # An .isdoc file is XML, but neither its name nor (with a byte order mark)
        # its guessed mimetype says so: extend Odoo's XML check to it.
        formats = super()._get_edi_supported_formats()
        for edi_format in formats:
            if edi_format["format"] == "xml":
                edi_format["check"] = self._isdoc_xml_check(edi_format["check"])
        return formats

    @api.model
    def _isdoc_xml_check(self, is_xml):
        """Return Odoo's XML check ``is_xml`` extended to ``.isdoc`` files."""

        def check(attachment):
            return is_xml(attachment) or (attachment.name or "").lower().endswith(
                ".isdoc"
            )

        return check
