from odoo.tests import tagged

from odoo.addons.flexi_autocomm.tests.common import AutocommTourCase


@tagged("post_install", "-at_install")
class TestTour(AutocommTourCase):
    """The browser tour ``flexi_autocomm_purchase_tour``, in headless Chromium.

    The tour switches the sending on, flags the vendor's contacts, creates an
    RFQ, runs the scheduled action ("Run Manually") and confirms the RFQ; the
    test then runs the scheduled action once more for the purchase order.
    Both go through a real SMTP server.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company that sends, but neither RFQs nor purchase orders yet.
        cls.company = cls.env.ref("base.main_company")
        cls.company.write(
            {
                "autocomm_mode": "send",
                "autocomm_bcc_email": False,
                "autocomm_rfq_auto_send": False,
                "autocomm_purchase_order_auto_send": False,
            }
        )
        cls.vendor = cls.env["res.partner"].create(
            {
                "name": "Tour Mill a.s.",
                "is_company": True,
                "email": "info@tour-mill.example.com",
                "supplier_rank": 1,
            }
        )
        cls.contact_rfqs, cls.contact_orders = cls.env["res.partner"].create(
            [
                {
                    "name": name,
                    "parent_id": cls.vendor.id,
                    "type": "contact",
                    "email": email,
                }
                for name, email in (
                    ("Lucie Prodejová", "lucie@tour-mill.example.com"),
                    ("Martin Objednávka", "martin@tour-mill.example.com"),
                )
            ]
        )
        cls.env["product.product"].create(
            {"name": "Tour Grain", "standard_price": 80.0, "purchase_ok": True}
        )

    def test_settings_rfq_sent_then_confirmed(self):
        self.start_tour(
            "/odoo/action-purchase.action_purchase_configuration",
            "flexi_autocomm_purchase_tour",
            login="admin",
        )
        order = self.env["purchase.order"].search([("partner_id", "=", self.vendor.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "purchase")
        self.assertEqual(order.autocomm_state, "to_send")
        # (The scheduled action also sent the demo data's documents, if any.)
        (rfq_mail,) = self.smtp.delivered_to(self.contact_rfqs.email)
        self.assertIn(order.name, rfq_mail.subject)
        self.assertIn("Request for Quotation", rfq_mail.attachment_names()[0])
        self.assertFalse(self.smtp.delivered_to(self.contact_orders.email))

        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        self.assertEqual(order.autocomm_recipient_ids, self.contact_orders)
        (order_mail,) = self.smtp.delivered_to(self.contact_orders.email)
        self.assertIn(order.name, order_mail.subject)
        self.assertIn("Purchase Order", order_mail.attachment_names()[0])
        self.assertEqual(len(self.smtp.delivered_to(self.contact_rfqs.email)), 1)
        self.assertFalse(self.smtp.delivered_to(self.vendor.email))
