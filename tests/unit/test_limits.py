"""The bounds of domain.limits and the request-JSON parser that applies the nesting one (no I/O)."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from chalicelib import jsonutil
from chalicelib.domain import invoice as rules
from chalicelib.domain import limits
from chalicelib.domain.errors import BadRequest, ValidationFailed


def test_money_max_is_the_largest_numeric_18_2():
    assert limits.MONEY_MAX == Decimal("9999999999999999.99")
    assert len(format(limits.MONEY_MAX, "f").replace(".", "")) == 18
    limits.check_money(-limits.MONEY_MAX, "x")
    with pytest.raises(ValidationFailed) as refused:
        limits.check_money(limits.MONEY_MAX + Decimal("0.01"), "subtotal")
    assert refused.value.details[0]["field"] == "subtotal"


@pytest.mark.parametrize("text, depth", [
    ("{}", 1), ("[]", 1), ('"[[[["', 0), ('{"a": [1, {"b": []}]}', 4), ('["\\"[[", [[]]]', 3),
    ('["\\\\", [[]]]', 3), ("5", 0),
])
def test_nesting_depth_ignores_brackets_in_strings(text, depth):
    assert jsonutil.nesting_depth(text.encode()) == depth


def test_nesting_depth_stops_counting_past_the_limit():
    assert jsonutil.nesting_depth(b"[" * 100000, stop_above=32) == 33


@pytest.mark.parametrize("depth, refused", [(limits.MAX_JSON_DEPTH, False), (limits.MAX_JSON_DEPTH + 1, True),
                                            (100000, True)])
def test_parse_request_refuses_depth_beyond_the_limit(depth, refused):
    raw = "[" * depth + "]" * depth
    if refused:
        with pytest.raises(BadRequest) as error:
            jsonutil.parse_request(raw)
        assert error.value.details[0]["type"] == "json_too_deep"
    else:
        assert jsonutil.parse_request(raw) is not None


@pytest.mark.parametrize("raw, field", [('{"a": 1, "a": 2}', "a"), ('{"x": {"b": 1, "b": 1}}', "b")])
def test_parse_request_refuses_duplicate_keys(raw, field):
    with pytest.raises(BadRequest) as error:
        jsonutil.parse_request(raw)
    assert error.value.details == [{"field": field, "problem": "duplicate key", "type": "json_duplicate_key"}]


@pytest.mark.parametrize("raw", ["NaN", '{"a": Infinity}', '[-Infinity]'])
def test_parse_request_refuses_non_numbers(raw):
    with pytest.raises(BadRequest):
        jsonutil.parse_request(raw)


def test_parse_request_keeps_numbers_exact_and_refuses_nul():
    assert jsonutil.parse_request(b'{"a": 0.1}') == {"a": Decimal("0.1")}
    with pytest.raises(BadRequest) as error:
        jsonutil.parse_request(json.dumps({"a": ["x\u0000"]}))
    assert error.value.details[0]["field"] == "a.0"


@pytest.mark.parametrize("issue, ok", [(date(1, 1, 1), False), (date(9999, 12, 31), False),
                                       (limits.DATE_MIN, True), (limits.DATE_MAX, True)])
def test_a_stored_draft_with_an_impossible_date_cannot_be_finalized(issue, ok):
    # A draft saved before the limits existed reaches finalize: a 422 naming the date, before a number is taken.
    header = {"issue_date": issue, "due_date": issue, "total": Decimal("10.00")}
    line = {"quantity": Decimal(1), "unit_price": Decimal(10), "amount": Decimal(10)}
    if ok:
        rules.check_finalizable("invoice", header, [line])
    else:
        with pytest.raises(ValidationFailed) as refused:
            rules.check_finalizable("invoice", header, [line])
        assert refused.value.details[0]["field"] == "issue_date"


def test_paid_on_is_not_before_the_issue_date():
    rules.check_paid_on(date(2026, 11, 1), date(2026, 11, 1))
    with pytest.raises(ValidationFailed):
        rules.check_paid_on(date(2026, 10, 31), date(2026, 11, 1))


def test_password_bytes_not_characters():
    limits.check_password_length("x" * 72, "password")
    with pytest.raises(ValidationFailed):
        limits.check_password_length("é" * 37, "password")  # 74 bytes


@pytest.mark.parametrize("edited, cdm, expected", [
    ({"name": "Greta", "email": "greta@x.de"}, [{"name": "Anna", "email": "a@x.de", "role": "billing"}],
     [{"name": "Greta", "email": "greta@x.de"}]),
    ({"name": "Only a name", "email": ""}, [{"name": "Anna", "email": "a@x.de", "role": "billing"}],
     [{"name": "Anna", "email": "a@x.de"}]),
    (None, [{"name": "Tech", "email": "t@x.de", "role": "technical"}], [{"name": "Tech", "email": "t@x.de"}]),
])
def test_billing_recipients(edited, cdm, expected):
    assert rules.billing_recipients(edited, cdm) == expected
