from odoo.tests import tagged

from .common import SaleAutocommCase


@tagged("post_install", "-at_install")
class TestQuotation(SaleAutocommCase):
    """New quotations are e-mailed to the contacts flagged "Send quotations",
    with Odoo's quotation PDF, and become "Quotation Sent" once accepted."""

    def test_new_quotation_marked_send_when_company_sends_quotations(self):
        self.assertEqual(self.create_quotation().autocomm_state, "to_send")
        self.company.autocomm_quotation_auto_send = False
        self.assertEqual(self.create_quotation().autocomm_state, "no_send")

    def test_quotation_of_company_not_sending_is_not_marked(self):
        self.company.autocomm_mode = "no_send"
        self.assertEqual(self.create_quotation().autocomm_state, "no_send")

    def test_quotation_goes_to_contacts_flagged_for_quotations(self):
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sent", quotation.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["boss@customer.example.com"])
        self.assertEqual(quotation.autocomm_recipient_ids, self.contact_boss)
        self.assertTrue(quotation.autocomm_sent_date)

    def test_quotation_without_flagged_contact_goes_to_customer_address(self):
        self.contact_boss.autocomm_send_quotations = False
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sent", quotation.autocomm_error)
        self.assertEqual(self.smtp.envelope_recipients(), ["info@customer.example.com"])

    def test_quotation_carries_odoo_quotation_pdf_and_subject(self):
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        (message,) = self.smtp.messages
        attachments = message.attachments()
        self.assertEqual(list(attachments), [f"Quotation - {quotation.name}.pdf"])
        self.assertEqual(attachments[f"Quotation - {quotation.name}.pdf"][:5], b"%PDF-")
        self.assertEqual(
            message.subject, f"{self.company.name} Quotation (Ref {quotation.name})"
        )

    def test_quotation_default_text_and_salesperson_signature(self):
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        self.assertIn(f"please find attached quotation <strong>{quotation.name}", body)
        self.assertIn("Ing.", body)
        self.assertIn("Jana Nováková", body)

    def test_quotation_without_salesperson_signed_by_company_not_technical_user(self):
        self.create_quotation(user_id=False)
        self.run_autocomm_cron()
        body = self.smtp.messages[0].html_body()
        signature = body[body.index("Best regards") :]
        self.assertIn(self.company.name, signature)
        self.assertNotIn("OdooBot", signature)
        self.assertNotIn(self.env.ref("base.user_root").name, signature)

    def test_quotation_becomes_quotation_sent_only_when_accepted(self):
        quotation = self.create_quotation()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sending")
        self.assertEqual(quotation.state, "draft")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sent", quotation.autocomm_error)
        self.assertEqual(quotation.state, "sent")
        self.assertEqual(len(self.smtp.messages), 1)

    def test_refused_quotation_stays_draft(self):
        self.smtp.refuse_permanently("boss@customer.example.com")
        quotation = self.create_quotation()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "failed")
        self.assertEqual(quotation.state, "draft")
        self.assertIn("boss@customer.example.com", quotation.autocomm_error)

    def test_recipients_do_not_become_followers(self):
        quotation = self.create_quotation()
        self.company.autocomm_bcc_email = "archive@our.example.com"
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sent", quotation.autocomm_error)
        followers = quotation.message_partner_ids
        self.assertNotIn(self.contact_boss, followers)
        self.assertNotIn("archive@our.example.com", followers.mapped("email"))

    def test_quotation_without_lines_waits(self):
        quotation = self.create_quotation(lines=False)
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        self.assertEqual(quotation.autocomm_state, "to_send")

    def test_cancelled_quotation_never_sent(self):
        quotation = self.create_quotation()
        quotation._action_cancel()
        self.assertEqual(quotation.autocomm_state, "no_send")
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_quotation_cancelled_while_waiting_for_server_never_sent(self):
        quotation = self.create_quotation()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sending")
        quotation._action_cancel()
        self.assertEqual(quotation.autocomm_state, "no_send")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)

    def test_send_now_sends_quotation_at_once(self):
        self.company.autocomm_quotation_auto_send = False
        quotation = self.create_quotation()
        quotation.action_autocomm_send_now()
        self.run_autocomm_cron()
        self.assertEqual(quotation.autocomm_state, "sent", quotation.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 1)

    def test_mark_to_send_list_action_skips_cancelled(self):
        self.company.autocomm_quotation_auto_send = False
        quotation, cancelled = self.create_quotation(), self.create_quotation()
        cancelled._action_cancel()
        (quotation | cancelled).action_autocomm_mark_to_send()
        self.assertEqual(quotation.autocomm_state, "to_send")
        self.assertEqual(cancelled.autocomm_state, "no_send")
