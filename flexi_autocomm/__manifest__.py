# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automatic Communication (FlexiBee style)",
    "summary": "E-mail invoices and payment receipts marked Send to the "
    "partner's flagged contacts "
    "by a scheduled action, and show on the document whether the mail server "
    "took them",
    "version": "18.0.1.2.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["account"],
    "data": [
        "security/flexi_autocomm_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/customer_contract_data.xml",
        "data/mail_templates.xml",
        "data/mail_activity_type_data.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/account_journal_views.xml",
        "views/account_move_views.xml",
        "views/account_payment_views.xml",
        "views/customer_contract_type_views.xml",
        "views/customer_contract_views.xml",
    ],
    "demo": [
        "demo/flexi_autocomm_demo.xml",
        "demo/autocomm_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "flexi_autocomm/static/tests/tours/*.js",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
