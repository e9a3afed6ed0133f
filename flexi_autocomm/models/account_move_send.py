import logging
from dataclasses import dataclass, field

import psycopg2
from markupsafe import Markup

from odoo import api, models
from odoo.tools import plaintext2html

from .ir_actions_report import PrerenderedPdfs

_logger = logging.getLogger(__name__)


@dataclass(eq=False)  # kept in a context, which is compared: by identity
class PdfBatch:
    """The invoices of one ``_generate_invoice_documents`` call, and the PDFs
    rendered ahead for them: ``{report id: PrerenderedPdfs}``."""

    invoices_data: dict
    prerendered: dict = field(default_factory=dict)


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    # Automatic sending supplies its own body, subject and recipients as custom
    # settings: skip rendering Odoo's defaults for nothing.

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return None
        return super()._get_default_mail_body(move, mail_template, mail_lang)

    @api.model
    def _get_default_mail_subject(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return None
        return super()._get_default_mail_subject(move, mail_template, mail_lang)

    @api.model
    def _get_default_mail_partner_ids(self, move, mail_template, mail_lang):
        if self.env.context.get("autocomm_sending"):
            return self.env["res.partner"]
        return super()._get_default_mail_partner_ids(move, mail_template, mail_lang)

    @api.model
    def _autocomm_generate_documents(self, moves_data):
        """Render the PDF (and EDI documents) of a batch, as Send & Print does.

        The batch is rendered together; when that fails, each document is
        rendered alone so that one bad document does not stop the others. A
        document whose e-invoice cannot be built is rendered again without it
        (``autocomm_einvoice_left_out`` then says why).
        :return: ``{move: error text}`` for the documents that failed.
        """
        self._autocomm_render_documents(moves_data)
        without_einvoice = {
            move: move_data
            for move, move_data in moves_data.items()
            if self._autocomm_einvoice_failed(move_data)
        }
        for move_data in without_einvoice.values():
            error = self._format_error_text(move_data.pop("error"))
            move_data["autocomm_einvoice_left_out"] = error
            move_data["invoice_edi_format"] = False
        if without_einvoice:
            self._autocomm_render_documents(without_einvoice)
        return {
            move: self._format_error_text(move_data["error"])
            for move, move_data in moves_data.items()
            if move_data.get("error")
        }

    @api.model
    def _autocomm_einvoice_failed(self, move_data):
        """Tell whether only the e-invoice of a document failed: Odoo's EDI
        hooks report their errors as a dict, before any PDF is rendered."""
        error = move_data.get("error")
        return isinstance(error, dict) and bool(move_data.get("invoice_edi_format"))

    @api.model
    def _autocomm_render_documents(self, moves_data):
        """Render the documents of ``moves_data``, the batch at once, else
        each alone; a document's failure is written in its ``error``."""
        try:
            with self.env.cr.savepoint():
                self._generate_invoice_documents(moves_data)
        except Exception:  # noqa: BLE001 - retried document by document
            _logger.warning("Batch PDF rendering failed, rendering one by one")
            for move, move_data in moves_data.items():
                try:
                    with self.env.cr.savepoint():
                        self._generate_invoice_documents({move: move_data})
                except Exception as error:  # noqa: BLE001 - recorded on the document
                    move_data["error"] = self.env._(
                        "The PDF could not be generated: %(error)s", error=error
                    )

    @api.model
    def _autocomm_note_einvoices_left_out(self, moves_data):
        """Say on each document e-mailed without its e-invoice why it was left
        out, so that the clerk can fix the invoice or the customer's format."""
        for move, move_data in moves_data.items():
            reason = move_data.get("autocomm_einvoice_left_out")
            if reason:
                intro = self.env._(
                    "The e-mail was sent with the PDF but without the e-invoice,"
                    " which could not be built:"
                )
                move._message_log(
                    body=Markup("<p>%s</p>%s") % (intro, plaintext2html(reason))
                )

    @api.model
    def _autocomm_post_message(self, move, move_data):
        """Post the e-mail in the chatter; Odoo queues it for the recipients.

        ``_send_mails`` is not used: it skips documents whose partner has no
        e-mail address, while ours go to the flagged contacts.
        """
        values = move_data["autocomm_values"]
        context = {
            "autocomm_posting": True,
            "autocomm_author": (values["author_partner_id"], values["email_from"]),
        }
        self.with_context(**context)._send_mail(
            move.with_context(**context),
            move_data["mail_template"],
            # Cached, unlike env.ref (which checks that the record exists).
            subtype_id=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
            model_description=values["model_description"],
            email_from=values["email_from"],
            **self._get_mail_params(move, move_data),
        )

    @api.model
    def _link_invoice_documents(self, invoices_data):
        # Odoo marks an invoice sent (is_move_sent) when it makes its PDF. The
        # automatic sending marks it when the mail server accepts the e-mail
        # (account.move._autocomm_mark_sent); Send & Print keeps Odoo's
        # meaning. None of the writes below changes a line: the balance of
        # the entry is not checked again (a query per invoice).
        invoices = (
            self.env["account.move"]
            .with_context(check_move_validity=False)
            .union(*invoices_data)
        )
        if not self.env.context.get("autocomm_sending"):
            res = super()._link_invoice_documents(invoices_data)
            # Also an invoice whose PDF the automatic sending made before.
            invoices.filtered(
                lambda invoice: (
                    invoice.invoice_pdf_report_id and not invoice.is_move_sent
                )
            ).write({"is_move_sent": True})
            return res
        not_sent = invoices.filtered(lambda invoice: not invoice.is_move_sent)
        # Odoo writes the PDF on each invoice, twice.
        res = super()._link_invoice_documents(
            {
                invoice.with_context(check_move_validity=False): invoice_data
                for invoice, invoice_data in invoices_data.items()
            }
        )
        not_sent.filtered("is_move_sent").write({"is_move_sent": False})
        return res

    # ------------------------------------------------------------------
    # PDFs rendered side by side (automatic sending only)
    # ------------------------------------------------------------------

    @api.model
    def _generate_invoice_documents(self, invoices_data, allow_fallback_pdf=False):
        # Odoo hands the PDFs to render to _prepare_invoice_pdf_report in
        # batches of account.pdf_generation_batch, which must be 0 (one
        # invoice) for Send & Print to work with Debian's wkhtmltopdf: the
        # automatic sending renders the whole call's PDFs at its first batch.
        if self.env.context.get("autocomm_sending"):
            sender = self.with_context(autocomm_pdf_batch=PdfBatch(invoices_data))
            return super(AccountMoveSend, sender)._generate_invoice_documents(
                invoices_data, allow_fallback_pdf=allow_fallback_pdf
            )
        return super()._generate_invoice_documents(
            invoices_data, allow_fallback_pdf=allow_fallback_pdf
        )

    @api.model
    def _prepare_invoice_pdf_report(self, invoices_data):
        # The automatic sending renders the PDFs side by side (see
        # ir_actions_report.py); Send & Print and the other callers keep
        # Odoo's rendering.
        if self.env.context.get("autocomm_sending"):
            workers = self.env["ir.actions.report"]._autocomm_pdf_workers()
            if workers:
                batch = self._autocomm_prerender_invoice_pdfs(invoices_data, workers)
                return self._autocomm_prepare_invoice_pdf_reports(invoices_data, batch)
        return super()._prepare_invoice_pdf_report(invoices_data)

    @api.model
    def _autocomm_prerender_invoice_pdfs(self, invoices_data, workers):
        """Render, ``workers`` wkhtmltopdf processes at a time, the PDFs of
        ``invoices_data`` and of the other invoices of the same
        ``_generate_invoice_documents`` call that Odoo will render.

        :return: the :class:`PdfBatch` holding the PDFs
        """
        batch = self.env.context.get("autocomm_pdf_batch") or PdfBatch(invoices_data)
        pending = {**invoices_data}
        for invoice, invoice_data in batch.invoices_data.items():
            # Odoo's own choice of the invoices whose PDF it renders.
            if not invoice_data.get("error") and not invoice.invoice_pdf_report_id:
                pending.setdefault(invoice, invoice_data)
        by_report = {}
        for invoice, invoice_data in pending.items():
            prerendered = batch.prerendered.get(invoice_data["pdf_report"].id)
            if prerendered is None or invoice.id not in prerendered.attempted:
                by_report.setdefault(invoice_data["pdf_report"], []).append(invoice)
        company = next(iter(invoices_data)).company_id
        report_model = self.env["ir.actions.report"].with_company(company)
        for pdf_report, invoices in by_report.items():
            prerendered = batch.prerendered.setdefault(
                pdf_report.id, PrerenderedPdfs(pdf_report)
            )
            res_ids = [invoice.id for invoice in invoices]
            prerendered.attempted.update(res_ids)
            prerendered.results.update(
                report_model._autocomm_render_pdfs(pdf_report, res_ids, workers)
            )
        return batch

    @api.model
    def _autocomm_prepare_invoice_pdf_reports(self, invoices_data, batch):
        """Hand each prerendered PDF to Odoo's own preparation, invoice by
        invoice, so that the attachment is the one Send & Print makes.

        An invoice whose PDF could not be rendered gets its ``error`` and is
        skipped by the rest of the sending; the others go on.
        """
        report_model = self.env["ir.actions.report"]
        for invoice, invoice_data in invoices_data.items():
            sender = self.with_context(
                autocomm_pdf_prerendered=batch.prerendered[
                    invoice_data["pdf_report"].id
                ]
            )
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
