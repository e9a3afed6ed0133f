"""First-run set-up of the developer environment: system packages and Odoo 18.0.

Used by ``tools/devenv.py`` (``make run``, ``make test``); standard library only,
since it runs before anything is installed.

When the Python running ``make`` cannot import Odoo 18.0, a virtual environment
is made in ``.dev/venv`` with that Python, and Odoo 18.0 is installed into it
from ``ODOO_SRC``:

- a local Odoo 18.0 source tree (installed in editable mode: the tree is used
  where it is);
- a source archive, a local path or an ``http(s)`` address ending in
  ``.tar.gz``, ``.tgz``, ``.tar.xz``, ``.tar.bz2`` or ``.zip`` (unpacked into
  ``.dev/odoo-src``);
- a git URL, optionally followed by ``#ref`` (cloned, depth 1, into
  ``.dev/odoo-src``; ``ref`` defaults to ``18.0``);
- by default Odoo's official repository, branch 18.0 (:data:`DEFAULT_ODOO_SRC`).

Then Odoo's Python requirements from PyPI, with two changes that make them
install on Python 3.10 to 3.12: ``cbor2`` 5.6.2 instead of 5.4.2 (which no
longer builds) and no ``python-ldap`` (only for LDAP logins; it needs the
OpenLDAP headers). ``.dev/venv/odoo-source.json`` records where Odoo came from:
the next runs reuse the environment as long as ``ODOO_SRC``, the Python and
Odoo's requirements are unchanged, and rebuild it otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_DIR = ROOT / ".dev"
VENV_DIR = DEV_DIR / "venv"
SOURCE_DIR = DEV_DIR / "odoo-src"
MARKER = VENV_DIR / "odoo-source.json"

DEFAULT_ODOO_SRC = "https://github.com/odoo/odoo.git#18.0"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".zip")
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12))
# Set in the environment of the re-executed script: it runs in .dev/venv.
IN_VENV_VARIABLE = "DEVENV_IN_VENV"

# The wkhtmltopdf build that Odoo documents (patched Qt: headers, footers,
# selectable text), from the wkhtmltopdf project's own packages.
WKHTMLTOX_URL = (
    "https://github.com/wkhtmltopdf/packaging/releases/download/0.12.6.1-3/"
    "wkhtmltox_0.12.6.1-3.{codename}_{arch}.deb"
)
WKHTMLTOX_CODENAMES = ("bookworm", "bullseye", "jammy", "focal")


class BootstrapError(Exception):
    """A set-up step failed; the message says what to do."""


def log(message: str) -> None:
    """Print a progress line, as devenv does."""
    print(f"devenv: {message}", flush=True)


# --------------------------------------------------------------------------- #
# System packages
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class SystemNeed:
    """Something a Debian package provides, and how to tell it is there."""

    package: str  # Debian's package name
    purpose: str
    present: bool


def ensure_system_packages(needs: list[SystemNeed]) -> None:
    """Install the missing packages with apt-get when root, else say which.

    Raises :class:`BootstrapError` naming exactly what to install when they
    cannot be installed from here.
    """
    missing = [need for need in needs if not need.present]
    if not missing:
        return
    packages = sorted({need.package for need in missing})
    what = "; ".join(f"{need.package} ({need.purpose})" for need in missing)
    apt_get = shutil.which("apt-get")
    if not apt_get or os.geteuid() != 0:
        how = f"sudo apt-get install {' '.join(packages)}" if apt_get else what
        raise BootstrapError(
            f"missing system packages: {what}. Install them, e.g.:\n    {how}\n"
            "then run make again"
        )
    log(f"installing system packages: {what}")
    apt_install(packages)


def apt_install(packages: list[str]) -> None:
    """``apt-get update`` and ``install`` ``packages`` (root only)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        if subprocess.run(command, env=env, check=False).returncode:
            raise BootstrapError(f"this failed: {shlex.join(command)}")


def build_needs(python: str, git_source: bool) -> list[SystemNeed]:
    """What building Odoo's requirements needs: compiler, headers, git."""
    include = _python_include_dir(python)
    needs = [
        SystemNeed("gcc", "a C compiler for psycopg2", bool(shutil.which("cc"))),
        SystemNeed(
            "libpq-dev",
            "PostgreSQL's client headers and pg_config, for psycopg2",
            bool(shutil.which("pg_config")),
        ),
        SystemNeed(
            _python_package(python, "dev"),
            f"the C headers of {python}",
            bool(include) and (Path(include) / "Python.h").is_file(),
        ),
        SystemNeed(
            _python_package(python, "venv"),
            "Python's venv module",
            _has_venv(python),
        ),
    ]
    if git_source:
        needs.append(SystemNeed("git", "to clone ODOO_SRC", bool(shutil.which("git"))))
    return needs


def _python_include_dir(python: str) -> str:
    if Path(python).resolve() == Path(sys.executable).resolve():
        return sysconfig.get_paths()["include"]
    result = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def _python_package(python: str, part: str) -> str:
    """Debian's package of ``python``'s ``part``, e.g. python3.11-dev."""
    major, minor = _python_version(python)
    return f"python{major}.{minor}-{part}"


def _has_venv(python: str) -> bool:
    command = [python, "-c", "import ensurepip, venv"]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def _python_version(python: str) -> tuple[int, int]:
    result = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    major, minor = result.stdout.split()
    return int(major), int(minor)


def wkhtmltopdf_version() -> str | None:
    """Return ``wkhtmltopdf --version``'s text, None when it is not installed."""
    binary = shutil.which("wkhtmltopdf")
    if not binary:
        return None
    result = subprocess.run(
        [binary, "--version"],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    return (result.stdout or result.stderr).strip() or "unknown version"


def ensure_wkhtmltopdf() -> None:
    """Install wkhtmltopdf when missing: the patched-Qt build where it can be
    had, else Debian's; say which one renders the PDFs."""
    version = wkhtmltopdf_version()
    if version is None:
        if shutil.which("apt-get") and os.geteuid() == 0:
            if not _install_patched_wkhtmltopdf():
                log("installing Debian's wkhtmltopdf (apt-get install wkhtmltopdf)")
                apt_install(["wkhtmltopdf"])
            version = wkhtmltopdf_version()
        else:
            log(
                "wkhtmltopdf is not installed: Odoo cannot make PDFs (the PDF "
                "tests are skipped); install the patched-Qt build that Odoo "
                "documents, or Debian's: sudo apt-get install wkhtmltopdf"
            )
            return
    if "patched qt" not in (version or "").lower():
        log(
            f"{version}: an unpatched-Qt build (Debian's): PDFs have no "
            "headers or footers, and several documents in one call fail; "
            "Odoo's patched-Qt 0.12.6.1 build is preferred where available"
        )


def _install_patched_wkhtmltopdf() -> bool:
    """Try the wkhtmltopdf project's 0.12.6.1 package; False if not to be had."""
    os_release = _os_release()
    codename = os_release.get("VERSION_CODENAME", "")
    if codename not in WKHTMLTOX_CODENAMES:
        return False
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
    ).stdout.strip()
    url = WKHTMLTOX_URL.format(codename=codename, arch=arch)
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / Path(url).name
        try:
            _download(url, package, timeout=20)
        except OSError as exc:
            log(f"the patched-Qt wkhtmltopdf cannot be downloaded ({exc})")
            return False
        log(f"installing the patched-Qt wkhtmltopdf ({package.name})")
        os.chmod(tmp, 0o755)  # apt's sandbox user reads the file
        try:
            apt_install([str(package)])
        except BootstrapError as exc:
            log(f"the patched-Qt wkhtmltopdf did not install ({exc})")
            return False
    return True


def _os_release() -> dict[str, str]:
    values = {}
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        return values
    for line in lines:
        key, _sep, value = line.partition("=")
        values[key] = value.strip().strip('"')
    return values


def _download(url: str, target: Path, timeout: float) -> None:
    opener = urllib.request.build_opener()
    with opener.open(url, timeout=timeout) as response, open(target, "wb") as out:
        shutil.copyfileobj(response, out)


# --------------------------------------------------------------------------- #
# Odoo in .dev/venv
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class OdooSource:
    """Where Odoo 18.0 comes from: ``ODOO_SRC`` understood."""

    kind: str  # "tree", "archive" or "git"
    location: str  # a path or URL
    ref: str = ""  # the git ref

    @classmethod
    def from_environment(cls) -> OdooSource:
        """Read ``ODOO_SRC`` (default: Odoo's official 18.0 branch)."""
        value = os.environ.get("ODOO_SRC", "").strip() or DEFAULT_ODOO_SRC
        path = Path(value).expanduser()
        if path.is_dir():
            return cls("tree", str(path.resolve()))
        if value.lower().endswith(ARCHIVE_SUFFIXES):
            if path.is_file():
                return cls("archive", str(path.resolve()))
            if re.match(r"https?://", value):
                return cls("archive", value)
            raise BootstrapError(f"ODOO_SRC: no archive at {value}")
        if re.match(r"(https?|git|ssh|file)://|[\w.-]+@[\w.-]+:", value):
            url, _sep, ref = value.partition("#")
            return cls("git", url, ref or "18.0")
        raise BootstrapError(
            f"ODOO_SRC={value!r} is neither an Odoo source tree, an archive "
            "(.tar.gz, .zip, …) nor a git URL"
        )

    def identity(self) -> dict:
        """What the marker compares: the same identity means no reinstall."""
        identity = {"kind": self.kind, "location": self.location, "ref": self.ref}
        if self.kind == "archive" and Path(self.location).is_file():
            stat = Path(self.location).stat()
            identity["size_mtime"] = [stat.st_size, int(stat.st_mtime)]
        if self.kind == "tree":
            identity["git_head"] = _git_head(Path(self.location))
        return identity

    def describe(self) -> str:
        """The source in a log line."""
        return f"{self.location}#{self.ref}" if self.ref else self.location


def _git_head(tree: Path) -> str:
    if not (tree / ".git").exists():
        return ""
    result = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def venv_python() -> Path:
    """The Python of ``.dev/venv``."""
    return VENV_DIR / "bin" / "python"


def ensure_odoo_venv(python: str, reason: str) -> Path:
    """Return the Python of a ``.dev/venv`` holding Odoo 18.0, made if needed.

    ``python`` is the interpreter that ``make`` chose; ``reason`` says why it
    cannot be used as it is.
    """
    source = OdooSource.from_environment()
    identity = {
        "source": source.identity(),
        "python": str(Path(python).resolve()),
        "version": ".".join(map(str, _python_version(python))),
    }
    if _marker() == identity and _imports_odoo18(venv_python()):
        return venv_python()
    _check_python_version(python)
    log(f"{reason}: installing Odoo 18.0 into {VENV_DIR} from {source.describe()}")
    log("(first run: a few minutes; later runs reuse it)")
    ensure_system_packages(build_needs(python, source.kind == "git"))
    tree = _materialize(source)
    requirements = _adjusted_requirements(tree)
    identity["requirements"] = hashlib.sha256(requirements.encode()).hexdigest()
    shutil.rmtree(VENV_DIR, ignore_errors=True)
    _run([python, "-m", "venv", str(VENV_DIR)])
    pip = [str(venv_python()), "-m", "pip", "install", "-q"]
    _run([*pip, "--upgrade", "pip", "setuptools", "wheel"])
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        file.write(requirements)
    try:
        _run([*pip, "-r", file.name])
    finally:
        os.unlink(file.name)
    _run([*pip, "--no-deps", "--no-build-isolation", "--editable", str(tree)])
    if not _imports_odoo18(venv_python()):
        raise BootstrapError(f"{venv_python()} still cannot import Odoo 18.0")
    MARKER.write_text(json.dumps(identity, indent=2) + "\n")
    log(f"Odoo 18.0 installed in {VENV_DIR}")
    return venv_python()


def _marker() -> dict | None:
    try:
        marker = json.loads(MARKER.read_text())
    except (OSError, ValueError):
        return None
    marker.pop("requirements", None)
    return marker


def _imports_odoo18(python: Path) -> bool:
    if not python.exists():
        return False
    command = [
        str(python),
        "-c",
        "import odoo.release as r; assert r.version_info[0] == 18",
    ]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def _check_python_version(python: str) -> None:
    version = _python_version(python)
    if version not in SUPPORTED_PYTHONS:
        supported = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED_PYTHONS)
        raise BootstrapError(
            f"Odoo 18.0 runs on Python {supported}; {python} is "
            f"{version[0]}.{version[1]}: run make with PYTHON=python3.12 (or another "
            "supported Python)"
        )


def _materialize(source: OdooSource) -> Path:
    """Return a local Odoo source tree for ``source``."""
    if source.kind == "tree":
        tree = Path(source.location)
    else:
        shutil.rmtree(SOURCE_DIR, ignore_errors=True)
        SOURCE_DIR.parent.mkdir(parents=True, exist_ok=True)
        if source.kind == "git":
            log(f"cloning {source.describe()} (depth 1) into {SOURCE_DIR}")
            _run(
                [
                    "git",
                    "clone",
                    "--depth=1",
                    f"--branch={source.ref}",
                    source.location,
                    str(SOURCE_DIR),
                ]
            )
            tree = SOURCE_DIR
        else:
            tree = _unpack(source.location)
    release = tree / "odoo" / "release.py"
    if not release.is_file():
        raise BootstrapError(f"ODOO_SRC: {tree} is not an Odoo source tree")
    if not re.search(r"version_info\s*=\s*\(\s*18\s*,", release.read_text()):
        raise BootstrapError(f"ODOO_SRC: {tree} is not Odoo 18.0 ({release})")
    return tree


def _unpack(location: str) -> Path:
    """Unpack an archive (a path or URL) into ``.dev/odoo-src``."""
    with tempfile.TemporaryDirectory(dir=DEV_DIR) as tmp:
        archive = Path(location)
        if not archive.is_file():
            archive = Path(tmp) / location.rsplit("/", 1)[-1]
            log(f"downloading {location}")
            _download(location, archive, timeout=60)
        log(f"unpacking {archive.name} into {SOURCE_DIR}")
        unpacked = Path(tmp) / "unpacked"
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked)
        else:
            with tarfile.open(archive) as tarred:
                if hasattr(tarfile, "data_filter"):  # refuse links out of the tree
                    tarred.extractall(unpacked, filter="data")
                else:
                    tarred.extractall(unpacked)
        # An archive holds the tree itself or one folder with it (odoo-18.0/).
        entries = list(unpacked.iterdir())
        tree = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
        shutil.move(str(tree), SOURCE_DIR)
    return SOURCE_DIR


def _adjusted_requirements(tree: Path) -> str:
    """Odoo's requirements.txt, made to install on Python 3.10 to 3.12."""
    lines = []
    for line in (tree / "requirements.txt").read_text().splitlines():
        name = re.split(r"[\s=<>!~;\[]", line.strip(), maxsplit=1)[0].lower()
        if name == "python-ldap":
            continue
        if name == "cbor2":
            line = re.sub(r"cbor2==5\.4\.2", "cbor2==5.6.2", line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _run(command: list[str]) -> None:
    if subprocess.run(command, cwd=ROOT, check=False).returncode:
        raise BootstrapError(f"this failed: {shlex.join(command)}")
