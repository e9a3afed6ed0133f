from odoo.tests import tagged

from odoo.addons.flexi_autocomm.tests.common import AutocommTourCase


@tagged("post_install", "-at_install")
class TestTour(AutocommTourCase):
    """The browser tour ``flexi_autocomm_sale_tour``, in headless Chromium.

    The tour switches the sending on, flags the contacts, creates a quotation,
    runs the scheduled action ("Run Manually") and confirms the quotation; the
    test then runs the scheduled action once more for the order confirmation.
    Both go through a real SMTP server.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company that sends, but neither quotations nor orders yet.
        cls.company = cls.env.ref("base.main_company")
        cls.company.write(
            {
                "autocomm_mode": "send",
                "autocomm_bcc_email": False,
                "autocomm_quotation_auto_send": False,
                "autocomm_sale_order_auto_send": False,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Shop s.r.o.",
                "is_company": True,
                "email": "info@tour-shop.example.com",
                "customer_rank": 1,
            }
        )
        cls.contact_quotations, cls.contact_orders = cls.env["res.partner"].create(
            [
                {
                    "name": name,
                    "parent_id": cls.customer.id,
                    "type": "contact",
                    "email": email,
                }
                for name, email in (
                    ("Jana Nabídková", "jana@tour-shop.example.com"),
                    ("Petr Objednávka", "petr@tour-shop.example.com"),
                )
            ]
        )
        cls.env["product.product"].create(
            {"name": "Tour Cake", "list_price": 250.0, "sale_ok": True}
        )

    def test_settings_quotation_sent_then_confirmed(self):
        self.start_tour(
            "/odoo/action-sale.action_sale_config_settings",
            "flexi_autocomm_sale_tour",
            login="admin",
        )
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.autocomm_state, "to_send")
        # (The scheduled action also sent the demo data's documents, if any.)
        (quotation_mail,) = self.smtp.delivered_to(self.contact_quotations.email)
        self.assertIn("Quotation", quotation_mail.subject)
        self.assertIn(order.name, quotation_mail.subject)
        self.assertFalse(self.smtp.delivered_to(self.contact_orders.email))

        self.run_autocomm_cron()
        self.assertEqual(order.autocomm_state, "sent", order.autocomm_error)
        self.assertEqual(order.autocomm_recipient_ids, self.contact_orders)
        (order_mail,) = self.smtp.delivered_to(self.contact_orders.email)
        self.assertIn("Order", order_mail.subject)
        self.assertIn(order.name, order_mail.subject)
        self.assertEqual(len(self.smtp.delivered_to(self.contact_quotations.email)), 1)
        self.assertFalse(self.smtp.delivered_to(self.customer.email))
