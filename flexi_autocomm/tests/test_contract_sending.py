from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestContractSending(AutocommCase):
    """Contract → generated invoice → sending scheduled action → the customer's
    flagged contacts, through the real SMTP server of the harness."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls._create_product(
            name="Hosting", type="service", lst_price=100.0
        )
        cls.contract_type = cls.env["customer.contract.type"].create(
            {
                "name": "Monthly hosting, e-mailed",
                "journal_id": cls.sale_journal.id,
                "auto_post": True,
                "auto_send": True,
            }
        )
        cls.generation_cron = cls.env.ref("flexi_autocomm.ir_cron_contract_generate")

    def create_contract(self, **values):
        today = fields.Date.context_today(self.env.user)
        return self.env["customer.contract"].create(
            {
                "partner_id": self.customer.id,
                "type_id": self.contract_type.id,
                "user_id": self.salesperson.id,
                # Two periods due: last month's and this month's.
                "date_start": today + relativedelta(day=1, months=-1),
                "state": "running",
                "line_ids": [Command.create({"product_id": self.service.id})],
                **values,
            }
        )

    def test_generated_invoices_marked_sent_in_odoo_only_when_accepted(self):
        self.smtp.go_down()
        contract = self.create_contract()
        self.generation_cron.method_direct_trigger()
        invoices = contract.invoice_ids
        self.run_autocomm_cron()
        self.assertEqual(
            invoices.mapped(lambda i: (i.autocomm_state, i.is_move_sent)),
            [("sending", False)] * 2,
        )
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(
            invoices.mapped(lambda i: (i.autocomm_state, i.is_move_sent)),
            [("sent", True)] * 2,
        )

    def test_generated_invoices_reach_flagged_contacts(self):
        contract = self.create_contract()
        self.generation_cron.method_direct_trigger()
        invoices = contract.invoice_ids
        self.assertEqual(len(invoices), 2)
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertEqual(set(invoices.mapped("autocomm_state")), {"to_send"})

        self.run_autocomm_cron()

        self.assertEqual(set(invoices.mapped("autocomm_state")), {"sent"})
        for invoice in invoices:
            self.assertEqual(
                invoice.autocomm_recipient_ids, self.contact_billing | self.contact_boss
            )
        self.assertEqual(
            self.smtp.envelope_recipients(),
            sorted(2 * ["accounts@customer.example.com", "boss@customer.example.com"]),
        )
        self.assertFalse(self.smtp.delivered_to("store@customer.example.com"))
        subjects = sorted(message.subject for message in self.smtp.messages)
        for invoice in invoices:
            self.assertTrue(any(invoice.name in subject for subject in subjects))
        # Signed by the contract's responsible person, not by the cron's user.
        self.assertIn("Jana Nováková", self.smtp.messages[0].html_body())

    def test_contract_without_auto_send_is_not_mailed(self):
        contract = self.create_contract(auto_send=False)
        self.generation_cron.method_direct_trigger()
        self.assertEqual(
            set(contract.invoice_ids.mapped("autocomm_state")), {"no_send"}
        )
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_draft_invoices_wait_until_posted(self):
        contract = self.create_contract(auto_post=False)
        self.generation_cron.method_direct_trigger()
        invoices = contract.invoice_ids
        self.assertEqual(set(invoices.mapped("state")), {"draft"})
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        invoices.action_post()
        self.run_autocomm_cron()
        self.assertEqual(set(invoices.mapped("autocomm_state")), {"sent"})
        self.assertEqual(len(self.smtp.messages), 4)
