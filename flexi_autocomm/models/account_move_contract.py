from odoo import fields, models
from odoo.tools import SQL

# Name of the unique index that makes a second invoice for the same contract
# period impossible (see AccountMove.init).
CONTRACT_PERIOD_CONSTRAINT = "account_move_customer_contract_period_unique"


class AccountMove(models.Model):
    _inherit = "account.move"

    customer_contract_id = fields.Many2one(
        comodel_name="customer.contract",
        string="Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        ondelete="restrict",
        help="The customer contract this invoice was generated from.",
    )
    customer_contract_period_start = fields.Date(
        string="Invoiced period from",
        readonly=True,
        copy=False,
    )
    customer_contract_period_end = fields.Date(
        string="Invoiced period to",
        readonly=True,
        copy=False,
    )

    # Implemented by the partial unique index of init(): the ORM checks that
    # the index exists and shows this message when it refuses a row.
    _sql_constraints = [
        (
            "customer_contract_period_unique",
            "",
            "This contract period has been invoiced already: a contract never "
            "invoices the same period twice (cancel the other invoice first).",
        ),
    ]

    def init(self):
        res = super().init()
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS %s
                    ON account_move
                       (customer_contract_id, customer_contract_period_start)
                 WHERE customer_contract_id IS NOT NULL AND state != 'cancel'
                """,
                SQL.identifier(CONTRACT_PERIOD_CONSTRAINT),
            )
        )
        return res
