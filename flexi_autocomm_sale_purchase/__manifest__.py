# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automatic Communication: Sales and Purchases",
    "summary": "Glue of the sales and purchase bridges: one 'Send orders' "
    "flag on the contact, shared by both",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["flexi_autocomm_sale", "flexi_autocomm_purchase"],
    "data": ["views/res_partner_views.xml"],
    "installable": True,
    "application": False,
    "auto_install": True,
}
