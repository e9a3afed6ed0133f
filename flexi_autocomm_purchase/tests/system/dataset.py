"""Data of the purchase system scenarios, beside flexi_autocomm's.

Run like flexi_autocomm's dataset script (``ScenarioDatabase.call(...,
dataset_script=...)``)::

    python3 dataset.py --config odoo.conf --database db FUNCTION '{"arg": 1}'

The functions here are added to flexi_autocomm's, whose entry point runs
them; the configuration is read first, for Odoo to find both addons.
"""

import sys

FUNCTIONS = {}


def dataset(function):
    FUNCTIONS[function.__name__] = function
    return function


def _base():
    """flexi_autocomm's dataset module (once Odoo knows the addons path)."""
    from odoo.addons.flexi_autocomm.tests.system import dataset as base

    return base


@dataset
def scenario_invoices_and_purchases(env, smtp_port, customers, vendors):
    """Invoices, RFQs and purchase orders queued at once, for one run.

    Each customer gets one invoice (a ready-made PDF), each vendor one RFQ
    (to its contact flagged Send RFQs) and one confirmed purchase order (to
    its contact flagged Send orders), both with the PDFs Odoo renders.
    """
    base = _base()
    setup = base.setup_sending(env, smtp_port, batch_size=10)
    company = env["res.company"].browse(setup["company_id"])
    company.write(
        {"autocomm_rfq_auto_send": True, "autocomm_purchase_order_auto_send": True}
    )
    setup["customers"] = base.create_customers(env, count=customers, prefix="buyer")
    setup["invoices"] = base.create_invoices(
        env, [partner_id for partner_id, _emails in setup["customers"]]
    )
    buyer = env["res.users"].search([("login", "=", "jana.novakova")])
    buyer.groups_id = [(4, env.ref("purchase.group_purchase_user").id)]
    product = env["product.product"].create({"name": "Flour", "type": "consu"})
    purchase_orders = env["purchase.order"].with_context(
        mail_auto_subscribe_no_notify=True
    )
    orders = []
    for number in range(vendors):
        domain = f"vendor{number:04d}.example.com"
        vendor = env["res.partner"].create(
            {
                "name": f"Vendor {number:04d} a.s.",
                "is_company": True,
                "email": f"office@{domain}",
                "lang": "en_US",
                "child_ids": [
                    (0, 0, {"name": "Quotes", "email": f"quotes@{domain}"}),
                    (0, 0, {"name": "Orders", "email": f"orders@{domain}"}),
                ],
            }
        )
        for contact in vendor.child_ids:
            flag = "rfqs" if contact.name == "Quotes" else "orders"
            contact[f"autocomm_send_{flag}"] = True
        # No "You have been assigned" e-mail to the buyer: the sink gets the
        # scenario's automatic e-mails only.
        rfq, order = purchase_orders.create(
            [
                {
                    "partner_id": vendor.id,
                    "company_id": company.id,
                    "user_id": buyer.id,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_qty": qty})
                    ],
                }
                for qty in (5, 10)
            ]
        )
        order.button_confirm()
        orders += [
            [rfq.id, rfq.name, f"quotes@{domain}"],
            [order.id, order.name, f"orders@{domain}"],
        ]
    setup["orders"] = orders
    return setup


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    import odoo

    # The addons path, for flexi_autocomm's dataset module.
    odoo.tools.config.parse_config(
        ["-c", argv[argv.index("--config") + 1], "--log-level=warn"]
    )
    base = _base()
    base.FUNCTIONS.update(FUNCTIONS)
    return base.main(argv)


if __name__ == "__main__":
    sys.exit(main())
