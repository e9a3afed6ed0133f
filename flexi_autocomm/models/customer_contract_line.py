from odoo import Command, api, fields, models


class CustomerContractLine(models.Model):
    _name = "customer.contract.line"
    _description = "Customer contract line"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        comodel_name="customer.contract",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        related="contract_id.company_id",
        store=True,
        precompute=True,
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    sequence = fields.Integer(default=10)
    display_type = fields.Selection(
        selection=[("line_section", "Section"), ("line_note", "Note")],
        default=False,
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        check_company=True,
        ondelete="restrict",
        domain="[('sale_ok', '=', True)]",
    )
    name = fields.Text(
        string="Description",
        compute="_compute_name",
        store=True,
        readonly=False,
        precompute=True,
        help="Printed on each invoice, followed by the invoiced period.",
    )
    quantity = fields.Float(
        default=1.0,
        digits="Product Unit of Measure",
    )
    uom_id = fields.Many2one(
        comodel_name="uom.uom",
        string="Unit",
        compute="_compute_uom_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('category_id', '=', product_uom_category_id)]",
    )
    product_uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    price_unit = fields.Float(
        string="Unit price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        digits="Product Price",
    )
    tax_ids = fields.Many2many(
        comodel_name="account.tax",
        relation="customer_contract_line_account_tax_rel",
        column1="line_id",
        column2="tax_id",
        string="Taxes",
        compute="_compute_tax_ids",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
    )
    price_subtotal = fields.Monetary(
        string="Amount",
        compute="_compute_price_subtotal",
        help="Untaxed amount of each period.",
    )

    _sql_constraints = [
        (
            "accountable_required_fields",
            "CHECK(display_type IS NOT NULL OR product_id IS NOT NULL "
            "OR name IS NOT NULL)",
            "A contract line needs a product or a description.",
        ),
    ]

    @api.depends("product_id")
    def _compute_name(self):
        for line in self:
            if line.product_id and not line.display_type:
                product = line.product_id.with_context(
                    lang=line.contract_id.partner_id.lang or self.env.lang
                )
                line.name = product.get_product_multiline_description_sale()

    @api.depends("product_id")
    def _compute_uom_id(self):
        for line in self:
            product_uom = line.product_id.uom_id
            if line.uom_id.category_id != product_uom.category_id:
                line.uom_id = product_uom

    @api.depends("product_id", "uom_id")
    def _compute_price_unit(self):
        for line in self:
            product = line.product_id
            if not product or line.display_type:
                continue
            price = product.uom_id._compute_price(
                product.lst_price, line.uom_id or product.uom_id
            )
            company = line.contract_id.company_id or self.env.company
            currency = line.contract_id.currency_id
            if currency and currency != company.currency_id:
                price = company.currency_id._convert(
                    price, currency, company, fields.Date.context_today(self)
                )
            line.price_unit = price

    @api.depends("product_id")
    def _compute_tax_ids(self):
        for line in self:
            company = line.contract_id.company_id or self.env.company
            line.tax_ids = line.product_id.taxes_id._filter_taxes_by_company(company)

    @api.depends("quantity", "price_unit", "display_type")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = (
                0.0 if line.display_type else line.quantity * line.price_unit
            )

    def _get_income_account(self):
        """The income account an invoice line of this contract line gets,
        before the journal's default account."""
        self.ensure_one()
        if not self.product_id:
            return self.env["account.account"]
        contract = self.contract_id
        fiscal_position = (
            self.env["account.fiscal.position"]
            .with_company(contract.company_id)
            ._get_fiscal_position(contract.partner_id)
        )
        accounts = self.product_id.product_tmpl_id.with_company(
            contract.company_id
        ).get_product_accounts(fiscal_pos=fiscal_position)
        return accounts["income"]

    def _prepare_invoice_line_vals(self, period, period_description, fiscal_position):
        """Values of this line on the invoice of ``period``.

        :param period_description: words for the period, appended to the
            line's description ("March 2027")
        :param fiscal_position: the invoice's fiscal position, mapping the taxes
        """
        self.ensure_one()
        if self.display_type:
            return {
                "display_type": self.display_type,
                "sequence": self.sequence,
                "name": self.name,
            }
        first_line, newline, rest = (self.name or "").partition("\n")
        name = (
            f"{first_line} – {period_description}" if first_line else period_description
        )
        return {
            "sequence": self.sequence,
            "product_id": self.product_id.id,
            "name": name + newline + rest,
            "quantity": self.quantity,
            "product_uom_id": (self.uom_id or self.product_id.uom_id).id,
            "price_unit": self.price_unit,
            "tax_ids": [Command.set(fiscal_position.map_tax(self.tax_ids).ids)],
        }
