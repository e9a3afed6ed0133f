from odoo.tests import tagged

from .common import AutocommCase

BOUNCE = """\
From: MAILER-DAEMON@mx.customer.example.com
To: billing@our.example.com
Subject: Undelivered Mail Returned to Sender
Message-Id: <bounce-1@mx.customer.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<{address}>: host mx.customer.example.com said: 550 5.1.1 User unknown

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example.com

Final-Recipient: rfc822; {address}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B
Content-Type: text/rfc822-headers

Message-Id: {message_id}
Subject: Invoice

--B--
"""


@tagged("post_install", "-at_install")
class TestBounce(AutocommCase):
    """A bounce that Odoo's incoming mail gateway receives for an automatic
    e-mail fails its document, with the reason and a to-do."""

    def receive_bounce(self, message_id, address):
        """Feed Odoo's mail gateway the delivery status notification a mail
        server returns when the e-mail ``message_id`` to ``address`` cannot be
        delivered (RFC 3464)."""
        self.env["mail.thread"].message_process(
            False,
            BOUNCE.format(message_id=message_id, address=address).encode(),
        )

    def test_bounce_fails_sent_document_with_reason_and_todo(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        (delivered,) = (
            message
            for message in self.smtp.messages
            if message.rcpt_tos == ["boss@customer.example.com"]
        )
        self.receive_bounce(delivered.message["Message-Id"], delivered.rcpt_tos[0])
        self.assertEqual(invoice.autocomm_state, "failed")
        self.assertIn("boss@customer.example.com", invoice.autocomm_error)
        self.assertIn("User unknown", invoice.autocomm_error)
        self.assertFalse(invoice.is_move_sent)
        self.assertEqual(
            invoice.activity_ids.activity_type_id,
            self.env.ref("flexi_autocomm.mail_activity_type_autocomm_failed"),
        )

    def test_bounce_of_other_email_leaves_documents_alone(self):
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        other = self.create_invoice(autocomm_state="no_send")
        message = other.message_post(body="Hello", partner_ids=self.contact_boss.ids)
        self.assertTrue(message.message_id)
        self.receive_bounce(message.message_id, "boss@customer.example.com")
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(other.autocomm_state, "no_send")

    def test_bounce_of_hidden_copy_is_only_noted(self):
        self.company.autocomm_bcc_email = "archive@our.example.com"
        invoice = self.create_invoice()
        self.run_autocomm_cron()
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        (copy,) = (
            message
            for message in self.smtp.messages
            if message.rcpt_tos == ["archive@our.example.com"]
        )
        self.receive_bounce(copy.message["Message-Id"], "archive@our.example.com")
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertTrue(
            invoice.message_ids.filtered(
                lambda message: "came back undelivered" in (message.body or "")
            )
        )
