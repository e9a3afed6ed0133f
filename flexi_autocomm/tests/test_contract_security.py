from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import create_office_users
from .test_contract import ContractCase


@tagged("post_install", "-at_install")
class TestContractAccessRights(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_user, cls.manager, cls.internal_user = create_office_users(
            cls.env, cls.company, "contract"
        )

    def test_billing_user_manages_contracts(self):
        Contract = self.env["customer.contract"].with_user(self.billing_user)
        contract = Contract.create(
            {
                "partner_id": self.customer.id,
                "type_id": self.contract_type.id,
                "date_start": date(2027, 1, 1),
                "line_ids": [Command.create({"product_id": self.service.id})],
            }
        )
        contract.line_ids.quantity = 3
        contract.line_ids = [Command.create({"product_id": self.service.id})]
        contract.action_start()
        invoices = contract._generate_invoices(date(2027, 1, 1))
        self.assertEqual(len(invoices), 1)
        self.assertEqual(invoices.invoice_line_ids.mapped("quantity"), [3.0, 1.0])
        draft = contract.copy()
        draft.line_ids[0].unlink()
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_billing_user_reads_but_does_not_edit_types(self):
        contract_type = self.contract_type.with_user(self.billing_user)
        self.assertEqual(contract_type.name, "Monthly hosting")
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_model"),
        ):
            contract_type.auto_send = True
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_model"),
        ):
            contract_type.create({"name": "Mine"})

    def test_accounting_manager_manages_types(self):
        Type = self.env["customer.contract.type"].with_user(self.manager)
        contract_type = Type.create(
            {"name": "Yearly licence", "recurring_rule_type": "yearly"}
        )
        self.assertEqual(contract_type.company_id, self.company)
        contract_type.auto_send = True
        contract_type.unlink()

    def test_internal_user_sees_no_contracts(self):
        contract = self.create_contract(date(2027, 1, 1))
        for record in (contract, contract.line_ids, self.contract_type):
            with (
                self.assertRaises(AccessError),
                mute_logger("odoo.addons.base.models.ir_model"),
            ):
                record.with_user(self.internal_user).read(["display_name"])


@tagged("post_install", "-at_install")
class TestContractMultiCompany(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.setup_other_company(name="Other company")["company"]
        cls.billing_user = new_test_user(
            cls.env,
            login="contract_billing_a",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )
        cls.other_type = cls.env["customer.contract.type"].create(
            {"name": "Other company's type", "company_id": cls.other_company.id}
        )
        cls.other_contract = cls.env["customer.contract"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.other_company.id,
                "type_id": cls.other_type.id,
                "date_start": date(2027, 1, 1),
                "state": "running",
                "line_ids": [Command.create({"product_id": cls.service.id})],
            }
        )

    def test_contract_takes_its_company_journal(self):
        self.assertEqual(self.other_contract.journal_id.company_id, self.other_company)
        self.assertEqual(self.other_type.journal_id.company_id, self.other_company)

    def test_user_sees_only_own_company_contracts(self):
        own = self.create_contract(date(2027, 1, 1))
        Contract = self.env["customer.contract"].with_user(self.billing_user)
        self.assertEqual(
            Contract.search([("id", "in", (own | self.other_contract).ids)]), own
        )
        self.assertNotIn(
            self.other_type,
            self.env["customer.contract.type"].with_user(self.billing_user).search([]),
        )
        self.assertFalse(
            self.env["customer.contract.line"]
            .with_user(self.billing_user)
            .search([("id", "in", self.other_contract.line_ids.ids)])
        )
        for record in (
            self.other_contract,
            self.other_contract.line_ids,
            self.other_type,
        ):
            with (
                self.assertRaises(AccessError),
                mute_logger("odoo.addons.base.models.ir_rule"),
            ):
                record.with_user(self.billing_user).read(["display_name"])

    def test_user_cannot_generate_other_company_contracts(self):
        with (
            self.assertRaises(AccessError),
            mute_logger("odoo.addons.base.models.ir_rule"),
        ):
            self.other_contract.with_user(self.billing_user).action_generate_invoices()
        self.assertFalse(self.other_contract.invoice_ids)

    def test_generation_run_by_a_user_covers_only_their_company(self):
        own = self.create_contract(date(2027, 1, 1))
        contracts = self.env["customer.contract"].with_user(self.billing_user)
        due = contracts._claim_contracts(
            contracts._get_contracts_to_invoice_domain(date(2027, 1, 1))
        )
        self.assertIn(own, due)
        self.assertNotIn(self.other_contract, due)

    def test_invoices_belong_to_the_contract_company(self):
        own = self.create_contract(date(2027, 1, 1))
        invoices = (own | self.other_contract)._generate_invoices(date(2027, 1, 1))
        by_contract = invoices.grouped("customer_contract_id")
        self.assertEqual(by_contract[own].company_id, self.company)
        self.assertEqual(
            by_contract[self.other_contract].company_id, self.other_company
        )
        self.assertEqual(
            by_contract[self.other_contract].journal_id, self.other_contract.journal_id
        )
