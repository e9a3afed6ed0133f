#!/usr/bin/env python3
"""Developer and CI environment of the flexi_autocomm addon.

The Makefile calls this script; it needs nothing but the Python standard library
and what Odoo itself brings (psycopg2), so that it can explain what is missing
before anything else runs.

Subcommands
-----------
``run``
    Serve Odoo with the repository's addons and their demo data on
    http://localhost:8069 (database ``flexi_autocomm_demo``, created on the
    first run, updated on the next ones). Scheduled actions run (one cron
    thread) and every e-mail goes to a local SMTP sink that stores it in
    ``.dev/mailbox/`` (a Maildir). Ctrl-C stops Odoo, the SMTP sink and the
    PostgreSQL cluster started for it (never a server it did not start).
``test``
    Install the repository's addons with demo data in a fresh database, run the
    linters (``ruff check``, ``ruff format --check``, pylint with the OCA checks
    of pylint-odoo) and then the test suite with pytest-odoo and coverage, its
    ``HttpCase`` browser tours included (``--odoo-http``; headless Chromium,
    installed with apt-get when no Chrome or Chromium is found). The system
    tests of ``flexi_autocomm/tests/system/`` (real Odoo cron workers, SMTP
    server and commits) get a copy of the freshly installed database as their
    template, named in ``FLEXI_AUTOCOMM_SYSTEM_TEMPLATE`` (made before pytest
    starts: a database in use cannot be copied). The databases are dropped at
    the end, whatever happened. The exit status is non-zero if the install, a
    linter or pytest failed (pytest's "no tests collected" included); the last
    line printed is the verdict, right after pytest's summary.
``lint``
    Only the linters of ``test``; needs no database.

How it works
------------
1. Odoo 18.0: when the Python running this script cannot import it, Odoo 18.0
   is installed into a virtual environment ``.dev/venv`` from ``ODOO_SRC`` (a
   source tree, an archive or a git URL; by default Odoo's official 18.0
   branch), and the script runs again with that environment's Python; later
   runs reuse it while ``ODOO_SRC`` is unchanged (see ``tools/bootstrap.py``).
   The system packages needed on the way (a C compiler and PostgreSQL's client
   headers for psycopg2, the PostgreSQL server, wkhtmltopdf, Chromium) are
   installed with apt-get when missing and running as root; otherwise the
   script says exactly which to install.
2. The dev tools listed in ``requirements-dev.txt`` are installed with pip when
   one is missing or too old (checked with ``importlib.metadata``, so it costs
   nothing when they are present).
3. PostgreSQL: a server reachable with the usual libpq variables (``PGHOST``,
   ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, or their defaults) is used as it is,
   provided the role is not ``postgres`` (Odoo refuses it) and may create
   databases. Otherwise a throwaway cluster is created in ``.dev/pgdata`` (trust
   authentication, superuser role ``odoo``), started on a free loopback port
   (run as the ``postgres`` system user when this script runs as root) and
   stopped on exit; the next run reuses it. When the ``postgres`` user cannot
   reach the repository (say, a clone under ``/root``), the cluster lives in
   ``$TMPDIR/flexi_autocomm-devenv-<hash>/`` instead.
4. An SMTP sink (aiosmtpd's ``Mailbox`` handler) listens on a free loopback port
   and stores what it receives in ``.dev/mailbox/``.
5. ``.dev/odoo.conf`` holds the addons path (Odoo's own addons, found from the
   imported ``odoo`` package, and the repository root), the database
   connection, ``data_dir`` ``.dev/data`` and the SMTP sink as fallback mail
   server (``smtp_server``/``smtp_port``, used when a database has no
   ``ir.mail_server``). ``run`` also registers an ``ir.mail_server`` "Local SMTP
   sink (make run)" in its database, and sets ``web.base.url`` and
   ``report.url`` so that PDF reports get their CSS.
6. Every process started here is stopped on exit, on Ctrl-C, on SIGTERM or
   SIGHUP, and when the parent process (``make``) goes away. Children are
   noted in ``.dev/pids``: after a ``kill -9`` of this script, the next run
   stops what was left behind and adopts the PostgreSQL server. A ``test`` run
   while ``run`` serves shares its cluster (stopping ``run`` first stops it).

Environment variables
---------------------
``ODOO_SRC``
    Where to install Odoo 18.0 from when the Python has none (see step 1).
``ADDONS``
    Comma-separated addons of the repository to install, lint and test
    (default: all of them).
``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``
    An existing PostgreSQL server to use instead of the throwaway cluster.
``DEVENV_OWN_PG``
    Set to ``1`` to use the throwaway cluster even if a server answers.
``PORT``
    HTTP port of ``run`` (default 8069).
``PYTEST_ARGS``
    Extra pytest arguments for ``test``, split like a shell does, e.g.
    ``PYTEST_ARGS="-k contract -x"``.
``QT_QPA_PLATFORM``
    Defaults to ``offscreen`` for Odoo and pytest, which Debian's wkhtmltopdf
    needs to render PDFs without a display.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import importlib.metadata
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bootstrap  # tools/bootstrap.py, beside this script

ADDON = "flexi_autocomm"  # the main addon: names the demo database and temp dirs
ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / ".dev"
ODOO_CONF = DEV_DIR / "odoo.conf"
DATA_DIR = DEV_DIR / "data"
MAILBOX_DIR = DEV_DIR / "mailbox"
PIDS_DIR = DEV_DIR / "pids"
REQUIREMENTS_DEV = ROOT / "requirements-dev.txt"

DEMO_DB = "flexi_autocomm_demo"
# Odoo applications installed with an addon of the repository, as its users
# have them: the bridge depends on a technical module only, whose menu and
# settings page belong to the application (``sale`` alone hides the Sales menu
# and its settings, where the quotation switches are).
COMPANION_APPS = {"flexi_autocomm_sale": ("sale_management",)}
TEST_DB_PREFIX = "flexi_autocomm_test_"
# Names the template database of the system tests (flexi_autocomm/tests/system).
SYSTEM_TEMPLATE_VARIABLE = "FLEXI_AUTOCOMM_SYSTEM_TEMPLATE"
PG_ROLE = "odoo"
MAIL_SERVER_NAME = "Local SMTP sink (make run)"
DEFAULT_HTTP_PORT = 8069
# What Odoo's browser tours look for (odoo.tests.common._find_executable).
BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")

# "2026-01-31 12:00:00,123 4242 ERROR dbname odoo.modules.loading: ..."
ODOO_LOG_ERROR = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")


class DevEnvError(Exception):
    """A problem the user has to fix; reported without a traceback."""


class Terminated(Exception):
    """Raised in the main thread on SIGTERM/SIGHUP or when the parent died."""


def log(message: str) -> None:
    """Print a progress line of this script."""
    print(f"devenv: {message}", flush=True)


# --------------------------------------------------------------------------- #
# Prerequisites
# --------------------------------------------------------------------------- #


def odoo_problem() -> str | None:
    """Say why this Python cannot run Odoo 18.0; None when it can."""
    try:
        import odoo.release
    except Exception as exc:  # ImportError, or Odoo's own Python version check
        return f"{sys.executable} cannot import odoo ({exc})"
    if odoo.release.version_info[0] != 18:
        return f"{sys.executable} imports Odoo {odoo.release.version}, not 18.0"
    return None


def ensure_odoo(argv: list[str]) -> None:
    """Go on with this Python if it runs Odoo 18.0; else re-run this script
    with the Python of ``.dev/venv``, where Odoo is installed from ODOO_SRC."""
    problem = odoo_problem()
    if problem is None:
        return
    if os.environ.get(bootstrap.IN_VENV_VARIABLE):
        sys.exit(f"devenv: error: {problem}, even in {bootstrap.VENV_DIR}")
    try:
        python = bootstrap.ensure_odoo_venv(sys.executable, problem)
    except bootstrap.BootstrapError as exc:
        sys.exit(f"devenv: error: {exc}")
    os.environ[bootstrap.IN_VENV_VARIABLE] = "1"
    script = str(Path(__file__).resolve())
    os.execv(python, [str(python), script, *argv])


def _unmet_requirements(path: Path) -> list[str]:
    """Return the requirement lines of ``path`` that the environment lacks."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # packaging comes with pytest: nothing is installed yet
        Requirement = None
    unmet = []
    for raw_line in path.read_text().splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if not line:
            continue
        if Requirement is None:
            unmet.append(line)
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(line)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            unmet.append(line)
    return unmet


def ensure_dev_tools() -> None:
    """Install ``requirements-dev.txt`` with pip when something is missing."""
    unmet = _unmet_requirements(REQUIREMENTS_DEV)
    if not unmet:
        return
    log(f"installing dev tools ({', '.join(unmet)}) from {REQUIREMENTS_DEV.name}")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "-r",
        str(REQUIREMENTS_DEV),
    ]
    if subprocess.run(command, check=False).returncode:
        raise DevEnvError(f"could not install the dev tools: {shlex.join(command)}")


def ensure_browser() -> None:
    """Install Debian's Chromium for the browser tours when Odoo finds none."""
    found = any(shutil.which(name) for name in BROWSERS)
    bootstrap.ensure_system_packages(
        [bootstrap.SystemNeed("chromium", "headless browser of the tours", found)]
    )


def repository_addons() -> list[str]:
    """Return the addons that ``run`` and ``test`` install, lint and test.

    Every installable addon folder of the repository root, or the ones named in
    ``ADDONS`` (comma-separated; ``make test ADDONS=account_edi_isdoc``).
    """
    found = sorted(
        manifest.parent.name
        for manifest in ROOT.glob("*/__manifest__.py")
        if _is_installable(manifest)
    )
    wanted = [name for name in os.environ.get("ADDONS", "").split(",") if name]
    unknown = sorted(set(wanted) - set(found))
    if unknown:
        raise DevEnvError(
            f"ADDONS names {', '.join(unknown)}, which is not an addon of "
            f"{ROOT} ({', '.join(found)})"
        )
    return wanted or found


def _is_installable(manifest: Path) -> bool:
    import ast

    values = ast.literal_eval(manifest.read_text())
    return values.get("installable", True)


def odoo_addons_paths() -> list[Path]:
    """Return Odoo's addons directories, found from the imported package."""
    import odoo

    package_dir = Path(odoo.__file__).resolve().parent
    candidates = [
        package_dir / "addons",  # base, web, ... (all addons in a packaged Odoo)
        package_dir.parent / "addons",  # the other addons of a source checkout
    ]
    paths = [path for path in candidates if any(path.glob("*/__manifest__.py"))]
    if not any((path / "account" / "__manifest__.py").is_file() for path in paths):
        raise DevEnvError(
            f"the Odoo imported from {package_dir} has no 'account' addon "
            f"in {', '.join(map(str, paths))}"
        )
    return paths


def free_port() -> int:
    """Return a TCP port on the loopback interface that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Tell whether Odoo could listen on ``port`` on all interfaces."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def wait_for(predicate, timeout: float, what: str, process=None) -> None:
    """Poll ``predicate`` until it is true; fail if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if process is not None and process.poll() is not None:
            raise DevEnvError(f"{what} exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise DevEnvError(f"{what} did not become ready in {timeout:.0f} s")
        time.sleep(0.2)


def _tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# --------------------------------------------------------------------------- #
# Child processes
# --------------------------------------------------------------------------- #


class Processes:
    """Run child processes and stop them on exit, on signals or orphaning."""

    def __init__(self) -> None:
        self.parent_pid = os.getppid()

    def install_signal_handlers(self) -> None:
        """Turn SIGTERM and SIGHUP into :class:`Terminated` in the main thread."""

        def handler(signum, _frame):
            raise Terminated(signal.Signals(signum).name)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGHUP, handler)

    @staticmethod
    def ignore_signals() -> None:
        """Let the clean-up finish whatever the user presses meanwhile."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)

    def run(self, command: list[str], *, env=None, on_line=None) -> int:
        """Run ``command`` in the foreground and return its exit status.

        The child stays in our process group so that Ctrl-C reaches it as it
        would without this script. ``on_line`` receives each output line (the
        output is then piped through this process).
        """
        piped = on_line is not None
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE if piped else None,
            stderr=subprocess.STDOUT if piped else None,
            text=piped,
            errors="replace" if piped else None,
        )
        pid_file = note_child(process)
        try:
            if piped:
                for line in process.stdout:
                    on_line(line)
            while True:
                try:
                    return process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    self.check_parent()
        finally:
            if process.poll() is None:  # we are on our way out
                interrupted = sys.exc_info()[0] is KeyboardInterrupt
                self.ignore_signals()
                self._stop_child(process, interrupted=interrupted)
            pid_file.unlink(missing_ok=True)

    @staticmethod
    def _stop_child(process: subprocess.Popen, *, interrupted: bool) -> None:
        """Stop a foreground child, giving it time to shut down cleanly."""
        if interrupted:  # Ctrl-C reached the child too: let it finish
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
                return
        stop_process(process, signal.SIGTERM, timeout=20)

    def check_parent(self) -> None:
        """Raise :class:`Terminated` when the parent (make) has gone away."""
        if os.getppid() != self.parent_pid:
            raise Terminated("parent process exited")


def stop_process(process: subprocess.Popen, first_signal, timeout: float) -> None:
    """Send ``first_signal`` to ``process``, then SIGKILL after ``timeout``."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(first_signal)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def note_child(process: subprocess.Popen) -> Path:
    """Record a child, so that a later run can stop it if this one is killed."""
    PIDS_DIR.mkdir(parents=True, exist_ok=True)
    pid_file = PIDS_DIR / f"{os.getpid()}-{process.pid}"
    pid_file.touch()
    return pid_file


def stop_leftovers() -> None:
    """Stop the children that a run killed by SIGKILL could not stop.

    Only processes whose command line mentions ``.dev`` (Odoo, pytest, the SMTP
    sink) are stopped; the PostgreSQL cluster is adopted instead.
    """
    leftovers = []
    for pid_file in PIDS_DIR.glob("*-*"):
        owner, pid = (int(part) for part in pid_file.name.split("-"))
        if pid_alive(owner):  # a child of a run still going on
            continue
        with contextlib.suppress(OSError):
            if str(DEV_DIR).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                log(f"stopping process {pid}, left behind by a killed run")
                os.kill(pid, signal.SIGTERM)
                leftovers.append(pid)
        pid_file.unlink(missing_ok=True)
    deadline = time.monotonic() + 20
    while any(map(pid_alive, leftovers)) and time.monotonic() < deadline:
        time.sleep(0.2)


def pid_alive(pid: int) -> bool:
    """Tell whether a process ``pid`` exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #


@dataclass
class PgServer:
    """How Odoo and this script reach PostgreSQL (None: libpq's default)."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None

    def connect(self, dbname: str = "postgres"):
        """Open an autocommit psycopg2 connection to ``dbname``."""
        import psycopg2  # an Odoo dependency

        params = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
        }
        connection = psycopg2.connect(
            dbname=dbname,
            connect_timeout=5,
            **{key: value for key, value in params.items() if value is not None},
        )
        connection.autocommit = True
        return connection

    def answers(self) -> bool:
        """Tell whether a connection can be opened."""
        import psycopg2

        try:
            self.connect().close()
        except psycopg2.OperationalError:
            return False
        return True

    def query(self, sql: str, params=(), dbname: str = "postgres"):
        """Run one statement and return its rows (empty for no result)."""
        connection = self.connect(dbname)
        try:
            with connection.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else []
        finally:
            connection.close()

    def module_state(self, dbname: str, module: str) -> tuple[str, bool] | None:
        """Return ``(state, demo)`` of ``module`` in ``dbname``, None if unknown."""
        import psycopg2

        sql = "SELECT state, demo FROM ir_module_module WHERE name = %s"
        try:
            rows = self.query(sql, (module,), dbname=dbname)
        except psycopg2.Error:  # not an Odoo database (yet)
            return None
        return rows[0] if rows else None

    def copy_database(self, source: str, target: str) -> None:
        """Create ``target`` as a copy of ``source``, which nobody may be using."""
        from psycopg2 import sql

        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
        self.query(statement.format(sql.Identifier(target), sql.Identifier(source)))

    def drop_database(self, dbname: str) -> None:
        """Drop ``dbname``, closing the connections that still use it."""
        from psycopg2 import sql

        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        self.query(statement.format(sql.Identifier(dbname)))


PG_VARIABLES = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")


def existing_server() -> PgServer | None:
    """Return the server that the PG* variables (or libpq's defaults, the
    local socket) designate, if Odoo can use it."""
    import psycopg2

    if os.environ.get("DEVENV_OWN_PG") == "1":
        return None
    given = [name for name in PG_VARIABLES if os.environ.get(name)]
    where = (
        f"the PostgreSQL server of {', '.join(given)}"
        if given
        else "a PostgreSQL server on libpq's defaults (no PG* variable set)"
    )
    env_port = os.environ.get("PGPORT")
    server = PgServer(
        host=os.environ.get("PGHOST"),
        port=int(env_port) if env_port else None,
        user=os.environ.get("PGUSER"),
        password=os.environ.get("PGPASSWORD"),
    )
    try:
        rows = server.query(
            "SELECT current_user, rolsuper OR rolcreatedb"
            " FROM pg_roles WHERE rolname = current_user"
        )
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        if given:
            log(f"{where} does not answer ({reason})")
        else:
            log(
                "no PostgreSQL server answers on libpq's defaults (no PG* variable set)"
            )
        return None
    user, can_create_db = rows[0]
    if user == "postgres":
        log(f"{where} answers as role 'postgres', which Odoo refuses")
        return None
    if not can_create_db:
        log(f"{where}: role {user!r} may not create databases")
        return None
    server.user = user
    log(f"using {where}, as role {user!r}")
    return server


def postgres_bindir() -> Path | None:
    """Find the directory holding ``initdb`` and ``postgres``."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(result.stdout.strip())

    def major_version(path: str) -> float:
        match = re.search(r"/postgresql/([\d.]+)/", path)
        return float(match.group(1)) if match else 0.0

    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=major_version, reverse=True
    )
    postgres = shutil.which("postgres")
    if postgres:
        candidates.append(str(Path(postgres).parent))
    for candidate in filter(None, candidates):
        bindir = Path(candidate)
        if (bindir / "postgres").is_file() and (bindir / "initdb").is_file():
            return bindir
    return None


def ensure_postgres_bindir() -> Path:
    """Find PostgreSQL's server binaries, installed with apt-get if missing."""
    bindir = postgres_bindir()
    if bindir is None:
        purpose = (
            "PostgreSQL server binaries (initdb, postgres) for a throwaway "
            "cluster; or point PGHOST/PGPORT/PGUSER/PGPASSWORD at a server"
        )
        need = bootstrap.SystemNeed("postgresql", purpose, present=False)
        bootstrap.ensure_system_packages([need])
        bindir = postgres_bindir()
    if bindir is None:
        raise DevEnvError("PostgreSQL's initdb and postgres are still not found")
    return bindir


class LocalCluster:
    """A throwaway PostgreSQL cluster of this repository, started on demand."""

    def __init__(self) -> None:
        self.bindir = ensure_postgres_bindir()
        self.run_as = self._system_user() if os.geteuid() == 0 else {}
        self.base = self._base_dir()
        self.data_dir = self.base / "pgdata"
        self.socket_dir = self.base / "pgsocket"
        self.log_file = self.base / "postgres.log"
        self.owner_file = self.base / "postgres.owner"
        self.process: subprocess.Popen | None = None
        self.adopted_pid: int | None = None

    # Where the cluster lives -------------------------------------------------

    @staticmethod
    def _system_user() -> dict:
        """Popen arguments that run PostgreSQL as user ``postgres`` (for root)."""
        import pwd

        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            raise DevEnvError(
                "PostgreSQL refuses to run as root, and there is no 'postgres' "
                "system user to run the throwaway cluster: create one, or run "
                "make as another user"
            ) from None
        return {
            "user": entry.pw_uid,
            "group": entry.pw_gid,
            "extra_groups": os.getgrouplist("postgres", entry.pw_gid),
        }

    def _base_dir(self) -> Path:
        """Return ``.dev``, or a private temp dir if PostgreSQL cannot reach it."""
        DEV_DIR.mkdir(exist_ok=True)
        if not self.run_as or self._reachable(DEV_DIR):
            return DEV_DIR
        digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
        base = Path(tempfile.gettempdir()) / f"{ADDON}-devenv-{digest}"
        base.mkdir(mode=0o755, exist_ok=True)
        log(f"user 'postgres' cannot reach {DEV_DIR}: the cluster lives in {base}")
        return base

    def _reachable(self, path: Path) -> bool:
        command = ["test", "-x", str(path)]
        return subprocess.run(command, check=False, **self.run_as).returncode == 0

    def _own_dir(self, path: Path) -> None:
        path.mkdir(mode=0o700, exist_ok=True)
        if self.run_as:
            os.chown(path, self.run_as["user"], self.run_as["group"])

    # Life cycle --------------------------------------------------------------

    def start(self) -> PgServer:
        """Start (or adopt) the cluster and return how to reach it."""
        running = self._running_server()
        if running is not None:
            return running
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb()
        self._own_dir(self.socket_dir)
        port = free_port()
        command = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(port),
            "-k",
            str(self.socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            # A throwaway cluster: speed matters more than crash safety.
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "synchronous_commit=off",
        ]
        with open(self.log_file, "ab") as log_stream:
            self.process = subprocess.Popen(
                command,
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # we stop it ourselves, after Odoo
                **self.run_as,
            )
        self.owner_file.write_text(str(os.getpid()))
        server = PgServer(host="127.0.0.1", port=port, user=PG_ROLE, password=None)
        try:
            wait_for(server.answers, 60, "PostgreSQL", self.process)
        except DevEnvError as exc:
            raise DevEnvError(
                f"{exc}; {self.log_file}:\n{_tail(self.log_file)}"
            ) from None
        log(f"PostgreSQL cluster {self.data_dir} started on 127.0.0.1:{port}")
        return server

    def _initdb(self) -> None:
        if self.data_dir.exists():  # an initdb that did not finish
            shutil.rmtree(self.data_dir)
        self._own_dir(self.data_dir)
        log(f"creating the PostgreSQL cluster {self.data_dir}")
        command = [
            str(self.bindir / "initdb"),
            "--pgdata",
            str(self.data_dir),
            "--username",
            PG_ROLE,  # the bootstrap superuser: Odoo refuses 'postgres'
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-sync",
        ]
        # C.UTF-8 gives Unicode-aware lower() and ilike (Czech names); not every
        # system has it, and then the plain C locale has to do.
        for locale in ("--locale=C.UTF-8", "--no-locale"):
            result = subprocess.run(
                [*command, locale],
                cwd=self.base,
                capture_output=True,
                text=True,
                check=False,
                **self.run_as,
            )
            if not result.returncode:
                return
        raise DevEnvError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _running_server(self) -> PgServer | None:
        """Return the server already running on this cluster, if any.

        A server left behind by a killed run is adopted (and stopped on exit);
        one that another live run of this script started is shared.
        """
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        if not pid_alive(pid):
            return None
        server = PgServer(host="127.0.0.1", port=port, user=PG_ROLE, password=None)
        if not server.answers():
            return None
        try:
            owner = int(self.owner_file.read_text())
        except (OSError, ValueError):
            owner = 0
        if owner and owner != os.getpid() and pid_alive(owner):
            log(f"sharing the PostgreSQL cluster of process {owner} (port {port})")
        else:
            log(f"adopting the PostgreSQL cluster left running (port {port})")
            self.adopted_pid = pid
            self.owner_file.write_text(str(os.getpid()))
        return server

    def stop(self) -> None:
        """Stop the server if this run started or adopted it (fast shutdown)."""
        if self.process is not None:
            stop_process(self.process, signal.SIGINT, timeout=30)
        elif self.adopted_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.adopted_pid, signal.SIGINT)
            deadline = time.monotonic() + 30
            while pid_alive(self.adopted_pid) and time.monotonic() < deadline:
                time.sleep(0.2)
        else:
            return
        with contextlib.suppress(OSError):
            self.owner_file.unlink()


# --------------------------------------------------------------------------- #
# SMTP sink, Odoo configuration and commands
# --------------------------------------------------------------------------- #


class SmtpSink:
    """aiosmtpd's Maildir handler on a free loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.log_file = DEV_DIR / "smtp-sink.log"
        self.process: subprocess.Popen | None = None
        self.pid_file: Path | None = None

    def start(self) -> None:
        """Start the sink and wait until it accepts connections."""
        for subdir in ("cur", "new", "tmp"):  # a Maildir, as the handler expects
            (MAILBOX_DIR / subdir).mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",  # do not switch to user nobody
            "-l",
            f"127.0.0.1:{self.port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(MAILBOX_DIR),
        ]
        with open(self.log_file, "ab") as log_stream:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file = note_child(self.process)

        def accepts() -> bool:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            return False

        try:
            wait_for(accepts, 30, "the SMTP sink", self.process)
        except DevEnvError as exc:
            raise DevEnvError(
                f"{exc}; {self.log_file}:\n{_tail(self.log_file)}"
            ) from None

    def stop(self) -> None:
        """Stop the sink."""
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM, timeout=10)
            self.pid_file.unlink(missing_ok=True)


def write_odoo_conf(server: PgServer, smtp_port: int) -> None:
    """Write ``.dev/odoo.conf`` for this environment."""
    addons_path = ",".join(str(path) for path in [*odoo_addons_paths(), ROOT])
    options = {
        "addons_path": addons_path,
        "data_dir": DATA_DIR,
        "db_host": server.host or False,
        "db_port": server.port or False,
        "db_user": server.user,
        "db_password": server.password or False,
        "without_demo": False,
        "log_level": "info",
        "max_cron_threads": 0,
        "http_port": DEFAULT_HTTP_PORT,
        # Fallback mail server of databases without an ir.mail_server record.
        "smtp_server": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_ssl": False,
    }
    lines = ["; Written by tools/devenv.py on each run: edits are lost.", "[options]"]
    lines += [f"{key} = {value}" for key, value in options.items()]
    ODOO_CONF.write_text("\n".join(lines) + "\n")


def child_env() -> dict:
    """Environment of Odoo and pytest: wkhtmltopdf needs a Qt platform."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def odoo_command(*args: str) -> list[str]:
    """Command line of the Odoo server with our configuration file."""
    return [sys.executable, "-m", "odoo", "-c", str(ODOO_CONF), *args]


class DevEnv(contextlib.ExitStack):
    """PostgreSQL, the SMTP sink and the Odoo configuration of one command."""

    def __init__(self, processes: Processes) -> None:
        super().__init__()
        self.processes = processes
        self.server: PgServer | None = None
        self.sink: SmtpSink | None = None
        self.stops_postgres = False  # this run started or adopted the server

    def __exit__(self, *exc_info) -> bool:
        Processes.ignore_signals()  # the clean-up must complete
        return super().__exit__(*exc_info)

    def start(self) -> DevEnv:
        """Bring the services up; they stop when the context exits."""
        DEV_DIR.mkdir(exist_ok=True)
        self.server = existing_server()
        if self.server is None:
            cluster = LocalCluster()
            self.callback(cluster.stop)
            self.server = cluster.start()
            self.stops_postgres = bool(cluster.process or cluster.adopted_pid)
        self.sink = SmtpSink()
        self.callback(self.sink.stop)
        self.sink.start()
        log(f"SMTP sink on 127.0.0.1:{self.sink.port}, mailbox {MAILBOX_DIR}")
        write_odoo_conf(self.server, self.sink.port)
        return self

    def install(self, dbname: str, addons: list[str]) -> bool:
        """Install ``addons`` with demo data; False if anything went wrong."""
        errors = []

        def on_line(line: str) -> None:
            sys.stdout.write(line)
            sys.stdout.flush()
            if ODOO_LOG_ERROR.match(line):
                errors.append(line)

        names = ", ".join(addons)
        apps = sorted(
            {app for addon in addons for app in COMPANION_APPS.get(addon, ())}
        )
        log(
            f"installing {names} in database {dbname}"
            + (f", with the application {', '.join(apps)}" if apps else "")
            + " (Odoo's warnings follow)"
        )
        started = time.monotonic()
        command = odoo_command(
            "-d",
            dbname,
            "-i",
            ",".join([*addons, *apps]),
            "--stop-after-init",
            "--log-level=warn",
        )
        status = self.processes.run(command, env=child_env(), on_line=on_line)
        states = {addon: self.server.module_state(dbname, addon) for addon in addons}
        elapsed = time.monotonic() - started
        not_installed = [
            f"{addon}: {state and state[0]}"
            for addon, state in states.items()
            if not state or state[0] != "installed"
        ]
        if status or errors or not_installed:
            log(
                f"installing {names} FAILED in {elapsed:.0f} s (exit status "
                f"{status}, {len(errors)} ERROR/CRITICAL lines"
                + "".join(f", {line}" for line in not_installed)
                + ")"
            )
            return False
        without_demo = [addon for addon, state in states.items() if not state[1]]
        if without_demo:
            log(f"{', '.join(without_demo)} installed without demo data in {dbname}")
            return False
        log(f"{names} installed with demo data in {elapsed:.0f} s")
        return True

    def configure_database(self, dbname: str, *args: str) -> bool:
        """Set parameters and the mail server of ``dbname`` through Odoo's API."""
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "configure-db",
            "--database",
            dbname,
            *args,
        ]
        if self.processes.run(command, env=child_env()):
            log(f"could not configure database {dbname}")
            return False
        return True


def configure_db_command(args: argparse.Namespace) -> int:
    """Internal ``configure-db``: runs in its own process with Odoo loaded."""
    import odoo

    odoo.tools.config.parse_config(
        ["-c", str(ODOO_CONF), "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:  # commits on success
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        params = env["ir.config_parameter"]
        params.set_param("web.base.url", args.base_url)
        if args.report_url:
            params.set_param("report.url", args.base_url)
        if args.smtp_port:
            vals = {
                "name": MAIL_SERVER_NAME,
                "smtp_host": "127.0.0.1",
                "smtp_port": args.smtp_port,
                "smtp_encryption": "none",
                "smtp_authentication": "login",
                "smtp_user": False,
                "smtp_pass": False,
                "from_filter": False,
                "sequence": 1,
                "active": True,
            }
            mail_servers = env["ir.mail_server"].with_context(active_test=False)
            mail_server = mail_servers.search(
                [("name", "=", MAIL_SERVER_NAME)], limit=1
            )
            if mail_server:
                mail_server.write(vals)
            else:
                mail_servers.create(vals)
    return 0


def run_command(args: argparse.Namespace, processes: Processes) -> int:
    """``run``: serve the demo database until interrupted."""
    http_port = int(os.environ.get("PORT") or DEFAULT_HTTP_PORT)
    if not port_is_free(http_port):
        raise DevEnvError(f"port {http_port} is in use: stop that server or set PORT")
    base_url = f"http://localhost:{http_port}"
    addons = repository_addons()
    bootstrap.ensure_wkhtmltopdf()
    with DevEnv(processes).start() as devenv:
        missing = [
            addon
            for addon in addons
            if (devenv.server.module_state(DEMO_DB, addon) or ("",))[0] != "installed"
        ]
        fresh = missing == addons
        if missing and not devenv.install(DEMO_DB, missing):
            raise DevEnvError(f"could not install {', '.join(missing)} in {DEMO_DB}")
        configured = devenv.configure_database(
            DEMO_DB,
            f"--base-url={base_url}",
            "--report-url",
            f"--smtp-port={devenv.sink.port}",
        )
        if not configured:
            raise DevEnvError(f"could not configure database {DEMO_DB}")
        stopped = "Odoo, the SMTP sink and PostgreSQL"
        if not devenv.stops_postgres:  # a server this run did not start
            stopped = "Odoo and the SMTP sink (PostgreSQL keeps running)"
        banner = (
            f"\n    Odoo:    {base_url}   (login admin, password admin)"
            f"\n    Mailbox: {MAILBOX_DIR}/new/   (every e-mail Odoo sends)"
            f"\n    Ctrl-C stops {stopped}.\n"
        )
        log(f"starting Odoo on {base_url}; the addresses follow once it answers")
        threading.Thread(
            target=_announce_when_up, args=(base_url, banner), daemon=True
        ).start()
        command = odoo_command(
            "-d",
            DEMO_DB,
            f"--db-filter=^{DEMO_DB}$",
            f"--http-port={http_port}",
            "--max-cron-threads=1",
        )
        if not fresh:  # pick up the changes made to the addons since last time
            command += ["-u", ",".join(addons)]
        return processes.run(command, env=child_env())


def _announce_when_up(base_url: str, banner: str) -> None:
    """Print the banner once the login page answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with opener.open(f"{base_url}/web/login", timeout=5):
                log(f"Odoo is up:{banner}")
                return
        time.sleep(1)


def lint(processes: Processes, addons: list[str]) -> list[str]:
    """Run ruff and pylint-odoo; return the names of those that failed."""
    checks = {
        "ruff check": [sys.executable, "-m", "ruff", "check", "."],
        "ruff format": [sys.executable, "-m", "ruff", "format", "--check", "."],
        "pylint": [
            sys.executable,
            "-m",
            "pylint",
            f"--rcfile={ROOT / '.pylintrc'}",
            *addons,
        ],
    }
    failed = []
    for name, command in checks.items():
        log(f"{name}: {shlex.join(command[2:])}")  # without "python3 -m"
        if processes.run(command):
            failed.append(name)
    return failed


def lint_command(args: argparse.Namespace, processes: Processes) -> int:
    """``lint``: the linters only."""
    failed = lint(processes, repository_addons())
    print(f"make lint: {'FAILED (' + ', '.join(failed) + ')' if failed else 'OK'}")
    return 1 if failed else 0


def test_command(args: argparse.Namespace, processes: Processes) -> int:
    """``test``: install in a fresh database, lint, then run pytest last."""
    started = time.monotonic()
    failed = []
    dbname = TEST_DB_PREFIX + secrets.token_hex(4)
    addons = repository_addons()
    bootstrap.ensure_wkhtmltopdf()
    ensure_browser()
    with DevEnv(processes).start() as devenv:
        devenv.callback(_drop_test_database, devenv.server, dbname)
        base_url = f"--base-url=http://localhost:{DEFAULT_HTTP_PORT}"
        installed = devenv.install(dbname, addons) and devenv.configure_database(
            dbname, base_url
        )
        if not installed:
            failed.append("install")
        failed += lint(processes, addons)
        if installed:
            pytest_args = shlex.split(os.environ.get("PYTEST_ARGS", ""))
            command = [
                sys.executable,
                "-m",
                "pytest",
                *addons,
                f"--odoo-config={ODOO_CONF}",
                f"--odoo-database={dbname}",
                "--odoo-http",  # pytest-odoo skips the HttpCase tours without it
                *(f"--cov={addon}" for addon in addons),
                "--cov-report=term",
                *pytest_args,
            ]
            env = child_env()
            env[SYSTEM_TEMPLATE_VARIABLE] = _copy_test_database(devenv, dbname)
            log(f"pytest: {shlex.join(command[2:])}")
            status = processes.run(command, env=env)
            if status == 5:
                failed.append("pytest: no tests collected")
            elif status:
                failed.append("pytest")
    elapsed = time.monotonic() - started
    verdict = f"FAILED ({', '.join(failed)})" if failed else "OK"
    print(f"make test: {verdict} in {elapsed:.0f} s", flush=True)
    return 1 if failed else 0


def _copy_test_database(devenv: DevEnv, dbname: str) -> str:
    """Copy the test database, filestore included, as the system tests'
    template (dropped on exit); return the copy's name."""
    template = f"{dbname}_system"
    devenv.callback(_drop_test_database, devenv.server, template)
    devenv.server.copy_database(dbname, template)
    filestore = DATA_DIR / "filestore" / dbname
    if filestore.is_dir():
        shutil.copytree(filestore, DATA_DIR / "filestore" / template)
    return template


def _drop_test_database(server: PgServer, dbname: str) -> None:
    """Drop the test database and its filestore."""
    try:
        server.drop_database(dbname)
    except Exception as exc:  # report, but let the other clean-ups run
        print(f"devenv: could not drop database {dbname}: {exc}", file=sys.stderr)
    shutil.rmtree(DATA_DIR / "filestore" / dbname, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="tools/devenv.py",
        description=__doc__.split("\n\n", 1)[0],
        epilog="See the module docstring for details and environment variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", help="serve Odoo with the addon and its demo data")
    commands.add_parser("test", help="install, lint and run the test suite")
    commands.add_parser("lint", help="ruff and pylint-odoo only")
    configure = commands.add_parser(
        "configure-db", help="(internal) set up a database through Odoo's API"
    )
    configure.add_argument("--database", required=True)
    configure.add_argument("--base-url", required=True)
    configure.add_argument("--report-url", action="store_true")
    configure.add_argument("--smtp-port", type=int)
    return parser.parse_args(argv)


COMMANDS = {"run": run_command, "test": test_command, "lint": lint_command}


def main(argv: list[str] | None = None) -> int:
    """Check Odoo, install the dev tools and run the requested command."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    ensure_odoo(argv)
    if args.command == "configure-db":
        return configure_db_command(args)
    processes = Processes()
    processes.install_signal_handlers()
    try:
        ensure_dev_tools()
        stop_leftovers()
        return COMMANDS[args.command](args, processes)
    except (DevEnvError, bootstrap.BootstrapError) as exc:
        print(f"devenv: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("devenv: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"devenv: stopped ({exc})", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
