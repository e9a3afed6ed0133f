"""Shared set-up: a Czech VAT payer invoicing a Czech customer set to ISDOC.

The company uses Odoo's generic chart with CZK, its own taxes at the Czech
rates and a Czech bank account: the tests do not depend on ``l10n_cz``, so the
addon is tested as any Odoo database uses it.
"""

from lxml import etree

from odoo import Command
from odoo.tools.misc import file_path

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

ISDOC_NS = {"isdoc": "http://isdoc.cz/namespace/2013"}
SCHEMA_PATH = "account_edi_isdoc/schemas/isdoc-invoice-6.0.2.xsd"


class IsdocCase(AccountTestInvoicingCommon):
    country_code = "CZ"
    chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.schema = etree.XMLSchema(etree.parse(file_path(SCHEMA_PATH)))
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "name": "Dodavatel s.r.o.",
                "vat": "CZ12345679",
                "company_registry": "12345679",
                "street": "Vodičkova 699/30",
                "city": "Praha",
                "zip": "11000",
            }
        )
        cls.bank = cls.env["res.bank"].create(
            {"name": "Česká spořitelna, a.s.", "bic": "GIBACZPX"}
        )
        cls.company_bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "CZ65 0800 0000 1920 0014 5399",
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.bank.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Odběratel a.s.",
                "is_company": True,
                "company_registry": "27082440",
                "vat": "CZ27082440",
                "street": "Na Příkopě 33",
                "city": "Brno",
                "zip": "60200",
                "country_id": cls.env.ref("base.cz").id,
                "email": "faktury@odberatel.example.com",
                "invoice_edi_format": "isdoc",
            }
        )
        cls.tax_21 = cls._create_isdoc_tax("21%", 21.0, "sale")
        cls.tax_12 = cls._create_isdoc_tax("12%", 12.0, "sale")
        cls.tax_exempt = cls._create_isdoc_tax(
            "0% Exempt", 0.0, "sale", invoice_label="Osvobozeno od daně"
        )
        cls.tax_reverse_charge = cls._create_isdoc_tax(
            "0% RC",
            0.0,
            "sale",
            invoice_label="Daň odvede zákazník",
            isdoc_reverse_charge_code="4",
        )
        cls.purchase_tax_21 = cls._create_isdoc_tax("21% P", 21.0, "purchase")
        cls.purchase_tax_12 = cls._create_isdoc_tax("12% P", 12.0, "purchase")
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 0.04)])

    @classmethod
    def _create_isdoc_tax(cls, name, amount, type_tax_use, **values):
        return cls.env["account.tax"].create(
            {
                "name": name,
                "amount": amount,
                "amount_type": "percent",
                "type_tax_use": type_tax_use,
                "company_id": cls.company.id,
                **values,
            }
        )

    def create_invoice(self, lines, move_type="out_invoice", post=True, **values):
        """An invoice of ``self.customer``; ``lines`` are ``(price_unit,
        quantity, taxes)`` or dicts of line values."""
        invoice = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.customer.id,
                "invoice_date": "2026-11-30",
                "invoice_line_ids": [
                    Command.create(self._line_values(line)) for line in lines
                ],
                **values,
            }
        )
        if post:
            invoice.action_post()
        return invoice

    def _line_values(self, line):
        if isinstance(line, dict):
            return {"product_id": self.product_a.id, **line}
        price_unit, quantity, taxes = line
        return {
            "product_id": self.product_a.id,
            "price_unit": price_unit,
            "quantity": quantity,
            "tax_ids": [Command.set(taxes.ids)],
        }

    def create_credit_note(self, invoice):
        """The credit note of ``invoice``, as its Credit Note button makes it."""
        credit_note = invoice._reverse_moves(
            [{"invoice_date": "2026-11-30", "ref": f"Reversal of {invoice.name}"}]
        )
        credit_note.action_post()
        return credit_note

    def export(self, invoice):
        """Write the ISDOC of ``invoice``; check it has no error and validates.

        :return: the parsed document
        """
        xml, errors = self.env["account.edi.xml.isdoc"]._export_invoice(invoice)
        self.assertFalse(errors)
        return self.assertValidIsdoc(xml)

    def assertValidIsdoc(self, xml):
        """Validate ``xml`` against the official schema; return its tree."""
        tree = etree.fromstring(xml)
        if not self.schema.validate(tree):
            self.fail(f"Not valid ISDOC 6.0.2: {self.schema.error_log}")
        return tree

    def xpath(self, tree, path):
        return tree.xpath(path, namespaces=ISDOC_NS)

    def text(self, tree, path):
        nodes = self.xpath(tree, path)
        self.assertEqual(len(nodes), 1, f"one {path} expected")
        return nodes[0].text

    def amount(self, tree, path):
        return float(self.text(tree, path))
