from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_datetime

from .res_partner import is_valid_email

AUTOCOMM_MODES = [
    ("no_send", "Do not send"),
    ("send", "Send"),
    ("bcc_only", "Send only to the BCC address"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    autocomm_mode = fields.Selection(
        selection=AUTOCOMM_MODES,
        string="Automatic e-mail sending",
        default="no_send",
        required=True,
        help="Do not send: documents marked Send wait in the queue.\n"
        "Send: the scheduled action e-mails them to the customer's contacts.\n"
        "Send only to the BCC address: a safe test mode; nothing reaches the "
        "customers, every automatic e-mail goes to the BCC address instead.",
    )
    autocomm_bcc_email = fields.Char(
        string="BCC address",
        # The hidden copy stays hidden: portal users (customers) may read
        # companies, not this address.
        groups="base.group_user",
        help="In Send mode every automatic e-mail also goes, hidden, to this "
        "address (an archive). In 'Send only to the BCC address' mode it is the "
        "only recipient.",
    )

    @api.constrains("autocomm_mode", "autocomm_bcc_email")
    def _check_autocomm_bcc_email(self):
        for company in self:
            if company.autocomm_bcc_email and not is_valid_email(
                company.autocomm_bcc_email
            ):
                raise ValidationError(
                    self.env._(
                        "The BCC address %(email)s of %(company)s is not a valid "
                        "e-mail address.",
                        email=company.autocomm_bcc_email,
                        company=company.name,
                    )
                )
            if company.autocomm_mode == "bcc_only" and not company.autocomm_bcc_email:
                raise ValidationError(
                    self.env._(
                        "%(company)s sends automatic e-mails only to the BCC "
                        "address, so a BCC address is required.",
                        company=company.name,
                    )
                )

    def _autocomm_bcc_partner(self):
        """The partner standing for the BCC address, when this company uses one."""
        self.ensure_one()
        if self.autocomm_mode == "no_send" or not self.autocomm_bcc_email:
            return self.env["res.partner"]
        return self.env["res.partner"].sudo().find_or_create(self.autocomm_bcc_email)

    @api.model
    def _autocomm_cron_problem(self):
        """Why the scheduled action that sends the documents does not run as it
        should (deleted, disabled, failing), in a clerk's words; else False."""
        cron = self.env.ref(
            "flexi_autocomm.ir_cron_autocomm_send", raise_if_not_found=False
        )
        if not cron:
            return self.env._(
                "The scheduled action that sends documents automatically is "
                "missing: update the Automatic Communication app to restore it."
            )
        cron = cron.sudo()
        if not cron.active:
            return self.env._(
                "The scheduled action '%(cron)s' is disabled (Settings > Technical"
                " > Scheduled Actions; Odoo also disables it after failing for a "
                "week): documents marked Send wait until it is enabled again.",
                cron=cron.name,
            )
        if cron.failure_count:
            return self.env._(
                "The scheduled action '%(cron)s' has failed %(count)s times in a row"
                " since %(date)s (see the server log): documents marked Send wait.",
                cron=cron.name,
                count=cron.failure_count,
                date=format_datetime(self.env, cron.first_failure_date),
            )
        return False
