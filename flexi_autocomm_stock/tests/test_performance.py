import logging

from odoo import Command
from odoo.tests import tagged

from .common import DeliverySlipCase

_logger = logging.getLogger(__name__)

# Measured: 69.1 queries per delivery slip at a batch of 10, 54.9 at a batch
# of 50 (two contacts each, the report rendered as HTML in tests), as many as
# a payment receipt: the picking adds nothing per document to the engine.
MAX_QUERIES_PER_DELIVERY_SLIP = 62


@tagged("post_install", "-at_install")
class TestPerformance(DeliverySlipCase):
    def _validated_deliveries(self, count):
        """``count`` validated deliveries, each to a customer of its own with
        two contacts flagged "Send stock documents"."""
        customers = self.env["res.partner"].create(
            [
                {"name": f"Customer {count}-{n}", "is_company": True}
                for n in range(count)
            ]
        )
        self.env["res.partner"].create(
            [
                {
                    "name": f"Contact {n}-{contact}",
                    "parent_id": customer.id,
                    "email": f"c{count}-{n}-{contact}@perf.example.com",
                    "autocomm_send_stock": True,
                }
                for n, customer in enumerate(customers)
                for contact in (1, 2)
            ]
        )
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.stock_location, 5.0 * count
        )
        pickings = self.env["stock.picking"].create(
            [
                {
                    "picking_type_id": self.out_type.id,
                    "partner_id": customer.id,
                    "user_id": self.storekeeper.id,
                    "location_id": self.stock_location.id,
                    "location_dest_id": self.customer_location.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": self.product.name,
                                "product_id": self.product.id,
                                "product_uom_qty": 5.0,
                                "product_uom": self.product.uom_id.id,
                                "location_id": self.stock_location.id,
                                "location_dest_id": self.customer_location.id,
                            }
                        )
                    ],
                }
                for customer in customers
            ]
        )
        pickings.action_confirm()
        pickings.action_assign()
        pickings.move_ids.picked = True
        pickings.button_validate()
        self.assertEqual(set(pickings.mapped("state")), {"done"})
        return pickings

    def _queries_per_delivery_slip(self, count):
        pickings = self._validated_deliveries(count)
        self.env["ir.config_parameter"].sudo().set_param(
            "flexi_autocomm.batch_size", count
        )
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        self.run_autocomm_cron(real_pdf=False)
        queries = self.env.cr.sql_log_count - before
        self.assertEqual(set(pickings.mapped("autocomm_state")), {"sent"})
        self.assertEqual(len(self.smtp.messages), 2 * count)
        self.smtp.reset()
        return queries / count

    def test_queries_per_delivery_slip_do_not_grow_with_batch(self):
        per_slip_10 = self._queries_per_delivery_slip(10)
        per_slip_50 = self._queries_per_delivery_slip(50)
        _logger.info(
            "Queries per delivery slip: batch of 10: %.1f, batch of 50: %.1f",
            per_slip_10,
            per_slip_50,
        )
        self.assertLessEqual(per_slip_50, per_slip_10 * 1.10)
        self.assertLessEqual(per_slip_50, MAX_QUERIES_PER_DELIVERY_SLIP)
