"""Harness of the system tests: real databases, Odoo processes and SMTP.

The tests run in the pytest process; Odoo runs in processes of its own,
started as a deployment starts them, and commits for real:

- :class:`SystemSettings`: the Odoo configuration file that pytest-odoo loaded
  and the *template database*, a database with ``flexi_autocomm`` installed
  that nobody is connected to, named by the environment variable
  ``FLEXI_AUTOCOMM_SYSTEM_TEMPLATE``. ``make test`` (tools/devenv.py) makes it
  by copying the freshly installed test database before pytest starts (a
  database cannot be copied while pytest-odoo is connected to it). Without it
  the system tests are skipped; to run them by hand, install the addon in a
  database of your own and name it in that variable.
- :class:`ScenarioDatabase`: a copy of the template (``CREATE DATABASE ...
  TEMPLATE``, a file copy that takes a fraction of a second) and of its
  filestore, for one scenario. Data are written through Odoo's API by
  :mod:`.dataset` in a subprocess; checks read the database with SQL.
- :class:`OdooWorker`: ``python3 -m odoo -c <conf> -d <db> --no-http
  --max-cron-threads=1``, killed with SIGKILL whenever a scenario wants.
- :class:`SmtpSink`: a real SMTP server (aiosmtpd) on a free loopback port,
  recording what it accepts; it refuses chosen recipients (4xx/5xx), goes down
  and comes back, and runs *traps*: actions (such as SIGKILL of the worker)
  at a chosen step of the n-th SMTP conversation or message.

Every wait is bounded (:func:`wait_until`); every process started here is
stopped by :meth:`Scenario.close`, and dies with the pytest process anyway
(``PR_SET_PDEATHSIG``).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from aiosmtpd.controller import Controller
from psycopg2 import sql

from ..common import ReceivedMessage, free_port

TEMPLATE_VARIABLE = "FLEXI_AUTOCOMM_SYSTEM_TEMPLATE"
DATASET_SCRIPT = Path(__file__).resolve().parent / "dataset.py"
RESULT_MARKER = "DATASET-RESULT: "

# Runs before Odoo in the worker process, then replaces itself with Odoo
# (exec keeps the process id): the worker is killed when pytest dies, so a
# killed test run leaves no Odoo process behind.
_EXEC_WITH_PDEATHSIG = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"  # PR_SET_PDEATHSIG
    "if os.getppid() != int(os.environ['FLEXI_AUTOCOMM_TEST_PARENT']):\n"
    "    sys.exit('the test process is gone')\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)
ODOO_LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


class ScenarioTimeout(AssertionError):
    """A bounded wait ran out: the scenario did not reach the state it expects."""


def wait_until(predicate, timeout, what, interval=0.2, on_poll=None):
    """Poll ``predicate`` until it returns a true value, for ``timeout`` s at most.

    ``on_poll`` runs before each poll (e.g. to wake the cron workers).
    :return: the true value.
    """
    deadline = time.monotonic() + timeout
    while True:
        if on_poll:
            on_poll()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ScenarioTimeout(f"{what}: not reached in {timeout:.0f} s")
        time.sleep(interval)


# --------------------------------------------------------------------------- #
# Settings and databases
# --------------------------------------------------------------------------- #


@dataclass
class SystemSettings:
    """Where the Odoo configuration and the template database are."""

    config_file: Path
    template: str
    data_dir: Path
    connect_params: dict

    @classmethod
    def from_environment(cls):
        """The settings, or a string saying why the system tests cannot run."""
        from odoo.tools import config

        template = os.environ.get(TEMPLATE_VARIABLE)
        if not template:
            return (
                f"system tests run under `make test`, which sets {TEMPLATE_VARIABLE} "
                "to a copy of the test database; to run them by hand, set it to a "
                "database with flexi_autocomm installed that nobody uses"
            )
        if not config.rcfile or not Path(config.rcfile).is_file():
            return "system tests need pytest-odoo's --odoo-config file"
        params = {
            "host": config["db_host"] or None,
            "port": config["db_port"] or None,
            "user": config["db_user"] or None,
            "password": config["db_password"] or None,
        }
        return cls(
            config_file=Path(config.rcfile),
            template=template,
            data_dir=Path(config["data_dir"]),
            connect_params={k: v for k, v in params.items() if v is not None},
        )

    def connect(self, dbname="postgres", autocommit=True):
        connection = psycopg2.connect(
            dbname=dbname, connect_timeout=10, **self.connect_params
        )
        connection.autocommit = autocommit
        return connection


class ScenarioDatabase:
    """A copy of the template database (and filestore) for one scenario."""

    def __init__(self, settings, name):
        self.settings = settings
        self.name = name
        self.filestore = settings.data_dir / "filestore" / name

    def clone_template(self):
        """Create the database as a copy of the template, filestore included."""
        connection = self.settings.connect()
        try:
            with connection.cursor() as cr:
                cr.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(self.name),
                        sql.Identifier(self.settings.template),
                    )
                )
        finally:
            connection.close()
        template_filestore = (
            self.settings.data_dir / "filestore" / self.settings.template
        )
        if template_filestore.is_dir():
            shutil.copytree(template_filestore, self.filestore, dirs_exist_ok=True)
        return self

    def drop(self):
        connection = self.settings.connect()
        try:
            with connection.cursor() as cr:
                cr.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.name)
                    )
                )
        finally:
            connection.close()
        shutil.rmtree(self.filestore, ignore_errors=True)

    def connect(self, autocommit=True):
        return self.settings.connect(self.name, autocommit=autocommit)

    def query(self, statement, params=()):
        """Run one statement in its own transaction; return its rows."""
        connection = self.connect()
        try:
            with connection.cursor() as cr:
                cr.execute(statement, params)
                return cr.fetchall() if cr.description else []
        finally:
            connection.close()

    def scalar(self, statement, params=()):
        rows = self.query(statement, params)
        return rows[0][0] if rows else None

    def call(self, function, timeout=300, dataset_script=DATASET_SCRIPT, **kwargs):
        """Run ``dataset.<function>(env, **kwargs)`` in an Odoo process; it commits.

        ``dataset_script``: another addon's dataset script (see
        flexi_autocomm_purchase's), which adds its functions to these.
        :return: what the function returned (JSON round trip).
        """
        command = [
            sys.executable,
            str(dataset_script),
            "--config",
            str(self.settings.config_file),
            "--database",
            self.name,
            function,
            json.dumps(kwargs),
        ]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=worker_environment(),
            check=False,
        )
        lines = [
            line[len(RESULT_MARKER) :]
            for line in result.stdout.splitlines()
            if line.startswith(RESULT_MARKER)
        ]
        if result.returncode or not lines:
            raise AssertionError(
                f"dataset {function} failed (exit status {result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
            )
        return json.loads(lines[-1])

    # What the checks read ----------------------------------------------------

    def cron_id(self, xmlid):
        module, name = xmlid.split(".")
        return self.scalar(
            "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
            (module, name),
        )

    def documents(self, move_ids):
        """``{move_id: (name, autocomm_state, autocomm_error)}``."""
        rows = self.query(
            "SELECT id, name, autocomm_state, autocomm_error FROM account_move "
            "WHERE id = ANY(%s)",
            (list(move_ids),),
        )
        return {row[0]: row[1:] for row in rows}

    def state_counts(self, move_ids):
        rows = self.query(
            "SELECT autocomm_state, count(*) FROM account_move WHERE id = ANY(%s) "
            "GROUP BY autocomm_state",
            (list(move_ids),),
        )
        return Counter(dict(rows))


def worker_environment():
    """Environment of the Odoo processes: wkhtmltopdf needs a Qt platform."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["FLEXI_AUTOCOMM_TEST_PARENT"] = str(os.getpid())
    env.pop(TEMPLATE_VARIABLE, None)
    return env


# --------------------------------------------------------------------------- #
# Odoo cron workers
# --------------------------------------------------------------------------- #


class OdooWorker:
    """An Odoo server process that runs scheduled actions, and no HTTP."""

    def __init__(self, settings, dbname, log_file):
        self.settings = settings
        self.dbname = dbname
        self.log_file = log_file
        self.process = None

    def start(self):
        command = [
            sys.executable,
            "-c",
            _EXEC_WITH_PDEATHSIG,
            "-m",
            "odoo",
            "-c",
            str(self.settings.config_file),
            "-d",
            self.dbname,
            f"--db-filter=^{re.escape(self.dbname)}$",
            "--no-http",
            "--max-cron-threads=1",
            f"--logfile={self.log_file}",
            "--log-level=info",
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=worker_environment(),
            start_new_session=True,  # its own process group: it and wkhtmltopdf
        )
        return self

    @property
    def pid(self):
        return self.process.pid

    @property
    def application_name(self):
        """How PostgreSQL names this process's connections (Odoo's default)."""
        return f"odoo-{self.pid}"

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL the worker and what it started (wkhtmltopdf), like a crash."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        """Stop gracefully (SIGTERM), then SIGKILL if it does not stop."""
        if not self.alive():
            self.kill()  # its children, if any
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        self.kill()

    def children(self, name=None):
        """Process ids of this worker's children (optionally by command name)."""
        found = []
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = stat_file.read_text()
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                if ppid == self.pid and (name is None or comm.startswith(name)):
                    found.append(int(stat_file.parent.name))
        return found

    def log_text(self):
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""

    def log_problems(self, allowed=()):
        """ERROR/CRITICAL lines of the log, but for the ``allowed`` patterns."""
        return [
            line
            for line in self.log_text().splitlines()
            if ODOO_LOG_PROBLEM.match(line)
            and not any(re.search(pattern, line) for pattern in allowed)
        ]

    def processed_records(self):
        """How many records this worker reported done in scheduled actions."""
        return sum(
            int(match.group(1))
            for match in re.finditer(r"Job .* processed (\d+) records", self.log_text())
        )

    def in_job(self, cron_ids):
        """Whether this worker is running one of the scheduled actions ``cron_ids``
        (its log says the job started and not yet that it is done)."""
        pattern = re.compile(r"Job .* \((\d+)\) (starting|done in)")
        running = set()
        for match in pattern.finditer(self.log_text()):
            cron_id = int(match.group(1))
            if match.group(2) == "starting":
                running.add(cron_id)
            else:
                running.discard(cron_id)
        return bool(running & set(cron_ids))

    def completed_runs(self, cron_id):
        """How many times this worker finished the scheduled action ``cron_id``."""
        pattern = re.compile(rf"Job .* \({cron_id}\) completed")
        return sum(1 for line in self.log_text().splitlines() if pattern.search(line))


# --------------------------------------------------------------------------- #
# SMTP sink
# --------------------------------------------------------------------------- #


@dataclass
class Trap:
    """An action run at the ``nth`` ``event`` the sink sees after arming it.

    Events: ``connect`` (EHLO), ``mail`` (MAIL FROM), ``rcpt`` (RCPT TO),
    ``data`` (the whole message was received and recorded, before the reply),
    ``quit``. The action receives the aiosmtpd server protocol and returns
    None or the reply to send instead of the normal one.
    """

    event: str
    nth: int
    action: object
    label: str
    seen: int = 0
    fired_at: float = None
    outcome: str = ""


@dataclass
class Refusal:
    reply: str
    times: int = None  # None: always
    refused: int = 0


@dataclass
class SinkMessage(ReceivedMessage):
    received_at: float = field(default_factory=time.monotonic)


class _SinkHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        reply = self.sink._fire("connect", server)
        return [reply] if reply else responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.sink._fire("mail", server)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink._refusal(address) or self.sink._fire("rcpt", server)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sink._record(envelope)
        return self.sink._fire("data", server) or "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        return self.sink._fire("quit", server) or "221 Bye"


class SmtpSink:
    """A real SMTP server on a free loopback port, for one scenario."""

    def __init__(self):
        self.port = free_port()
        self.controller = None
        self.messages = []
        self.traps = []
        self.refusals = {}
        self.events = Counter()
        self.background = []
        self._lock = threading.Lock()

    # Life cycle --------------------------------------------------------------

    def start(self):
        self.controller = Controller(
            _SinkHandler(self),
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=10,
            data_size_limit=64 * 1024 * 1024,
        )
        self.controller.start()
        return self

    def stop(self):
        for thread in self.background:
            thread.join(timeout=30)
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def go_down(self):
        """Stop listening: connections are refused, as with a server that is down."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def come_back(self):
        if self.controller is None:
            self.start()

    # Behaviour ---------------------------------------------------------------

    def refuse(self, address, reply, times=None):
        """Refuse ``address`` at RCPT TO with ``reply`` (the first ``times`` times)."""
        with self._lock:
            self.refusals[address.lower()] = Refusal(reply, times)

    def arm(self, event, action, nth=1, label=None):
        """Run ``action`` at the ``nth`` ``event`` from now on; return the trap."""
        with self._lock:
            trap = Trap(event, nth, action, label or f"{event} #{nth}")
            self.traps.append(trap)
        return trap

    def _refusal(self, address):
        with self._lock:
            refusal = self.refusals.get(address.lower())
            if refusal is None:
                return None
            if refusal.times is not None and refusal.refused >= refusal.times:
                return None
            refusal.refused += 1
            return refusal.reply

    def _fire(self, event, server):
        with self._lock:
            self.events[event] += 1
            due = []
            for trap in self.traps:
                if trap.event == event and trap.fired_at is None:
                    trap.seen += 1
                    if trap.seen == trap.nth:
                        trap.fired_at = time.monotonic()
                        due.append(trap)
        reply = None
        for trap in due:
            reply = trap.action(server, trap) or reply
        return reply

    def _record(self, envelope):
        message = SinkMessage(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.content
        )
        with self._lock:
            self.messages.append(message)

    # What was received -------------------------------------------------------

    def deliveries(self):
        """``Counter((subject, recipient))`` of the accepted messages."""
        with self._lock:
            messages = list(self.messages)
        return Counter(
            (message.subject, rcpt.lower())
            for message in messages
            for rcpt in message.rcpt_tos
        )

    def received(self):
        with self._lock:
            return list(self.messages)


def deliveries_by_document(sink, names):
    """``Counter((document name, recipient))`` of what the sink accepted.

    A message belongs to the document whose name is a word of its subject
    ("Invoice INV/2026/00012 - YourCompany").
    """
    known = set(names)
    deliveries = Counter()
    for message in sink.received():
        found = [word for word in message.subject.split() if word in known]
        name = found[0] if found else f"?{message.subject}"
        for rcpt in message.rcpt_tos:
            deliveries[(name, rcpt.lower())] += 1
    return deliveries


# Figures of the scenarios, printed at the end of the pytest run.
FIGURES = []


def record_figures(scenario, **figures):
    """Keep a scenario's figures for the summary at the end of the run."""
    FIGURES.append((scenario, figures))


# --------------------------------------------------------------------------- #
# Fault-injection actions for the sink's traps
# --------------------------------------------------------------------------- #


def kill_action(worker_getter):
    """SIGKILL the current worker, at once (before the sink replies)."""

    def action(server, trap):
        worker = worker_getter()
        worker.kill()
        trap.outcome = f"killed worker {worker.pid}"
        return None

    return action


def drop_connection_action(reply="421 4.3.2 Service shutting down, closing channel"):
    """Answer ``reply`` and close the connection, as a server going down does;
    with ``reply=None``, hang up at once without an answer."""

    def action(server, trap):
        if reply is None:
            server.transport.abort()
            trap.outcome = "hung up"
            return "421 never sent"
        server.loop.call_soon(server.transport.close)
        trap.outcome = f"answered {reply.split()[0]} and closed the connection"
        return reply

    return action


def kill_after_reply_action(sink, worker_getter, database):
    """Kill the worker after it got 250 for the message and before it commits.

    The e-mail's row is locked from another connection before the sink
    answers 250: the worker reads the 250, writes the outcome, blocks on that
    lock without committing, and is killed there. Then the lock is released.
    """

    def action(server, trap):
        worker = worker_getter()
        connection = database.connect(autocommit=False)
        with connection.cursor() as cr:
            try:
                cr.execute(
                    "SELECT id FROM mail_mail WHERE autocomm_claimed_until IS NOT NULL "
                    "AND state = 'outgoing' FOR UPDATE NOWAIT"
                )
                locked = [row[0] for row in cr.fetchall()]
            except psycopg2.errors.LockNotAvailable:
                connection.rollback()
                locked = []
        thread = threading.Thread(
            target=_kill_when_blocked,
            args=(worker, database, connection, locked, trap),
            daemon=True,
        )
        thread.start()
        sink.background.append(thread)
        return None

    return action


def _kill_when_blocked(worker, database, connection, locked, trap):
    try:
        blocked = False
        if locked:
            with contextlib.suppress(ScenarioTimeout):
                blocked = wait_until(
                    lambda: database.scalar(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = %s AND wait_event_type = 'Lock'",
                        (worker.application_name,),
                    ),
                    timeout=20,
                    what="worker blocked on the e-mail's row",
                    interval=0.05,
                )
        worker.kill()
        trap.outcome = (
            f"killed worker {worker.pid} blocked before its commit (mail {locked})"
            if blocked
            else f"killed worker {worker.pid}, NOT seen blocked (locked {locked})"
        )
    finally:
        connection.rollback()
        connection.close()


# --------------------------------------------------------------------------- #
# One scenario
# --------------------------------------------------------------------------- #


class Scenario:
    """A scenario database, its SMTP sink and its workers; ``close()`` ends all."""

    SEND_CRON = "flexi_autocomm.ir_cron_autocomm_send"

    def __init__(self, settings, name, log_dir, budget):
        self.settings = settings
        self.name = name
        self.log_dir = Path(log_dir)
        self.deadline = time.monotonic() + budget
        self.db = ScenarioDatabase(settings, f"{settings.template}_{name}")
        self.sink = SmtpSink()
        self.workers = []

    def open(self):
        self.db.drop()  # left over by a killed run
        self.db.clone_template()
        self.sink.start()
        return self

    def close(self):
        for worker in self.workers:
            worker.stop()
        self.sink.stop()
        self.db.drop()
        # What the sink received, beside the workers' logs (pytest's tmp_path).
        mailbox = self.log_dir / f"{self.name}-mailbox"
        for number, message in enumerate(self.sink.received(), 1):
            mailbox.mkdir(exist_ok=True)
            (mailbox / f"{number:04d}.eml").write_bytes(message.raw)

    def remaining(self, at_most=None):
        """Seconds left in the scenario's budget (or ``at_most`` if less)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ScenarioTimeout(f"scenario {self.name} is over its time budget")
        return min(left, at_most) if at_most else left

    # Workers -----------------------------------------------------------------

    def start_worker(self):
        log_file = self.log_dir / f"{self.name}-worker{len(self.workers) + 1}.log"
        worker = OdooWorker(self.settings, self.db.name, log_file).start()
        self.workers.append(worker)
        return worker

    @property
    def worker(self):
        """The worker started last."""
        return self.workers[-1]

    def wait_disconnected(self, worker):
        """Wait until PostgreSQL has closed the connections of a dead worker."""
        wait_until(
            lambda: (
                not self.db.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    (worker.application_name,),
                )
            ),
            timeout=self.remaining(60),
            what=f"connections of worker {worker.pid} closed",
        )

    def trigger(self, *cron_ids, if_none_pending=True):
        """Make the scheduled actions due, as ``ir.cron._trigger()`` does."""
        connection = self.db.connect()
        try:
            with connection.cursor() as cr:
                for cron_id in cron_ids:
                    cr.execute(
                        "INSERT INTO ir_cron_trigger (cron_id, call_at) "
                        "SELECT %s, now() AT TIME ZONE 'UTC' "
                        "WHERE NOT %s OR NOT EXISTS ("
                        " SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s"
                        " AND call_at <= now() AT TIME ZONE 'UTC')",
                        (cron_id, if_none_pending, cron_id),
                    )
        finally:
            connection.close()

    def notify(self):
        """Wake the cron workers up (NOTIFY on Odoo's channel).

        Odoo's cron threads listen on a connection to the "postgres"
        database, and notifications do not cross databases. A worker that
        was not listening yet is caught by the next notification.
        """
        connection = self.settings.connect("postgres")
        try:
            with connection.cursor() as cr:
                cr.execute("SELECT pg_notify('cron_trigger', %s)", (self.db.name,))
        finally:
            connection.close()

    def kick(self, *cron_ids):
        """Make the scheduled actions due (unless they are) and wake the workers."""
        self.trigger(*cron_ids)
        self.notify()

    def run_until(self, predicate, what, cron_ids, timeout=None, kick_every=2.0):
        """Kick the crons every ``kick_every`` s until ``predicate()`` holds."""
        last_kick = [0.0]

        def kick():
            if time.monotonic() - last_kick[0] >= kick_every:
                self.kick(*cron_ids)
                last_kick[0] = time.monotonic()

        return wait_until(
            predicate,
            timeout=self.remaining(timeout),
            what=what,
            interval=0.25,
            on_poll=kick,
        )

    def completed_runs(self, cron_id, worker=None):
        """Runs of ``cron_id`` completed by ``worker`` (default: by any worker)."""
        workers = [worker] if worker else self.workers
        return sum(one.completed_runs(cron_id) for one in workers)

    def run_cron(self, cron_id, worker=None, times=1, timeout=None):
        """Have the workers (or ``worker``) run the scheduled action ``times``
        more times, one trigger each, and wait for each run to complete."""
        notified = [0.0]

        def notify():
            if time.monotonic() - notified[0] >= 2:
                self.notify()
                notified[0] = time.monotonic()

        for _run in range(times):
            done = self.completed_runs(cron_id, worker)
            self.trigger(cron_id, if_none_pending=False)
            wait_until(
                lambda done=done: self.completed_runs(cron_id, worker) > done,
                timeout=self.remaining(timeout),
                what=f"a run of cron {cron_id}",
                interval=0.25,
                on_poll=notify,
            )

    def worker_problems(self, allowed=()):
        """Error lines of all the workers' logs, but for ``allowed`` patterns."""
        return {
            worker.log_file.name: problems
            for worker in self.workers
            if (problems := worker.log_problems(allowed))
        }

    def report(self):
        """The end of each worker's log, for an assertion message."""
        parts = []
        for worker in self.workers:
            tail = "\n".join(worker.log_text().splitlines()[-25:])
            parts.append(f"--- {worker.log_file.name} (pid {worker.pid}):\n{tail}")
        return "\n".join(parts)


# --------------------------------------------------------------------------- #
# Fixtures, imported by the test modules (a conftest.py here would be loaded
# before pytest-odoo sets up Odoo's import system when a test file is named
# on the command line):
#     from .harness import scenario_factory_fixture, system_settings_fixture
# --------------------------------------------------------------------------- #


class _SummaryPlugin:
    """Prints the figures of the scenarios at the end of the pytest run."""

    def pytest_terminal_summary(self, terminalreporter):
        if FIGURES:
            terminalreporter.section("flexi_autocomm system scenarios")
            for scenario, figures in FIGURES:
                values = ", ".join(f"{key}={value}" for key, value in figures.items())
                terminalreporter.write_line(f"{scenario}: {values}")


@pytest.fixture(scope="session", name="system_settings")
def system_settings_fixture(pytestconfig):
    settings = SystemSettings.from_environment()
    if isinstance(settings, str):
        pytest.skip(settings)
    plugins = pytestconfig.pluginmanager
    if not plugins.has_plugin("flexi_autocomm_system_summary"):
        plugins.register(_SummaryPlugin(), "flexi_autocomm_system_summary")
    return settings


@pytest.fixture(name="scenario_factory")
def scenario_factory_fixture(system_settings, tmp_path):
    """``scenario_factory(name, budget)``: an open :class:`Scenario`, closed at
    the end of the test whatever happens. The end of the workers' logs is
    written to the test's output (which pytest shows when the test fails)."""
    scenarios = []

    def factory(name, budget):
        scenario = Scenario(system_settings, name, tmp_path, budget)
        scenarios.append(scenario)
        return scenario.open()

    yield factory
    for scenario in scenarios:
        try:
            sys.stdout.write(scenario.report() + "\n")
        finally:
            scenario.close()
