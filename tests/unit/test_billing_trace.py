"""The stored trace of a line (billing.lines: one JSON object of columns instead of one object per worklog):
what it decodes to, and that its readers get exactly the entry objects a trace was stored as before."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib import jsonutil
from chalicelib.domain.billing.lines import (Trace, TraceEntry, decode_trace, encode_trace, raw_minutes_of,
                                             trace_rows)


def _entry(worklog_id, issue_key, author, day, seconds, billed, of_worklog=None, rule=None):
    return TraceEntry(worklog_id, issue_key, author, day, raw_minutes_of(seconds), billed,
                      billed if of_worklog is None else of_worklog, rule, seconds)


ENTRIES = (
    _entry(7_000_000_001, "MRDP-1", "Анна Николаева", date(2026, 10, 1), 3599, 60),
    _entry(2, "MRDP-2", 'O"Brien \\ Co', date(2026, 10, 1), 1, 15, rule=41),
    _entry(3, "MRDP-1", "Анна Николаева", date(2026, 10, 31), 0, 0),
    _entry(4, "MRDP-3", "Bob", date(2026, 10, 2), 7260, 30, of_worklog=122, rule=41),  # split by a cap
)


def test_encoded_columns_decode_to_the_same_entries():
    stored = encode_trace(ENTRIES)
    assert decode_trace(json.loads(json.dumps(stored))) == ENTRIES
    # repeated values are stored once, in order of first use
    assert stored["author_name"] == {"values": ["Анна Николаева", 'O"Brien \\ Co', "Bob"], "index": [0, 1, 0, 2]}
    assert stored["rate_rule_id"] == {"values": [None, 41], "index": [0, 1, 0, 1]}
    assert stored["raw_seconds"] == [3599, 1, 0, 7260]


def test_readers_get_the_entry_objects_a_trace_was_stored_as_before():
    # Before issue 14 each entry was stored as its to_dict() through the JSON encoder; drift and the
    # timesheet appendix read those objects. The columnar form must read back as the very same objects.
    before = json.loads(jsonutil.dumps([entry.to_dict() for entry in ENTRIES]))
    assert trace_rows(json.loads(Trace(ENTRIES).stored())) == before
    assert before[3]["split"] is True and before[3]["raw_minutes"] == "121.00"
    assert before[1]["raw_minutes"] == "0.02"


def test_a_trace_stored_as_a_list_or_missing_is_read_as_it_is():
    old = [{"worklog_id": 1, "billed_minutes": 5, "raw_minutes": "4.50"}]
    assert trace_rows(old) is old
    assert trace_rows(None) == []


def test_a_trace_from_stored_json_equals_one_from_entries():
    stored = Trace(ENTRIES).stored()
    assert Trace(stored_json=stored) == Trace(ENTRIES) == ENTRIES
    assert Trace(stored_json=stored)[3].split and len(Trace(stored_json=stored)) == 4
    assert Trace(stored_json=stored) != ENTRIES[:3]
    assert Trace() == () and Trace(stored_json=Trace().stored()) == ()
    assert hash(Trace(stored_json=stored)) == hash(Trace(ENTRIES))


def test_columns_of_different_lengths_are_refused():
    stored = encode_trace(ENTRIES)
    stored["billed_minutes"].pop()
    with pytest.raises(ValueError, match="length"):
        decode_trace(stored)


def test_raw_minutes_come_from_the_stored_seconds():
    stored = encode_trace([_entry(9, "X-1", "A", date(2026, 10, 5), 89, 2)])
    assert decode_trace(stored)[0].raw_minutes == D("1.48")
