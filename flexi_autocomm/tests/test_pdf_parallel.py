import io
import threading
import unittest
from types import SimpleNamespace
from unittest.mock import patch

import lxml.html
import psutil
from PyPDF2 import PdfReader

from odoo import SUPERUSER_ID, api, http
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
        self.calls = []
        self.running = 0
        self.max_running = 0
        self.lock = threading.Lock()
        self.failing_ids = set()
        self.report_class = type(self.env["ir.actions.report"])
        self.original_run_wkhtmltopdf = self.report_class._run_wkhtmltopdf

    def invoice_of(self, bodies):
        """The invoices whose numbers the HTML ``bodies`` show."""
        return self.invoices.filtered(
            lambda invoice: any(invoice.name in body for body in bodies)
        )

    def spy_run_wkhtmltopdf(self, report, bodies, **kwargs):
        """Wraps Odoo's ``_run_wkhtmltopdf``: records the calls that render,
        counts those running at once; the chosen invoices' renderer exits
        without output, as Debian's wkhtmltopdf does on a multi-invoice call."""
        context = report.env.context
        if context.get("autocomm_pdf_collector") or context.get(
            "autocomm_pdf_prerendered"
        ):
            return self.original_run_wkhtmltopdf(report, bodies, **kwargs)
        call = {
            "invoices": self.invoice_of(bodies),
            "bodies": bodies,
            "header": kwargs.get("header"),
            "own_cursor": report.env.cr is not self.env.cr,
            "cursor": report.env.cr,  # kept: its id stays its own
            "thread": threading.current_thread().name,
        }
        with self.lock:
            self.calls.append(call)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            content = self.original_run_wkhtmltopdf(report, bodies, **kwargs)
        finally:
            with self.lock:
                self.running -= 1
        if call["invoices"].ids and set(call["invoices"].ids) <= self.failing_ids:
            return b""
        return content

    def spying(self):
        def run_wkhtmltopdf(report, bodies, **kwargs):
            return self.spy_run_wkhtmltopdf(report, bodies, **kwargs)

        return patch.object(self.report_class, "_run_wkhtmltopdf", run_wkhtmltopdf)

    def run_cron_with_spy(self):
        with self.spying():
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

    def test_odoo_renders_each_invoice_alone_in_worker_threads(self):
        # What Send & Print needs with Debian's wkhtmltopdf (one invoice per
        # call): Odoo then hands the PDFs over one by one, yet the automatic
        # sending still renders its whole batch at once, through Odoo's own
        # _run_wkhtmltopdf, once per invoice, in worker threads.
        self.env["ir.config_parameter"].sudo().set_param(
            "account.pdf_generation_batch", 0
        )
        self.run_cron_with_spy()
        self.assertEqual(
            sorted(call["invoices"].id for call in self.calls),
            sorted(self.invoices.ids),
        )
        for call in self.calls:
            self.assertEqual(len(call["bodies"]), 1, "one invoice per call")
            self.assertTrue(call["own_cursor"], "each thread has its own cursor")
            self.assertTrue(call["thread"].startswith("autocomm_pdf"))
        for invoice in self.invoices:
            self.assert_sent_with_own_pdf(invoice)

    def committed_invoices(self, env):
        """Four of the database's own (committed) posted invoices: outside a
        test's transaction, the threads' cursors see them."""
        company = env.ref("base.main_company")
        invoices = env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
            ],
            limit=4,
        )
        if len(invoices) < 4:
            self.skipTest("the database has no four posted customer invoices")
        self.invoices = invoices
        return invoices

    def render_committed(self, invoices, workers):
        env = invoices.env
        report_model = env["ir.actions.report"].with_company(invoices.company_id)
        report = env.ref("account.account_invoices")
        with patch.dict(config.options, {"test_enable": False}), self.spying():
            return report_model._autocomm_render_pdfs(report, invoices.ids, workers)

    def test_pdfs_render_side_by_side(self):
        # Outside a test's transaction the threads' cursors run at once. Each
        # process takes at least a second (JavaScript delay): four started by
        # four workers overlap.
        invoices = self.committed_invoices(api.Environment(self.cr, SUPERUSER_ID, {}))
        results = self.render_committed(invoices, 4)
        self.assertGreaterEqual(self.max_running, 2)
        self.assertEqual(len(self.calls), 4)
        for invoice in invoices:
            content, error = results[invoice.id]
            self.assertIsNone(error)
            self.assertIn(invoice.name, pdf_text(content))

    def test_each_thread_keeps_one_cursor_for_its_calls(self):
        # The report, paper format and parameters are read once per thread,
        # not once per PDF.
        invoices = self.committed_invoices(api.Environment(self.cr, SUPERUSER_ID, {}))
        self.render_committed(invoices, 2)
        self.assertEqual(len(self.calls), 4)
        threads = {call["thread"] for call in self.calls}
        cursors = {id(call["cursor"]) for call in self.calls}
        self.assertEqual(len(cursors), len(threads))
        self.assertTrue(all(call["cursor"].closed for call in self.calls))

    def test_each_call_gets_its_invoice_header_only(self):
        # The layout's script picks the header of body N among the call's
        # headers: a call of one invoice carries that invoice's header only.
        self.run_cron_with_spy()
        self.assertEqual(len(self.calls), 4)
        for call in self.calls:
            header = lxml.html.fromstring(call["header"])
            headers = header.get_element_by_id("minimal_layout_report_headers")
            self.assertEqual(len(headers), 1)

    def test_hung_wkhtmltopdf_is_stopped(self):
        # Every wkhtmltopdf call takes over a second (JavaScript delay): with
        # a shorter timeout, each stands for a hung process.
        with patch.object(ir_actions_report, "PDF_TIMEOUT", 0.3):
            self.run_cron_with_spy()
        for invoice in self.invoices:
            self.assertEqual(invoice.autocomm_state, "failed")
            self.assertIn("was stopped", invoice.autocomm_error)
        self.assertFalse(self.smtp.messages)
        self.assertFalse(
            [
                child
                for child in psutil.Process().children()
                if "wkhtmltopdf" in child.name()
            ]
        )

    def test_http_request_reaches_odoo_in_the_threads(self):
        # "Send now" renders within an HTTP request: Odoo's _run_wkhtmltopdf
        # then hands wkhtmltopdf the session cookie, from the request it finds
        # in its thread.
        report = self.env.ref("account.account_invoices")
        report_model = self.env["ir.actions.report"]
        with patch.dict(config.options, {"test_enable": False}):
            calls = report_model._autocomm_collect_pdf_calls(
                report, self.invoices[:2].ids, {}
            )
        seen = []

        def run_wkhtmltopdf(report, bodies, **kwargs):
            seen.append(http.request.db if http.request else None)
            return self.original_run_wkhtmltopdf(report, bodies, **kwargs)

        fake_request = SimpleNamespace(db=self.env.cr.dbname, session={})
        http._request_stack.push(fake_request)
        try:
            with (
                self.threads_share_transaction(),
                patch.object(self.report_class, "_run_wkhtmltopdf", run_wkhtmltopdf),
            ):
                results = report_model._autocomm_run_wkhtmltopdf_calls(calls, 2)
        finally:
            http._request_stack.pop()
        self.assertEqual(seen, [self.env.cr.dbname] * 2)
        for content, error in results.values():
            self.assertIsNone(error)
            self.assertTrue(content.startswith(b"%PDF-"))

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
        self.assertEqual(len(self.calls), 4, "the batch is not rendered twice")

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
