import logging
from collections import defaultdict

import psycopg2

from odoo import api, models

from .ir_actions_report import PrerenderedPdfs

_logger = logging.getLogger(__name__)


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _prepare_invoice_pdf_report(self, invoices_data):
        # The automatic sending renders the PDFs of a batch side by side (see
        # ir_actions_report.py); Send & Print and the other callers keep
        # Odoo's rendering.
        if self.env.context.get("autocomm_sending"):
            workers = self.env["ir.actions.report"]._autocomm_pdf_workers()
            if workers:
                return self._autocomm_prepare_invoice_pdf_reports(
                    invoices_data, workers
                )
        return super()._prepare_invoice_pdf_report(invoices_data)

    @api.model
    def _autocomm_prepare_invoice_pdf_reports(self, invoices_data, workers):
        """Render the invoices' PDFs, ``workers`` wkhtmltopdf processes at a
        time, then hand each PDF to Odoo's own preparation, invoice by
        invoice, so that the attachment is the one Send & Print makes.

        An invoice whose PDF cannot be rendered gets its ``error`` and is
        skipped by the rest of the sending; the others go on.
        """
        company = next(iter(invoices_data)).company_id
        report_model = self.env["ir.actions.report"].with_company(company)
        by_report = defaultdict(dict)
        for invoice, invoice_data in invoices_data.items():
            by_report[invoice_data["pdf_report"]][invoice] = invoice_data
        for pdf_report, report_invoices_data in by_report.items():
            prerendered = PrerenderedPdfs(
                pdf_report,
                report_model._autocomm_render_pdfs(
                    pdf_report,
                    [invoice.id for invoice in report_invoices_data],
                    workers,
                ),
            )
            sender = self.with_context(autocomm_pdf_prerendered=prerendered)
            for invoice, invoice_data in report_invoices_data.items():
                try:
                    super(AccountMoveSend, sender)._prepare_invoice_pdf_report(
                        {invoice: invoice_data}
                    )
                except psycopg2.Error:
                    raise
                except Exception as error:  # noqa: BLE001 - this invoice only
                    _logger.warning("PDF of %s not rendered: %s", invoice.name, error)
                    invoice_data["error"] = self.env._(
                        "The PDF could not be generated: %(error)s",
                        error=report_model._autocomm_error_text(error),
                    )
        return None
