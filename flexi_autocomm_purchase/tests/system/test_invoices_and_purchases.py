"""One run of the scheduled action sends invoices, RFQs and purchase orders
(with quotations and order confirmations too: flexi_autocomm_sale_purchase's
system test)."""

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from odoo.addons.flexi_autocomm.tests.system.harness import (  # noqa: F401 - fixtures
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)

pytestmark = pytest.mark.system

DATASET_SCRIPT = Path(__file__).resolve().parent / "dataset.py"
INVOICES = 6
VENDORS = 4  # an RFQ and a confirmed purchase order each


def deliveries_by_name(sink, names):
    """``Counter((document name, recipient))``: a message belongs to the
    document whose name stands alone in its subject ("Invoice INV/2026/00012
    - YourCompany", "YourCompany Order (Ref P00012)")."""
    patterns = {
        name: re.compile(rf"(?<![\w/]){re.escape(name)}(?![\w/])") for name in names
    }
    deliveries = Counter()
    for message in sink.received():
        found = [
            name
            for name, pattern in patterns.items()
            if pattern.search(message.subject)
        ]
        name = found[0] if len(found) == 1 else f"?{message.subject}"
        for rcpt in message.rcpt_tos:
            deliveries[(name, rcpt.lower())] += 1
    return deliveries


def test_invoices_rfqs_and_purchase_orders_each_sent_once_in_one_run(
    scenario_factory,
):
    """Customer invoices, RFQs and confirmed purchase orders queued together
    are all e-mailed by a single run of the scheduled action in a real cron
    worker, each exactly once to its own recipients (the invoice to the
    customer's contact flagged Send invoices, the RFQ to the vendor's contact
    flagged Send RFQs, the order to the one flagged Send orders); a second
    run sends nothing more, and the RFQs are RFQ Sent in Odoo."""
    scenario = scenario_factory("invoices_purchases", budget=300)
    db = scenario.db
    setup = db.call(
        "scenario_invoices_and_purchases",
        dataset_script=DATASET_SCRIPT,
        smtp_port=scenario.sink.port,
        customers=INVOICES,
        vendors=VENDORS,
    )
    emails = dict(setup["customers"])
    expected = {(name, emails[partner][0]) for _id, name, partner in setup["invoices"]}
    expected |= {(name, email) for _id, name, email in setup["orders"]}
    move_ids = [move_id for move_id, _name, _partner in setup["invoices"]]
    order_ids = [order_id for order_id, _name, _email in setup["orders"]]
    cron_id = setup["cron_id"]

    started = time.monotonic()
    scenario.start_worker()
    scenario.run_cron(cron_id, timeout=240)
    elapsed = time.monotonic() - started
    states = Counter(
        dict(
            db.query(
                "SELECT autocomm_state, count(*) FROM account_move "
                "WHERE id = ANY(%s) GROUP BY 1",
                (move_ids,),
            )
        )
    ) + Counter(
        dict(
            db.query(
                "SELECT autocomm_state, count(*) FROM purchase_order "
                "WHERE id = ANY(%s) GROUP BY 1",
                (order_ids,),
            )
        )
    )
    scenario.run_cron(cron_id, timeout=120)  # and again: nothing more to send
    names = [name for _id, name, _p in setup["invoices"] + setup["orders"]]
    deliveries = deliveries_by_name(scenario.sink, names)
    order_states = dict(
        db.query(
            "SELECT name, state FROM purchase_order WHERE id = ANY(%s)", (order_ids,)
        )
    )
    record_figures(
        "invoices, RFQs and purchase orders",
        delivered=f"{len(deliveries.keys() & expected)}/{len(expected)}",
        duplicates=sum(1 for count in deliveries.values() if count > 1),
        states=dict(states),
        first_run_seconds=round(elapsed),
    )
    assert states == {"sent": INVOICES + 2 * VENDORS}, states
    assert set(deliveries) == expected, (
        f"missing: {sorted(expected - set(deliveries))}, "
        f"unexpected: {sorted(set(deliveries) - expected)}"
    )
    assert set(deliveries.values()) == {1}, deliveries
    assert sorted(order_states.values()) == ["purchase"] * VENDORS + ["sent"] * VENDORS
    assert not scenario.worker_problems()
