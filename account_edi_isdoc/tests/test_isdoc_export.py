from odoo import Command
from odoo.tests import tagged

from .common import IsdocCase


@tagged("post_install", "-at_install")
class TestIsdocExport(IsdocCase):
    """Each kind of document ISDOC is written for validates against the schema
    and says what the invoice says."""

    def test_invoice_is_document_type_1(self):
        invoice = self.create_invoice([(1000.0, 2, self.tax_21)])

        tree = self.export(invoice)

        self.assertEqual(tree.get("version"), "6.0.2")
        self.assertEqual(self.text(tree, "isdoc:DocumentType"), "1")
        self.assertEqual(self.text(tree, "isdoc:ID"), invoice.name)
        self.assertEqual(self.text(tree, "isdoc:IssueDate"), "2026-11-30")
        self.assertEqual(self.text(tree, "isdoc:TaxPointDate"), "2026-11-30")
        self.assertEqual(
            self.amount(tree, "isdoc:LegalMonetaryTotal/isdoc:PayableAmount"), 2420.0
        )

    def test_credit_note_is_document_type_2_in_positive_amounts(self):
        invoice = self.create_invoice([(1000.0, 1, self.tax_21)])
        credit_note = self.create_credit_note(invoice)

        tree = self.export(credit_note)

        self.assertEqual(self.text(tree, "isdoc:DocumentType"), "2")
        self.assertEqual(
            self.amount(tree, "isdoc:LegalMonetaryTotal/isdoc:PayableAmount"), 1210.0
        )
        self.assertEqual(
            self.amount(
                tree, "isdoc:InvoiceLines/isdoc:InvoiceLine/isdoc:LineExtensionAmount"
            ),
            1000.0,
        )

    def test_foreign_currency_invoice_validates(self):
        invoice = self.create_invoice(
            [(100.0, 3, self.tax_21)], currency_id=self.eur.id
        )

        tree = self.export(invoice)

        self.assertEqual(self.text(tree, "isdoc:ForeignCurrencyCode"), "EUR")
        self.assertEqual(self.amount(tree, "isdoc:CurrRate"), 25.0)
        self.assertEqual(self.amount(tree, "isdoc:RefCurrRate"), 1.0)
        total = "isdoc:LegalMonetaryTotal/isdoc:PayableAmount"
        self.assertEqual(self.amount(tree, total), 9075.0)
        self.assertEqual(self.amount(tree, f"{total}Curr"), 363.0)

    def test_one_tax_subtotal_per_vat_rate(self):
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_21), (200.0, 1, self.tax_12), (300.0, 1, self.tax_21)]
        )

        tree = self.export(invoice)

        subtotals = {
            self.text(subtotal, "isdoc:TaxCategory/isdoc:Percent"): (
                self.amount(subtotal, "isdoc:TaxableAmount"),
                self.amount(subtotal, "isdoc:TaxAmount"),
                self.amount(subtotal, "isdoc:TaxInclusiveAmount"),
            )
            for subtotal in self.xpath(tree, "isdoc:TaxTotal/isdoc:TaxSubTotal")
        }
        self.assertEqual(
            subtotals, {"21.00": (400.0, 84.0, 484.0), "12.00": (200.0, 24.0, 224.0)}
        )
        self.assertEqual(self.amount(tree, "isdoc:TaxTotal/isdoc:TaxAmount"), 108.0)
        self.assertEqual(invoice.amount_tax, 108.0)

    def test_exempt_line_has_rate_zero_and_its_reason(self):
        invoice = self.create_invoice([(500.0, 1, self.tax_exempt)])

        tree = self.export(invoice)

        category = self.xpath(tree, "isdoc:InvoiceLines/isdoc:InvoiceLine")[0]
        self.assertEqual(
            self.text(category, "isdoc:ClassifiedTaxCategory/isdoc:Percent"), "0.00"
        )
        self.assertEqual(
            self.text(category, "isdoc:ClassifiedTaxCategory/isdoc:VATApplicable"),
            "true",
        )
        self.assertEqual(self.text(category, "isdoc:VATNote"), "Osvobozeno od daně")
        self.assertFalse(self.xpath(category, ".//isdoc:LocalReverseCharge"))

    def test_reverse_charge_line_carries_its_code_and_flag(self):
        invoice = self.create_invoice(
            [(1000.0, 1, self.tax_reverse_charge), (100.0, 1, self.tax_21)]
        )

        tree = self.export(invoice)

        line = self.xpath(tree, "isdoc:InvoiceLines/isdoc:InvoiceLine")[0]
        self.assertEqual(
            self.text(line, ".//isdoc:LocalReverseCharge/isdoc:LocalReverseChargeCode"),
            "4",
        )
        self.assertEqual(self.text(line, "isdoc:VATNote"), "Daň odvede zákazník")
        flags = self.xpath(
            tree,
            "isdoc:TaxTotal/isdoc:TaxSubTotal/isdoc:TaxCategory/isdoc:LocalReverseChargeFlag",
        )
        self.assertEqual([flag.text for flag in flags], ["true"])
        self.assertEqual(len(self.xpath(tree, "isdoc:TaxTotal/isdoc:TaxSubTotal")), 2)

    def test_line_without_tax_is_outside_vat(self):
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_21), (50.0, 1, self.env["account.tax"])]
        )

        tree = self.export(invoice)

        applicable = self.xpath(
            tree,
            "isdoc:InvoiceLines/isdoc:InvoiceLine/isdoc:ClassifiedTaxCategory/isdoc:VATApplicable",
        )
        self.assertEqual([node.text for node in applicable], ["true", "false"])
        self.assertEqual(
            self.amount(tree, "isdoc:LegalMonetaryTotal/isdoc:PayableAmount"), 171.0
        )

    def test_cash_rounding_is_the_payable_rounding_amount(self):
        self.cash_rounding_a.rounding = 1.0
        invoice = self.create_invoice(
            [(10.2, 1, self.tax_21)], invoice_cash_rounding_id=self.cash_rounding_a.id
        )

        tree = self.export(invoice)

        totals = "isdoc:LegalMonetaryTotal/isdoc:"
        self.assertEqual(self.amount(tree, f"{totals}TaxInclusiveAmount"), 12.34)
        self.assertAlmostEqual(
            self.amount(tree, f"{totals}PayableRoundingAmount"), 0.66
        )
        self.assertEqual(
            self.amount(tree, f"{totals}PayableAmount"), invoice.amount_total
        )
        self.assertEqual(invoice.amount_total, 13.0)

    def test_parties_carry_ico_dic_and_address(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        tree = self.export(invoice)

        supplier = self.xpath(tree, "isdoc:AccountingSupplierParty/isdoc:Party")[0]
        customer = self.xpath(tree, "isdoc:AccountingCustomerParty/isdoc:Party")[0]
        ico = "isdoc:PartyIdentification/isdoc:ID"
        dic = "isdoc:PartyTaxScheme/isdoc:CompanyID"
        self.assertEqual(self.text(supplier, ico), "12345679")
        self.assertEqual(self.text(supplier, dic), "CZ12345679")
        self.assertEqual(self.text(customer, ico), "27082440")
        self.assertEqual(self.text(customer, dic), "CZ27082440")
        self.assertEqual(
            self.text(supplier, "isdoc:PostalAddress/isdoc:StreetName"), "Vodičkova"
        )
        self.assertEqual(
            self.text(supplier, "isdoc:PostalAddress/isdoc:BuildingNumber"), "699/30"
        )
        self.assertEqual(
            self.text(
                customer, "isdoc:PostalAddress/isdoc:Country/isdoc:IdentificationCode"
            ),
            "CZ",
        )

    def test_payment_means_has_bank_account_and_variable_symbol(self):
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_21)], payment_reference="2026-0042"
        )

        tree = self.export(invoice)

        self.assertEqual(invoice.partner_bank_id, self.company_bank_account)
        details = self.xpath(tree, "isdoc:PaymentMeans/isdoc:Payment/isdoc:Details")[0]
        self.assertEqual(self.text(details, "isdoc:ID"), "19-2000145399")
        self.assertEqual(self.text(details, "isdoc:BankCode"), "0800")
        self.assertEqual(self.text(details, "isdoc:IBAN"), "CZ6508000000192000145399")
        self.assertEqual(self.text(details, "isdoc:BIC"), "GIBACZPX")
        self.assertEqual(self.text(details, "isdoc:VariableSymbol"), "20260042")
        self.assertEqual(
            self.text(tree, "isdoc:PaymentMeans/isdoc:Payment/isdoc:PaymentMeansCode"),
            "42",
        )

    def test_variable_symbol_keeps_the_last_ten_digits(self):
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_21)], payment_reference="FV/123456789012"
        )

        tree = self.export(invoice)

        self.assertEqual(self.text(tree, ".//isdoc:VariableSymbol"), "3456789012")

    def test_uuid_is_stable_per_document(self):
        invoice, other = (
            self.create_invoice([(100.0, 1, self.tax_21)]) for _i in range(2)
        )

        first = self.text(self.export(invoice), "isdoc:UUID")
        again = self.text(self.export(invoice), "isdoc:UUID")
        another = self.text(self.export(other), "isdoc:UUID")

        self.assertEqual(first, again)
        self.assertNotEqual(first, another)
        self.assertNotEqual(first, "00000000-0000-0000-0000-000000000000")

    def test_filename_is_the_number_with_isdoc_extension(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        filename = self.env["account.edi.xml.isdoc"]._export_invoice_filename(invoice)

        self.assertEqual(filename, f"{invoice.name.replace('/', '_')}.isdoc")

    def test_price_included_tax_is_computed_from_the_top(self):
        tax = self.tax_21.copy({"price_include_override": "tax_included"})
        invoice = self.create_invoice([(121.0, 1, tax)])

        tree = self.export(invoice)

        line = self.xpath(tree, "isdoc:InvoiceLines/isdoc:InvoiceLine")[0]
        self.assertEqual(
            self.text(line, "isdoc:ClassifiedTaxCategory/isdoc:VATCalculationMethod"),
            "1",
        )
        self.assertEqual(self.amount(line, "isdoc:UnitPrice"), 100.0)
        self.assertEqual(self.amount(line, "isdoc:UnitPriceTaxInclusive"), 121.0)

    def test_discount_keeps_unit_price_before_discount(self):
        invoice = self.create_invoice(
            [
                {
                    "price_unit": 200.0,
                    "quantity": 2,
                    "discount": 10.0,
                    "tax_ids": [Command.set(self.tax_21.ids)],
                }
            ]
        )

        tree = self.export(invoice)

        line = self.xpath(tree, "isdoc:InvoiceLines/isdoc:InvoiceLine")[0]
        self.assertEqual(self.amount(line, "isdoc:UnitPrice"), 200.0)
        self.assertEqual(self.amount(line, "isdoc:LineExtensionAmount"), 360.0)
        self.assertEqual(self.amount(line, "isdoc:LineExtensionTaxAmount"), 75.6)
