import base64

from lxml import etree

from odoo import Command
from odoo.tests import tagged

from .common import ISDOC_NS, IsdocCase


@tagged("post_install", "-at_install")
class TestIsdocImport(IsdocCase):
    """A received .isdoc uploaded as a vendor bill is read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create(
            {
                "name": "Dodavatel v Odoo",
                "is_company": True,
                "company_registry": "87654321",
                "vat": "CZ87654321",
            }
        )

    def upload_bill(self, xml, filename="FV2026001.isdoc", mimetype=None):
        """Upload ``xml`` as a vendor bill, as the Upload button of the bills does."""
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "raw": xml,
                **({"mimetype": mimetype} if mimetype else {}),
            }
        )
        journal = self.company_data["default_journal_purchase"]
        return journal.with_context(
            default_move_type="in_invoice"
        )._create_document_from_attachment(attachment.ids)

    def received_isdoc(self, invoice, **values):
        """The ISDOC of ``invoice`` with the texts of ``values`` (paths from the
        supplier's party, or from the root when they start with ``/``)."""
        xml, _errors = self.env["account.edi.xml.isdoc"]._export_invoice(invoice)
        tree = etree.fromstring(xml)
        party = tree.find("isdoc:AccountingSupplierParty/isdoc:Party", ISDOC_NS)
        for path, value in values.items():
            node = tree if path.startswith("/") else party
            node.find(path.lstrip("/"), ISDOC_NS).text = value
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    def vendor_isdoc(self, invoice, **values):
        """The ISDOC of ``invoice`` as ``self.vendor`` would send it."""
        return self.received_isdoc(
            invoice,
            **{
                "isdoc:PartyIdentification/isdoc:ID": "87654321",
                "isdoc:PartyName/isdoc:Name": "Dodavatel v Odoo",
                "isdoc:PartyTaxScheme/isdoc:CompanyID": "CZ87654321",
                **values,
            },
        )

    def test_round_trip_gives_a_bill_with_the_same_totals(self):
        invoice = self.create_invoice(
            [(123.45, 3, self.tax_21), (99.99, 2, self.tax_12)],
            payment_reference="2026042",
        )

        bill = self.upload_bill(self.vendor_isdoc(invoice))

        self.assertRecordValues(
            bill,
            [
                {
                    "move_type": "in_invoice",
                    "partner_id": self.vendor.id,
                    "ref": invoice.name,
                    "invoice_date": invoice.invoice_date,
                    "currency_id": invoice.currency_id.id,
                    "payment_reference": "2026042",
                    "amount_untaxed": invoice.amount_untaxed,
                    "amount_tax": invoice.amount_tax,
                    "amount_total": invoice.amount_total,
                }
            ],
        )

    def test_round_trip_in_foreign_currency_keeps_the_document_currency(self):
        invoice = self.create_invoice(
            [(100.0, 3, self.tax_21)], currency_id=self.eur.id
        )

        bill = self.upload_bill(self.vendor_isdoc(invoice))

        self.assertEqual(bill.currency_id, self.eur)
        self.assertEqual(bill.amount_total, invoice.amount_total)

    def test_partner_found_by_ico(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        xml = self.received_isdoc(
            invoice,
            **{
                "isdoc:PartyIdentification/isdoc:ID": "87654321",
                "isdoc:PartyName/isdoc:Name": "Another name",
                "isdoc:PartyTaxScheme/isdoc:CompanyID": "CZ99999999",
            },
        )

        bill = self.upload_bill(xml)

        self.assertEqual(bill.partner_id, self.vendor)

    def test_partner_found_by_dic_without_ico(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        xml = self.received_isdoc(
            invoice,
            **{
                "isdoc:PartyIdentification/isdoc:ID": "",
                "isdoc:PartyName/isdoc:Name": "Another name",
                "isdoc:PartyTaxScheme/isdoc:CompanyID": "CZ87654321",
            },
        )

        bill = self.upload_bill(xml)

        self.assertEqual(bill.partner_id, self.vendor)

    def test_taxes_found_by_rate_among_purchase_taxes(self):
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_21), (100.0, 1, self.tax_12), (100.0, 1, self.tax_21)]
        )

        bill = self.upload_bill(self.vendor_isdoc(invoice))

        self.assertEqual(
            bill.invoice_line_ids.mapped("tax_ids"),
            self.purchase_tax_21 + self.purchase_tax_12,
        )
        self.assertEqual(
            bill.invoice_line_ids.tax_ids.mapped("type_tax_use"),
            ["purchase", "purchase"],
        )

    def test_credit_note_becomes_a_vendor_refund(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        credit_note = self.create_credit_note(invoice)

        refund = self.upload_bill(self.vendor_isdoc(credit_note))

        self.assertEqual(refund.move_type, "in_refund")
        self.assertEqual(refund.amount_total, 121.0)

    def test_lines_keep_quantity_price_and_discount(self):
        invoice = self.create_invoice(
            [
                {
                    "name": "Konzultace",
                    "price_unit": 200.0,
                    "quantity": 3,
                    "discount": 10.0,
                    "tax_ids": [Command.set(self.tax_21.ids)],
                }
            ]
        )

        bill = self.upload_bill(self.vendor_isdoc(invoice))

        self.assertRecordValues(
            bill.invoice_line_ids,
            [
                {
                    "name": "Konzultace",
                    "quantity": 3.0,
                    "price_unit": 200.0,
                    "discount": 10.0,
                    "price_subtotal": 540.0,
                }
            ],
        )

    def test_isdoc_file_received_as_plain_text_is_read(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        xml = b"\xef\xbb\xbf" + self.vendor_isdoc(invoice)

        bill = self.upload_bill(xml, mimetype="text/plain")

        self.assertEqual(bill.partner_id, self.vendor)
        self.assertEqual(bill.amount_total, 121.0)

    def test_bank_account_of_the_vendor_is_set(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        details = "/isdoc:PaymentMeans/isdoc:Payment/isdoc:Details/isdoc:"
        xml = self.vendor_isdoc(
            invoice, **{f"{details}IBAN": "CZ5508000000001234567899"}
        )

        bill = self.upload_bill(xml)

        self.assertEqual(
            bill.partner_bank_id.sanitized_acc_number, "CZ5508000000001234567899"
        )
        self.assertEqual(bill.partner_bank_id.partner_id, self.vendor)

    def test_uploaded_file_is_kept_on_the_bill(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        xml = self.vendor_isdoc(invoice)

        bill = self.upload_bill(xml)

        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "account.move"), ("res_id", "=", bill.id)]
        )
        self.assertEqual(base64.b64decode(attachment.datas), xml)
