"""One test per business rule of ISDOC 6.0.2 (pravidla-6.0.2.xml) that the
documents written by Odoo can meet or break. Rules 6 to 9 (store batches,
secondary item identifications) concern elements this module does not write."""

from odoo.tests import tagged

from .common import IsdocCase

# Rules 2 and 3: the amounts that have a foreign-currency twin, ``<name>Curr``.
CURRENCY_AMOUNTS = (
    "LineExtensionAmount",
    "LineExtensionAmountTaxInclusive",
    "DepositAmount",
    "TaxableDepositAmount",
    "TaxInclusiveDepositAmount",
    "TaxAmount",
    "TaxableAmount",
    "TaxInclusiveAmount",
    "AlreadyClaimedTaxableAmount",
    "AlreadyClaimedTaxAmount",
    "AlreadyClaimedTaxInclusiveAmount",
    "DifferenceTaxableAmount",
    "DifferenceTaxAmount",
    "DifferenceTaxInclusiveAmount",
    "TaxExclusiveAmount",
    "AlreadyClaimedTaxExclusiveAmount",
    "DifferenceTaxExclusiveAmount",
    "PayableRoundingAmount",
    "PaidDepositsAmount",
    "PayableAmount",
)


@tagged("post_install", "-at_install")
class TestIsdocRules(IsdocCase):
    def _mixed_invoice(self, **values):
        return self.create_invoice(
            [
                (123.45, 3, self.tax_21),
                (99.99, 1, self.tax_12),
                (10.0, 1, self.tax_exempt),
            ],
            **values,
        )

    def test_rule_1_credit_note_refers_to_original_invoice(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])
        credit_note = self.create_credit_note(invoice)

        tree = self.export(credit_note)
        invoice_uuid = self.text(self.export(invoice), "isdoc:UUID")

        reference = (
            "isdoc:OriginalDocumentReferences/isdoc:OriginalDocumentReference/isdoc:"
        )
        self.assertEqual(self.text(tree, f"{reference}ID"), invoice.name)
        self.assertEqual(self.text(tree, f"{reference}IssueDate"), "2026-11-30")
        self.assertEqual(self.text(tree, f"{reference}UUID"), invoice_uuid)

    def test_rule_1_credit_note_without_invoice_is_refused(self):
        credit_note = self.create_invoice(
            [(100.0, 1, self.tax_21)], move_type="out_refund"
        )

        _xml, errors = self.env["account.edi.xml.isdoc"]._export_invoice(credit_note)

        self.assertEqual(len(errors), 1)
        self.assertIn("must refer to the invoice it corrects", next(iter(errors)))

    def test_rule_2_foreign_currency_has_every_curr_amount(self):
        tree = self.export(self._mixed_invoice(currency_id=self.eur.id))

        for name in CURRENCY_AMOUNTS:
            for node in self.xpath(tree, f"//isdoc:{name}"):
                twins = self.xpath(node.getparent(), f"isdoc:{name}Curr")
                self.assertEqual(len(twins), 1, f"{name} without {name}Curr")
        self.assertTrue(self.xpath(tree, "//isdoc:LineExtensionAmountCurr"))

    def test_rule_3_local_currency_has_rates_one_and_no_curr_amount(self):
        tree = self.export(self._mixed_invoice())

        self.assertFalse(self.xpath(tree, "isdoc:ForeignCurrencyCode"))
        self.assertEqual(self.text(tree, "isdoc:CurrRate"), "1")
        self.assertEqual(self.text(tree, "isdoc:RefCurrRate"), "1")
        self.assertFalse(
            self.xpath(
                tree,
                "//*[substring(local-name(), string-length(local-name())-3)='Curr']",
            )
        )

    def test_rule_4_foreign_and_local_currency_differ(self):
        tree = self.export(self._mixed_invoice(currency_id=self.eur.id))

        self.assertEqual(self.text(tree, "isdoc:LocalCurrencyCode"), "CZK")
        self.assertEqual(self.text(tree, "isdoc:ForeignCurrencyCode"), "EUR")

    def test_rule_5_non_vat_payer_writes_only_non_vat_lines(self):
        self.company.vat = False
        invoice = self.create_invoice(
            [(100.0, 1, self.tax_exempt), (50.0, 1, self.env["account.tax"])]
        )

        tree = self.export(invoice)

        self.assertEqual(self.text(tree, "isdoc:VATApplicable"), "false")
        line_flags = self.xpath(
            tree, "//isdoc:ClassifiedTaxCategory/isdoc:VATApplicable"
        )
        self.assertEqual([flag.text for flag in line_flags], ["false", "false"])
        self.assertFalse(self.xpath(tree, "isdoc:TaxPointDate"))

    def test_tax_subtotals_add_up(self):
        """TaxableAmount + TaxAmount = TaxInclusiveAmount for each rate, in both
        currencies, and TaxTotal/TaxAmount is the sum of the rates' VAT."""
        tree = self.export(self._mixed_invoice(currency_id=self.eur.id))

        subtotals = self.xpath(tree, "isdoc:TaxTotal/isdoc:TaxSubTotal")
        for suffix in ("", "Curr"):
            for prefix in ("", "Difference"):
                for subtotal in subtotals:
                    self.assertAlmostEqual(
                        self.amount(subtotal, f"isdoc:{prefix}TaxableAmount{suffix}")
                        + self.amount(subtotal, f"isdoc:{prefix}TaxAmount{suffix}"),
                        self.amount(
                            subtotal, f"isdoc:{prefix}TaxInclusiveAmount{suffix}"
                        ),
                        places=2,
                    )
            self.assertAlmostEqual(
                sum(
                    self.amount(node, f"isdoc:TaxAmount{suffix}") for node in subtotals
                ),
                self.amount(tree, f"isdoc:TaxTotal/isdoc:TaxAmount{suffix}"),
                places=2,
            )

    def test_monetary_total_is_the_sum_of_tax_subtotals(self):
        invoice = self._mixed_invoice(currency_id=self.eur.id)
        tree = self.export(invoice)

        subtotals = self.xpath(tree, "isdoc:TaxTotal/isdoc:TaxSubTotal")
        pairs = {
            "TaxExclusiveAmount": "TaxableAmount",
            "TaxInclusiveAmount": "TaxInclusiveAmount",
            "AlreadyClaimedTaxExclusiveAmount": "AlreadyClaimedTaxableAmount",
            "AlreadyClaimedTaxInclusiveAmount": "AlreadyClaimedTaxInclusiveAmount",
            "DifferenceTaxExclusiveAmount": "DifferenceTaxableAmount",
            "DifferenceTaxInclusiveAmount": "DifferenceTaxInclusiveAmount",
        }
        for suffix in ("", "Curr"):
            for total, subtotal in pairs.items():
                self.assertAlmostEqual(
                    self.amount(
                        tree, f"isdoc:LegalMonetaryTotal/isdoc:{total}{suffix}"
                    ),
                    sum(
                        self.amount(node, f"isdoc:{subtotal}{suffix}")
                        for node in subtotals
                    ),
                    places=2,
                )
        totals = "isdoc:LegalMonetaryTotal/isdoc:"
        self.assertEqual(
            self.amount(tree, f"{totals}PayableAmountCurr"), invoice.amount_total
        )
        self.assertEqual(
            self.amount(tree, f"{totals}PayableAmount"), invoice.amount_total_signed
        )
        self.assertEqual(
            self.amount(tree, f"{totals}TaxExclusiveAmountCurr"), invoice.amount_untaxed
        )

    def test_payable_amount_is_total_plus_rounding_minus_deposits(self):
        self.cash_rounding_a.rounding = 1.0
        invoice = self.create_invoice(
            [(10.2, 1, self.tax_21)],
            invoice_cash_rounding_id=self.cash_rounding_a.id,
            currency_id=self.eur.id,
        )

        tree = self.export(invoice)

        for suffix in ("", "Curr"):
            totals = {
                name: self.amount(
                    tree, f"isdoc:LegalMonetaryTotal/isdoc:{name}{suffix}"
                )
                for name in (
                    "DifferenceTaxInclusiveAmount",
                    "PayableRoundingAmount",
                    "PaidDepositsAmount",
                    "PayableAmount",
                )
            }
            self.assertAlmostEqual(
                totals["DifferenceTaxInclusiveAmount"]
                + totals["PayableRoundingAmount"]
                - totals["PaidDepositsAmount"],
                totals["PayableAmount"],
                places=2,
            )

    def test_credit_note_has_no_tax_point_date(self):
        invoice = self.create_invoice([(100.0, 1, self.tax_21)])

        tree = self.export(self.create_credit_note(invoice))

        self.assertFalse(self.xpath(tree, "isdoc:TaxPointDate"))

    def test_issuing_system_is_named(self):
        tree = self.export(self.create_invoice([(100.0, 1, self.tax_21)]))

        self.assertEqual(self.text(tree, "isdoc:IssuingSystem"), "Odoo")
