from odoo.tests import tagged

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from .common import AutocommCase


@tagged("post_install", "-at_install")
class TestSmtpHarness(AutocommCase):
    """The SMTP server of the harness is real: Odoo's mail server reaches it."""

    def _send(self, to):
        server = self.env["ir.mail_server"]
        message = server.build_email(
            email_from="billing@our.example.com",
            email_to=[to],
            subject="Harness check",
            body="<p>Hello</p>",
            subtype="html",
        )
        return server.send_email(message, mail_server_id=self.mail_server.id)

    def test_message_reaches_server(self):
        self._send("someone@customer.example.com")
        self.assertEqual(len(self.smtp.messages), 1)
        received = self.smtp.messages[0]
        self.assertEqual(received.rcpt_tos, ["someone@customer.example.com"])
        self.assertEqual(received.subject, "Harness check")

    def test_permanent_refusal_surfaces(self):
        self.smtp.refuse_permanently("gone@customer.example.com")
        with self.assertRaisesRegex(MailDeliveryException, "550"):
            self._send("gone@customer.example.com")
        self.assertFalse(self.smtp.messages)

    def test_temporary_refusal_surfaces(self):
        self.smtp.refuse_temporarily("busy@customer.example.com")
        with self.assertRaisesRegex(MailDeliveryException, "451"):
            self._send("busy@customer.example.com")

    def test_server_down_surfaces(self):
        self.smtp.go_down()
        # Odoo lets the connection error through: a server that is down is
        # not a refusal.
        with self.assertRaises(ConnectionRefusedError):
            self._send("someone@customer.example.com")
        self.smtp.come_back()
        self._send("someone@customer.example.com")
        self.assertEqual(len(self.smtp.messages), 1)
