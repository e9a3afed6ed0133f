from odoo import api, fields, models

RFQ_STATES = ("draft", "sent")
ORDER_STATES = ("purchase", "done")
# The reports Odoo's "Send by Email" attaches (its mail templates
# purchase.email_template_edi_purchase and ..._done).
RFQ_REPORT = "purchase.report_purchase_quotation"
ORDER_REPORT = "purchase.action_report_purchase_order"


class PurchaseOrder(models.Model):
    """Requests for quotation and purchase orders, e-mailed to the vendor's
    contacts flagged "Send RFQs" or "Send orders" with the PDF Odoo's own
    "Send by Email" attaches. A confirmed RFQ is sent again, as the
    purchase order it became."""

    _name = "purchase.order"
    _inherit = ["purchase.order", "autocomm.mixin"]

    autocomm_recipient_ids = fields.Many2many(
        relation="purchase_order_autocomm_recipient_rel",
        column1="order_id",
        column2="partner_id",
    )

    def _autocomm_is_rfq(self):
        """Whether this order is (still) a request for quotation, as Odoo
        tells them apart (its title, report name and e-mail)."""
        self.ensure_one()
        return self.state in RFQ_STATES

    # ------------------------------------------------------------------
    # What differs for purchase orders (see autocomm.mixin)
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_get_ready_domain(self):
        return [("state", "in", RFQ_STATES + ORDER_STATES)]

    @api.model
    def _autocomm_get_ready_description(self):
        return self.env._("requests for quotation and confirmed purchase orders")

    def _autocomm_get_contact_flag(self):
        return (
            "autocomm_send_rfqs" if self._autocomm_is_rfq() else "autocomm_send_orders"
        )

    def _autocomm_is_sent_by_default(self):
        self.ensure_one()
        if self._autocomm_is_rfq():
            return self.company_id.autocomm_rfq_auto_send
        return self.company_id.autocomm_purchase_order_auto_send

    def _autocomm_get_text_source(self):
        self.ensure_one()
        return self.company_id

    def _autocomm_get_text_field(self):
        if self._autocomm_is_rfq():
            return "autocomm_rfq_text"
        return "autocomm_purchase_order_text"

    @api.model
    def _autocomm_get_default_body_template(self):
        return "flexi_autocomm_purchase.autocomm_email_default_body_purchase"

    def _autocomm_get_report(self):
        return self.env.ref(RFQ_REPORT if self._autocomm_is_rfq() else ORDER_REPORT)

    def _autocomm_get_document_title(self):
        if self._autocomm_is_rfq():
            return self.env._("Request for Quotation")
        return self.env._("Purchase Order")

    def _autocomm_get_subject(self, title):
        """As Odoo's purchase e-mails: "My Company Order (Ref P00012)"."""
        self.ensure_one()
        return self.env._(
            "%(company)s Order (Ref %(number)s)",
            company=self.company_id.name,
            number=self.name or "n/a",
        )

    def _autocomm_get_responsible_candidates(self):
        self.ensure_one()
        return [self.user_id, self.create_uid]

    def _autocomm_mark_sent(self):
        """RFQs: Odoo's "RFQ Sent" state, as its "Send by Email" sets it."""
        self.filtered(lambda order: order.state == "draft").write({"state": "sent"})

    def _autocomm_mark_unsent(self):
        self.filtered(lambda order: order.state == "sent").write({"state": "draft"})

    # ------------------------------------------------------------------
    # Confirmation: the RFQ becomes a purchase order
    # ------------------------------------------------------------------

    def button_approve(self, force=False):
        # Both ways to confirm end here: "Confirm Order" (button_confirm)
        # when no approval is needed, the manager's "Approve Order" else.
        rfqs = self.filtered(lambda order: order.state not in ORDER_STATES)
        res = super().button_approve(force=force)
        rfqs.filtered(
            lambda order: order.state in ORDER_STATES
        )._autocomm_reissue_as_orders()
        return res

    def _autocomm_reissue_as_orders(self):
        """These RFQs were just confirmed: what still waits to go out as an
        RFQ is withdrawn. When the company sends purchase orders, each is
        queued again as the purchase order it became (its RFQ sent or not);
        otherwise an RFQ that was waiting is no longer sent."""
        self._autocomm_withdraw()
        orders = self.filtered(
            lambda order: (
                order.company_id.autocomm_mode != "no_send"
                and order._autocomm_is_sent_by_default()
            )
        )
        orders._autocomm_transition("reissued", {"autocomm_error": False})
        (self - orders).filtered(
            lambda order: order.autocomm_state == "to_send"
        ).autocomm_state = "no_send"
        if orders:
            self.env["autocomm.engine"]._trigger()
