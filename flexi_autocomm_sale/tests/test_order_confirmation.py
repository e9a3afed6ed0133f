from odoo.tests import tagged

from .common import SaleAutocommCase


@tagged("post_install", "-at_install")
class TestOrderConfirmation(SaleAutocommCase):
    """A confirmed quotation is queued again: the order confirmation goes to
    the contacts flagged "Send orders", once."""

    def test_quotation_then_confirmation_each_sent_once(self):
        order = self.create_quotation()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        order.action_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        quotations = self.messages_by_subject("Quotation")
        confirmations = self.messages_by_subject(f"Order (Ref {order.name})")
        self.assertEqual(len(self.smtp.messages), 2)
        self.assertEqual(quotations[0].rcpt_tos, ["boss@customer.example.com"])
        self.assertEqual(confirmations[0].rcpt_tos, ["accounts@customer.example.com"])
        self.assertEqual(
            list(confirmations[0].attachments()), [f"Order - {order.name}.pdf"]
        )
        self.assertEqual(order.autocomm_recipient_ids, self.contact_billing)

    def test_confirmation_default_text(self):
        order = self.create_quotation()
        order.action_confirm()
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        self.assertIn("thank you for your order", message.html_body())
        self.assertIn(f"Order (Ref {order.name})", message.subject)

    def test_quotation_waiting_for_server_is_withdrawn_for_confirmation(self):
        order = self.create_quotation()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sending")
        order.action_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        (message,) = self.smtp.messages
        self.assertIn(f"Order (Ref {order.name})", message.subject)

    def test_no_confirmation_when_company_does_not_send_them(self):
        self.company.autocomm_sale_order_auto_send = False
        order = self.create_quotation()
        self.run_autocomm_cron()
        order.action_confirm()
        self.assertEqual(order.autocomm_state, "sent")
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)

    def test_unsent_quotation_confirmed_not_sent_without_confirmations(self):
        self.company.autocomm_sale_order_auto_send = False
        order = self.create_quotation()
        order.action_confirm()
        self.assertEqual(order.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_quotation_not_sent_is_confirmed_and_sent_once_as_order(self):
        self.company.autocomm_quotation_auto_send = False
        order = self.create_quotation()
        self.assertEqual(order.autocomm_state, "no_send")
        order.action_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        self.assertEqual(message.rcpt_tos, ["accounts@customer.example.com"])

    def test_cancelled_order_confirmation_never_sent(self):
        order = self.create_quotation()
        order.action_confirm()
        order._action_cancel()
        self.assertEqual(order.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_confirmed_order_keeps_its_state(self):
        order = self.create_quotation()
        self.run_autocomm_cron()
        order.action_confirm()
        self.run_autocomm_cron()
        self.assertEqual(order.state, "sale")
