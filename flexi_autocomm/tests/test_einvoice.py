import unittest

from odoo import Command
from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestEinvoiceLeftOut(AutocommCase):
    """An e-invoice Odoo cannot build does not hold back the e-mail."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        formats = cls.env["res.partner"]._fields["invoice_edi_format"]
        if "ubl_bis3" not in dict(formats._description_selection(cls.env)):
            raise unittest.SkipTest("account_edi_ubl_cii (Odoo's UBL) not installed")
        cls.customer.write(
            {
                "invoice_edi_format": "ubl_bis3",
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0477472701",
                "street": "Rue 1",
                "city": "Brussels",
                "zip": "1000",
            }
        )

    def test_invoice_without_tax_is_sent_with_pdf_and_note(self):
        invoice = self.create_invoice()
        invoice.button_draft()
        invoice.invoice_line_ids.tax_ids = [Command.clear()]
        invoice.action_post()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 2)
        for message in self.smtp.messages:
            names = message.attachment_names()
            self.assertEqual(len(names), 1, names)
            self.assertTrue(names[0].endswith(".pdf"), names)
        notes = invoice.message_ids.filtered(
            lambda message: "without the e-invoice" in (message.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn("UBL", notes.body)
