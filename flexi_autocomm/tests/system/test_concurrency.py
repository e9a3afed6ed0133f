"""Scenario 1: two cron worker processes send a large queue at once."""

import time

import pytest

from .harness import (  # noqa: F401 - fixtures
    deliveries_by_document,
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)

pytestmark = pytest.mark.system

HANDLED_QUERY_ERROR = r"odoo\.sql_db: bad query"
INVOICES = 500
CUSTOMERS = 40  # fewer than a batch: the two workers' batches share customers


def test_two_workers_deliver_each_invoice_exactly_once(scenario_factory):
    """500 queued invoices, two Odoo cron worker processes at once: every
    invoice is delivered exactly once and every document ends Sent.

    Two workers never run one scheduled action at the same time (Odoo locks
    its row), so the database gets a second scheduled action running the same
    method, as an administrator's copy would: the two workers then claim
    batches and e-mails concurrently, and Odoo's own mail queue (active) must
    leave our e-mails alone. The 40 customers take turns on the invoices, so
    that the two workers' batches always share customers, whose partner
    records Odoo writes while it builds their e-mails (signup links): the
    worker that loses that race leaves those documents queued for its next
    run, and no document fails for it.

    Made for speed, as the suite must stay under fifteen minutes on two
    cores, where this scenario is not about the documents themselves:

    - the invoices carry a ready-made one-page PDF (as if Send & Print had
      rendered it), which Odoo reuses: Debian's wkhtmltopdf costs over a
      second per invoice, 500 real PDFs would take ten minutes (the crash
      scenario renders real PDFs);
    - five invoices are posted by the ORM, the 495 others are SQL copies of
      them, each with its own number and customer (posting 500 invoices
      through the ORM takes one to two minutes; copying them, a second).
    """
    setup_started = time.monotonic()
    scenario = scenario_factory("two_workers", budget=480)
    db = scenario.db
    setup = db.call(
        "scenario_two_workers",
        smtp_port=scenario.sink.port,
        customers=CUSTOMERS,
        invoices=INVOICES,
    )
    customers, invoices = setup["customers"], setup["invoices"]
    emails = dict(customers)
    expected = {(name, emails[partner_id][0]) for _id, name, partner_id in invoices}
    move_ids = [move_id for move_id, _name, _partner in invoices]
    assert len(expected) == INVOICES

    started = time.monotonic()
    setup_seconds = started - setup_started
    workers = [scenario.start_worker(), scenario.start_worker()]
    crons = [setup["cron_id"], setup["second_cron_id"]]
    scenario.run_until(
        lambda: not (db.state_counts(move_ids).keys() & {"to_send", "sending"}),
        "every document out of the queue",
        crons,
        timeout=420,
    )
    elapsed = time.monotonic() - started

    deliveries = deliveries_by_document(
        scenario.sink, [name for _i, name, _p in invoices]
    )
    duplicates = {key: count for key, count in deliveries.items() if count > 1}
    states = db.state_counts(move_ids)
    batches = [worker.processed_records() for worker in workers]
    record_figures(
        "1 two workers",
        delivered=f"{len(deliveries.keys() & expected)}/{len(expected)}",
        duplicates=len(duplicates),
        states=dict(states),
        records_per_worker=batches,
        setup_seconds=round(setup_seconds),
        sending_seconds=round(elapsed),
    )
    assert not duplicates, f"delivered more than once: {duplicates}"
    assert set(deliveries) == expected, (
        f"missing: {sorted(expected - set(deliveries))[:10]}, "
        f"unexpected: {sorted(set(deliveries) - expected)[:10]}"
    )
    assert states == {"sent": INVOICES}, states
    assert all(batches), f"both workers must have sent documents: {batches}"
    # Odoo logs every failed query, even one the engine handles (a worker
    # that loses a race for a row); a failed scheduled action is a problem.
    assert not scenario.worker_problems(allowed=[HANDLED_QUERY_ERROR])
