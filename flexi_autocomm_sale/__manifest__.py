# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automatic Communication: Sales",
    "summary": "E-mail quotations and order confirmations marked Send to the "
    "customer's contacts flagged 'Send quotations' / 'Send orders', by the "
    "automatic communication's scheduled action",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["flexi_autocomm", "sale"],
    "data": [
        "data/mail_templates.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/sale_order_views.xml",
    ],
    "demo": [
        "demo/flexi_autocomm_sale_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "flexi_autocomm_sale/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
    "auto_install": True,
}
