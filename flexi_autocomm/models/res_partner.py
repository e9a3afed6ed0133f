import re

from odoo import fields, models
from odoo.tools import email_normalize

# What Odoo's normalisation leaves of a usable address: something@somewhere.
# (It turns "broken@@example" into "@example".)
VALID_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")


def is_valid_email(value):
    """Whether ``value`` holds exactly one usable e-mail address."""
    normalized = email_normalize(value or "", strict=True)
    return bool(normalized and VALID_EMAIL_RE.fullmatch(normalized))


class ResPartner(models.Model):
    _inherit = "res.partner"

    autocomm_send_invoices = fields.Boolean(
        string="Send invoices",
        help="Invoices and credit notes of the company this contact belongs to "
        "are e-mailed automatically to this contact. When no contact of the "
        "company is flagged, the company's own e-mail address is used.",
    )
    autocomm_send_payments = fields.Boolean(
        string="Send payment documents",
        help="Receipts of the payments of the company this contact belongs to "
        "are e-mailed automatically to this contact. When no contact of the "
        "company is flagged, the company's own e-mail address is used.",
    )
