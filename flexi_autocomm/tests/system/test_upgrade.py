"""Scenario 7: a database of the previous release is upgraded (``-u``) with
this code, and loses nothing of its sending."""

import configparser
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import (  # noqa: F401 - fixtures
    ODOO_LOG_PROBLEM,
    ScenarioDatabase,
    SmtpSink,
    deliveries_by_document,
    record_figures,
    system_settings_fixture,
    worker_environment,
)

pytestmark = pytest.mark.system

ADDON = "flexi_autocomm"
REPOSITORY = Path(__file__).resolve().parents[3]
# The addon as it landed in 18.0.1.1.0, the release this code upgrades from.
PREVIOUS_RELEASE = "f748f5d5bb186fe979f8b2789f7236b80f8046fa"
UNKNOWN_TEXT = "may or may not have been delivered"
# The automatic e-mails of the invoices ``%s``, in every release.
OF_DOCUMENTS = (
    "JOIN mail_message message ON message.id = mail.mail_message_id "
    "WHERE message.model = 'account.move' AND message.res_id = ANY(%s) "
    "AND mail.autocomm_outcome IS NOT NULL"
)


def previous_release(target):
    """Extract the previous release of the addon into ``target`` (as
    ``bench/run.py --snapshot`` does); skip when git or the commit is missing."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPOSITORY), "archive", PREVIOUS_RELEASE, ADDON],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"previous release {PREVIOUS_RELEASE[:8]} not available: {error}")
    target.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def config_with_addons(settings, addons_dir, path):
    """A copy of the Odoo configuration whose repository addons come from
    ``addons_dir``."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(settings.config_file)
    paths = [
        entry.strip()
        for entry in config["options"]["addons_path"].split(",")
        if not (Path(entry.strip()) / ADDON).is_dir()
    ]
    config["options"]["addons_path"] = ",".join([*paths, str(addons_dir)])
    with path.open("w") as file:
        config.write(file)
    return dataclasses.replace(settings, config_file=path)


def odoo(settings, dbname, *args, log_file):
    """Run Odoo on ``dbname`` until it has done ``args``; fail on any error."""
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        str(settings.config_file),
        "-d",
        dbname,
        *args,
        "--stop-after-init",
        "--no-http",
        f"--logfile={log_file}",
        "--log-level=warn",
    ]
    result = subprocess.run(command, env=worker_environment(), timeout=600, check=False)
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    problems = [line for line in log.splitlines() if ODOO_LOG_PROBLEM.match(line)]
    assert not result.returncode and not problems, (
        f"odoo {' '.join(args)}: exit status {result.returncode}\n" + log[-6000:]
    )


def sending_state(db, move_ids):
    """Each document's mail state, and its e-mails' outcomes and claims."""
    documents = {
        move_id: state for move_id, (_n, state, _e) in db.documents(move_ids).items()
    }
    mails = db.query(
        "SELECT mail.id, message.res_id, mail.state, mail.autocomm_outcome "
        f"FROM mail_mail mail {OF_DOCUMENTS} ORDER BY mail.id",
        (list(move_ids),),
    )
    return documents, mails


def test_upgrade_keeps_queued_sending_and_sent_documents(system_settings, tmp_path):
    """The previous release is installed in a new database, sends one
    invoice, builds the e-mails of two others while the mail server is down
    (one of them claimed by a worker that then died) and queues a fourth.
    Upgraded with this code, every document and e-mail keeps its state and
    the claim stays a claim; the next run then sends what waited, once,
    and the claimed e-mail becomes "Check delivery" instead of going out again.
    """
    old_settings = config_with_addons(
        system_settings, previous_release(tmp_path / "previous"), tmp_path / "old.conf"
    )
    db = ScenarioDatabase(system_settings, f"{system_settings.template}_upgrade")
    sink = SmtpSink().start()
    db.drop()
    try:
        odoo(
            old_settings,
            db.name,
            "-i",
            ADDON,
            "--without-demo=all",
            log_file=tmp_path / "install.log",
        )
        setup = ScenarioDatabase(old_settings, db.name).call(
            "scenario_every_state", smtp_port=sink.port
        )
        invoices = setup["invoices"]
        move_ids = [move_id for move_id, _name, _partner in invoices.values()]
        before = sending_state(db, move_ids)
        assert before[0] == {
            invoices["sent"][0]: "sent",
            invoices["waiting"][0]: "sending",
            invoices["claimed"][0]: "sending",
            invoices["queued"][0]: "to_send",
        }, before
        assert len(sink.received()) == 2

        odoo(system_settings, db.name, "-u", ADDON, log_file=tmp_path / "upgrade.log")
        assert sending_state(db, move_ids) == before
        claims = dict(
            db.query(
                "SELECT mail.id, mail.autocomm_claimed_until IS NOT NULL "
                f"FROM mail_mail mail {OF_DOCUMENTS}",
                (move_ids,),
            )
        )
        claimed_mail = setup["claimed_mail_id"]
        assert claims.pop(claimed_mail), "the claim was lost"
        assert not any(claims.values()), claims

        db.call("run_send_cron")
        documents = db.documents(move_ids)
        states = {
            state: documents[move_id][1]
            for state, (move_id, _n, _p) in invoices.items()
        }
        emails = dict(setup["customers"])
        names = [name for _id, name, _partner in invoices.values()]
        deliveries = deliveries_by_document(sink, names)
        claimed_address = db.scalar(
            "SELECT partner.email FROM mail_mail_res_partner_rel rel "
            "JOIN res_partner partner ON partner.id = rel.res_partner_id "
            "WHERE rel.mail_mail_id = %s",
            (claimed_mail,),
        )
        record_figures(
            "7 upgrade",
            previous=PREVIOUS_RELEASE[:8],
            states=states,
            delivered=sum(deliveries.values()),
            duplicates=sum(1 for count in deliveries.values() if count > 1),
        )
        assert states == {
            "sent": "sent",
            "waiting": "sent",
            "claimed": "unknown",
            "queued": "sent",
        }, documents
        assert UNKNOWN_TEXT in documents[invoices["claimed"][0]][2]
        expected = {
            (name, email): 0 if email == claimed_address else 1
            for _id, name, partner in invoices.values()
            for email in emails[partner]
        }
        assert dict(deliveries) == {k: v for k, v in expected.items() if v}, deliveries
    finally:
        sink.stop()
        db.drop()
