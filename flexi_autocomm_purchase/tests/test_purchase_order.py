from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import PurchaseAutocommCase


@tagged("post_install", "-at_install")
class TestPurchaseOrderSending(PurchaseAutocommCase):
    """RFQs and purchase orders: FlexiBee's "Send RFQs" and "Send orders",
    sent by the same engine as the invoices."""

    def test_new_rfq_marked_send_when_company_sends_rfqs(self):
        rfq = self.create_order()
        self.company.autocomm_rfq_auto_send = False
        unflagged = self.create_order()
        self.assertEqual(rfq.autocomm_state, "to_send")
        self.assertEqual(unflagged.autocomm_state, "no_send")

    def test_company_not_sending_leaves_new_rfq_unmarked(self):
        self.company.autocomm_mode = "no_send"
        self.assertEqual(self.create_order().autocomm_state, "no_send")

    def test_rfq_goes_to_contacts_flagged_send_rfqs(self):
        rfq = self.create_order()
        self.run_autocomm_cron()
        self.assertEqual(rfq.autocomm_state, "sent", rfq.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["quotes@vendor.example.com"])
        self.assertEqual(rfq.autocomm_recipient_ids, self.vendor_sales)
        self.assertTrue(rfq.autocomm_sent_date)

    def test_rfq_carries_odoo_rfq_pdf_and_subject(self):
        rfq = self.create_order()
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        name = f"Request for Quotation - {rfq.name}.pdf"
        attachments = message.attachments()
        self.assertEqual(list(attachments), [name])
        self.assertEqual(attachments[name][:5], b"%PDF-")
        self.assertEqual(message.subject, f"{self.company.name} Order (Ref {rfq.name})")

    def test_rfq_default_text_signed_by_purchase_representative(self):
        self.create_order(partner_ref="Q-77")
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn("please find attached request for quotation", body)
        self.assertIn("Q-77", body)
        self.assertIn(self.buyer.name, body)
        self.assertIn(
            "tomas.nakupci@our.example.com", self.smtp.messages[0].message["From"]
        )

    def test_technical_user_never_signs_creator_does(self):
        creator = self.buyer
        rfq = self.create_order(user_id=self.env.ref("base.user_root").id)
        rfq_by_buyer = (
            self.env["purchase.order"]
            .with_user(creator)
            .create(
                {
                    "partner_id": self.vendor.id,
                    "user_id": False,
                    "order_line": [Command.create({"product_id": self.product_a.id})],
                }
            )
        )
        self.run_autocomm_cron()
        bodies = {m.subject: m.html_body() for m in self.smtp.messages}
        unsigned = bodies[f"{self.company.name} Order (Ref {rfq.name})"]
        signed = bodies[f"{self.company.name} Order (Ref {rfq_by_buyer.name})"]
        self.assertNotIn("OdooBot", unsigned)
        self.assertNotIn(creator.name, unsigned)
        self.assertIn(creator.name, signed)

    def test_rfq_sent_in_odoo_only_when_server_accepted(self):
        rfq = self.create_order()
        self.smtp.stop()
        self.run_autocomm_cron()
        self.assertEqual(rfq.autocomm_state, "sending")
        self.assertEqual(rfq.state, "draft")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(rfq.autocomm_state, "sent", rfq.autocomm_error)
        self.assertEqual(rfq.state, "sent")
        self.assertEqual(len(self.smtp.messages), 1)

    def test_confirmed_rfq_sent_again_as_purchase_order(self):
        order = self.create_order()
        self.run_autocomm_cron()
        order.button_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        rfq_message, order_message = self.smtp.messages
        self.assertEqual(rfq_message.rcpt_tos, ["quotes@vendor.example.com"])
        self.assertEqual(order_message.rcpt_tos, ["orders@vendor.example.com"])
        self.assertEqual(
            order_message.attachment_names(), [f"Purchase Order - {order.name}.pdf"]
        )
        self.assertIn("please find attached purchase order", order_message.html_body())
        self.assertEqual(order.autocomm_recipient_ids, self.vendor_orders)

    def test_rfq_waiting_for_server_withdrawn_when_confirmed(self):
        order = self.create_order()
        self.smtp.stop()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sending")
        order.button_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        (message,) = self.smtp.messages
        self.assertEqual(
            message.attachment_names(), [f"Purchase Order - {order.name}.pdf"]
        )

    def test_confirmed_without_order_switch_leaves_waiting_rfq_unsent(self):
        self.company.autocomm_purchase_order_auto_send = False
        order = self.create_order(confirm=True)
        self.assertEqual(order.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_confirmed_without_order_switch_keeps_sent_rfq_sent(self):
        self.company.autocomm_purchase_order_auto_send = False
        order = self.create_order()
        self.run_autocomm_cron()
        order.button_confirm()
        self.assertEqual(order.autocomm_state, "sent")
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)

    def test_confirmation_queues_order_when_rfqs_are_not_sent(self):
        self.company.autocomm_rfq_auto_send = False
        order = self.create_order()
        self.assertEqual(order.autocomm_state, "no_send")
        order.button_confirm()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["orders@vendor.example.com"])

    def test_order_waiting_for_approval_sent_once_approved(self):
        self.company.write({"po_double_validation": "two_step"})
        self.company.po_double_validation_amount = 0
        order = self.create_order()
        self.run_autocomm_cron()
        order.with_user(self.buyer).button_confirm()
        self.assertEqual(order.state, "to approve")
        self.assertEqual(order.autocomm_state, "sent")
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)
        manager = new_test_user(
            self.env,
            login="purchase_manager",
            groups="purchase.group_purchase_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        order.with_user(manager).button_approve()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 2)

    def test_cancelled_rfq_never_sent(self):
        rfq = self.create_order()
        rfq.button_cancel()
        self.assertEqual(rfq.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_vendor_without_flagged_contact_gets_company_address(self):
        vendor = self.env["res.partner"].create(
            {"name": "Malý dodavatel", "email": "shop@small.example.com"}
        )
        self.env["res.partner"].create(
            {"name": "Jan", "parent_id": vendor.id, "email": "jan@small.example.com"}
        )
        rfq = self.create_order(partner=vendor)
        self.run_autocomm_cron()
        self.assertEqual(rfq.autocomm_state, "sent", rfq.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["shop@small.example.com"])

    def test_nobody_to_send_to_fails_naming_the_flag(self):
        vendor = self.env["res.partner"].create({"name": "Bez adresy a.s."})
        order = self.create_order(partner=vendor, confirm=True)
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "failed")
        self.assertIn("Send orders", order.autocomm_error)
        self.assertEqual(order.activity_ids.user_id, self.buyer)

    def test_company_texts_rendered_for_rfqs_and_orders(self):
        self.company.write(
            {
                "autocomm_rfq_text": "<p>Quote us for {{ object.name }}.</p>",
                "autocomm_purchase_order_text": (
                    "<p>We order {{ object.name }}, "
                    "total {{ object.amount_untaxed }}.</p>"
                ),
            }
        )
        order = self.create_order()
        self.run_autocomm_cron()
        order.button_confirm()
        self.run_autocomm_cron()
        rfq_body, order_body = (m.html_body() for m in self.smtp.messages)
        self.assertIn(f"Quote us for {order.name}.", rfq_body)
        self.assertIn(f"We order {order.name}, total 1000.0.", order_body)

    def test_company_text_checked_against_purchase_order_fields(self):
        with self.assertRaisesRegex(ValidationError, "invoice_date_due"):
            self.company.autocomm_purchase_order_text = (
                "<p>Due {{ object.invoice_date_due }}</p>"
            )

    def test_settings_write_company_switches_and_texts(self):
        settings = self.env["res.config.settings"].create(
            {
                "autocomm_rfq_auto_send": False,
                "autocomm_purchase_order_text": "<p>Order {{ object.name }}</p>",
            }
        )
        settings.execute()
        self.assertFalse(self.company.autocomm_rfq_auto_send)
        self.assertIn("{{ object.name }}", self.company.autocomm_purchase_order_text)

    def test_send_now_sends_confirmed_order_at_once(self):
        self.company.autocomm_purchase_order_auto_send = False
        order = self.create_order(confirm=True)
        order.action_autocomm_send_now()
        self.assertEqual(order.autocomm_state, "sending")
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["orders@vendor.example.com"])

    def test_send_now_on_cancelled_order_refused(self):
        order = self.create_order()
        order.button_cancel()
        with self.assertRaisesRegex(UserError, "confirmed purchase orders"):
            order.action_autocomm_send_now()

    def test_resend_queues_order_again(self):
        order = self.create_order(confirm=True)
        self.run_autocomm_cron()
        order.action_autocomm_resend()
        self.assertEqual(order.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)
