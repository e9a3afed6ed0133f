"""Concurrent PDF rendering for the automatic sending.

Debian's wkhtmltopdf (built on an unpatched Qt) renders one document per call,
and each call waits a fixed second for JavaScript (``--javascript-delay``):
rendering invoices one after the other leaves the machine idle most of the
time. For the automatic sending, the HTML of a batch is rendered once by the
ORM, then one wkhtmltopdf process per invoice runs, several at once, in worker
threads that only run processes and read files (no ORM, no cursor). The PDFs
are then fed back, invoice by invoice, into Odoo's own report flow, so that
every extension of ``_render_qweb_pdf_prepare_streams`` (EDI attachments
embedded in the PDF, Swiss QR bills, ...) still applies.

The two steps go through Odoo's report methods in a context that tells them
what to do:

``autocomm_pdf_collector``
    ``_pre_render_qweb_pdf`` runs as usual up to the call of wkhtmltopdf; the
    prepared HTML and the arguments of that call are collected instead, and
    :class:`PdfJobsCollected` interrupts the rendering.
``autocomm_pdf_prerendered``
    for the invoices whose PDF is ready, ``_render_qweb_html``,
    ``_prepare_html`` and ``_run_wkhtmltopdf`` return placeholders and the
    ready PDF instead of rendering again.
"""

import concurrent.futures
import contextlib
import functools
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlparse

import lxml.html
import psycopg2
from markupsafe import Markup

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.http import request, root
from odoo.service import security

from odoo.addons.base.models.ir_actions_report import (
    _get_wkhtmltopdf_bin,
    _split_table,
)

_logger = logging.getLogger(__name__)

# A wkhtmltopdf process that hangs (a stalled network fetch) must not block the
# scheduled action forever; an invoice takes seconds.
PDF_TIMEOUT = 600
# Bodies larger than this have their tables split, as Odoo does (opw-1689673).
LARGE_BODY = 4 * 1024 * 1024
PLACEHOLDER_PREFIX = "<!-- flexi_autocomm: prerendered PDF of record "
PLACEHOLDER = PLACEHOLDER_PREFIX + "{} -->"


@functools.cache
def wkhtmltopdf_renders_batches(binary):
    """Whether ``binary`` renders several documents in one call.

    Builds on a patched Qt (the wkhtmltopdf.org packages) say so in their
    version ("wkhtmltopdf 0.12.6 (with patched qt)"); Debian's build does not,
    and fails on batches (Odoo then raises ``EmptyFileError``).
    """
    try:
        completed = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return "patched qt" in completed.stdout.lower()


class PdfJobsCollected(Exception):
    """Interrupts a report rendering once wkhtmltopdf's input is collected."""


@dataclass(eq=False)  # kept in contexts, which are compared: by identity
class PdfCollector:
    """The records of the bodies ``_prepare_html`` prepared, and the
    arguments ``_run_wkhtmltopdf`` was called with."""

    html_ids: list = None
    run_kwargs: dict = None
    # Binary, options and header/footer files, shared by the batch's processes.
    command_prefix: list = None
    # The paper format the layout asks for at each body: {report xml id: format}
    paperformats: dict = field(default_factory=dict)


@dataclass
class PdfJob:
    """One wkhtmltopdf process, every argument built in the main thread."""

    res_id: int
    command: list
    output_path: str


@dataclass
class PdfJobOutcome:
    """What a worker thread brings back: no ORM object, no translation."""

    returncode: int = None
    stderr: str = ""
    content: bytes = b""
    exception: str = None


@dataclass(eq=False)
class PrerenderedPdfs:
    """PDFs rendered ahead for one report: ``{res_id: (content, error)}``."""

    report: models.BaseModel
    results: dict = field(default_factory=dict)
    # Records tried, ready or not (an extension may render without wkhtmltopdf).
    attempted: set = field(default_factory=set)

    def serves(self, report_ref, docids):
        if not docids or len(docids) != 1 or docids[0] not in self.results:
            return False
        if isinstance(report_ref, models.BaseModel):
            return report_ref.id == self.report.id
        if isinstance(report_ref, int):
            return report_ref == self.report.id
        return report_ref == self.report.report_name

    def res_id_of(self, html):
        """The record whose placeholder ``html`` is, if it is one."""
        if not isinstance(html, str) or not html.startswith(PLACEHOLDER_PREFIX):
            return None
        res_id = int(html[len(PLACEHOLDER_PREFIX) :].split(" ", 1)[0])
        return res_id if res_id in self.results else None


def run_pdf_job(job, timeout=PDF_TIMEOUT):
    """Run one wkhtmltopdf process; runs in a worker thread, touches no ORM."""
    outcome = PdfJobOutcome()
    try:
        completed = subprocess.run(
            job.command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
            encoding="utf-8",
            errors="replace",
        )
    except subprocess.TimeoutExpired:
        outcome.exception = f"no result after {timeout} s"
        return outcome
    except OSError as error:
        outcome.exception = str(error)
        return outcome
    outcome.returncode = completed.returncode
    outcome.stderr = completed.stderr or ""
    with contextlib.suppress(OSError), open(job.output_path, "rb") as output:
        outcome.content = output.read()
    return outcome


def run_pdf_jobs(jobs, workers):
    """Run ``jobs``, at most ``workers`` at once; outcomes in the same order."""
    if not jobs:
        return []
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(jobs))),
        thread_name_prefix="autocomm_pdf",
    ) as pool:
        return list(pool.map(run_pdf_job, jobs))


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    # ------------------------------------------------------------------
    # When
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_pdf_workers(self):
        """How many wkhtmltopdf processes the automatic sending runs at once;
        0 to leave the rendering to Odoo (HTML in tests, a wkhtmltopdf that
        renders batches itself, or switched off by the system parameter
        ``flexi_autocomm.pdf_workers`` = 0)."""
        if (
            tools.config["test_enable"] or tools.config["test_file"]
        ) and not self.env.context.get("force_report_rendering"):
            return 0
        if self.get_wkhtmltopdf_state() != "ok":
            return 0
        if wkhtmltopdf_renders_batches(_get_wkhtmltopdf_bin()):
            return 0
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("flexi_autocomm.pdf_workers")
        )
        if param not in (None, False, ""):
            try:
                return max(0, int(param))
            except ValueError:
                _logger.warning("flexi_autocomm.pdf_workers=%r is not a number", param)
        # Each process mostly waits (JavaScript delay): a few per core keep
        # the cores busy; more only costs memory.
        return min(16, 4 * (os.cpu_count() or 1))

    # ------------------------------------------------------------------
    # Rendering several PDFs at once
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_render_pdfs(self, report, res_ids, workers):
        """Render the PDF of each record of ``res_ids``, ``workers`` at once.

        :return: ``{res_id: (content, error)}``, ``content`` the PDF bytes or
            ``None`` with ``error`` the reason, in words.
        """
        results = {}
        specs = self._autocomm_collect_pdf_specs(report, res_ids, results)
        with contextlib.ExitStack() as cleanup:
            cookie_args = self._autocomm_cookie_args(cleanup)
            jobs = [
                self._autocomm_build_pdf_job(spec, cookie_args, cleanup)
                for spec in specs
            ]
            outcomes = run_pdf_jobs(jobs, workers)
        for job, outcome in zip(jobs, outcomes, strict=True):
            results[job.res_id] = self._autocomm_pdf_job_result(outcome)
        return results

    @api.model
    def _autocomm_collect(self, report, res_ids):
        """Run Odoo's rendering of ``res_ids`` up to wkhtmltopdf.

        :return: the :class:`PdfCollector`, or ``None`` when the chain did
            not call wkhtmltopdf (an extension produced the PDF itself).
        """
        collector = PdfCollector()
        collecting = self.with_context(autocomm_pdf_collector=collector)
        try:
            # The report in the collecting environment too: Odoo prepares the
            # HTML on the report record it is given (_get_report), and only
            # there the bodies are told apart by record.
            collecting._pre_render_qweb_pdf(
                report.with_env(collecting.env), res_ids=list(res_ids)
            )
        except PdfJobsCollected:
            return collector
        return None

    @api.model
    def _autocomm_collect_pdf_specs(self, report, res_ids, errors):
        """What each wkhtmltopdf process renders: ``[(res_id, body indexes,
        collector)]``.

        The batch's HTML is rendered at once; when that fails, or its bodies
        cannot be told apart by record, each record is rendered alone, and a
        record that fails gets its error in ``errors``.
        """
        try:
            collector = self._autocomm_collect(report, res_ids)
        except psycopg2.Error:
            raise
        except Exception:  # noqa: BLE001 - retried record by record
            _logger.info("Batch HTML rendering failed, rendering record by record")
            collector = None
        specs = collector and self._autocomm_split_by_record(collector, res_ids)
        if specs:
            return specs
        specs = []
        for res_id in res_ids:
            try:
                collector = self._autocomm_collect(report, [res_id])
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 - this record only
                errors[res_id] = (None, self._autocomm_error_text(error))
                continue
            if collector is None:
                continue  # an extension renders it without wkhtmltopdf
            bodies = collector.run_kwargs["bodies"]
            specs.append((res_id, list(range(len(bodies))), collector))
        return specs

    @api.model
    def _autocomm_split_by_record(self, collector, res_ids):
        html_ids = collector.html_ids or []
        if len(html_ids) != len(collector.run_kwargs["bodies"]):
            return None
        indexes = {}
        for index, html_id in enumerate(html_ids):
            indexes.setdefault(html_id, []).append(index)
        if set(indexes) != set(res_ids):
            return None
        return [(res_id, indexes[res_id], collector) for res_id in res_ids]

    @api.model
    def _autocomm_cookie_args(self, cleanup):
        """The session cookie Odoo gives wkhtmltopdf in an HTTP request (to
        resolve internal links); none in the scheduled action."""
        if not (request and request.db):
            return []
        temp_session = root.session_store.new()
        temp_session.update({**request.session, "_trace_disable": True})
        if temp_session.uid:
            temp_session.session_token = security.compute_session_token(
                temp_session, self.env
            )
        root.session_store.save(temp_session)
        cleanup.callback(root.session_store.delete, temp_session)
        domain = urlparse(self._get_report_url()).hostname
        cookie = f"session_id={temp_session.sid}; HttpOnly; domain={domain}; path=/;"
        path = self._autocomm_temp_file(
            cleanup, cookie, "report.cookie_jar.tmp.", ".txt"
        )
        return ["--cookie-jar", path]

    @api.model
    def _autocomm_build_pdf_job(self, spec, cookie_args, cleanup):
        """Command line and files of one wkhtmltopdf process, as
        ``_run_wkhtmltopdf`` builds them."""
        res_id, body_indexes, collector = spec
        run_kwargs = collector.run_kwargs
        files = collector.command_prefix
        if files is None:
            # Header and footer are shared by the processes of a batch: the
            # layout's script picks the header of body N from the body's file
            # name (report.body.tmp.N.*), as in one call of Odoo's.
            report_ref = run_kwargs["report_ref"]
            paperformat = (
                self._get_report(report_ref).get_paperformat()
                if report_ref
                else self.get_paperformat()
            )
            files = [
                _get_wkhtmltopdf_bin(),
                *self._build_wkhtmltopdf_args(
                    paperformat,
                    run_kwargs["landscape"],
                    specific_paperformat_args=run_kwargs["specific_paperformat_args"],
                    set_viewport_size=run_kwargs["set_viewport_size"],
                ),
                *cookie_args,
            ]
            for option, html in (
                ("--header-html", run_kwargs["header"]),
                ("--footer-html", run_kwargs["footer"]),
            ):
                if html:
                    prefix = f"report.{option[2:8]}.tmp."
                    files += [
                        option,
                        self._autocomm_temp_file(cleanup, html, prefix, ".html"),
                    ]
            collector.command_prefix = files
        bodies = run_kwargs["bodies"]
        body_paths = [
            self._autocomm_temp_file(
                cleanup,
                self._autocomm_body_html(bodies[index]),
                f"report.body.tmp.{index}.",
                ".html",
            )
            for index in body_indexes
        ]
        output_path = self._autocomm_temp_file(cleanup, b"", "report.tmp.", ".pdf")
        return PdfJob(res_id, [*files, *body_paths, output_path], output_path)

    @api.model
    def _autocomm_body_html(self, body):
        if len(body) < LARGE_BODY:
            return body
        # wkhtmltopdf's time grows exponentially with the rows of a table.
        tree = lxml.html.fromstring(body)
        _split_table(tree, 500)
        return lxml.html.tostring(tree)

    @api.model
    def _autocomm_temp_file(self, cleanup, content, prefix, suffix):
        file_fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix)
        cleanup.callback(_unlink_quietly, path)
        with os.fdopen(file_fd, "wb") as temp_file:
            temp_file.write(content.encode() if isinstance(content, str) else content)
        return path

    @api.model
    def _autocomm_pdf_job_result(self, outcome):
        """``(content, error)`` of a finished process, judged as Odoo does."""
        if outcome.exception:
            return None, self.env._(
                "Wkhtmltopdf failed: %(message)s", message=outcome.exception
            )
        if outcome.returncode not in (0, 1):
            return None, self.env._(
                "Wkhtmltopdf failed (error code: %(error_code)s). Message: %(message)s",
                error_code=outcome.returncode,
                message=outcome.stderr[-1000:],
            )
        if outcome.stderr:
            _logger.warning("wkhtmltopdf: %s", outcome.stderr)
        if not outcome.content:
            return None, self.env._(
                "Wkhtmltopdf produced an empty PDF (exit code %(error_code)s). "
                "Message: %(message)s",
                error_code=outcome.returncode,
                message=outcome.stderr[-1000:],
            )
        return outcome.content, None

    @api.model
    def _autocomm_error_text(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        return tools.exception_to_unicode(error)

    # ------------------------------------------------------------------
    # Odoo's report flow, in the collecting and prerendered contexts
    # ------------------------------------------------------------------

    @api.model
    def _get_report(self, report_ref):
        # Odoo's per-invoice preparation names the report, which costs a
        # search at each of the chain's lookups; the record is known.
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and report_ref == prerendered.report.report_name:
            return prerendered.report.with_env(self.env).sudo()
        return super()._get_report(report_ref)

    def get_paperformat_by_xmlid(self, xml_id):
        # Odoo's layout asks for the report's paper format at each invoice of
        # a batch, a query each time (env.ref checks that the report exists).
        collector = self.env.context.get("autocomm_pdf_collector")
        if collector is None or not xml_id:
            return super().get_paperformat_by_xmlid(xml_id)
        if xml_id not in collector.paperformats:
            collector.paperformats[xml_id] = super().get_paperformat_by_xmlid(xml_id)
        return collector.paperformats[xml_id]

    @api.model
    def _render_qweb_html(self, report_ref, docids, data=None):
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and prerendered.serves(report_ref, docids):
            return Markup(PLACEHOLDER.format(docids[0])), "html"
        return super()._render_qweb_html(report_ref, docids, data=data)

    def _prepare_html(self, html, report_model=False):
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and (res_id := prerendered.res_id_of(html)):
            return [html], [res_id], None, None, {}
        prepared = super()._prepare_html(html, report_model=report_model)
        collector = self.env.context.get("autocomm_pdf_collector")
        if collector is not None and collector.html_ids is None and prepared:
            collector.html_ids = list(prepared[1])
        return prepared

    @api.model
    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and len(bodies) == 1:
            res_id = prerendered.res_id_of(bodies[0])
            if res_id:
                content, error = prerendered.results[res_id]
                if error:
                    raise UserError(error)
                return content
        collector = self.env.context.get("autocomm_pdf_collector")
        if collector is not None and collector.run_kwargs is None:
            collector.run_kwargs = {
                "bodies": list(bodies),
                "report_ref": report_ref,
                "header": header,
                "footer": footer,
                "landscape": landscape,
                "specific_paperformat_args": specific_paperformat_args,
                "set_viewport_size": set_viewport_size,
            }
            raise PdfJobsCollected()
        return super()._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )


def _unlink_quietly(path):
    with contextlib.suppress(OSError):
        os.unlink(path)
