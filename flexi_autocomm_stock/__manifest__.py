# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automatic Communication: Delivery Slips",
    "summary": "E-mail the delivery slip of a validated delivery to the "
    "customer's contacts flagged 'Send stock documents'",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["flexi_autocomm", "stock"],
    "data": [
        "data/mail_templates.xml",
        "views/res_partner_views.xml",
        "views/stock_picking_type_views.xml",
        "views/stock_picking_views.xml",
    ],
    "demo": [
        "demo/stock_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "flexi_autocomm_stock/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
    "auto_install": True,
}
