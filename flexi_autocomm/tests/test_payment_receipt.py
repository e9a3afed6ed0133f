from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestPaymentReceipt(AutocommCase):
    """Customer payment receipts: FlexiBee's "Send payment documents",
    sent by the same engine as the invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.bank_journal.autocomm_auto_send = True
        # The accountant receives the receipts, the boss the invoices only.
        cls.contact_billing.autocomm_send_payments = True

    def create_payment(self, post=True, **values):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 1210.0,
                "journal_id": self.bank_journal.id,
                **values,
            }
        )
        if post:
            payment.action_post()
        return payment

    def test_confirmed_payment_receipt_goes_to_contacts_flagged_for_payments(self):
        payment = self.create_payment()
        self.assertEqual(payment.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(), ["accounts@customer.example.com"]
        )
        self.assertEqual(payment.autocomm_recipient_ids, self.contact_billing)
        self.assertTrue(payment.autocomm_sent_date)

    def test_receipt_carries_odoo_payment_receipt_pdf(self):
        payment = self.create_payment()
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        attachments = message.attachments()
        self.assertEqual(list(attachments), [f"Payment Receipt - {payment.name}.pdf"])
        self.assertTrue(
            attachments[f"Payment Receipt - {payment.name}.pdf"][:5] == b"%PDF-"
        )
        self.assertIn(f"Payment Receipt {payment.name}", message.subject)
        self.assertIn(self.company.name, message.subject)

    def test_receipt_body_default_text_and_signature(self):
        self.create_payment(memo="INV/2026/00001")
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn("thank you for your payment", body)
        self.assertIn("Best regards", body)
        self.assertNotIn("OdooBot", body)

    def test_receipt_uses_payment_journal_text_with_payment_placeholders(self):
        self.bank_journal.autocomm_email_text = (
            "<p>We received {{ object.amount }} on {{ object.date }}.</p>"
        )
        payment = self.create_payment()
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)
        body = self.smtp.messages[0].html_body()
        self.assertIn("We received 1210.0 on", body)

    def test_payment_journal_text_checked_against_payment_fields(self):
        with self.assertRaisesRegex(ValidationError, "invoice_date_due"):
            self.bank_journal.autocomm_email_text = (
                "<p>Due {{ object.invoice_date_due }}</p>"
            )

    def test_receipt_marks_payment_sent_in_odoo_only_when_accepted(self):
        payment = self.create_payment()
        self.assertFalse(payment.is_sent)
        self.smtp.stop()
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sending")
        self.assertFalse(payment.is_sent)
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)
        self.assertTrue(payment.is_sent)
        self.assertEqual(len(self.smtp.messages), 1)

    def test_draft_payment_waits_until_confirmed(self):
        payment = self.create_payment(post=False)
        self.assertEqual(payment.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        payment.action_post()
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)

    def test_vendor_payment_and_journal_without_flag_not_sent(self):
        vendor_payment = self.create_payment(
            payment_type="outbound", partner_type="supplier"
        )
        self.bank_journal.autocomm_auto_send = False
        unflagged = self.create_payment()
        self.assertEqual(vendor_payment.autocomm_state, "no_send")
        self.assertEqual(unflagged.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_cancelled_payment_waiting_for_server_is_never_sent(self):
        payment = self.create_payment()
        self.smtp.stop()
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sending")
        payment.action_cancel()
        self.assertEqual(payment.autocomm_state, "no_send")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_registered_invoice_payment_sends_invoice_and_receipt_in_one_run(self):
        invoice = self.create_invoice()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        payment = invoice.matched_payment_ids
        self.assertEqual(payment.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(payment.autocomm_state, "sent", payment.autocomm_error)
        subjects = sorted(message.subject for message in self.smtp.messages)
        self.assertEqual(len(subjects), 3)  # the invoice twice, the receipt once
        self.assertEqual(
            self.smtp.delivered_to("accounts@customer.example.com")
            and len(
                [
                    m
                    for m in self.smtp.messages
                    if "accounts@customer.example.com" in m.rcpt_tos
                ]
            ),
            2,
        )

    def test_nobody_flagged_and_no_address_fails_with_reason(self):
        customer = self.env["res.partner"].create({"name": "Bez adresy s.r.o."})
        payment = self.create_payment(partner_id=customer.id)
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "failed")
        self.assertIn("Send payment documents", payment.autocomm_error)
        self.assertTrue(payment.activity_ids)

    def test_send_now_on_draft_payment_refused(self):
        payment = self.create_payment(post=False)
        with self.assertRaisesRegex(UserError, "confirmed customer payments"):
            payment.action_autocomm_send_now()

    def test_resend_queues_receipt_again(self):
        payment = self.create_payment()
        self.run_autocomm_cron()
        payment.action_autocomm_resend()
        self.assertEqual(payment.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)

    def test_payment_without_partner_fails_instead_of_waiting(self):
        payment = self.create_payment(partner_id=False)
        self.assertEqual(payment.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(payment.autocomm_state, "failed")
        self.assertIn("no partner", payment.autocomm_error)
        self.assertTrue(payment.activity_ids)
        self.assertFalse(self.smtp.messages)
