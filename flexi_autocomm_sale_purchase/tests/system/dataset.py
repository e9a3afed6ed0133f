"""Data of the sales-and-purchases system scenario, beside the purchase
bridge's (run like flexi_autocomm's dataset script)."""

import sys

FUNCTIONS = {}


def dataset(function):
    FUNCTIONS[function.__name__] = function
    return function


def _purchase():
    """The purchase bridge's dataset module (once Odoo knows the addons path)."""
    from odoo.addons.flexi_autocomm_purchase.tests.system import dataset

    return dataset


@dataset
def scenario_every_kind(env, smtp_port, customers, vendors, buyers):
    """The purchase scenario's invoices, RFQs and purchase orders, and for
    each of ``buyers`` a quotation (to its contact flagged Send quotations)
    and a confirmed order (to the one flagged Send orders), queued at once."""
    setup = _purchase().scenario_invoices_and_purchases(
        env, smtp_port, customers, vendors
    )
    company = env["res.company"].browse(setup["company_id"])
    company.write(
        {"autocomm_quotation_auto_send": True, "autocomm_sale_order_auto_send": True}
    )
    salesperson = env["res.users"].search([("login", "=", "jana.novakova")])
    salesperson.groups_id = [(4, env.ref("sales_team.group_sale_salesman").id)]
    product = env["product.product"].create({"name": "Rye bread", "type": "consu"})
    # No "You have been assigned" e-mail: the sink gets the automatic ones only.
    sale_orders = env["sale.order"].with_context(mail_auto_subscribe_no_notify=True)
    sales = []
    for number in range(buyers):
        domain = f"buyer{number:04d}.example.com"
        customer = env["res.partner"].create(
            {
                "name": f"Buyer {number:04d} s.r.o.",
                "is_company": True,
                "email": f"office@{domain}",
                "lang": "en_US",
                "child_ids": [
                    (0, 0, {"name": "Quotes", "email": f"quotes@{domain}"}),
                    (0, 0, {"name": "Orders", "email": f"orders@{domain}"}),
                ],
            }
        )
        for contact in customer.child_ids:
            flag = "quotations" if contact.name == "Quotes" else "orders"
            contact[f"autocomm_send_{flag}"] = True
        quotation, order = sale_orders.create(
            [
                {
                    "partner_id": customer.id,
                    "company_id": company.id,
                    "user_id": salesperson.id,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": qty})
                    ],
                }
                for qty in (3, 7)
            ]
        )
        order.action_confirm()
        sales += [
            [quotation.id, quotation.name, f"quotes@{domain}"],
            [order.id, order.name, f"orders@{domain}"],
        ]
    setup["sales"] = sales
    return setup


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    import odoo

    odoo.tools.config.parse_config(
        ["-c", argv[argv.index("--config") + 1], "--log-level=warn"]
    )
    purchase = _purchase()
    base = purchase._base()
    base.FUNCTIONS.update(purchase.FUNCTIONS)
    base.FUNCTIONS.update(FUNCTIONS)
    return base.main(argv)


if __name__ == "__main__":
    sys.exit(main())
