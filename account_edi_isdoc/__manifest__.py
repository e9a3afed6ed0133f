# Copyright 2026 flexi_autocomm developers
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "ISDOC e-invoices (Czech)",
    "summary": "Write and read ISDOC 6.0.2, the Czech national e-invoice format, "
    "as an e-invoice format of the customer, beside UBL and Factur-X",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations/EDI",
    "website": "https://github.com/flexi-autocomm/flexi_autocomm",
    "author": "flexi_autocomm developers",
    "license": "LGPL-3",
    "depends": ["account_edi_ubl_cii"],
    "data": [
        "views/account_tax_views.xml",
    ],
    "installable": True,
    "application": False,
}
