from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import format_date, mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class ContractCase(AccountTestInvoicingCommon):
    """A company with a sales journal, a service product and helpers to
    create running contracts and generate their invoices on a given day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only the tests' contracts are due (the database may hold demo ones).
        cls.env["customer.contract"].sudo().search(
            [("state", "=", "running")]
        ).state = "closed"
        cls.company = cls.company_data["company"]
        cls.sale_journal = cls.company_data["default_journal_sale"]
        cls.customer = cls.partner_a
        cls.service = cls._create_product(
            name="Hosting", type="service", lst_price=100.0
        )
        cls.contract_type = cls.env["customer.contract.type"].create(
            {
                "name": "Monthly hosting",
                "company_id": cls.company.id,
                "journal_id": cls.sale_journal.id,
                "recurring_rule_type": "monthly",
                "recurring_interval": 1,
                "invoicing_mode": "advance",
                "auto_post": False,
                "auto_send": False,
            }
        )

    def create_contract(self, date_start, rule="monthly", mode="advance", **values):
        values.setdefault(
            "line_ids",
            [Command.create({"product_id": self.service.id, "quantity": 2})],
        )
        return self.env["customer.contract"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.contract_type.id,
                "date_start": date_start,
                "recurring_rule_type": rule,
                "invoicing_mode": mode,
                "state": "running",
                **values,
            }
        )

    @staticmethod
    def generate(contracts, on_date):
        return contracts._generate_invoices(date_ref=on_date)

    def assertInvoiceDates(self, invoices, expected_dates):
        self.assertEqual(
            invoices.sorted("invoice_date").mapped("invoice_date"), expected_dates
        )

    def line_names(self, invoices):
        return invoices.sorted("invoice_date").invoice_line_ids.mapped("name")


@tagged("post_install", "-at_install")
class TestContractDefaults(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_journal = cls.sale_journal.copy({"name": "Services", "code": "SRV"})
        cls.quarterly_type = cls.env["customer.contract.type"].create(
            {
                "name": "Quarterly support, e-mailed",
                "company_id": cls.company.id,
                "journal_id": cls.other_journal.id,
                "recurring_rule_type": "quarterly",
                "recurring_interval": 2,
                "invoicing_mode": "arrears",
                "auto_post": True,
                "auto_send": True,
            }
        )

    def test_type_defaults_flow_into_new_contract(self):
        contract = self.env["customer.contract"].create(
            {"partner_id": self.customer.id, "type_id": self.quarterly_type.id}
        )
        self.assertRecordValues(
            contract,
            [
                {
                    "journal_id": self.other_journal.id,
                    "recurring_rule_type": "quarterly",
                    "recurring_interval": 2,
                    "invoicing_mode": "arrears",
                    "auto_post": True,
                    "auto_send": True,
                    "state": "draft",
                }
            ],
        )
        self.assertTrue(contract.name.startswith("CON/"), contract.name)

    def test_type_defaults_in_the_form(self):
        form = Form(self.env["customer.contract"])
        form.partner_id = self.customer
        form.type_id = self.quarterly_type
        self.assertEqual(form.journal_id, self.other_journal)
        self.assertEqual(form.recurring_rule_type, "quarterly")
        self.assertTrue(form.auto_send)
        form.auto_send = False
        with form.line_ids.new() as line:
            line.product_id = self.service
            self.assertEqual(line.price_unit, 100.0)
            line.quantity = 3
        contract = form.save()
        self.assertFalse(contract.auto_send)
        self.assertTrue(contract.auto_post)
        self.assertEqual(contract.amount_untaxed, 300.0)
        self.assertEqual(contract.line_ids.tax_ids, self.tax_sale_a)

    def test_contract_overrides_type_defaults(self):
        contract = self.env["customer.contract"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.quarterly_type.id,
                "journal_id": self.sale_journal.id,
                "recurring_rule_type": "monthly",
                "recurring_interval": 1,
                "invoicing_mode": "advance",
                "auto_post": False,
                "auto_send": False,
            }
        )
        self.assertRecordValues(
            contract,
            [
                {
                    "journal_id": self.sale_journal.id,
                    "recurring_rule_type": "monthly",
                    "recurring_interval": 1,
                    "invoicing_mode": "advance",
                    "auto_post": False,
                    "auto_send": False,
                }
            ],
        )
        # Later changes of the type do not overwrite the contract.
        self.quarterly_type.auto_send = False
        contract.auto_send = True
        self.quarterly_type.invoicing_mode = "advance"
        self.assertTrue(contract.auto_send)

    def test_copy_keeps_overrides(self):
        contract = self.env["customer.contract"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.quarterly_type.id,
                "auto_send": False,
                "line_ids": [Command.create({"product_id": self.service.id})],
            }
        )
        copy = contract.copy()
        self.assertFalse(copy.auto_send)
        self.assertEqual(len(copy.line_ids), 1)
        self.assertNotEqual(copy.name, contract.name)

    def test_type_auto_send_defaults_from_journal(self):
        self.other_journal.autocomm_auto_send = True
        contract_type = self.env["customer.contract.type"].create(
            {"name": "From the journal", "journal_id": self.other_journal.id}
        )
        self.assertTrue(contract_type.auto_send)

    def test_line_defaults_from_product(self):
        contract = self.create_contract(date(2027, 1, 1))
        self.assertRecordValues(
            contract.line_ids,
            [
                {
                    "name": "Hosting",
                    "price_unit": 100.0,
                    "uom_id": self.service.uom_id.id,
                    "tax_ids": self.tax_sale_a.ids,
                    "price_subtotal": 200.0,
                }
            ],
        )
        self.assertEqual(contract.amount_untaxed, 200.0)


@tagged("post_install", "-at_install")
class TestContractSchedule(ContractCase):
    def test_monthly_in_advance(self):
        contract = self.create_contract(date(2027, 3, 1))
        self.assertEqual(contract.recurring_next_date, date(2027, 3, 1))
        self.assertFalse(self.generate(contract, date(2027, 2, 28)))
        invoice = self.generate(contract, date(2027, 3, 1))
        self.assertRecordValues(
            invoice,
            [
                {
                    "invoice_date": date(2027, 3, 1),
                    "customer_contract_id": contract.id,
                    "customer_contract_period_start": date(2027, 3, 1),
                    "customer_contract_period_end": date(2027, 3, 31),
                    "partner_id": self.customer.id,
                    "journal_id": self.sale_journal.id,
                    "invoice_origin": contract.name,
                    "move_type": "out_invoice",
                    "amount_untaxed": 200.0,
                }
            ],
        )
        self.assertEqual(self.line_names(invoice), ["Hosting – March 2027"])
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 1))
        self.assertEqual(contract.invoice_ids, invoice)
        self.assertEqual(contract.invoice_count, 1)

    def test_monthly_in_arrears(self):
        contract = self.create_contract(date(2027, 3, 1), mode="arrears")
        self.assertEqual(contract.recurring_next_date, date(2027, 3, 31))
        self.assertFalse(self.generate(contract, date(2027, 3, 30)))
        invoice = self.generate(contract, date(2027, 3, 31))
        self.assertEqual(invoice.invoice_date, date(2027, 3, 31))
        self.assertEqual(self.line_names(invoice), ["Hosting – March 2027"])
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 30))

    def test_quarterly_in_advance(self):
        contract = self.create_contract(date(2027, 1, 1), rule="quarterly")
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.invoice_date, date(2027, 1, 1))
        self.assertEqual(invoice.customer_contract_period_end, date(2027, 3, 31))
        self.assertEqual(self.line_names(invoice), ["Hosting – Q1 2027"])
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 1))

    def test_quarterly_in_arrears(self):
        contract = self.create_contract(
            date(2027, 4, 1), rule="quarterly", mode="arrears"
        )
        self.assertFalse(self.generate(contract, date(2027, 6, 29)))
        invoice = self.generate(contract, date(2027, 6, 30))
        self.assertEqual(invoice.invoice_date, date(2027, 6, 30))
        self.assertEqual(self.line_names(invoice), ["Hosting – Q2 2027"])
        self.assertEqual(contract.recurring_next_date, date(2027, 9, 30))

    def test_yearly_in_advance(self):
        contract = self.create_contract(date(2027, 1, 1), rule="yearly")
        invoice = self.generate(contract, date(2027, 6, 30))
        self.assertEqual(invoice.invoice_date, date(2027, 1, 1))
        self.assertEqual(invoice.customer_contract_period_end, date(2027, 12, 31))
        self.assertEqual(self.line_names(invoice), ["Hosting – 2027"])
        self.assertEqual(contract.recurring_next_date, date(2028, 1, 1))

    def test_yearly_in_arrears(self):
        contract = self.create_contract(date(2027, 1, 1), rule="yearly", mode="arrears")
        self.assertFalse(self.generate(contract, date(2027, 12, 30)))
        invoice = self.generate(contract, date(2027, 12, 31))
        self.assertEqual(invoice.invoice_date, date(2027, 12, 31))
        self.assertEqual(self.line_names(invoice), ["Hosting – 2027"])
        self.assertEqual(contract.recurring_next_date, date(2028, 12, 31))

    def test_every_two_months(self):
        contract = self.create_contract(date(2027, 1, 1), recurring_interval=2)
        invoices = self.generate(contract, date(2027, 3, 1))
        self.assertInvoiceDates(invoices, [date(2027, 1, 1), date(2027, 3, 1)])
        self.assertEqual(
            self.line_names(invoices),
            [
                "Hosting – January 2027 – February 2027",
                "Hosting – March 2027 – April 2027",
            ],
        )

    def test_period_not_on_month_boundaries_shows_dates(self):
        contract = self.create_contract(date(2027, 3, 15))
        invoice = self.generate(contract, date(2027, 3, 15))
        expected = "Hosting – {} – {}".format(
            format_date(self.env, date(2027, 3, 15), lang_code="en_US"),
            format_date(self.env, date(2027, 4, 14), lang_code="en_US"),
        )
        self.assertEqual(self.line_names(invoice), [expected])

    def test_period_text_in_customer_language(self):
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.customer.lang = "cs_CZ"
        monthly = self.create_contract(date(2027, 3, 1))
        quarterly = self.create_contract(date(2027, 1, 1), rule="quarterly")
        invoices = self.generate(monthly | quarterly, date(2027, 3, 1))
        self.assertEqual(
            invoices.filtered(
                lambda m: m.customer_contract_id == monthly
            ).invoice_line_ids.name.split(" – ")[1],
            "březen 2027",
        )
        self.assertEqual(
            invoices.filtered(
                lambda m: m.customer_contract_id == quarterly
            ).invoice_line_ids.name.split(" – ")[1],
            "Q1 2027",
        )

    def test_multiline_description_keeps_period_on_first_line(self):
        contract = self.create_contract(
            date(2027, 3, 1),
            line_ids=[
                Command.create(
                    {
                        "product_id": self.service.id,
                        "name": "Hosting\nUp to 10 GB",
                    }
                ),
                Command.create({"display_type": "line_section", "name": "Extras"}),
            ],
        )
        invoice = self.generate(contract, date(2027, 3, 1))
        self.assertEqual(
            invoice.invoice_line_ids.mapped("name"),
            ["Hosting – March 2027\nUp to 10 GB", "Extras"],
        )

    def test_catch_up_three_missed_months(self):
        contract = self.create_contract(date(2027, 1, 1))
        invoices = self.generate(contract, date(2027, 3, 20))
        self.assertEqual(len(invoices), 3)
        self.assertInvoiceDates(
            invoices, [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
        )
        self.assertEqual(
            self.line_names(invoices),
            [
                "Hosting – January 2027",
                "Hosting – February 2027",
                "Hosting – March 2027",
            ],
        )
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 1))

    def test_31_january_month_ends(self):
        contract = self.create_contract(date(2027, 1, 31))
        invoices = self.generate(contract, date(2027, 5, 31))
        self.assertInvoiceDates(
            invoices,
            [
                date(2027, 1, 31),
                date(2027, 2, 28),
                date(2027, 3, 31),
                date(2027, 4, 30),
                date(2027, 5, 31),
            ],
        )
        # Each period ends the day before the next one starts: no gap, no overlap.
        self.assertEqual(
            invoices.sorted("invoice_date").mapped("customer_contract_period_end")[:3],
            [date(2027, 2, 27), date(2027, 3, 30), date(2027, 4, 29)],
        )
        self.assertEqual(contract.recurring_next_date, date(2027, 6, 30))

    def test_31_january_leap_year(self):
        contract = self.create_contract(date(2028, 1, 31))
        invoices = self.generate(contract, date(2028, 3, 31))
        self.assertInvoiceDates(
            invoices, [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]
        )

    def test_29_february_yearly(self):
        contract = self.create_contract(date(2028, 2, 29), rule="yearly")
        invoices = self.generate(contract, date(2032, 3, 1))
        self.assertInvoiceDates(
            invoices,
            [
                date(2028, 2, 29),
                date(2029, 2, 28),
                date(2030, 2, 28),
                date(2031, 2, 28),
                date(2032, 2, 29),
            ],
        )
        self.assertEqual(contract.recurring_next_date, date(2033, 2, 28))

    def test_29_february_in_arrears(self):
        contract = self.create_contract(date(2028, 2, 1), mode="arrears")
        invoice = self.generate(contract, date(2028, 2, 29))
        self.assertEqual(invoice.invoice_date, date(2028, 2, 29))
        self.assertEqual(self.line_names(invoice), ["Hosting – February 2028"])

    def test_end_date_closes_contract(self):
        contract = self.create_contract(date(2027, 1, 1), date_end=date(2027, 3, 31))
        invoices = self.generate(contract, date(2027, 3, 1))
        self.assertEqual(len(invoices), 3)
        # Everything is invoiced, but the contract runs until its end date.
        self.assertEqual(contract.state, "running")
        self.assertFalse(contract.recurring_next_date)
        self.assertFalse(self.generate(contract, date(2027, 3, 31)))
        self.assertEqual(contract.state, "running")
        self.assertFalse(self.generate(contract, date(2027, 4, 1)))
        self.assertEqual(contract.state, "closed")
        self.assertEqual(contract.invoice_count, 3)

    def test_end_date_in_arrears_invoices_last_period_then_closes(self):
        contract = self.create_contract(
            date(2027, 1, 1), mode="arrears", date_end=date(2027, 2, 15)
        )
        invoices = self.generate(contract, date(2027, 3, 1))
        self.assertInvoiceDates(invoices, [date(2027, 1, 31), date(2027, 2, 15)])
        self.assertEqual(
            invoices.sorted("invoice_date")[-1].customer_contract_period_end,
            date(2027, 2, 15),
        )
        self.assertEqual(contract.state, "closed")

    def test_closed_and_draft_contracts_generate_nothing(self):
        draft = self.create_contract(date(2027, 1, 1), state="draft")
        closed = self.create_contract(date(2027, 1, 1), state="closed")
        self.assertFalse(self.generate(draft | closed, date(2027, 3, 1)))
        with self.assertRaises(UserError):
            draft.action_generate_invoices()

    def test_start_button_runs_the_contract(self):
        contract = self.create_contract(date(2027, 1, 1), state="draft")
        contract.action_start()
        self.assertEqual(contract.state, "running")
        self.assertEqual(len(self.generate(contract, date(2027, 1, 1))), 1)
        contract.action_close()
        self.assertEqual(contract.state, "closed")
        self.assertFalse(self.generate(contract, date(2027, 3, 1)))


@tagged("post_install", "-at_install")
class TestContractIdempotence(ContractCase):
    def test_generation_twice_creates_nothing_new(self):
        contract = self.create_contract(date(2027, 1, 1))
        first = self.generate(contract, date(2027, 3, 1))
        self.assertEqual(len(first), 3)
        self.assertFalse(self.generate(contract, date(2027, 3, 1)))
        self.assertEqual(contract.invoice_count, 3)

    def test_next_date_moved_back_does_not_invoice_twice(self):
        contract = self.create_contract(date(2027, 1, 1))
        self.generate(contract, date(2027, 3, 1))
        contract.recurring_next_date = date(2027, 1, 1)
        new = self.generate(contract, date(2027, 4, 1))
        self.assertEqual(new.customer_contract_period_start, date(2027, 4, 1))
        self.assertEqual(contract.invoice_count, 4)
        self.assertEqual(contract.recurring_next_date, date(2027, 5, 1))

    def test_changing_recurrence_continues_after_invoiced_periods(self):
        contract = self.create_contract(date(2027, 1, 1))
        self.generate(contract, date(2027, 3, 1))
        contract.invoicing_mode = "arrears"
        # March is invoiced already: the next period is April, invoiced at its end.
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 30))

    def test_database_refuses_second_invoice_for_a_period(self):
        contract = self.create_contract(date(2027, 1, 1))
        invoice = self.generate(contract, date(2027, 1, 1))
        duplicate_vals = contract._prepare_invoice_vals(contract._get_period(0))
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation) as caught,
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env["account.move"].create(duplicate_vals)
            self.env.flush_all()
        self.assertEqual(
            caught.exception.diag.constraint_name,
            "account_move_customer_contract_period_unique",
        )
        # A cancelled invoice frees its period.
        invoice.button_cancel()
        self.env.flush_all()
        self.env["account.move"].create(duplicate_vals)
        self.env.flush_all()

    def test_race_on_a_period_is_recorded_not_duplicated(self):
        """A worker whose plan is stale hits the unique index; the contract
        records the clash and keeps a single invoice for the period."""
        contract = self.create_contract(date(2027, 1, 1))
        stale_plans = contract._plan_invoices(date(2027, 1, 1))
        self.generate(contract, date(2027, 1, 1))
        contract.recurring_next_date = date(2027, 1, 1)
        with (
            patch.object(
                type(contract), "_plan_invoices", lambda self, date_ref: stale_plans
            ),
            mute_logger("odoo.sql_db"),
        ):
            self.assertFalse(self.generate(contract, date(2027, 1, 1)))
        self.assertEqual(contract.invoice_count, 1)
        self.assertIn("same time", contract.generation_error)


@tagged("post_install", "-at_install")
class TestContractFailures(ContractCase):
    def test_failing_contract_does_not_stop_others(self):
        good = self.create_contract(date(2027, 1, 1))
        no_lines = self.create_contract(date(2027, 1, 1), line_ids=[])
        retired = self._create_product(name="Retired service", lst_price=10.0)
        archived = self.create_contract(
            date(2027, 1, 1),
            line_ids=[Command.create({"product_id": retired.id})],
        )
        retired.action_archive()
        other_good = self.create_contract(date(2027, 1, 1))
        contracts = good | no_lines | archived | other_good

        invoices = self.generate(contracts, date(2027, 2, 1))

        self.assertEqual(invoices.customer_contract_id, good | other_good)
        self.assertEqual(len(invoices), 4)
        self.assertFalse(good.generation_error)
        self.assertIn("no lines", no_lines.generation_error)
        self.assertIn("Retired service", archived.generation_error)
        self.assertEqual(archived.generation_error_date, date(2027, 2, 1))
        self.assertEqual(no_lines.recurring_next_date, date(2027, 1, 1))
        self.assertIn(
            "Archived products cannot be invoiced",
            archived.message_ids[0].body,
        )
        self.assertEqual(
            (no_lines | archived).filtered_domain([("generation_error", "!=", False)]),
            no_lines | archived,
        )

    def test_error_cleared_once_invoiced(self):
        contract = self.create_contract(date(2027, 1, 1), line_ids=[])
        self.generate(contract, date(2027, 1, 1))
        self.assertTrue(contract.generation_error)
        contract.line_ids = [Command.create({"product_id": self.service.id})]
        self.assertEqual(len(self.generate(contract, date(2027, 1, 1))), 1)
        self.assertFalse(contract.generation_error)
        self.assertFalse(contract.generation_error_date)

    def test_missing_income_account(self):
        product = self._create_product(
            name="No account", property_account_income_id=False
        )
        # No income account on the product nor its category (the chart's
        # default for categories removed), none on the journal.
        self.env["ir.default"].set(
            "product.category",
            "property_account_income_categ_id",
            False,
            company_id=self.company.id,
        )
        product.categ_id = self.env["product.category"].create(
            {"name": "Without accounts"}
        )
        self.assertFalse(product.categ_id.property_account_income_categ_id)
        journal = self.sale_journal.copy({"name": "No default", "code": "NDA"})
        journal.default_account_id = False
        bad = self.create_contract(
            date(2027, 1, 1),
            journal_id=journal.id,
            line_ids=[Command.create({"product_id": product.id})],
        )
        good = self.create_contract(date(2027, 1, 1))
        invoices = self.generate(bad | good, date(2027, 1, 1))
        self.assertEqual(invoices.customer_contract_id, good)
        self.assertIn("No income account", bad.generation_error)

    def test_error_while_creating_falls_back_to_one_contract_at_a_time(self):
        good = self.create_contract(date(2027, 1, 1))
        broken = self.create_contract(date(2027, 1, 1))
        line_class = type(self.env["customer.contract.line"])
        original = line_class._prepare_invoice_line_vals

        def prepare(line, *args, **kwargs):
            if line.contract_id == broken:
                raise UserError(line.env._("The line cannot be invoiced."))
            return original(line, *args, **kwargs)

        with patch.object(line_class, "_prepare_invoice_line_vals", prepare):
            invoices = self.generate(good | broken, date(2027, 1, 1))
        self.assertEqual(invoices.customer_contract_id, good)
        self.assertEqual(good.recurring_next_date, date(2027, 2, 1))
        self.assertEqual(broken.generation_error, "The line cannot be invoiced.")
        self.assertEqual(broken.recurring_next_date, date(2027, 1, 1))
        self.assertFalse(broken.invoice_ids)

    def test_button_shows_the_error(self):
        contract = self.create_contract(
            fields.Date.context_today(self.env.user), line_ids=[]
        )
        action = contract.action_generate_invoices()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(contract.name, action["params"]["message"])
        self.assertTrue(contract.generation_error)


@tagged("post_install", "-at_install")
class TestContractPosting(ContractCase):
    def test_auto_post_posts_the_invoices(self):
        contract = self.create_contract(date(2027, 1, 1), auto_post=True)
        invoices = self.generate(contract, date(2027, 2, 1))
        self.assertEqual(invoices.mapped("state"), ["posted", "posted"])
        self.assertTrue(all(invoices.mapped("name")))

    def test_without_auto_post_invoices_stay_draft(self):
        contract = self.create_contract(date(2027, 1, 1), auto_post=False)
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.state, "draft")

    def test_auto_send_marks_invoices_send(self):
        self.company.autocomm_mode = "send"
        sent = self.create_contract(date(2027, 1, 1), auto_send=True)
        kept = self.create_contract(date(2027, 1, 1), auto_send=False)
        invoices = self.generate(sent | kept, date(2027, 1, 1))
        by_contract = invoices.grouped("customer_contract_id")
        self.assertEqual(by_contract[sent].autocomm_state, "to_send")
        self.assertEqual(by_contract[kept].autocomm_state, "no_send")

    def test_contract_without_auto_send_wins_over_journal(self):
        self.company.autocomm_mode = "send"
        self.sale_journal.autocomm_auto_send = True
        contract = self.create_contract(date(2027, 1, 1), auto_send=False)
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.autocomm_state, "no_send")

    def test_auto_send_in_a_company_that_does_not_send(self):
        self.company.autocomm_mode = "no_send"
        contract = self.create_contract(date(2027, 1, 1), auto_send=True)
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.autocomm_state, "no_send")

    def test_salesperson_is_the_contract_responsible(self):
        contract = self.create_contract(date(2027, 1, 1))
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.invoice_user_id, contract.user_id)
        self.assertTrue(contract.user_id)

    def test_fiscal_position_maps_the_taxes(self):
        self.customer.property_account_position_id = self.fiscal_pos_a
        contract = self.create_contract(date(2027, 1, 1))
        invoice = self.generate(contract, date(2027, 1, 1))
        self.assertEqual(invoice.fiscal_position_id, self.fiscal_pos_a)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_sale_b)

    def test_invoiced_contract_cannot_be_deleted(self):
        contract = self.create_contract(date(2027, 1, 1))
        self.generate(contract, date(2027, 1, 1))
        with self.assertRaises(UserError):
            contract.unlink()


@tagged("post_install", "-at_install")
class TestContractCron(ContractCase):
    def run_cron(self, batch_size=None):
        progress = self.env["ir.cron.progress"].create(
            {"cron_id": self.cron.id, "done": 0, "remaining": 0}
        )
        self.env["customer.contract"].with_context(
            ir_cron_progress_id=progress.id
        )._cron_generate_invoices(batch_size=batch_size)
        return progress

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("flexi_autocomm.ir_cron_contract_generate")

    def test_cron_catches_up_missed_months(self):
        with freeze_time("2027-03-20"):
            contract = self.create_contract(date(2027, 1, 1))
            self.cron.method_direct_trigger()
        self.assertInvoiceDates(
            contract.invoice_ids, [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
        )
        self.assertEqual(contract.recurring_next_date, date(2027, 4, 1))

    def test_cron_works_in_batches_and_reports_progress(self):
        with freeze_time("2027-03-20"):
            contracts = (
                self.create_contract(date(2027, 3, 1))
                | self.create_contract(date(2027, 3, 1))
                | self.create_contract(date(2027, 3, 1))
            )
            triggers = self.env["ir.cron.trigger"].search(
                [("cron_id", "=", self.cron.id)]
            )
            progress = self.run_cron(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (2, 1))
            self.assertEqual(len(contracts.invoice_ids), 2)
            new_triggers = (
                self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
                - triggers
            )
            self.assertTrue(new_triggers, "the scheduled action runs again soon")
            progress = self.run_cron(batch_size=2)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(len(contracts.invoice_ids), 3)

    def test_batch_size_from_system_parameter(self):
        self.env["ir.config_parameter"].set_param(
            "flexi_autocomm.contract_batch_size", "1"
        )
        with freeze_time("2027-03-20"):
            self.create_contract(date(2027, 3, 1))
            self.create_contract(date(2027, 3, 1))
            progress = self.run_cron()
        self.assertEqual((progress.done, progress.remaining), (1, 1))

    def test_cron_does_not_loop_on_a_failing_contract(self):
        with freeze_time("2027-03-20"):
            failing = self.create_contract(date(2027, 3, 1), line_ids=[])
            good = self.create_contract(date(2027, 3, 1))
            self.run_cron(batch_size=1)
            self.assertTrue(failing.generation_error)
            progress = self.run_cron(batch_size=1)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            self.assertEqual(len(good.invoice_ids), 1)
            # Nothing left for today: the failing contract waits for tomorrow.
            self.assertFalse(self.run_cron(batch_size=1).done)
        with freeze_time("2027-03-21"):
            self.assertEqual(self.run_cron(batch_size=1).done, 1)

    def test_cron_closes_ended_contracts(self):
        with freeze_time("2027-03-20"):
            contract = self.create_contract(
                date(2027, 1, 1), date_end=date(2027, 2, 28)
            )
            self.cron.method_direct_trigger()
        self.assertEqual(contract.state, "closed")
        self.assertEqual(contract.invoice_count, 2)
