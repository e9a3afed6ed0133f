"""Scenario 8: the addon is uninstalled while automatic e-mails wait."""

import pytest

from .harness import (  # noqa: F401 - fixtures
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)

pytestmark = pytest.mark.system


def test_uninstall_leaves_no_email_for_odoo_queue(scenario_factory):
    """E-mails wait for a mail server that is down, one of them claimed by a
    worker that died, and another invoice is queued. The addon is uninstalled
    (its columns go), the server comes back and Odoo's own mail queue runs:
    it sends none of the automatic e-mails, and each unsent document says so
    in its chatter."""
    scenario = scenario_factory("uninstall", budget=300)
    db, sink = scenario.db, scenario.sink
    setup = db.call("scenario_every_state", smtp_port=sink.port)
    invoices = setup["invoices"]
    move_ids = [move_id for move_id, _name, _partner in invoices.values()]
    received_before = len(sink.received())
    waiting = db.query(
        "SELECT mail.id FROM mail_mail mail "
        "JOIN mail_message message ON message.id = mail.mail_message_id "
        "WHERE message.model = 'account.move' AND message.res_id = ANY(%s) "
        "AND mail.state = 'outgoing'",
        (move_ids,),
    )
    assert len(waiting) == 4, waiting

    assert db.call("uninstall_autocomm", timeout=600) == "uninstalled"
    db.call("process_mail_queue")

    states = dict(
        db.query(
            "SELECT id, state FROM mail_mail WHERE id = ANY(%s)",
            ([mail_id for (mail_id,) in waiting],),
        )
    )
    notes = dict(
        db.query(
            "SELECT res_id, count(*) FROM mail_message WHERE model = 'account.move' "
            "AND res_id = ANY(%s) AND body LIKE '%%was uninstalled%%' GROUP BY res_id",
            (move_ids,),
        )
    )
    record_figures(
        "8 uninstall",
        waiting=len(waiting),
        sent_after_uninstall=len(sink.received()) - received_before,
        mail_states=sorted(set(states.values())),
    )
    assert len(sink.received()) == received_before, "Odoo's queue sent them"
    assert set(states.values()) == {"cancel"}, states
    unsent = [invoices[state][0] for state in ("waiting", "claimed", "queued")]
    assert notes == dict.fromkeys(unsent, 1), notes
