"""Scenario 6: bad data in volume, among good documents."""

import re
from collections import Counter

import pytest

from .harness import (  # noqa: F401
    deliveries_by_document,
    record_figures,
    scenario_factory_fixture,
    system_settings_fixture,
)

pytestmark = pytest.mark.system

INJECTED = "injected@evil.example"
ALLOWED_LOG_LINES = [r"odoo\.sql_db: bad query"]
# Kinds of documents that cannot be sent, and what their error says.
FAILING = {
    "nobody": "Nobody to send to",
    "no email": "Nobody to send to",
    "broken placeholder": "cannot be rendered",
}


def header_names(raw):
    """Names of the headers of a raw message, as a mail client parses them."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("ascii", "replace")
    return [
        line.split(":", 1)[0].strip().lower()
        for line in re.split(r"\r?\n", head)
        if line and not line[0].isspace()
    ]


def test_bad_input_fails_alone_and_injects_no_header(scenario_factory):
    """Malformed contact addresses (with CR/LF and a Bcc in them among
    others), names of customers, contacts, salesperson and company with
    CR/LF and header lines in them, a 1 MB text for sending, texts with
    broken placeholders and customers with no e-mail at all, among 30 good
    invoices: each bad document either ends Failed with a clear reason or
    was refused when saved, no header injection reaches the mail server
    (headers parsed, envelope checked), and everything else goes out once."""
    scenario = scenario_factory("bad_input", budget=300)
    db, sink = scenario.db, scenario.sink
    setup = db.call("scenario_bad_input", smtp_port=sink.port, timeout=300)
    documents = {kind: dict(moves) for kind, moves in setup["documents"].items()}
    move_ids = [move_id for moves in documents.values() for move_id in moves]
    names = [name for moves in documents.values() for name in moves.values()]
    refused = setup["refused"]

    worker = scenario.start_worker()
    scenario.run_until(
        lambda: not (db.state_counts(move_ids).keys() & {"to_send", "sending"}),
        "every document out of the queue",
        [setup["cron_id"]],
        timeout=240,
    )
    scenario.run_cron(setup["cron_id"], worker, timeout=60)

    states = db.documents(move_ids)
    deliveries = deliveries_by_document(sink, names)
    received = sink.received()
    record_figures(
        "6 bad input",
        documents=len(move_ids),
        states=dict(db.state_counts(move_ids)),
        received=len(received),
        refused_at_save=sorted(refused),
        duplicates=sum(1 for count in deliveries.values() if count > 1),
    )

    # Each bad document fails alone, in words.
    for kind, text in FAILING.items():
        for move_id, name in documents[kind].items():
            _name, state, error = states[move_id]
            assert state == "failed", (kind, name, state, error)
            assert text in (error or ""), (kind, name, error)
    # The others went out, once to each recipient, and to nobody else.
    wanted = Counter()
    for kind, moves in documents.items():
        if kind in FAILING:
            continue
        recipients = setup["expected"][kind]
        for (move_id, name), address in zip(moves.items(), recipients, strict=True):
            _name, state, error = states[move_id]
            assert state == "sent", (kind, name, state, error, states)
            wanted[(name, address)] += 1
    # (The salespeople get Odoo's notices of the to-dos of failed documents.)
    customer_deliveries = Counter(
        {
            key: count
            for key, count in deliveries.items()
            if not key[1].endswith("@our.example.com")
        }
    )
    assert customer_deliveries == wanted, (
        f"missing {wanted - customer_deliveries}, extra {customer_deliveries - wanted}"
    )
    # Refused when saved: a text that is no template, a field that does not
    # exist (with or without a document to try it on), named in one sentence
    # with the placeholders that may be used.
    assert "placeholder syntax error" in refused, refused
    assert "unknown field" in refused, refused
    assert (
        "placeholder {{ object.partner_id.other_missing_field }} "
        in refused["unknown field, journal with documents"]
    ), refused
    assert (
        "you may use {{ object.name }}"
        in (refused["unknown field, no template editor"])
    ), refused
    # No injection: not in the envelope, not in the headers.
    for message in received:
        assert all(INJECTED not in rcpt for rcpt in message.rcpt_tos), message.rcpt_tos
        headers = header_names(message.raw)
        assert "bcc" not in headers and "x-injected" not in headers, headers
        for name in ("from", "to", "subject"):
            assert headers.count(name) == 1, (name, headers)
    # The megabyte of text: kept, or refused when saved.
    if "1 MB text" not in refused:
        for name in documents["1 MB text"].values():
            message = next(m for m in received if name in m.subject)
            assert len(message.html_body()) > 1_000_000
            assert name in message.html_body()[-2000:]
    assert not scenario.worker_problems(ALLOWED_LOG_LINES)
