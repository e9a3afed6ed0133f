from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.flexi_autocomm.models.mail_mail import MailMail

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestDelivery(AutocommCase):
    """What the mail server answers decides the mail state."""

    def test_cron_run_twice_sends_once(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)

    def test_resend_sends_exactly_once_more(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        invoice.with_user(self.salesperson).action_autocomm_resend()
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.assertIn(
            "Queued for automatic sending again by Jana Nováková",
            invoice.message_ids[0].body,
        )
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(
            len(self.smtp.delivered_to("accounts@customer.example.com")), 2
        )
        self.assertEqual(len(self.smtp.messages), 4)

    def test_resend_refused_for_documents_not_sent(self):
        invoice = self.create_invoice()
        with self.assertRaises(UserError):
            invoice.action_autocomm_resend()

    def test_server_down_keeps_queued_then_sends_once(self):
        invoice = self.create_invoice()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.assertIn("not available", invoice.autocomm_error)
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertFalse(invoice.autocomm_error)
        self.assertEqual(len(self.smtp.messages), 2)
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 2)
        self.assertEqual(len(invoice.message_ids.filtered(lambda m: m.partner_ids)), 1)

    def test_cancelled_while_server_down_is_never_sent(self):
        invoice = self.create_invoice()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        invoice.button_cancel()
        self.assertEqual(invoice.autocomm_state, "no_send")
        self.assertTrue(invoice.message_ids.filtered(lambda m: "withdrawn" in m.body))
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        self.assertEqual(invoice.autocomm_state, "no_send")

    def test_reset_to_draft_while_server_down_waits_until_posted_again(self):
        invoice = self.create_invoice()
        self.smtp.go_down()
        self.run_autocomm_cron()
        invoice.button_draft()
        # Marked Send, like a draft: the e-mail built from the posted
        # document is withdrawn, the corrected one goes when it is posted.
        self.assertEqual(invoice.autocomm_state, "to_send")
        self.smtp.come_back()
        self.run_autocomm_cron()
        self.assertFalse(self.smtp.messages)
        invoice.action_post()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )

    def test_permanent_refusal_fails_with_reason_and_activity(self):
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("boss@customer.example.com", invoice.autocomm_error)
        self.assertIn("550", invoice.autocomm_error)
        self.assertTrue(invoice.activity_ids)
        self.assertEqual(invoice.activity_ids.user_id, self.salesperson)
        # The other contact got it, once.
        self.assertEqual(
            len(self.smtp.delivered_to("accounts@customer.example.com")), 1
        )
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)

    def test_failure_todo_done_once_sent(self):
        self.smtp.refuse_permanently("boss@customer.example.com")
        invoice = self.create_invoice()
        own_todo = invoice.activity_schedule(
            "mail.mail_activity_data_todo", summary="Call the customer"
        )
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        failure_todo = invoice.activity_ids - own_todo
        self.assertEqual(failure_todo.user_id, self.salesperson)
        self.smtp.accept()
        invoice.action_autocomm_resend()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertFalse(failure_todo.exists(), "marked done")
        self.assertEqual(invoice.activity_ids, own_todo)
        self.assertTrue(
            invoice.message_ids.filtered(
                lambda m: "sent on a later try" in (m.body or "")
            )
        )

    def test_refused_archive_copy_does_not_fail_document(self):
        self.company.autocomm_bcc_email = "archive@our.example.com"
        self.smtp.refuse_permanently("archive@our.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertFalse(invoice.activity_ids)
        (note,) = invoice.message_ids.filtered(
            lambda m: "archive@our.example.com" in m.body
        )
        self.assertIn("550", note.body)
        self.run_autocomm_cron()
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )

    def test_refused_bcc_only_copy_fails_document(self):
        # In "BCC only" mode the archive address is the only recipient.
        self.company.write(
            {
                "autocomm_mode": "bcc_only",
                "autocomm_bcc_email": "archive@our.example.com",
            }
        )
        self.smtp.refuse_permanently("archive@our.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("archive@our.example.com", invoice.autocomm_error)

    def test_temporary_refusal_retried_later(self):
        self.smtp.refuse_temporarily("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.assertIn("451", invoice.autocomm_error)
        self.assertEqual(
            len(self.smtp.delivered_to("accounts@customer.example.com")), 1
        )
        self.smtp.accept()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.delivered_to("boss@customer.example.com")), 1)
        # The contact who got it at the first attempt does not get it twice.
        self.assertFalse(self.smtp.delivered_to("accounts@customer.example.com"))

    def test_temporary_refusal_gives_up_after_max_attempts(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "flexi_autocomm.max_attempts", 2
        )
        self.smtp.refuse_temporarily("boss@customer.example.com")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("451", invoice.autocomm_error)

    def test_connection_lost_after_data_is_check_delivery_not_resent(self):
        # The server has the whole message, the connection drops before its
        # answer (RFC 1047): it may have been delivered, it is never sent again.
        self.smtp.hang_up("data")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "unknown")
        self.assertIn("connection to the mail server was lost", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )

    def test_connection_lost_before_data_is_retried(self):
        self.smtp.hang_up("mail")
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        self.assertEqual(
            self.smtp.envelope_recipients(),
            ["accounts@customer.example.com", "boss@customer.example.com"],
        )

    def run_cron_failing_post(self, failing):
        """Run the scheduled action with the e-mail of ``failing`` failing to
        be built."""
        sender_class = type(self.env["account.move.send"])
        original = sender_class._autocomm_post_message

        def post_message(self_, move, move_data):
            if move == failing:
                raise ValueError("template exploded")
            return original(self_, move, move_data)

        with patch.object(sender_class, "_autocomm_post_message", post_message):
            self.run_autocomm_cron()

    def test_failure_of_one_document_does_not_stop_batch(self):
        first = self.create_invoice()
        second = self.create_invoice()
        self.run_cron_failing_post(first)
        self.assertEqual(first.autocomm_state, "failed")
        self.assertIn("template exploded", first.autocomm_error)
        self.assertEqual(second.autocomm_state, "sent")

    def test_failure_in_batch_posting_posts_the_others_once(self):
        # The batch is posted under one savepoint: when its second document
        # fails, the first one's message and e-mails are rolled back with it
        # and built again on their own, exactly once.
        first = self.create_invoice()
        second = self.create_invoice()
        self.run_cron_failing_post(second)
        self.assertEqual(second.autocomm_state, "failed")
        self.assertIn("template exploded", second.autocomm_error)
        self.assertEqual(first.autocomm_state, "sent", first.autocomm_error)
        self.assertEqual(
            len(first.message_ids.filtered(lambda m: m.message_type == "comment")), 1
        )
        self.assertEqual(len(self.smtp.delivered_to(self.contact_billing.email)), 1)
        self.assertEqual(len(self.smtp.messages), 2)

    def build_emails_only(self):
        """Run the scheduled action without its dispatch: the e-mails wait."""
        with patch.object(
            MailMail, "_autocomm_dispatch", lambda self, limit=None: None
        ):
            self.run_autocomm_cron()

    def test_interrupted_sending_is_marked_unknown_not_resent(self):
        # A worker claims an e-mail, hands it to the server, then dies before
        # its outcome is committed. Its database connection may live on (a
        # pooler such as pgbouncer keeps it): the claim expires all the same.
        self.env["ir.config_parameter"].sudo().set_param(
            "flexi_autocomm.claim_lease_seconds", 0
        )
        invoice = self.create_invoice()
        self.build_emails_only()
        mails = invoice.autocomm_mail_ids
        self.assertEqual(len(mails), 2)
        self.assertTrue(mails[0]._autocomm_claim())
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "unknown")
        self.assertIn("may or may not have been delivered", invoice.autocomm_error)
        # The other recipient's e-mail went out; the interrupted one is not resent.
        self.assertEqual(len(self.smtp.messages), 1)
        self.run_autocomm_cron()
        self.assertEqual(len(self.smtp.messages), 1)
        invoice.action_autocomm_resend()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")

    def test_claim_within_its_lease_is_not_recovered(self):
        invoice = self.create_invoice()
        self.build_emails_only()
        mail = invoice.autocomm_mail_ids[0]
        self.assertTrue(mail._autocomm_claim())
        self.env["mail.mail"]._autocomm_recover_interrupted()
        self.assertEqual(mail.autocomm_outcome, "pending")

    def test_odoo_mail_queue_leaves_automatic_emails_alone(self):
        invoice = self.create_invoice()
        self.build_emails_only()
        self.env["mail.mail"].process_email_queue()
        self.assertFalse(self.smtp.messages)
        self.assertEqual(invoice.autocomm_state, "sending")


@tagged("post_install", "-at_install")
class TestButtons(AutocommCase):
    def test_send_now(self):
        self.sale_journal.autocomm_auto_send = False
        invoice = self.create_invoice()
        self.assertEqual(invoice.autocomm_state, "no_send")
        action = invoice.with_user(self.salesperson).action_autocomm_send_now()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("in the mail queue", action["params"]["message"])
        self.assertFalse(
            self.smtp.messages, "sent by the scheduled action, not the button"
        )
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(len(self.smtp.messages), 2)

    def test_send_now_says_why_the_document_failed(self):
        self.sale_journal.autocomm_auto_send = False
        nobody = self.env["res.partner"].create(
            {"name": "Nikdo", "is_company": True, "email": "not-an-address"}
        )
        invoice = self.create_invoice(partner=nobody)
        action = invoice.action_autocomm_send_now()
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertEqual(action["params"]["type"], "danger")
        self.assertTrue(action["params"]["sticky"])
        message = action["params"]["message"]
        self.assertIn(
            f"{invoice.display_name} was not sent: Nobody to send to", message
        )
        self.assertNotIn("mail queue", message)

    def test_send_now_in_bcc_only_mode_names_the_bcc_address(self):
        self.company.write(
            {
                "autocomm_mode": "bcc_only",
                "autocomm_bcc_email": "archive@our.example.com",
            }
        )
        invoice = self.create_invoice()
        action = invoice.action_autocomm_send_now()
        self.assertEqual(invoice.autocomm_state, "sending")
        self.assertIn(
            "for the BCC address archive@our.example.com only",
            action["params"]["message"],
        )

    def test_send_now_while_server_down_says_why_it_waits(self):
        invoice = self.create_invoice()
        self.smtp.go_down()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sending")
        with self.assertRaises(UserError) as caught:
            invoice.action_autocomm_send_now()
        message = caught.exception.args[0]
        self.assertIn("in the mail queue already and waits", message)
        self.assertIn("mail server is not available", message)

    def test_send_now_refused_for_draft(self):
        invoice = self.create_invoice(post=False)
        with self.assertRaises(UserError):
            invoice.action_autocomm_send_now()

    def test_send_now_refused_when_company_does_not_send(self):
        invoice = self.create_invoice()
        self.company.autocomm_mode = "no_send"
        with self.assertRaises(UserError):
            invoice.action_autocomm_send_now()

    def test_mark_to_send_list_action(self):
        self.sale_journal.autocomm_auto_send = False
        posted = self.create_invoice()
        draft = self.create_invoice(post=False)
        (posted | draft).action_autocomm_mark_to_send()
        self.assertEqual(posted.autocomm_state, "to_send")
        self.assertEqual(draft.autocomm_state, "no_send")

    def test_user_cannot_set_machine_states(self):
        invoice = self.create_invoice()
        with self.assertRaises(UserError):
            invoice.autocomm_state = "sent"
        self.run_autocomm_cron()
        with self.assertRaises(UserError):
            invoice.autocomm_state = "to_send"


@tagged("post_install", "-at_install")
class TestInstall(AutocommCase):
    def test_existing_documents_stay_no_send(self):
        # The column was added with a constant default: documents that existed
        # before the install (the demo invoices of `account`) are not queued.
        self.env.cr.execute(
            "SELECT count(*) FROM account_move WHERE autocomm_state IS NULL"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        old_demo = self.env.ref("account.1_demo_invoice_1", raise_if_not_found=False)
        if old_demo:
            self.assertEqual(old_demo.sudo().autocomm_state, "no_send")
