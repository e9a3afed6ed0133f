from odoo import Command
from odoo.tests import Form, new_test_user

from odoo.addons.flexi_autocomm.tests.common import AutocommCase


class DeliverySlipCase(AutocommCase):
    """A company that sends, its warehouse's delivery type marked Send, a
    storable product in stock, and a storekeeper responsible for the
    deliveries. The customer's contact ``contact_other`` (the warehouse) is
    flagged "Send stock documents"; the two others receive the invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.out_type = warehouse.out_type_id
        cls.out_type.autocomm_auto_send = True
        cls.stock_location = warehouse.lot_stock_id
        cls.customer_location = cls.env.ref("stock.stock_location_customers")
        cls.product = cls.env["product.product"].create(
            {"name": "Žitná mouka 25 kg", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.product, cls.stock_location, 100.0
        )
        cls.storekeeper = new_test_user(
            cls.env,
            login="pavel.skladnik",
            name="Pavel Skladník",
            email="pavel.skladnik@our.example.com",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.contact_other.autocomm_send_stock = True

    def create_delivery(self, partner=None, validate=True, **values):
        """A delivery order of 5 units to ``partner`` (the customer), reserved
        and, with ``validate``, validated in full."""
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.out_type.id,
                "partner_id": (partner or self.customer).id,
                "user_id": self.storekeeper.id,
                "location_id": self.stock_location.id,
                "location_dest_id": self.customer_location.id,
                "origin": "S00042",
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
                **values,
            }
        )
        picking.action_confirm()
        picking.action_assign()
        if validate:
            self.validate(picking)
        return picking

    def created_by(self, picking, user):
        """``picking``, as if ``user`` had created it."""
        self.env.cr.execute(
            "UPDATE stock_picking SET create_uid = %s WHERE id = %s",
            [user.id, picking.id],
        )
        picking.invalidate_recordset(["create_uid"])
        return picking

    def validate(self, picking, quantity=None, backorder=True):
        """Validate ``picking`` as a storekeeper does: ``quantity`` of the
        5 units picked, the rest in a backorder (or not)."""
        if quantity is not None:
            picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        action = picking.button_validate()
        if isinstance(action, dict):
            wizard = Form(
                self.env[action["res_model"]].with_context(**action["context"])
            ).save()
            if backorder:
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        return picking
