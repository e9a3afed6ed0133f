from odoo import api, fields, models

RECURRING_RULE_TYPES = [
    ("monthly", "Month(s)"),
    ("quarterly", "Quarter(s)"),
    ("yearly", "Year(s)"),
]
# Length of one recurrence unit in months.
RECURRING_RULE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
INVOICING_MODES = [
    ("advance", "In advance"),
    ("arrears", "In arrears"),
]


class CustomerContractType(models.Model):
    _name = "customer.contract.type"
    _description = "Customer contract type"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
    )
    journal_id = fields.Many2one(
        comodel_name="account.journal",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="Journal of the invoices generated from contracts of this type.",
    )
    auto_send = fields.Boolean(
        string="Automatically send by e-mail to client",
        compute="_compute_auto_send",
        store=True,
        readonly=False,
        precompute=True,
        help="Invoices generated from contracts of this type are marked Send: the "
        "scheduled action e-mails them once they are posted, when the company's "
        "automatic e-mail sending is switched on. Defaults to the journal's flag.",
    )
    auto_post = fields.Boolean(
        string="Post invoices automatically",
        default=True,
        help="Generated invoices are posted at once; otherwise they stay drafts "
        "for review (and are sent only once posted).",
    )
    recurring_interval = fields.Integer(
        string="Invoice every",
        default=1,
        required=True,
    )
    recurring_rule_type = fields.Selection(
        selection=RECURRING_RULE_TYPES,
        string="Recurrence",
        default="monthly",
        required=True,
    )
    invoicing_mode = fields.Selection(
        selection=INVOICING_MODES,
        string="Invoicing",
        default="advance",
        required=True,
        help="In advance: each period is invoiced on its first day.\n"
        "In arrears: each period is invoiced on its last day.",
    )
    note = fields.Html(string="Description", translate=True)
    contract_count = fields.Integer(compute="_compute_contract_count")

    _sql_constraints = [
        (
            "recurring_interval_positive",
            "CHECK(recurring_interval > 0)",
            "The recurrence interval must be positive.",
        ),
    ]

    @api.depends("company_id")
    def _compute_journal_id(self):
        for contract_type in self:
            if contract_type.journal_id.company_id != contract_type.company_id:
                contract_type.journal_id = self.env["account.journal"].search(
                    [
                        *self.env["account.journal"]._check_company_domain(
                            contract_type.company_id
                        ),
                        ("type", "=", "sale"),
                    ],
                    limit=1,
                )

    @api.depends("journal_id")
    def _compute_auto_send(self):
        for contract_type in self:
            contract_type.auto_send = contract_type.journal_id.autocomm_auto_send

    def _compute_contract_count(self):
        counts = dict(
            self.env["customer.contract"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for contract_type in self:
            contract_type.contract_count = counts.get(contract_type, 0)

    def action_view_contracts(self):
        """Open the contracts of this type."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "flexi_autocomm.customer_contract_action"
        )
        action["domain"] = [("type_id", "=", self.id)]
        action["context"] = {"default_type_id": self.id}
        return action
