from odoo import Command

from odoo.addons.flexi_autocomm.tests.common import AutocommCase


class SaleAutocommCase(AutocommCase):
    """A company that sends quotations and order confirmations; at the
    customer, the boss is flagged "Send quotations" and the accountant
    "Send orders" (both also "Send invoices", from :class:`AutocommCase`)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "autocomm_quotation_auto_send": True,
                "autocomm_sale_order_auto_send": True,
            }
        )
        cls.contact_boss.autocomm_send_quotations = True
        cls.contact_billing.autocomm_send_orders = True
        cls.salesperson.groups_id = [
            Command.link(cls.env.ref("sales_team.group_sale_salesman").id)
        ]

    def create_quotation(self, partner=None, lines=True, **values):
        return self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "user_id": self.salesperson.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_a.id,
                            "product_uom_qty": 2,
                            "price_unit": 500.0,
                        }
                    )
                ]
                if lines
                else [],
                **values,
            }
        )

    def messages_by_subject(self, word):
        return [message for message in self.smtp.messages if word in message.subject]
