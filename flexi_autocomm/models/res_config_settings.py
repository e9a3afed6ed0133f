from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    autocomm_mode = fields.Selection(
        related="company_id.autocomm_mode",
        readonly=False,
        required=True,
    )
    autocomm_bcc_email = fields.Char(
        related="company_id.autocomm_bcc_email",
        readonly=False,
    )
    autocomm_cron_problem = fields.Char(
        string="Scheduled sending problem",
        compute="_compute_autocomm_cron_problem",
    )

    def _compute_autocomm_cron_problem(self):
        self.autocomm_cron_problem = self.env["res.company"]._autocomm_cron_problem()
