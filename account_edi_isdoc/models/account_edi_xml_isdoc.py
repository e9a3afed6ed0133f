import re
import threading
import uuid

from lxml import etree
from lxml.builder import ElementMaker

from odoo import Command, api, models
from odoo.tools import float_repr, html2plaintext, is_html_empty, street_split
from odoo.tools.misc import file_path

from odoo.addons.account_edi_ubl_cii.models.account_edi_common import (
    UOM_TO_UNECE_CODE,
)

ISDOC_NS = "http://isdoc.cz/namespace/2013"
ISDOC_VERSION = "6.0.2"
ISDOC_SCHEMA = "account_edi_isdoc/schemas/isdoc-invoice-6.0.2.xsd"
E = ElementMaker(namespace=ISDOC_NS, nsmap={None: ISDOC_NS})

# Namespace of the UUIDs of the documents this module writes (uuid5, RFC 4122):
# one UUID per database and document, the same every time it is written.
UUID_NAMESPACE = uuid.UUID("c615d881-719c-4099-b487-355b048bbcd4")

DOCUMENT_TYPES = {"out_invoice": "1", "out_refund": "2"}
IMPORT_MOVE_TYPES = {"1": "invoice", "2": "refund"}
PAYMENT_MEANS_CREDIT_TRANSFER = "42"
VARIABLE_SYMBOL_DIGITS = 10
RATE_DIGITS = 6
CZ_IBAN = re.compile(r"^CZ\d{2}(\d{4})(\d{6})(\d{10})$")
CZ_ACCOUNT = re.compile(r"^(?:(\d{1,6})-)?(\d{2,10})/(\d{4})$")
NO_TAX_KEY = {"percent": 0.0, "vat_applicable": False, "reverse_charge_code": False}


_schemas = threading.local()


def isdoc_schema():
    """The official ISDOC 6.0.2 schema of invoices, loaded once per thread (a
    validator keeps its error log: it is not shared between threads)."""
    if not hasattr(_schemas, "invoice"):
        _schemas.invoice = etree.XMLSchema(etree.parse(file_path(ISDOC_SCHEMA)))
    return _schemas.invoice


class AccountEdiXmlIsdoc(models.AbstractModel):
    _name = "account.edi.xml.isdoc"
    _inherit = "account.edi.common"
    _description = "ISDOC 6.0.2"

    # -------------------------------------------------------------------------
    # EXPORT
    # -------------------------------------------------------------------------

    def _export_invoice_filename(self, invoice):
        return f"{invoice.name.replace('/', '_')}.isdoc"

    def _export_invoice(self, invoice):
        """Write the ISDOC document of ``invoice``.

        :return: ``(xml bytes, set of error messages)``
        """
        invoice = invoice.with_context(lang=invoice.partner_id.lang)
        vals = self._prepare_isdoc_vals(invoice)
        errors = self._export_invoice_constraints(invoice, vals)
        document = self._build_isdoc_invoice(vals)
        schema = isdoc_schema()
        if not schema.validate(document):
            errors["isdoc_schema"] = self.env._(
                "The ISDOC document does not match its schema: %(error)s",
                error=schema.error_log.last_error,
            )
        xml = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
        return xml, {error for error in errors.values() if error}

    def _export_invoice_constraints(self, invoice, vals):
        """Errors that keep the document from being a valid ISDOC, by key."""
        constraints = {
            "isdoc_move_type": invoice.move_type not in DOCUMENT_TYPES
            and self.env._("ISDOC is written for customer invoices and credit notes."),
            "isdoc_name": self._check_required_fields(invoice, "name"),
            "isdoc_date": self._check_required_fields(invoice, "invoice_date"),
            # Business rule 1: a credit note refers to the invoice it corrects.
            "isdoc_original_document": invoice.move_type == "out_refund"
            and not invoice.reversed_entry_id
            and self.env._(
                "An ISDOC credit note must refer to the invoice it corrects: create "
                "it with the Credit Note button of that invoice."
            ),
            "isdoc_one_rate": any(len(line["keys"]) > 1 for line in vals["lines"])
            and self.env._("ISDOC allows one VAT rate per invoice line."),
            "isdoc_percent_taxes": any(
                tax.amount_type not in ("percent", "division") for tax in vals["taxes"]
            )
            and self.env._("ISDOC knows only taxes expressed as a percentage."),
        }
        return constraints

    # Values -------------------------------------------------------------------

    def _prepare_isdoc_vals(self, invoice):
        """Everything the document shows, with the amounts Odoo computed."""
        company = invoice.company_id
        is_foreign = invoice.currency_id != company.currency_id
        vals = {
            "invoice": invoice,
            "company": company,
            "foreign": is_foreign,
            "local_currency": company.currency_id,
            "currency": invoice.currency_id,
            "vat_applicable": bool(company.vat),
            "supplier": company.partner_id,
            "customer": invoice.commercial_partner_id,
        }
        vals.update(self._prepare_isdoc_amounts(invoice, vals))
        return vals

    def _prepare_isdoc_amounts(self, invoice, vals):
        """Lines, VAT groups and totals in local and document currency."""
        AccountTax = self.env["account.tax"]
        product_lines = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        base_lines = [
            invoice._prepare_product_base_line_for_taxes_computation(line)
            for line in product_lines
        ]
        tax_lines = [
            invoice._prepare_tax_line_for_taxes_computation(line)
            for line in invoice.line_ids.filtered(
                lambda line: line.display_type == "tax"
            )
        ]
        AccountTax._add_tax_details_in_base_lines(base_lines, invoice.company_id)
        AccountTax._round_base_lines_tax_details(
            base_lines, invoice.company_id, tax_lines=tax_lines
        )

        def grouping_key(base_line, tax_data):
            return self._get_isdoc_tax_key(vals, tax_data["tax"])

        per_line = AccountTax._aggregate_base_lines_tax_details(
            base_lines, grouping_key
        )
        per_group = AccountTax._aggregate_base_lines_aggregated_values(per_line)
        uom_codes = self._get_isdoc_uom_codes(product_lines.product_uom_id)
        rounding_lines = invoice.line_ids.filtered(
            lambda line: line.display_type == "rounding"
        )
        sign = invoice.direction_sign
        return {
            "lines": [
                self._prepare_isdoc_line_vals(base_line, groups, uom_codes)
                for base_line, groups in per_line
            ],
            "groups": [
                {"key": key or NO_TAX_KEY, **amounts}
                for key, amounts in per_group.items()
            ],
            "taxes": product_lines.tax_ids.flatten_taxes_hierarchy(),
            "rounding": (
                sign * sum(rounding_lines.mapped("balance")),
                sign * sum(rounding_lines.mapped("amount_currency")),
            ),
        }

    def _get_isdoc_tax_key(self, vals, tax):
        """The ISDOC VAT category of ``tax``: one TaxSubTotal per category."""
        return {
            "percent": tax.amount,
            "vat_applicable": vals["vat_applicable"],
            "reverse_charge_code": tax.isdoc_reverse_charge_code or False,
        }

    def _get_isdoc_uom_codes(self, uoms):
        """UN/ECE code of each unit of measure, as Odoo's UBL writes them."""
        xmlids = uoms.get_external_id()
        return {uom: UOM_TO_UNECE_CODE.get(xmlids.get(uom.id), "C62") for uom in uoms}

    def _prepare_isdoc_line_vals(self, base_line, groups, uom_codes):
        line = base_line["record"]
        details = base_line["tax_details"]
        amounts = next(iter(groups.values()))
        taxes = [tax_data["tax"] for tax_data in amounts["taxes_data"]]
        # ISDOC's unit price is before the discount, without tax, in local currency.
        gross_quantity = line.quantity * (1 - line.discount / 100)
        rate = base_line["rate"] or 1.0
        if gross_quantity:
            unit_price = details["total_excluded_currency"] / gross_quantity
            unit_price_included = details["total_included_currency"] / gross_quantity
        else:
            unit_price = unit_price_included = line.price_unit
        return {
            "line": line,
            "keys": [key or NO_TAX_KEY for key in groups],
            "key": next(iter(groups)) or NO_TAX_KEY,
            "taxes": taxes,
            "uom_code": uom_codes.get(line.product_uom_id, "C62"),
            "base": (amounts["base_amount"], amounts["base_amount_currency"]),
            "tax": (amounts["tax_amount"], amounts["tax_amount_currency"]),
            "unit_price": unit_price / rate,
            "unit_price_included": unit_price_included / rate,
        }

    # XML ----------------------------------------------------------------------

    def _build_isdoc_invoice(self, vals):
        """The ``Invoice`` element, in the order the schema prescribes."""
        invoice = vals["invoice"]
        is_refund = invoice.move_type == "out_refund"
        return E.Invoice(
            E.DocumentType(DOCUMENT_TYPES.get(invoice.move_type, "1")),
            E.ID(invoice.name or ""),
            E.UUID(self._get_isdoc_uuid(invoice)),
            E.IssuingSystem("Odoo"),
            E.IssueDate(str(invoice.invoice_date or "")),
            # The tax point of a credit note is its delivery to the customer.
            *(
                [E.TaxPointDate(str(invoice.delivery_date or invoice.invoice_date))]
                if vals["vat_applicable"] and not is_refund and invoice.invoice_date
                else []
            ),
            E.VATApplicable(self._isdoc_bool(vals["vat_applicable"])),
            E.ElectronicPossibilityAgreementReference(""),
            *(
                [E.Note(html2plaintext(invoice.narration))]
                if not is_html_empty(invoice.narration)
                else []
            ),
            *self._build_isdoc_currencies(vals),
            E.AccountingSupplierParty(self._build_isdoc_party(vals["supplier"])),
            E.AccountingCustomerParty(self._build_isdoc_party(vals["customer"])),
            *self._build_isdoc_original_documents(invoice),
            E.InvoiceLines(
                *(
                    self._build_isdoc_line(vals, index, line_vals)
                    for index, line_vals in enumerate(vals["lines"], start=1)
                )
            ),
            self._build_isdoc_tax_total(vals),
            self._build_isdoc_monetary_total(vals),
            *self._build_isdoc_payment_means(vals),
            version=ISDOC_VERSION,
        )

    def _get_isdoc_uuid(self, invoice):
        """The UUID of the document: the same each time it is written."""
        database_uuid = (
            self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        )
        return str(uuid.uuid5(UUID_NAMESPACE, f"{database_uuid}/{invoice.id}"))

    def _isdoc_bool(self, value):
        return "true" if value else "false"

    def _isdoc_amount(self, vals, amount, foreign=False):
        currency = vals["currency"] if foreign else vals["local_currency"]
        return self.format_float(amount, self._get_currency_decimal_places(currency))

    def _isdoc_amounts(self, vals, tag, amounts, curr_first=False):
        """The element ``tag`` in local currency and, on a document in a foreign
        currency only, ``tag``Curr (business rules 2 and 3)."""
        local, foreign = amounts
        nodes = [E(tag, self._isdoc_amount(vals, local))]
        if vals["foreign"]:
            node = E(f"{tag}Curr", self._isdoc_amount(vals, foreign, foreign=True))
            nodes.insert(0 if curr_first else 1, node)
        return nodes

    def _build_isdoc_currencies(self, vals):
        if not vals["foreign"]:
            # Business rule 3: a document in local currency has both rates at 1.
            return [
                E.LocalCurrencyCode(vals["local_currency"].name),
                E.CurrRate("1"),
                E.RefCurrRate("1"),
            ]
        # CurrRate is the local amount of RefCurrRate (1) unit of foreign currency.
        rate = 1 / (vals["invoice"].invoice_currency_rate or 1.0)
        return [
            E.LocalCurrencyCode(vals["local_currency"].name),
            E.ForeignCurrencyCode(vals["currency"].name),
            E.CurrRate(float_repr(round(rate, RATE_DIGITS), RATE_DIGITS)),
            E.RefCurrRate("1"),
        ]

    def _build_isdoc_party(self, partner):
        """A ``Party``: IČO, name, address, DIČ and contact."""
        if "street_name" in partner._fields:  # base_address_extended
            street, number = partner.street_name, partner.street_number
        else:
            address = street_split(partner.street or "")
            street, number = address["street_name"], address["street_number"]
        street = ", ".join(filter(None, [street, partner.street2]))
        nodes = [
            E.PartyIdentification(E.ID(partner.company_registry or "")),
            E.PartyName(E.Name(partner.name or "")),
            E.PostalAddress(
                E.StreetName(street or ""),
                E.BuildingNumber(number or ""),
                E.CityName(partner.city or ""),
                E.PostalZone(partner.zip or ""),
                E.Country(
                    E.IdentificationCode(partner.country_id.code or ""),
                    E.Name(partner.country_id.name or ""),
                ),
            ),
        ]
        if partner.vat:
            nodes.append(E.PartyTaxScheme(E.CompanyID(partner.vat), E.TaxScheme("VAT")))
        contact = [
            E(tag, value)
            for tag, value in (
                ("Telephone", partner.phone),
                ("ElectronicMail", partner.email),
            )
            if value
        ]
        if contact:
            nodes.append(E.Contact(*contact))
        return E.Party(*nodes)

    def _build_isdoc_original_documents(self, invoice):
        """Business rule 1: a credit note names the invoice it corrects."""
        original = invoice.reversed_entry_id
        if invoice.move_type != "out_refund" or not original:
            return []
        reference = E.OriginalDocumentReference(E.ID(original.name), id="1")
        if original.invoice_date:
            reference.append(E.IssueDate(str(original.invoice_date)))
        reference.append(E.UUID(self._get_isdoc_uuid(original)))
        return [E.OriginalDocumentReferences(reference)]

    def _build_isdoc_line(self, vals, index, line_vals):
        line = line_vals["line"]
        base, tax = line_vals["base"], line_vals["tax"]
        included = (base[0] + tax[0], base[1] + tax[1])
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        quantity_digits = self.env["decimal.precision"].precision_get(
            "Product Unit of Measure"
        )
        return E.InvoiceLine(
            E.ID(str(index)),
            E.InvoicedQuantity(
                float_repr(line.quantity, quantity_digits),
                unitCode=line_vals["uom_code"],
            ),
            *self._isdoc_amounts(vals, "LineExtensionAmount", base, curr_first=True),
            *self._isdoc_amounts(
                vals, "LineExtensionAmountTaxInclusive", included, curr_first=True
            ),
            E.LineExtensionTaxAmount(self._isdoc_amount(vals, tax[0])),
            E.UnitPrice(float_repr(line_vals["unit_price"], price_digits)),
            E.UnitPriceTaxInclusive(
                float_repr(line_vals["unit_price_included"], price_digits)
            ),
            self._build_isdoc_line_tax_category(line_vals),
            *self._build_isdoc_vat_note(line_vals),
            self._build_isdoc_item(line),
        )

    def _build_isdoc_line_tax_category(self, line_vals):
        key = line_vals["key"]
        # VAT computed from the price with tax ("shora") for price-included taxes.
        from_top = any(tax.price_include for tax in line_vals["taxes"])
        category = E.ClassifiedTaxCategory(
            E.Percent(self._isdoc_percent(key["percent"])),
            E.VATCalculationMethod("1" if from_top else "0"),
            E.VATApplicable(self._isdoc_bool(key["vat_applicable"])),
        )
        if key["reverse_charge_code"]:
            category.append(
                E.LocalReverseCharge(
                    E.LocalReverseChargeCode(key["reverse_charge_code"])
                )
            )
        return category

    def _build_isdoc_vat_note(self, line_vals):
        """Why a line bears no VAT (exemption, reverse charge): the tax's label."""
        labels = [
            tax.invoice_label or tax.name
            for tax in line_vals["taxes"]
            if not tax.amount or tax.isdoc_reverse_charge_code
        ]
        return [E.VATNote(", ".join(labels))] if labels else []

    def _build_isdoc_item(self, line):
        item = E.Item(E.Description(line.name or line.product_id.display_name or ""))
        if line.product_id.barcode:
            item.append(E.CatalogueItemIdentification(E.ID(line.product_id.barcode)))
        if line.product_id.default_code:
            item.append(E.SellersItemIdentification(E.ID(line.product_id.default_code)))
        return item

    def _isdoc_percent(self, percent):
        return float_repr(percent, 2)

    def _build_isdoc_tax_total(self, vals):
        """One TaxSubTotal per VAT category, then the VAT of the document."""
        subtotals = [
            self._build_isdoc_tax_subtotal(vals, group) for group in vals["groups"]
        ]
        tax = (
            sum(group["tax_amount"] for group in vals["groups"]),
            sum(group["tax_amount_currency"] for group in vals["groups"]),
        )
        return E.TaxTotal(
            *subtotals, *self._isdoc_amounts(vals, "TaxAmount", tax, True)
        )

    def _build_isdoc_tax_subtotal(self, vals, group):
        key = group["key"]
        base = (group["base_amount"], group["base_amount_currency"])
        tax = (group["tax_amount"], group["tax_amount_currency"])
        included = (base[0] + tax[0], base[1] + tax[1])
        zero = (0.0, 0.0)
        category = E.TaxCategory(
            E.Percent(self._isdoc_percent(key["percent"])),
            E.VATApplicable(self._isdoc_bool(key["vat_applicable"])),
        )
        if key["reverse_charge_code"]:
            category.append(E.LocalReverseChargeFlag("true"))
        return E.TaxSubTotal(
            *self._isdoc_amounts(vals, "TaxableAmount", base, curr_first=True),
            *self._isdoc_amounts(vals, "TaxAmount", tax, curr_first=True),
            *self._isdoc_amounts(vals, "TaxInclusiveAmount", included, curr_first=True),
            *self._isdoc_amounts(vals, "AlreadyClaimedTaxableAmount", zero, True),
            *self._isdoc_amounts(vals, "AlreadyClaimedTaxAmount", zero, True),
            *self._isdoc_amounts(vals, "AlreadyClaimedTaxInclusiveAmount", zero, True),
            *self._isdoc_amounts(vals, "DifferenceTaxableAmount", base, True),
            *self._isdoc_amounts(vals, "DifferenceTaxAmount", tax, True),
            *self._isdoc_amounts(vals, "DifferenceTaxInclusiveAmount", included, True),
            category,
        )

    def _build_isdoc_monetary_total(self, vals):
        """Totals: the sums of the TaxSubTotals, the cash rounding, to pay."""
        groups = vals["groups"]
        base = (
            sum(group["base_amount"] for group in groups),
            sum(group["base_amount_currency"] for group in groups),
        )
        included = (
            base[0] + sum(group["tax_amount"] for group in groups),
            base[1] + sum(group["tax_amount_currency"] for group in groups),
        )
        rounding = vals["rounding"]
        payable = (included[0] + rounding[0], included[1] + rounding[1])
        zero = (0.0, 0.0)
        return E.LegalMonetaryTotal(
            *self._isdoc_amounts(vals, "TaxExclusiveAmount", base),
            *self._isdoc_amounts(vals, "TaxInclusiveAmount", included),
            *self._isdoc_amounts(vals, "AlreadyClaimedTaxExclusiveAmount", zero),
            *self._isdoc_amounts(vals, "AlreadyClaimedTaxInclusiveAmount", zero),
            *self._isdoc_amounts(vals, "DifferenceTaxExclusiveAmount", base),
            *self._isdoc_amounts(vals, "DifferenceTaxInclusiveAmount", included),
            *(
                self._isdoc_amounts(vals, "PayableRoundingAmount", rounding)
                if any(rounding)
                else []
            ),
            *self._isdoc_amounts(vals, "PaidDepositsAmount", zero),
            *self._isdoc_amounts(vals, "PayableAmount", payable),
        )

    def _build_isdoc_payment_means(self, vals):
        """Bank transfer to the invoice's bank account, with the variable symbol."""
        invoice = vals["invoice"]
        bank = invoice.partner_bank_id
        if invoice.move_type != "out_invoice" or not bank:
            return []
        account = self._get_isdoc_bank_account(bank)
        details = E.Details(
            E.PaymentDueDate(str(invoice.invoice_date_due or invoice.invoice_date)),
            E.ID(account["number"]),
            E.BankCode(account["bank_code"]),
            E.Name(bank.bank_id.name or ""),
            E.IBAN(account["iban"]),
            E.BIC(bank.bank_id.bic or ""),
        )
        variable_symbol = self._get_isdoc_variable_symbol(invoice)
        if variable_symbol:
            details.append(E.VariableSymbol(variable_symbol))
        payment = E.Payment(
            E.PaidAmount(self._isdoc_amount(vals, invoice.amount_total, foreign=True)),
            E.PaymentMeansCode(PAYMENT_MEANS_CREDIT_TRANSFER),
            details,
        )
        return [E.PaymentMeans(payment)]

    def _get_isdoc_bank_account(self, bank):
        """Czech account number, bank code and IBAN of ``bank``, as far as known."""
        number = bank.sanitized_acc_number or ""
        if match := CZ_IBAN.match(number):
            bank_code, prefix, base = match.groups()
            return {
                "number": self._czech_account_number(prefix, base),
                "bank_code": bank_code,
                "iban": number,
            }
        if match := CZ_ACCOUNT.match((bank.acc_number or "").replace(" ", "")):
            prefix, base, bank_code = match.groups()
            return {
                "number": self._czech_account_number(prefix, base),
                "bank_code": bank_code,
                "iban": "",
            }
        return {
            "number": number,
            "bank_code": "",
            "iban": number if bank.acc_type == "iban" else "",
        }

    def _czech_account_number(self, prefix, base):
        prefix, base = (prefix or "").lstrip("0"), base.lstrip("0")
        return f"{prefix}-{base}" if prefix else base

    def _get_isdoc_variable_symbol(self, invoice):
        """The variable symbol: the digits of the payment reference, at most ten."""
        digits = re.sub(r"\D", "", invoice.payment_reference or invoice.name or "")
        return digits[-VARIABLE_SYMBOL_DIGITS:]

    # -------------------------------------------------------------------------
    # IMPORT
    # -------------------------------------------------------------------------

    def _get_import_document_amount_sign(self, tree):
        # EXTENDS account.edi.common: invoice (1) or credit note (2).
        move_type = IMPORT_MOVE_TYPES.get(tree.findtext("{*}DocumentType"))
        return (move_type, 1) if move_type else (None, None)

    def _import_fill_invoice(self, invoice, tree, qty_factor):
        """Fill ``invoice`` from the ISDOC ``tree``; return the log lines."""
        is_sale = invoice.journal_id.type == "sale"
        role = "AccountingCustomerParty" if is_sale else "AccountingSupplierParty"
        party = tree.find(f"{{*}}{role}/{{*}}Party")
        partner, logs = self._import_isdoc_partner(invoice.company_id, party)
        invoice.partner_id = partner
        foreign = tree.find("{*}ForeignCurrencyCode") is not None
        currency_path = (
            "./{*}ForeignCurrencyCode" if foreign else "./{*}LocalCurrencyCode"
        )
        currency_id, currency_logs = self._import_currency(tree, currency_path)
        details = tree.find("{*}PaymentMeans/{*}Payment/{*}Details")
        bank_account = self._import_isdoc_bank_account(details)
        if bank_account:
            self._import_partner_bank(invoice, [bank_account])
        lines_vals, line_logs = self._import_isdoc_lines(invoice, tree, foreign)
        header = {
            "currency_id": currency_id,
            "ref": tree.findtext("{*}ID"),
            "invoice_date": tree.findtext("{*}IssueDate"),
            "delivery_date": tree.findtext("{*}TaxPointDate"),
            "narration": self._import_description(tree, ["./{*}Note"]),
        }
        if details is not None:
            header["invoice_date_due"] = details.findtext("{*}PaymentDueDate")
            header["payment_reference"] = details.findtext("{*}VariableSymbol")
        invoice.write(
            {
                **{field: value for field, value in header.items() if value},
                "invoice_line_ids": [Command.create(vals) for vals in lines_vals],
            }
        )
        return logs + currency_logs + line_logs

    def _import_isdoc_partner(self, company, party):
        """The partner of ``party``: by IČO, else by DIČ, name, e-mail, phone."""
        if party is None:
            return self.env["res.partner"], []
        company_registry = party.findtext("{*}PartyIdentification/{*}ID")
        if company_registry:
            partner = self.env["res.partner"].search(
                [
                    *self.env["res.partner"]._check_company_domain(company),
                    ("company_registry", "=", company_registry),
                ],
                limit=1,
            )
            if partner:
                return partner, []
        partner, logs = self._import_partner(
            company,
            name=party.findtext("{*}PartyName/{*}Name"),
            phone=party.findtext("{*}Contact/{*}Telephone"),
            email=party.findtext("{*}Contact/{*}ElectronicMail"),
            vat=party.findtext("{*}PartyTaxScheme/{*}CompanyID"),
            country_code=party.findtext(
                "{*}PostalAddress/{*}Country/{*}IdentificationCode"
            ),
        )
        if logs and partner and company_registry:  # created by _import_partner
            partner.company_registry = company_registry
        return partner, logs

    def _import_isdoc_bank_account(self, details):
        """The IBAN, else the Czech ``account/bank code`` of the payment details."""
        if details is None:
            return None
        if iban := details.findtext("{*}IBAN"):
            return iban
        number, bank_code = details.findtext("{*}ID"), details.findtext("{*}BankCode")
        return f"{number}/{bank_code}" if number and bank_code else number

    def _import_isdoc_lines(self, invoice, tree, foreign):
        tax_type = invoice.journal_id.type
        taxes_cache = {}
        lines_vals, logs = [], []
        for line in tree.iterfind("{*}InvoiceLines/{*}InvoiceLine"):
            line_vals = self._import_isdoc_line_vals(line, foreign)
            category = line.find("{*}ClassifiedTaxCategory")
            tax, tax_logs = self._import_isdoc_tax(
                invoice, category, tax_type, line_vals, taxes_cache
            )
            line_vals["tax_ids"] = [Command.set(tax.ids)]
            lines_vals.append(line_vals)
            logs += tax_logs
        return lines_vals, logs

    def _import_isdoc_line_vals(self, line, foreign):
        """Quantity, unit price and discount such that the line total is ISDOC's."""
        quantity = float(line.findtext("{*}InvoicedQuantity") or 1.0)
        total_tag = (
            "{*}LineExtensionAmountCurr" if foreign else "{*}LineExtensionAmount"
        )
        total = float(line.findtext(total_tag) or 0.0)
        # UnitPrice is in local currency: on a foreign-currency document, the
        # line total divided by the quantity is the price in the document currency.
        unit_price = 0.0 if foreign else float(line.findtext("{*}UnitPrice") or 0.0)
        discount = 0.0
        if unit_price and quantity:
            discount = 100 * (1 - total / (quantity * unit_price))
        else:
            unit_price = total / quantity if quantity else total
        quantity_node = line.find("{*}InvoicedQuantity")
        unit_code = quantity_node.get("unitCode") if quantity_node is not None else None
        product = self._import_product(
            name=line.findtext("{*}Item/{*}Description"),
            default_code=line.findtext("{*}Item/{*}SellersItemIdentification/{*}ID"),
            barcode=line.findtext("{*}Item/{*}CatalogueItemIdentification/{*}ID"),
        )
        vals = {
            "name": line.findtext("{*}Item/{*}Description"),
            "product_id": product.id,
            "quantity": quantity,
            "price_unit": unit_price,
            "discount": discount,
        }
        uom = self._import_isdoc_uom(unit_code, product)
        if uom:
            vals["product_uom_id"] = uom.id
        return vals

    def _import_isdoc_uom(self, unit_code, product):
        xmlid = next(
            (xmlid for xmlid, code in UOM_TO_UNECE_CODE.items() if code == unit_code),
            None,
        )
        uom = self.env.ref(xmlid, raise_if_not_found=False) if xmlid else None
        if uom and product and uom.category_id != product.uom_id.category_id:
            return None
        return uom

    def _import_isdoc_tax(self, invoice, category, tax_type, line_vals, cache):
        """The tax of an ISDOC VAT category: same rate and kind, tax excluded
        first. Lines outside VAT get no tax."""
        AccountTax = self.env["account.tax"]
        if category is None or category.findtext("{*}VATApplicable") == "false":
            return AccountTax, []
        percent = float(category.findtext("{*}Percent") or 0.0)
        reverse_charge = category.find("{*}LocalReverseCharge") is not None
        if (percent, reverse_charge) not in cache:
            cache[percent, reverse_charge] = self._search_isdoc_tax(
                invoice.company_id, tax_type, percent, reverse_charge
            )
        tax = cache[percent, reverse_charge]
        if not tax:
            message = self.env._(
                "Could not retrieve the tax: %(amount)s %% for line '%(line)s'.",
                amount=percent,
                line=line_vals["name"],
            )
            return tax, [message]
        if tax.price_include:
            line_vals["price_unit"] *= 1 + tax.amount / 100
        return tax, []

    @api.model
    def _search_isdoc_tax(self, company, tax_type, percent, reverse_charge):
        AccountTax = self.env["account.tax"]
        domain = [
            *AccountTax._check_company_domain(company),
            ("amount_type", "=", "percent"),
            ("type_tax_use", "=", tax_type),
            ("amount", "=", percent),
        ]
        kinds = [("isdoc_reverse_charge_code", "!=", False)] if reverse_charge else []
        for kind in (kinds, []):
            for price_include in (False, True):
                tax = AccountTax.search(
                    domain + kind + [("price_include", "=", price_include)], limit=1
                )
                if tax:
                    return tax
        return AccountTax

    def _correct_invoice_tax_amount(self, tree, invoice):
        # EXTENDS account.edi.common: ISDOC's VAT summary prevails over the sum
        # of the lines; take its amounts where they differ by a rounding only.
        foreign = tree.find("{*}ForeignCurrencyCode") is not None
        amount_tag = "{*}TaxAmountCurr" if foreign else "{*}TaxAmount"
        sign = -1 if invoice.is_inbound(include_receipts=True) else 1
        for subtotal in tree.iterfind("{*}TaxTotal/{*}TaxSubTotal"):
            percent = float(subtotal.findtext("{*}TaxCategory/{*}Percent") or 0.0)
            amount = float(subtotal.findtext(amount_tag) or 0.0)
            tax_line = invoice.line_ids.filtered(
                lambda line, percent=percent: line.tax_line_id.amount == percent
            )[:1]
            if tax_line and abs(amount - abs(tax_line.amount_currency)) <= 0.05:
                tax_line.amount_currency = amount * sign
