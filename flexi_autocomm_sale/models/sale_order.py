from odoo import api, fields, models

SALE_ORDER_REPORT = "sale.action_report_saleorder"
QUOTATION_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    """Quotations and order confirmations, e-mailed to the contacts flagged
    "Send quotations" / "Send orders" with Odoo's quotation / order PDF.

    One document, two e-mails: a quotation is sent as a quotation; once
    confirmed, it is queued again as the order confirmation when its company
    sends those automatically (see :meth:`_autocomm_queue_confirmation`).
    """

    _name = "sale.order"
    _inherit = ["sale.order", "autocomm.mixin"]

    autocomm_recipient_ids = fields.Many2many(
        relation="sale_order_autocomm_recipient_rel",
        column1="order_id",
        column2="partner_id",
    )

    def _autocomm_is_quotation(self):
        self.ensure_one()
        return self.state in QUOTATION_STATES

    @api.model
    def _autocomm_get_ready_domain(self):
        # A quotation without lines is not one to send yet.
        return [
            ("state", "in", (*QUOTATION_STATES, "sale")),
            ("order_line", "!=", False),
        ]

    @api.model
    def _autocomm_get_ready_description(self):
        return self.env._("quotations and confirmed orders with lines")

    def _autocomm_get_contact_flag(self):
        if self._autocomm_is_quotation():
            return "autocomm_send_quotations"
        return "autocomm_send_orders"

    def _autocomm_is_sent_by_default(self):
        if self._autocomm_is_quotation():
            return self.company_id.autocomm_quotation_auto_send
        return self.company_id.autocomm_sale_order_auto_send

    def _autocomm_get_text_source(self):
        self.ensure_one()
        return self.company_id

    def _autocomm_get_text_field(self):
        if self._autocomm_is_quotation():
            return "autocomm_quotation_text"
        return "autocomm_sale_order_text"

    @api.model
    def _autocomm_get_default_body_template(self):
        return "flexi_autocomm_sale.autocomm_email_default_body_sale"

    def _autocomm_get_report(self):
        return self.env.ref(SALE_ORDER_REPORT)

    def _autocomm_get_document_title(self):
        if self._autocomm_is_quotation():
            return self.env._("Quotation")
        return self.env._("Order")

    def _autocomm_get_subject(self, title):
        """As Odoo's own e-mail of a quotation or order: "My Company
        Quotation (Ref S00012)"."""
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

    def _autocomm_mark_sent(self):
        """Quotations: Odoo's "Quotation Sent", as its own e-mail sets it."""
        self.filtered(lambda order: order.state == "draft").with_context(
            tracking_disable=True
        ).write({"state": "sent"})

    def _autocomm_mark_unsent(self):
        self.filtered(lambda order: order.state == "sent").with_context(
            tracking_disable=True
        ).write({"state": "draft"})

    def _autocomm_post_message(self, values):
        # Odoo's sale orders make the recipients of a message followers: the
        # contacts (and the BCC archive) would then receive every later
        # message of the order.
        return super(
            SaleOrder, self.with_context(mail_post_autofollow=False)
        )._autocomm_post_message(values)

    def action_confirm(self):
        res = super().action_confirm()
        self._autocomm_queue_confirmation()
        return res

    def _autocomm_queue_confirmation(self):
        """Confirmed quotations: queue the order confirmation of the orders
        whose company sends those automatically, whatever the quotation's
        e-mail became; the others are no longer sent, unless their
        quotation's e-mail is already in the mail queue.

        A quotation e-mail still waiting for the mail server is withdrawn
        (the customer would receive a quotation of an order already
        confirmed): the order confirmation goes instead.
        """
        confirming = self.filtered(
            lambda order: (
                order.company_id.autocomm_mode != "no_send"
                and order.company_id.autocomm_sale_order_auto_send
            )
        )
        confirming._autocomm_withdraw(
            note=self.env._(
                "The quotation's automatic e-mail, still waiting for the mail "
                "server, was withdrawn: the order is confirmed, its "
                "confirmation is sent instead."
            )
        )
        confirming._autocomm_transition("reissued")
        (self - confirming).filtered(
            lambda order: order.autocomm_state == "to_send"
        ).autocomm_state = "no_send"
        if confirming.filtered(lambda order: order.autocomm_state == "to_send"):
            self.env["autocomm.engine"]._trigger()
