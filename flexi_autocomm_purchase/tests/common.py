from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.flexi_autocomm.tests.common import AutocommCase


class PurchaseAutocommCase(AutocommCase):
    """A company that e-mails its RFQs and purchase orders, a buyer, and a
    vendor whose sales desk receives the RFQs and order desk the orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "autocomm_rfq_auto_send": True,
                "autocomm_purchase_order_auto_send": True,
            }
        )
        cls.buyer = new_test_user(
            cls.env,
            login="buyer",
            name="Tomáš Nákupčí",
            email="tomas.nakupci@our.example.com",
            groups="purchase.group_purchase_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.vendor = cls.env["res.partner"].create(
            {
                "name": "Dodavatel a.s.",
                "is_company": True,
                "email": "info@vendor.example.com",
                "lang": "en_US",
            }
        )
        cls.vendor_sales = cls._create_vendor_contact(
            "Lucie Prodejová", "quotes@vendor.example.com", autocomm_send_rfqs=True
        )
        cls.vendor_orders = cls._create_vendor_contact(
            "Martin Objednávka", "orders@vendor.example.com", autocomm_send_orders=True
        )
        cls.vendor_store = cls._create_vendor_contact(
            "Karel Sklad", "store@vendor.example.com"
        )

    @classmethod
    def _create_vendor_contact(cls, name, email_address, **flags):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "parent_id": cls.vendor.id,
                "type": "contact",
                "email": email_address,
                **flags,
            }
        )

    def create_order(self, partner=None, confirm=False, **values):
        order = self.env["purchase.order"].create(
            {
                "partner_id": (partner or self.vendor).id,
                "company_id": self.company.id,
                "user_id": self.buyer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_a.id,
                            "product_qty": 10.0,
                            "price_unit": 100.0,
                        }
                    )
                ],
                **values,
            }
        )
        if confirm:
            order.button_confirm()
        return order
