# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automatic Communication: RFQs and Purchase Orders",
    "summary": "E-mail new RFQs and confirmed purchase orders marked Send to the "
    "vendor's contacts flagged Send RFQs / Send orders, by the scheduled action "
    "of Automatic Communication",
    "version": "18.0.1.0.0",
    "category": "Inventory/Purchase",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["flexi_autocomm", "purchase"],
    "data": [
        "data/mail_templates.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/purchase_order_views.xml",
    ],
    "demo": [
        "demo/purchase_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "flexi_autocomm_purchase/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": False,
    "auto_install": True,
}
