from odoo import Command
from odoo.tests import tagged

from odoo.addons.flexi_autocomm.tests.common import AutocommTourCase


@tagged("post_install", "-at_install")
class TestTour(AutocommTourCase):
    """The browser tour ``flexi_autocomm_stock_tour``, in headless Chromium;
    the scheduled action then sends through a real SMTP server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.main_company")
        company.write({"autocomm_mode": "send", "autocomm_bcc_email": False})
        cls.out_type = cls.env.ref("stock.picking_type_out")
        cls.out_type.autocomm_auto_send = True
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Depot s.r.o.",
                "is_company": True,
                "email": "info@tour-depot.example.com",
                "customer_rank": 1,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Eva Skladová",
                "parent_id": cls.customer.id,
                "type": "contact",
                "email": "eva@tour-depot.example.com",
            }
        )
        product = cls.env["product.product"].create(
            {"name": "Tour Flour", "is_storable": True}
        )
        stock = cls.out_type.default_location_src_id
        customers = cls.env.ref("stock.stock_location_customers")
        cls.env["stock.quant"]._update_available_quantity(product, stock, 10.0)
        cls.delivery = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.out_type.id,
                "partner_id": cls.customer.id,
                "origin": "TOUR-DELIVERY",
                "location_id": stock.id,
                "location_dest_id": customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": 3.0,
                            "product_uom": product.uom_id.id,
                            "location_id": stock.id,
                            "location_dest_id": customers.id,
                        }
                    )
                ],
            }
        )
        cls.delivery.action_confirm()
        cls.delivery.action_assign()

    def test_operation_type_contact_flag_and_validated_delivery(self):
        self.start_tour(
            f"/odoo/action-stock.action_picking_type_list/{self.out_type.id}",
            "flexi_autocomm_stock_tour",
            login="admin",
        )
        self.assertEqual(self.delivery.state, "done")
        self.assertEqual(self.delivery.autocomm_state, "to_send")
        self.run_autocomm_cron()
        self.assertEqual(
            self.delivery.autocomm_state, "sent", self.delivery.autocomm_error
        )
        self.assertEqual(self.delivery.autocomm_recipient_ids, self.contact)
        (received,) = self.smtp.delivered_to(self.contact.email)
        self.assertIn(self.delivery.name, received.subject)
        self.assertFalse(self.smtp.delivered_to(self.customer.email))
