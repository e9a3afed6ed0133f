from odoo.tests import tagged

from .common import IsdocCase


@tagged("post_install", "-at_install")
class TestIsdocSend(IsdocCase):
    """Odoo's Send & Print writes and keeps the ISDOC of a partner set to it."""

    def send_and_print(self, invoice):
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"sending_methods": ["manual"]})
        )
        wizard.action_send_and_print()

    def test_send_and_print_keeps_number_isdoc_on_the_invoice(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        self.send_and_print(invoice)

        attachment = invoice.ubl_cii_xml_id
        self.assertEqual(attachment.name, f"{invoice.name.replace('/', '_')}.isdoc")
        self.assertValidIsdoc(attachment.raw)

    def test_isdoc_is_attached_to_the_invoice_email(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        self.send_and_print(invoice)

        attachments = self.env["account.move.send"]._get_invoice_extra_attachments(
            invoice
        )
        self.assertIn(invoice.ubl_cii_xml_id, attachments)
        self.assertTrue(attachments.filtered(lambda a: a.name.endswith(".isdoc")))

    def test_partner_format_offers_isdoc(self):
        selection = dict(
            self.env["res.partner"]
            ._fields["invoice_edi_format"]
            ._description_selection(self.env)
        )

        self.assertEqual(selection["isdoc"], "ISDOC (Czech)")
        self.assertEqual(self.customer.invoice_edi_format, "isdoc")

    def test_czech_partners_keep_their_suggested_format(self):
        partner = self.env["res.partner"].create(
            {"name": "Nový zákazník", "country_id": self.env.ref("base.cz").id}
        )

        self.assertEqual(partner.invoice_edi_format, "ubl_bis3")

    def test_partner_with_another_format_gets_no_isdoc(self):
        self.customer.invoice_edi_format = "ubl_bis3"
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        self.send_and_print(invoice)

        self.assertFalse(invoice.ubl_cii_xml_id.name.endswith(".isdoc"))
