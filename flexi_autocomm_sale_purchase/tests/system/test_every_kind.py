"""One run of the scheduled action, in a real cron worker, sends invoices,
quotations, order confirmations, RFQs and purchase orders, each once."""

import time
from collections import Counter
from pathlib import Path

import pytest

from odoo.addons.flexi_autocomm.tests.system.harness import (  # noqa: F401 - fixtures
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)
from odoo.addons.flexi_autocomm_purchase.tests.system.test_invoices_and_purchases import (  # noqa: E501
    deliveries_by_name,
)

pytestmark = pytest.mark.system

DATASET_SCRIPT = Path(__file__).resolve().parent / "dataset.py"
INVOICES = 4
VENDORS = 3  # an RFQ and a confirmed purchase order each
BUYERS = 3  # a quotation and a confirmed sale order each
STATES_SQL = (
    "SELECT autocomm_state, count(*) FROM {table} WHERE id = ANY(%s) GROUP BY 1"
)


def test_every_kind_sent_once_in_one_run(scenario_factory):
    """Invoices, quotations, order confirmations, RFQs and purchase orders
    queued together go out in one run of the scheduled action, each exactly
    once to the contacts flagged for its kind; a second run sends nothing."""
    scenario = scenario_factory("every_kind", budget=300)
    db = scenario.db
    setup = db.call(
        "scenario_every_kind",
        dataset_script=DATASET_SCRIPT,
        smtp_port=scenario.sink.port,
        customers=INVOICES,
        vendors=VENDORS,
        buyers=BUYERS,
    )
    emails = dict(setup["customers"])
    expected = {(name, emails[partner][0]) for _id, name, partner in setup["invoices"]}
    expected |= {(name, email) for _id, name, email in setup["orders"] + setup["sales"]}
    documents = {
        "account_move": [move_id for move_id, _n, _p in setup["invoices"]],
        "purchase_order": [order_id for order_id, _n, _e in setup["orders"]],
        "sale_order": [order_id for order_id, _n, _e in setup["sales"]],
    }

    started = time.monotonic()
    scenario.start_worker()
    scenario.run_cron(setup["cron_id"], timeout=240)
    elapsed = time.monotonic() - started
    states = Counter()
    for table, ids in documents.items():
        states.update(dict(db.query(STATES_SQL.format(table=table), (ids,))))
    scenario.run_cron(setup["cron_id"], timeout=120)  # nothing more to send
    names = [
        name for _id, name, _x in setup["invoices"] + setup["orders"] + setup["sales"]
    ]
    deliveries = deliveries_by_name(scenario.sink, names)
    record_figures(
        "every kind in one run",
        delivered=f"{len(deliveries.keys() & expected)}/{len(expected)}",
        duplicates=sum(1 for count in deliveries.values() if count > 1),
        states=dict(states),
        first_run_seconds=round(elapsed),
    )
    assert states == {"sent": INVOICES + 2 * VENDORS + 2 * BUYERS}, states
    assert set(deliveries) == expected, (
        f"missing: {sorted(expected - set(deliveries))}, "
        f"unexpected: {sorted(set(deliveries) - expected)}"
    )
    assert set(deliveries.values()) == {1}, deliveries
    assert not scenario.worker_problems()
