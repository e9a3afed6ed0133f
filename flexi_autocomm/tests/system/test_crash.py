"""Scenario 2: the cron worker is killed (SIGKILL) while it sends, then restarted."""

import time

import pytest

from .harness import (  # noqa: F401 - fixtures
    ScenarioTimeout,
    deliveries_by_document,
    drop_connection_action,
    kill_action,
    kill_after_reply_action,
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
    wait_until,
)

pytestmark = pytest.mark.system

CUSTOMERS = 10  # one invoice each, two flagged contacts: 20 e-mails
UNKNOWN_TEXT = "may or may not have been delivered"
ALLOWED_LOG_LINES = [
    # Odoo logs every failed query, even those the engine handles.
    r"odoo\.sql_db: bad query",
    # Odoo's cron runner skips, once, a job whose last three runs never
    # finished (its worker was killed each time), and logs it as an error.
    r"ir_cron: Job .* timed out",
]


def test_killed_worker_never_sends_twice_nor_loses_a_document(scenario_factory):
    """A worker killed with SIGKILL at six points of its work, each time
    restarted: no invoice is delivered twice, none stays queued, and the
    documents whose e-mail was with the mail server when the worker died
    say so ("Check delivery") and are not sent again.

    Kill points, each in a new worker process (batches of 3 invoices, real
    PDFs rendered by wkhtmltopdf, one e-mail per contact):

    1. while wkhtmltopdf renders the first batch's PDFs (nothing committed);
    2. when the worker opens its SMTP session (batch built and committed,
       nothing claimed);
    3. at MAIL FROM of the worker's second e-mail (claimed and committed, the
       message not yet handed over);
    4. when the server has the whole second message, before it answers 250
       (the server has it, the worker does not know);
    5. after the server answered 250 to the second message, before the worker
       commits the outcome: the e-mail's row is locked from another
       connection, the worker blocks on it writing the outcome, and is
       killed there;
    6. at QUIT (every outcome committed, documents' states not yet derived).

    A last worker then runs to the end, and more runs follow.
    """
    scenario = scenario_factory("crash", budget=360)
    db, sink = scenario.db, scenario.sink
    setup = db.call("scenario_crash", smtp_port=sink.port, customers=CUSTOMERS)
    cron_id = setup["cron_id"]
    invoices = setup["invoices"]
    move_ids = [move_id for move_id, _name, _partner in invoices]
    names = {move_id: name for move_id, name, _partner in invoices}
    emails = dict(setup["customers"])
    expected = {
        (name, email) for _id, name, partner in invoices for email in emails[partner]
    }
    current = scenario.workers.__getitem__
    kill_points = []

    def run_killed_at(label, arm=None, kill_when=None, timeout=90):
        """Start a worker, wait for the kill point, check that it died there."""
        trap = arm() if arm else None
        worker = scenario.start_worker()
        started = time.monotonic()
        if kill_when:
            scenario.run_until(kill_when, label, [cron_id], timeout=timeout)
            worker.kill()
        else:
            scenario.run_until(
                lambda: trap.fired_at and not worker.alive(),
                label,
                [cron_id],
                timeout=timeout,
            )
        scenario.wait_disconnected(worker)
        kill_points.append(
            (
                label,
                trap.outcome if trap else "killed",
                round(time.monotonic() - started),
            )
        )
        assert worker.process.returncode == -9, f"{label}: not killed by SIGKILL"
        return trap

    # 1. During PDF rendering: nothing of the batch survives.
    run_killed_at(
        "rendering PDFs",
        kill_when=lambda: current(-1).children("wkhtmltopdf"),
    )
    assert db.state_counts(move_ids) == {"to_send": CUSTOMERS}
    assert not sink.received()

    # 2. At the SMTP connection: the first batch is built, nothing is sent.
    run_killed_at(
        "SMTP connection",
        arm=lambda: sink.arm("connect", kill_action(lambda: current(-1))),
    )
    assert db.state_counts(move_ids)["sending"] == 3, db.documents(move_ids)
    assert not sink.received()

    # 3.-5. Around the second message of a worker.
    run_killed_at(
        "MAIL FROM",
        arm=lambda: sink.arm("mail", kill_action(lambda: current(-1)), nth=2),
    )
    assert len(sink.received()) == 1
    run_killed_at(
        "message received, before 250",
        arm=lambda: sink.arm("data", kill_action(lambda: current(-1)), nth=2),
    )
    assert len(sink.received()) == 3
    trap = run_killed_at(
        "after 250, before commit",
        arm=lambda: sink.arm(
            "data", kill_after_reply_action(sink, lambda: current(-1), db), nth=2
        ),
    )
    assert "blocked before its commit" in trap.outcome, trap.outcome
    assert len(sink.received()) == 5

    # 6. At QUIT: outcomes committed, documents not yet updated.
    run_killed_at(
        "QUIT", arm=lambda: sink.arm("quit", kill_action(lambda: current(-1)))
    )

    # A worker that is left alone: everything settles, and stays settled.
    worker = scenario.start_worker()
    scenario.run_until(
        lambda: not (db.state_counts(move_ids).keys() & {"to_send", "sending"}),
        "every document out of the queue",
        [cron_id],
        timeout=120,
    )
    settled_messages = len(sink.received())
    scenario.run_cron(cron_id, worker, times=2, timeout=60)

    deliveries = deliveries_by_document(sink, names.values())
    duplicates = {key: count for key, count in deliveries.items() if count > 1}
    documents = db.documents(move_ids)
    states = db.state_counts(move_ids)
    record_figures(
        "2 SIGKILL",
        delivered=f"{len(deliveries.keys() & expected)}/{len(expected)}",
        duplicates=len(duplicates),
        states=dict(states),
        kill_points="; ".join(
            f"{label} ({seconds} s)" for label, _o, seconds in kill_points
        ),
    )
    assert not duplicates, duplicates
    assert len(sink.received()) == settled_messages, "a settled document was sent again"
    assert set(deliveries) <= expected, set(deliveries) - expected
    # The three documents whose e-mail was with the server when the worker
    # died: "Check delivery", with the reason in words, never resent.
    unknown = {
        move_id for move_id, (_n, state, _e) in documents.items() if state == "unknown"
    }
    assert len(unknown) == 3, documents
    for move_id in unknown:
        assert UNKNOWN_TEXT in documents[move_id][2], documents[move_id]
    # Every other document went to each of its recipients, once.
    for move_id, (name, state, error) in documents.items():
        if move_id not in unknown:
            assert state == "sent", (name, state, error)
            for email in emails[{m: p for m, _n, p in invoices}[move_id]]:
                assert deliveries[(name, email)] == 1, (name, email)
    assert not scenario.worker_problems(ALLOWED_LOG_LINES)
