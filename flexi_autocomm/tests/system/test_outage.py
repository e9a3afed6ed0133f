"""Scenarios 3 and 4: the mail server is down, hangs up, or refuses recipients."""

import pytest

from .harness import (  # noqa: F401
    deliveries_by_document,
    drop_connection_action,
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)

pytestmark = pytest.mark.system

ALLOWED_LOG_LINES = [
    # Odoo logs every failed query, even those the engine handles.
    r"odoo\.sql_db: bad query",
    # Odoo logs each refused message and each session the server cut.
    r"mail_mail: failed sending mail",
    r"mail_mail: Exception while processing mail",
]


def _queue(db):
    return lambda move_ids: db.state_counts(move_ids).keys() & {"to_send", "sending"}


def test_outage_documents_wait_then_go_out_once(scenario_factory):
    """The mail server is down for several runs, comes back and hangs up in
    the middle of a session (once with "421 shutting down", once without a
    word), then works: the documents wait in the queue (Sending, with the
    reason), none fails, and each goes out exactly once."""
    scenario = scenario_factory("outage", budget=240)
    db, sink = scenario.db, scenario.sink
    setup = db.call("scenario_outage", smtp_port=sink.port, customers=12, contacts=1)
    cron_id, invoices = setup["cron_id"], setup["invoices"]
    move_ids = [move_id for move_id, _name, _partner in invoices]
    names = [name for _id, name, _partner in invoices]
    emails = dict(setup["customers"])
    expected = {(name, emails[partner][0]) for _id, name, partner in invoices}
    phases = []

    def phase(label):
        documents = db.documents(move_ids)
        phases.append(
            f"{label}: {len(sink.received())} received, "
            f"{dict(db.state_counts(move_ids))}"
        )
        return documents

    sink.go_down()
    worker = scenario.start_worker()
    scenario.run_cron(cron_id, worker, times=3, timeout=90)
    documents = phase("down for 3 runs")
    assert db.state_counts(move_ids) == {"sending": 12}
    for name, _state, error in documents.values():
        assert "mail server is not available" in (error or ""), (name, error)

    sink.come_back()
    farewell = sink.arm("mail", drop_connection_action(), nth=5)
    scenario.run_cron(cron_id, worker, timeout=60)
    phase("back, '421' at the 5th message")
    assert farewell.fired_at, "the sink did not hang up"
    assert len(sink.received()) == 4
    assert db.state_counts(move_ids) == {"sent": 4, "sending": 8}

    hang_up = sink.arm("mail", drop_connection_action(reply=None), nth=3)
    scenario.run_cron(cron_id, worker, timeout=60)
    phase("hang-up at the 3rd message")
    assert hang_up.fired_at, "the sink did not hang up"
    assert len(sink.received()) == 6

    scenario.run_until(
        lambda: not _queue(db)(move_ids), "queue empty", [cron_id], timeout=60
    )
    phase("up")
    deliveries = deliveries_by_document(sink, names)
    duplicates = {key: count for key, count in deliveries.items() if count > 1}
    record_figures(
        "3 outage",
        delivered=f"{len(deliveries.keys() & expected)}/{len(expected)}",
        duplicates=len(duplicates),
        states=dict(db.state_counts(move_ids)),
        phases=" | ".join(phases),
    )
    assert not duplicates, duplicates
    assert set(deliveries) == expected
    assert db.state_counts(move_ids) == {"sent": 12}
    assert not scenario.worker_problems(ALLOWED_LOG_LINES)


def test_permanent_refusal_fails_temporary_refusal_retried(scenario_factory):
    """The mail server refuses chosen recipients for good (550) and others
    for a while (451, twice): a document with a refused recipient ends Failed
    with the server's reason and a to-do for its salesperson (its other
    recipient still gets it, once); a document whose recipient was only
    deferred is retried by the next runs and ends Sent, each recipient having
    it exactly once."""
    scenario = scenario_factory("refusals", budget=240)
    db, sink = scenario.db, scenario.sink
    setup = db.call("scenario_outage", smtp_port=sink.port, customers=12, contacts=2)
    cron_id, invoices = setup["cron_id"], setup["invoices"]
    move_ids = [move_id for move_id, _name, _partner in invoices]
    names = {move_id: name for move_id, name, _partner in invoices}
    emails = dict(setup["customers"])
    refused, deferred = {}, {}
    for index, (move_id, _name, partner) in enumerate(invoices):
        address = emails[partner][1]
        if index < 4:
            refused[move_id] = address
            sink.refuse(
                address,
                f"550 5.1.1 <{address}>: Recipient address rejected: User unknown",
            )
        elif index < 8:
            deferred[move_id] = address
            sink.refuse(
                address, "451 4.7.1 Greylisted, please try again later", times=2
            )

    worker = scenario.start_worker()
    scenario.run_until(
        lambda: not _queue(db)(move_ids), "queue empty", [cron_id], timeout=120
    )
    scenario.run_cron(cron_id, worker, timeout=60)

    deliveries = deliveries_by_document(sink, names.values())
    documents = db.documents(move_ids)
    activities = dict(
        db.query(
            "SELECT res_id, count(*) FROM mail_activity "
            "WHERE res_model = 'account.move' AND res_id = ANY(%s) GROUP BY res_id",
            (move_ids,),
        )
    )
    customer_deliveries = {
        (name, address): deliveries[(name, address)]
        for _id, name, partner in invoices
        for address in emails[partner]
    }
    record_figures(
        "4 refusals",
        delivered=f"{sum(customer_deliveries.values())}/{24 - len(refused)}",
        duplicates=sum(1 for count in customer_deliveries.values() if count > 1),
        states=dict(db.state_counts(move_ids)),
        runs=worker.completed_runs(cron_id),
    )
    for move_id, (name, state, error) in documents.items():
        for address in emails[{m: p for m, _n, p in invoices}[move_id]]:
            wanted = 0 if refused.get(move_id) == address else 1
            assert deliveries[(name, address)] == wanted, (name, address, deliveries)
        if move_id in refused:
            assert state == "failed", (name, state, error)
            assert refused[move_id] in error and "550" in error, error
            assert "Recipient address rejected" in error, error
            assert activities.get(move_id) == 1, "one to-do for the salesperson"
        else:
            assert state == "sent", (name, state, error)
            assert not activities.get(move_id)
    assert not scenario.worker_problems(ALLOWED_LOG_LINES)
