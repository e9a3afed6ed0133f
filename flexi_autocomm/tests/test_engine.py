from odoo.tests import tagged

from odoo.addons.flexi_autocomm.models.autocomm_mixin import (
    AUTOCOMM_STATES,
    AUTOCOMM_TRANSITIONS,
)

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestEngine(AutocommCase):
    """One engine for every kind of document."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.bank_journal.autocomm_auto_send = True

    def create_receipt(self):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 100.0,
                "journal_id": self.bank_journal.id,
            }
        )
        payment.action_post()
        return payment

    def test_every_model_inheriting_the_mixin_is_sent(self):
        models = {
            model._name for model in self.env["autocomm.engine"]._get_document_models()
        }
        self.assertTrue({"account.move", "account.payment"} <= models, models)
        self.assertNotIn("autocomm.mixin", models)

    def test_invoice_entry_point_still_sends_every_kind(self):
        invoice = self.create_invoice()
        payment = self.create_receipt()
        self.env["account.move"]._cron_autocomm_send()
        self.env.invalidate_all()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)

    def test_scheduled_action_belongs_to_the_engine(self):
        cron = self.env.ref("flexi_autocomm.ir_cron_autocomm_send")
        self.assertEqual(cron.model_id.model, "autocomm.engine")

    def test_transitions_lead_to_known_states(self):
        states = dict(AUTOCOMM_STATES)
        for (state, event), next_state in AUTOCOMM_TRANSITIONS.items():
            self.assertIn(state, states, event)
            self.assertIn(next_state, states, event)

    def test_event_that_means_nothing_leaves_document_alone(self):
        invoice = self.create_invoice()
        self.assertFalse(invoice._autocomm_transition("accepted"))
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.assertFalse(invoice.autocomm_sent_date)

    def test_user_cannot_set_engine_states(self):
        invoice = self.create_invoice()
        with self.assertRaisesRegex(Exception, "set by the sending only"):
            invoice.autocomm_state = "sent"
