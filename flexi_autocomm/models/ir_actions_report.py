"""Concurrent PDF rendering for the automatic sending.

Debian's wkhtmltopdf (built on an unpatched Qt) renders one document per call,
and each call waits a fixed second for JavaScript (``--javascript-delay``):
rendering invoices one after the other leaves the machine idle most of the
time. For the automatic sending, the HTML of a batch is rendered once by
Odoo's report chain; then Odoo's own ``_run_wkhtmltopdf`` is called once per
invoice, several calls at once, each in a worker thread with its own cursor
and environment. The PDFs are then fed back, invoice by invoice, into Odoo's
own report flow, so that every extension of
``_render_qweb_pdf_prepare_streams`` (EDI attachments embedded in the PDF,
Swiss QR bills, ...) still applies.

Nothing of Odoo's rendering is redone here: the arguments Odoo passes to
``_run_wkhtmltopdf`` for the batch are collected and handed back to it, record
by record. Each thread opens one cursor for all its calls (at most
``_autocomm_pdf_workers()`` more database connections) and runs in a copy of
the caller's context variables, where Odoo keeps its HTTP request: Odoo's own code gives
wkhtmltopdf the session cookie in a request, as when it renders itself. The
steps go through Odoo's report methods in a context that tells them what to
do:

``autocomm_pdf_collector``
    ``_pre_render_qweb_pdf`` runs as usual up to the call of wkhtmltopdf; the
    records of the prepared bodies and the arguments of that call are
    collected instead, and :class:`PdfCallCollected` interrupts the rendering.
``autocomm_pdf_job``
    set in a worker thread: the wkhtmltopdf process carries it as a marker,
    so that a hung one can be found and stopped (Odoo's call has no timeout).
``autocomm_pdf_prerendered``
    for the invoices whose PDF is ready, ``_render_qweb_html``,
    ``_prepare_html`` and ``_run_wkhtmltopdf`` return placeholders and the
    ready PDF instead of rendering again.
"""

import concurrent.futures
import contextlib
import contextvars
import functools
import logging
import os
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field

import lxml.html
import psutil
import psycopg2
from markupsafe import Markup

from odoo import api, models, tools
from odoo.exceptions import UserError
from odoo.sql_db import TestCursor

_logger = logging.getLogger(__name__)

# A wkhtmltopdf process that hangs (a stalled network fetch) must not block the
# scheduled action forever; an invoice takes seconds.
PDF_TIMEOUT = 600
# The wkhtmltopdf option that marks the processes of the automatic sending: a
# cookie no page reads, sent to the report server only.
JOB_COOKIE = "flexi_autocomm_pdf_job"
# Where the layout of Odoo's reports keeps the headers and footers of all the
# bodies of a call (web.minimal_layout), one child per body.
LAYOUT_PART_IDS = ("minimal_layout_report_headers", "minimal_layout_report_footers")
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


class PdfCallCollected(Exception):
    """Interrupts a report rendering once wkhtmltopdf's input is collected."""


@dataclass(eq=False)  # kept in contexts, which are compared: by identity
class PdfCollector:
    """The records of the bodies ``_prepare_html`` prepared, and the
    arguments ``_run_wkhtmltopdf`` was called with."""

    html_ids: list = None
    run_kwargs: dict = None
    # The paper format the layout asks for at each body: {report xml id: format}
    paperformats: dict = field(default_factory=dict)


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


class ThreadCursors:
    """A cursor per worker thread, kept for all the calls the thread makes
    (one sending's PDFs): the report, its paper format and the system
    parameters are read once per thread, not once per PDF. Closed by
    :meth:`close` once the threads are done.

    In Odoo's test mode every cursor is the test's, lent to one thread at a
    time until it is closed: there each call has a cursor of its own.
    """

    def __init__(self, registry):
        self.registry = registry
        self.local = threading.local()
        self.lock = threading.Lock()
        self.cursors = []

    @contextlib.contextmanager
    def cursor(self):
        if self.registry.in_test_mode():
            with self.registry.cursor() as cr:
                yield cr
            return
        cr = getattr(self.local, "cr", None)
        if cr is None:
            cr = self.local.cr = self.registry.cursor()
            with self.lock:
                self.cursors.append(cr)
        try:
            yield cr
        except Exception:
            cr.rollback()  # nothing written: a failed call leaves it usable
            raise

    def close(self):
        for cr in self.cursors:
            cr.rollback()
            cr.close()


def run_wkhtmltopdf_in_thread(cursors, uid, su, context, run_kwargs):
    """Call Odoo's ``_run_wkhtmltopdf`` in a worker thread, on the thread's
    cursor (see :class:`ThreadCursors`) and an environment of its own.

    The cursor sees what is committed: the report, its paper format and the
    system parameters; what the sending changed is already in the HTML.
    """
    with cursors.cursor() as cr:
        report_model = api.Environment(cr, uid, context, su=su)["ir.actions.report"]
        report_ref = run_kwargs["report_ref"]
        if isinstance(report_ref, models.BaseModel):
            report_ref = report_ref.with_env(report_model.env)
        return report_model._run_wkhtmltopdf(**{**run_kwargs, "report_ref": report_ref})


def stop_overdue_processes(tokens, timeout):
    """Kill the wkhtmltopdf processes started by this process whose marker is
    one of ``tokens`` and that run for longer than ``timeout`` seconds.

    :return: the tokens of the processes killed
    """
    stopped = set()
    for child in psutil.Process().children():
        try:
            command = child.cmdline()
            if JOB_COOKIE not in command:
                continue
            token = command[command.index(JOB_COOKIE) + 1]
            if token not in tokens or time.time() - child.create_time() < timeout:
                continue
            child.kill()
        except psutil.Error:
            continue  # ended meanwhile
        _logger.warning("wkhtmltopdf ran for over %s s, stopped", timeout)
        stopped.add(token)
    return stopped


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    # ------------------------------------------------------------------
    # When
    # ------------------------------------------------------------------

    @api.model
    def _autocomm_pdf_workers(self):
        """How many wkhtmltopdf processes the automatic sending runs at once
        (each in a thread with its own database connection); 0 to leave the
        rendering to Odoo (HTML in tests, a wkhtmltopdf that renders batches
        itself, or switched off by the system parameter
        ``flexi_autocomm.pdf_workers`` = 0)."""
        if (
            tools.config["test_enable"] or tools.config["test_file"]
        ) and not self.env.context.get("force_report_rendering"):
            return 0
        if isinstance(self.env.cr, TestCursor):
            # Odoo's test mode (HttpCase): this request's cursor holds the
            # lock every other test cursor waits for, the threads' too.
            return 0
        if self.get_wkhtmltopdf_state() != "ok":
            return 0
        if wkhtmltopdf_renders_batches(tools.find_in_path("wkhtmltopdf")):
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
        calls = self._autocomm_collect_pdf_calls(report, res_ids, results)
        results.update(self._autocomm_run_wkhtmltopdf_calls(calls, workers))
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
        except PdfCallCollected:
            return collector
        return None

    @api.model
    def _autocomm_collect_pdf_calls(self, report, res_ids, errors):
        """The arguments of Odoo's ``_run_wkhtmltopdf`` for each record:
        ``{res_id: kwargs}``.

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
        calls = collector and self._autocomm_split_by_record(collector, res_ids)
        if calls:
            return calls
        calls = {}
        for res_id in res_ids:
            try:
                collector = self._autocomm_collect(report, [res_id])
            except psycopg2.Error:
                raise
            except Exception as error:  # noqa: BLE001 - this record only
                errors[res_id] = (None, self._autocomm_error_text(error))
                continue
            if collector is not None:  # else rendered without wkhtmltopdf
                calls[res_id] = collector.run_kwargs
        return calls

    @api.model
    def _autocomm_split_by_record(self, collector, res_ids):
        """The batch's call split into one call per record, each with what
        Odoo would pass for that record alone: its bodies and their headers
        and footers."""
        run_kwargs = collector.run_kwargs
        html_ids = collector.html_ids or []
        if len(html_ids) != len(run_kwargs["bodies"]):
            return None
        indexes = {}
        for index, html_id in enumerate(html_ids):
            indexes.setdefault(html_id, []).append(index)
        if set(indexes) != set(res_ids):
            return None
        return {
            res_id: {
                **run_kwargs,
                "bodies": [run_kwargs["bodies"][index] for index in indexes[res_id]],
                "header": self._autocomm_layout_part(
                    run_kwargs["header"], indexes[res_id]
                ),
                "footer": self._autocomm_layout_part(
                    run_kwargs["footer"], indexes[res_id]
                ),
            }
            for res_id in res_ids
        }

    @api.model
    def _autocomm_layout_part(self, html, indexes):
        """The header (or footer) ``html`` of a call kept to the bodies at
        ``indexes``: the layout's script picks the part of body N by its
        position among the parts."""
        if not html:
            return html
        root = lxml.html.fromstring(html)
        for part_id in LAYOUT_PART_IDS:
            parts = root.get_element_by_id(part_id, None)
            if parts is not None:
                for index, part in enumerate(list(parts)):
                    if index not in indexes:
                        parts.remove(part)
                doctype = "<!DOCTYPE html>"
                return Markup(
                    lxml.html.tostring(root, encoding="unicode", doctype=doctype)
                )
        return html

    @api.model
    def _autocomm_run_wkhtmltopdf_calls(self, calls, workers):
        """Call Odoo's ``_run_wkhtmltopdf`` once per record of ``calls``,
        ``workers`` at once, each in a thread with its own cursor and a copy
        of this thread's context variables (``odoo.http.request``).

        :return: ``{res_id: (content, error)}``
        """
        if not calls:
            return {}
        tokens = {res_id: secrets.token_hex(8) for res_id in calls}
        # The sending's own objects stay in this thread.
        context = {
            key: value
            for key, value in self.env.context.items()
            if not key.startswith("autocomm_pdf")
        }
        cursors = ThreadCursors(self.env.registry)
        with (
            contextlib.closing(cursors),
            concurrent.futures.ThreadPoolExecutor(
                max_workers=max(1, min(workers, len(calls))),
                thread_name_prefix="autocomm_pdf",
            ) as pool,
        ):
            futures = {
                res_id: pool.submit(
                    contextvars.copy_context().run,
                    run_wkhtmltopdf_in_thread,
                    cursors,
                    self.env.uid,
                    self.env.su,
                    {**context, "autocomm_pdf_job": tokens[res_id]},
                    run_kwargs,
                )
                for res_id, run_kwargs in calls.items()
            }
            stopped = self._autocomm_wait_for_calls(futures, tokens)
        return {
            res_id: self._autocomm_pdf_call_result(future, tokens[res_id] in stopped)
            for res_id, future in futures.items()
        }

    @api.model
    def _autocomm_pdf_call_result(self, future, stopped):
        """``(content, error)`` of a finished call of ``_run_wkhtmltopdf``."""
        if stopped:
            return None, self.env._(
                "Wkhtmltopdf gave no PDF within %(seconds)s seconds and was stopped.",
                seconds=PDF_TIMEOUT,
            )
        if future.exception():
            return None, self._autocomm_error_text(future.exception())
        if not future.result():
            # Debian's wkhtmltopdf may exit with code 1 and no output, which
            # Odoo accepts: the PDF must not be attached empty.
            return None, self.env._("Wkhtmltopdf produced an empty PDF.")
        return future.result(), None

    @api.model
    def _autocomm_wait_for_calls(self, futures, tokens):
        """Wait for the worker threads, stopping a wkhtmltopdf process that
        runs for longer than ``PDF_TIMEOUT``.

        Odoo's ``_run_wkhtmltopdf`` waits for its process without a timeout;
        instead of running the process ourselves, the process is found by the
        marker our ``_build_wkhtmltopdf_args`` adds and killed, and Odoo's
        call then returns.
        :return: the tokens of the processes stopped
        """
        stopped = set()
        pending = set(futures.values())
        while pending:
            _done, pending = concurrent.futures.wait(
                pending, timeout=min(5, PDF_TIMEOUT / 2)
            )
            running = {
                tokens[res_id]
                for res_id, future in futures.items()
                if future in pending
            }
            stopped |= stop_overdue_processes(running - stopped, PDF_TIMEOUT)
        return stopped

    @api.model
    def _autocomm_error_text(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        return tools.exception_to_unicode(error)

    # ------------------------------------------------------------------
    # Odoo's report flow, in the collecting, worker and prerendered contexts
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
    def _build_wkhtmltopdf_args(
        self,
        paperformat_id,
        landscape,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        command_args = super()._build_wkhtmltopdf_args(
            paperformat_id,
            landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
        token = self.env.context.get("autocomm_pdf_job")
        if token:
            # The marker by which a hung process is found (see
            # _autocomm_wait_for_calls); a cookie changes nothing in the PDF.
            command_args += ["--cookie", JOB_COOKIE, token]
        return command_args

    @api.model
    def _render_qweb_html(self, report_ref, docids, data=None):
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and prerendered.serves(report_ref, docids):
            return Markup(PLACEHOLDER.format(docids[0])), "html"
        return super()._render_qweb_html(report_ref, docids, data=data)

    def _prepare_html(self, html, report_model=False):
        prerendered = self.env.context.get("autocomm_pdf_prerendered")
        if prerendered and (res_id := prerendered.res_id_of(html)):
            # What Odoo unpacks: bodies, their records, header, footer and
            # the paper format's arguments; the placeholder goes on to
            # _run_wkhtmltopdf.
            return [html], [res_id], None, None, {}
        prepared = super()._prepare_html(html, report_model=report_model)
        collector = self.env.context.get("autocomm_pdf_collector")
        if collector is not None and collector.html_ids is None and prepared:
            _bodies, collector.html_ids, *_layout = prepared
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
            raise PdfCallCollected()
        return super()._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )
