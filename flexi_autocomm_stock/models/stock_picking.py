from odoo import api, fields, models

from odoo.addons.flexi_autocomm.models.res_partner import is_valid_email

DELIVERY_SLIP_REPORT = "stock.action_report_delivery"


class StockPicking(models.Model):
    """Delivery orders, e-mailed once validated to the contacts flagged "Send
    stock documents" (FlexiBee's stock documents), with Odoo's delivery slip.

    A backorder is a transfer of its own: it takes its operation type's
    default when it is created, and is sent when it is validated in turn.
    """

    _name = "stock.picking"
    _inherit = ["stock.picking", "autocomm.mixin"]

    # The company of a transfer is its operation type's (a related field that
    # Odoo fills after the create): the default is computed then.
    autocomm_state = fields.Selection(precompute=False)
    autocomm_recipient_ids = fields.Many2many(
        relation="stock_picking_autocomm_recipient_rel",
        column1="picking_id",
        column2="partner_id",
    )

    @api.depends("picking_type_id")
    def _compute_autocomm_state(self):
        return super()._compute_autocomm_state()

    @api.model
    def _autocomm_get_kind_domain(self):
        return [("picking_type_code", "=", "outgoing")]

    @api.model
    def _autocomm_get_ready_domain(self):
        return [("state", "=", "done"), *self._autocomm_get_kind_domain()]

    @api.model
    def _autocomm_get_ready_description(self):
        return self.env._("validated delivery orders")

    def _autocomm_get_contact_flag(self):
        return "autocomm_send_stock"

    def _autocomm_get_text_source(self):
        self.ensure_one()
        return self.picking_type_id

    @api.model
    def _autocomm_get_default_body_template(self):
        return "flexi_autocomm_stock.autocomm_email_default_body_picking"

    def _autocomm_get_report(self):
        return self.env.ref(DELIVERY_SLIP_REPORT)

    def _autocomm_get_document_title(self):
        return self.env._("Delivery Order")

    def _autocomm_get_subject(self, title):
        """As Odoo's own delivery e-mail: "My Company Delivery Order (Ref
        WH/OUT/00012)"."""
        self.ensure_one()
        return self.env._(
            "%(company)s %(document)s (Ref %(number)s)",
            company=self.company_id.name,
            document=title,
            number=self.name,
        )

    def _autocomm_get_responsible_candidates(self):
        self.ensure_one()
        return [self.user_id, self.create_uid]

    def _autocomm_get_fallback_recipient(self):
        """The delivery address's own e-mail, else its company's."""
        if is_valid_email(self.partner_id.email):
            return self.partner_id
        return super()._autocomm_get_fallback_recipient()

    def _action_done(self):
        res = super()._action_done()
        # Queued when validated: the delivery slip goes out with the next run.
        if self.filtered(lambda picking: picking.autocomm_state == "to_send"):
            self.env["autocomm.engine"]._trigger()
        return res

    def _send_confirmation_email(self):
        # The automatic e-mail is the confirmation of a delivery marked Send:
        # Odoo's own (Inventory settings) would tell the customer twice.
        automatic = self.filtered(
            lambda picking: (
                picking.autocomm_state == "to_send"
                and picking.company_id.autocomm_mode != "no_send"
            )
        )
        return super(StockPicking, self - automatic)._send_confirmation_email()
