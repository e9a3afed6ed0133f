from odoo.tests import tagged

from .common import AutocommTourCase


@tagged("post_install", "-at_install")
class TestTour(AutocommTourCase):
    """The browser tour ``flexi_autocomm_tour``, in headless Chromium.

    The browser talks to Odoo's test HTTP server; the scheduled action, run
    with the "Run Manually" button, sends through a real SMTP server that this
    test starts and registers as the only mail server.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The tour starts from a company that does not send yet.
        cls.company = cls.env.ref("base.main_company")
        cls.company.write({"autocomm_mode": "no_send", "autocomm_bcc_email": False})
        cls.sale_journals = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)]
        )
        cls.sale_journals.autocomm_auto_send = False
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Bakery s.r.o.",
                "is_company": True,
                "email": "info@tour-bakery.example.com",
                "customer_rank": 1,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Eva Tourová",
                "parent_id": cls.customer.id,
                "type": "contact",
                "email": "eva@tour-bakery.example.com",
            }
        )
        cls.env["product.product"].create({"name": "Tour Bread", "list_price": 100.0})

    def test_settings_to_sent_invoice(self):
        self.start_tour(
            "/odoo/action-account.action_account_config",
            "flexi_autocomm_tour",
            login="admin",
        )
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.customer.id), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.autocomm_state, "sent")
        self.assertEqual(invoice.autocomm_recipient_ids, self.contact)
        received = self.smtp.delivered_to(self.contact.email)
        self.assertEqual(len(received), 1)
        self.assertIn(invoice.name, received[0].subject)
        self.assertIn(
            f"{invoice.name.replace('/', '_')}.pdf", received[0].attachment_names()
        )
        # The archive got its hidden copy (the run also sends whatever else
        # the database had queued: count this invoice's copies only); the
        # company address was not used, since a contact is flagged.
        archived = [
            message
            for message in self.smtp.delivered_to("archive@tour.example.com")
            if invoice.name in message.subject
        ]
        self.assertEqual(len(archived), 1)
        self.assertFalse(self.smtp.delivered_to(self.customer.email))
        self.assertNotIn("archive@tour.example.com", received[0].header_text())
