from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_cancel(self):
        res = super()._action_cancel()
        # A transfer is cancelled through its moves (its state is computed
        # from theirs), by its Cancel button or by its sale order's: a
        # delivery marked Send is then never sent.
        self.picking_id._autocomm_follow_document_state()
        return res
