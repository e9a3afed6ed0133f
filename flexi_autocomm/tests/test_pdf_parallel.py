import io
import threading
import unittest
from unittest.mock import patch

from PyPDF2 import PdfReader

from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.flexi_autocomm.models import ir_actions_report

from .common import AutocommCase, free_port


def pdf_text(content):
    """The text of a PDF, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@tagged("post_install", "-at_install")
class TestPdfParallel(AutocommCase):
    """The automatic sending renders its invoices' PDFs side by side."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            raise unittest.SkipTest("wkhtmltopdf is not installed")
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("flexi_autocomm.pdf_workers", 4)
        # No web server answers here: wkhtmltopdf renders without Odoo's CSS
        # and web fonts, so the PDFs keep their text (web fonts are drawn as
        # paths) and the test does not depend on another server's assets.
        params.set_param("report.url", f"http://127.0.0.1:{free_port()}")
        cls.customers = cls.env["res.partner"].create(
            [
                {"name": f"Zákazník {n} s.r.o.", "is_company": True, "lang": "en_US"}
                for n in range(4)
            ]
        )
        for n, customer in enumerate(cls.customers):
            cls._create_contact(
                f"Účetní {n}", f"accounts{n}@pdf.example.com", True, customer
            )

    def setUp(self):
        super().setUp()
        self.invoices = self.env["account.move"].browse()
        for customer in self.customers:
            self.invoices |= self.create_invoice(partner=customer)
        self.jobs = []
        self.running = 0
        self.max_running = 0
        self.lock = threading.Lock()
        self.failing_ids = set()

    def spy_job(self, job, timeout=ir_actions_report.PDF_TIMEOUT):
        """Count the processes running at once; fail the chosen invoices'."""
        with self.lock:
            self.jobs.append(job)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        if job.res_id in self.failing_ids:
            # A renderer that exits without output, as Debian's wkhtmltopdf
            # does on a multi-invoice call.
            job = ir_actions_report.PdfJob(job.res_id, ["false"], job.output_path)
        try:
            return self.original_run_pdf_job(job, timeout)
        finally:
            with self.lock:
                self.running -= 1

    original_run_pdf_job = staticmethod(ir_actions_report.run_pdf_job)

    def run_cron_with_spy(self):
        with patch.object(ir_actions_report, "run_pdf_job", self.spy_job):
            self.run_autocomm_cron(real_pdf=True)

    def assert_sent_with_own_pdf(self, invoice):
        self.assertEqual(invoice.autocomm_state, "sent", invoice.autocomm_error)
        attachment = invoice.invoice_pdf_report_id
        self.assertTrue(
            attachment, "the PDF is kept on the invoice, as Send & Print does"
        )
        self.assertEqual(attachment.name, invoice._get_invoice_report_filename())
        self.assertEqual(attachment.mimetype, "application/pdf")
        self.assertTrue(attachment.raw.startswith(b"%PDF-"))
        text = pdf_text(attachment.raw)
        self.assertIn(invoice.name, text)
        for other in self.invoices - invoice:
            self.assertNotIn(other.name, text)
        contact = invoice.partner_id.child_ids
        (message,) = self.smtp.delivered_to(contact.email)
        self.assertEqual(message.attachments().get(attachment.name), attachment.raw)

    def test_each_invoice_gets_its_own_pdf(self):
        self.run_cron_with_spy()
        for invoice in self.invoices:
            self.assert_sent_with_own_pdf(invoice)
        self.assertEqual(len(self.smtp.messages), 4)

    def test_one_process_per_invoice_side_by_side(self):
        # What Send & Print needs with Debian's wkhtmltopdf (one invoice per
        # call): Odoo then hands the PDFs over one by one, yet the automatic
        # sending still renders its whole batch at once.
        self.env["ir.config_parameter"].sudo().set_param(
            "account.pdf_generation_batch", 0
        )
        self.run_cron_with_spy()
        self.assertEqual(
            sorted(job.res_id for job in self.jobs), sorted(self.invoices.ids)
        )
        for job in self.jobs:
            bodies = [arg for arg in job.command if "report.body.tmp." in arg]
            self.assertEqual(len(bodies), 1, "one invoice per wkhtmltopdf call")
        # Each process takes at least a second (JavaScript delay): four
        # started at once by four workers overlap.
        self.assertGreaterEqual(self.max_running, 2)

    def test_batch_html_rendered_once(self):
        # The HTML of the whole batch is rendered in one QWeb call and split
        # by invoice; it is not rendered again invoice by invoice.
        report_class = type(self.env["ir.actions.report"])
        original = report_class._prepare_html
        rendered = []

        def prepare_html(report, html, report_model=False):
            prepared = original(report, html, report_model=report_model)
            if report.env.context.get("autocomm_pdf_prerendered") is None:
                rendered.append(sorted(prepared[1]))
            return prepared

        with patch.object(report_class, "_prepare_html", prepare_html):
            self.run_cron_with_spy()
        for invoice in self.invoices:
            self.assert_sent_with_own_pdf(invoice)
        self.assertEqual(rendered, [sorted(self.invoices.ids)])

    def test_failing_render_fails_only_that_invoice(self):
        failing = self.invoices[1]
        self.failing_ids = {failing.id}
        self.run_cron_with_spy()
        self.assertEqual(failing.autocomm_state, "failed")
        self.assertIn("PDF", failing.autocomm_error)
        self.assertFalse(failing.invoice_pdf_report_id)
        self.assertFalse(self.smtp.delivered_to(failing.partner_id.child_ids.email))
        for invoice in self.invoices - failing:
            self.assert_sent_with_own_pdf(invoice)
        self.assertEqual(len(self.jobs), 4, "the batch is not rendered twice")

    def test_failing_html_fails_only_that_invoice(self):
        failing = self.invoices[2]
        report_class = type(self.env["ir.actions.report"])
        original = report_class._render_qweb_html

        def render_qweb_html(report, report_ref, docids, data=None):
            if docids and failing.id in docids:
                raise ValueError("Broken template")
            return original(report, report_ref, docids, data=data)

        with patch.object(report_class, "_render_qweb_html", render_qweb_html):
            self.run_cron_with_spy()
        self.assertEqual(failing.autocomm_state, "failed")
        self.assertIn("Broken template", failing.autocomm_error)
        for invoice in self.invoices - failing:
            self.assert_sent_with_own_pdf(invoice)

    def test_patched_wkhtmltopdf_keeps_odoo_batching(self):
        report = self.env["ir.actions.report"]
        with patch.dict(config.options, {"test_enable": False}):
            self.assertEqual(report._autocomm_pdf_workers(), 4)
            with patch.object(
                ir_actions_report, "wkhtmltopdf_renders_batches", return_value=True
            ):
                self.assertEqual(report._autocomm_pdf_workers(), 0)
            self.env["ir.config_parameter"].sudo().set_param(
                "flexi_autocomm.pdf_workers", 0
            )
            self.assertEqual(report._autocomm_pdf_workers(), 0)
        # Tests render HTML, unless asked for real PDFs.
        self.assertEqual(report._autocomm_pdf_workers(), 0)
