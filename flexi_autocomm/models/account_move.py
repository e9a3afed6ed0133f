from odoo import api, fields, models
from odoo.tools import SQL

AUTOCOMM_MOVE_TYPES = ("out_invoice", "out_refund")
# Name of the unique index that makes a second invoice for the same contract
# period impossible (see AccountMove.init).
CONTRACT_PERIOD_CONSTRAINT = "account_move_customer_contract_period_unique"
# Keys of our mail values that account.move.send takes as custom settings.
SENDING_SETTINGS = (
    "mail_lang",
    "mail_subject",
    "mail_body",
    "author_user_id",
    "author_partner_id",
)


class AccountMove(models.Model):
    """Customer invoices and credit notes, e-mailed to the contacts flagged
    "Send invoices" with the PDF and e-invoice Odoo's Send & Print makes."""

    _name = "account.move"
    _inherit = ["account.move", "autocomm.mixin"]

    autocomm_recipient_ids = fields.Many2many(
        relation="account_move_autocomm_recipient_rel",
        column1="move_id",
        column2="partner_id",
    )

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

    # ------------------------------------------------------------------
    # What differs for invoices (see autocomm.mixin)
    # ------------------------------------------------------------------

    @api.depends("journal_id", "move_type")
    def _compute_autocomm_state(self):
        return super()._compute_autocomm_state()

    @api.model
    def _autocomm_get_kind_domain(self):
        return [("move_type", "in", AUTOCOMM_MOVE_TYPES)]

    @api.model
    def _autocomm_get_ready_domain(self):
        return [("state", "=", "posted"), ("move_type", "in", AUTOCOMM_MOVE_TYPES)]

    @api.model
    def _autocomm_get_ready_description(self):
        return self.env._("posted customer invoices and credit notes")

    def _autocomm_get_contact_flag(self):
        return "autocomm_send_invoices"

    def _autocomm_get_document_title(self):
        # Odoo caches the title for the whole batch in the language it was
        # first read in.
        self.invalidate_recordset(["type_name"])
        return self.type_name

    def _autocomm_get_responsible_candidates(self):
        self.ensure_one()
        return [self.invoice_user_id, self.create_uid]

    @api.model
    def _autocomm_get_locked_partner_columns(self):
        return ["commercial_partner_id", "partner_id"]

    def _autocomm_mark_sent(self):
        """Invoices: ``is_move_sent``, read by Odoo's "Not Sent" filter and
        list badge. Not tracked: the chatter tells the sending once, with the
        mail state Sent."""
        self.filtered(lambda move: not move.is_move_sent).with_context(
            check_move_validity=False, mail_notrack=True
        ).write({"is_move_sent": True})

    def _autocomm_mark_unsent(self):
        self.filtered("is_move_sent").with_context(
            check_move_validity=False, mail_notrack=True
        ).write({"is_move_sent": False})

    # ------------------------------------------------------------------
    # The PDF, the e-invoice and the message: Odoo's account.move.send
    # ------------------------------------------------------------------

    def _autocomm_generate_attachments(self, values):
        """The invoice PDF and e-invoice documents, as Send & Print makes them."""
        sender = self.env["account.move.send"]
        for move, vals in values.items():
            vals["move_data"] = {
                **sender._get_default_sending_settings(
                    move,
                    sending_methods={"email"},
                    mail_partner_ids=vals["partner_ids"],
                    **{k: v for k, v in vals.items() if k in SENDING_SETTINGS},
                ),
                "autocomm_values": vals,
            }
        return sender._autocomm_generate_documents(
            {move: vals["move_data"] for move, vals in values.items()}
        )

    def _autocomm_post_messages(self, values, errors):
        # Odoo gives each document its portal link while it builds the
        # e-mail: a write that re-checks the balance of the entry, one query
        # per document for nothing (no line changes).
        for move in self.browse().union(*values).filtered(lambda m: not m.access_token):
            move.with_context(check_move_validity=False)._portal_ensure_token()
        return super()._autocomm_post_messages(values, errors)

    def _autocomm_post_message(self, values):
        self.env["account.move.send"]._autocomm_post_message(self, values["move_data"])

    def _autocomm_after_queued(self, values):
        self.env["account.move.send"]._autocomm_note_einvoices_left_out(
            {move: values[move]["move_data"] for move in self}
        )

    def _message_compute_author(
        self, author_id=None, email_from=None, raise_on_email=True
    ):
        # account.move.send passes the sender's address but not the author,
        # whom Odoo then looks up by that address (three queries, and maybe
        # another partner with the same address): ours is known.
        author = self.env.context.get("autocomm_author")
        if author_id is None and author and email_from == author[1]:
            author_id = author[0]
        return super()._message_compute_author(
            author_id=author_id, email_from=email_from, raise_on_email=raise_on_email
        )
