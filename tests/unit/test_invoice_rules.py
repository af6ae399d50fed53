"""The invoice aggregate's rules (domain/invoice.py), hand-computed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain import invoice as rules
from chalicelib.domain.errors import Forbidden, StaleVersion, ValidationFailed


def test_price_line_computes_the_amount_from_the_printed_figures():
    line = rules.price_line({"quantity": D("2.5"), "unit_price": D("45"), "multiplier": D("1")})
    assert (line["quantity"], line["unit_price"], line["amount"]) == (D("2.50"), D("45.00"), D("112.50"))


def test_a_new_multiplier_alone_rescales_the_price_from_the_same_base():
    previous = {"quantity": D("4.00"), "unit_price": D("60.00"), "multiplier": D("1.5000")}
    line = rules.price_line({"multiplier": D("2")}, previous)
    assert (line["unit_price"], line["amount"], line["multiplier"]) == (D("80.00"), D("320.00"), D("2.0000"))


def test_a_price_given_with_the_multiplier_wins():
    previous = {"quantity": D("4.00"), "unit_price": D("60.00"), "multiplier": D("1.5000")}
    line = rules.price_line({"multiplier": D("2"), "unit_price": D("70")}, previous)
    assert (line["unit_price"], line["amount"]) == (D("70.00"), D("280.00"))


def test_rounding_is_half_up_once_on_the_amount():
    # 0.33 h × 33.35 = 11.0055 → 11.01
    assert rules.price_line({"quantity": D("0.33"), "unit_price": D("33.35")})["amount"] == D("11.01")


def test_totals_reuse_the_prefill_rule():
    totals = rules.totals_for([{"amount": D("100.05")}, {"amount": D("0.10")}], D("12"))
    assert (totals.subtotal, totals.vat_amount, totals.total) == (D("100.15"), D("12.02"), D("112.17"))


def test_changes_between_ignores_equal_values_in_another_scale():
    before = {"unit_price": D("40.00"), "notes": "a", "quantity": D("1.00")}
    after = {"unit_price": D("40"), "notes": "b", "quantity": D("2")}
    changes = rules.changes_between(before, after, ("unit_price", "notes", "quantity"), line_id="L1")
    assert [(c.field, c.before, c.after, c.line_id) for c in changes] == [
        ("notes", "a", "b", "L1"), ("quantity", D("1.00"), D("2"), "L1")]


def test_check_version():
    rules.check_version(3, 3)
    with pytest.raises(StaleVersion) as err:
        rules.check_version(4, 3)
    assert err.value.details == {"expected_version": 3, "current_version": 4}


@pytest.mark.parametrize("header, expected", [
    ('"3"', 3), ('W/"12"', 12), ("7", 7), (None, None), ("  ", None),
])
def test_parse_if_match(header, expected):
    assert rules.parse_if_match(header) == expected


@pytest.mark.parametrize("header", ['"abc"', "*", '"-1"', '"1.5"'])
def test_parse_if_match_refuses_what_is_not_a_version(header):
    with pytest.raises(ValueError):
        rules.parse_if_match(header)


def _header(total, issue=date(2026, 11, 1), due=date(2026, 11, 11)):
    return {"total": D(total), "issue_date": issue, "due_date": due}


def test_finalizable_invoice():
    rules.check_finalizable("invoice", _header("10.00"), [{"amount": D("10.00")}])


@pytest.mark.parametrize("kind, header, lines, room, field", [
    ("invoice", _header("0.00"), [{}], None, "total"),
    ("invoice", _header("10.00"), [], None, "lines"),
    ("invoice", _header("10.00", issue=None), [{}], None, "issue_date"),
    ("invoice", _header("10.00", due=None), [{}], None, "due_date"),
    ("credit_note", _header("5.00"), [{}], D("100"), "total"),
    ("credit_note", _header("-100.01"), [{}], D("100.00"), "total"),
])
def test_not_finalizable(kind, header, lines, room, field):
    with pytest.raises(ValidationFailed) as err:
        rules.check_finalizable(kind, header, lines, credit_room=room)
    assert field in [d["field"] for d in err.value.details]


def test_credit_note_up_to_the_room_left_is_fine():
    rules.check_finalizable("credit_note", _header("-100.00"), [{}], credit_room=D("100.00"))


def test_due_before_issue_is_refused():
    with pytest.raises(ValidationFailed):
        rules.check_finalizable("invoice", _header("1.00", due=date(2026, 10, 31)), [{}])


def test_number_format_and_series():
    assert rules.format_number("PRX", 2026, 7) == "PRX-2026-0007"
    assert rules.format_number("CN", 2027, 12345) == "CN-2027-12345"
    assert rules.series_for("credit_note", "PRX", "CN") == "CN"
    assert rules.series_for("invoice", "PRX", "CN") == "PRX"


def test_separation_of_duties():
    rules.check_separation_of_duties(True, "u1", "u2")
    rules.check_separation_of_duties(False, "u1", "u1")
    with pytest.raises(Forbidden):
        rules.check_separation_of_duties(True, "u1", "u1")


def test_credit_note_lines_negate_quantity_and_amount_only():
    original = [{"position": 1, "category": "Development", "description": "Dev", "unit": "hour",
                 "unit_price": D("45.00"), "multiplier": D("1.0000"), "raw_minutes": 240, "billed_minutes": 240,
                 "worklog_ids": [1, 2], "quantity": D("4.00"), "amount": D("180.00"), "trace": [{"x": 1}]}]
    [line] = rules.credit_note_lines(original)
    assert (line["quantity"], line["amount"], line["unit_price"]) == (D("-4.00"), D("-180.00"), D("45.00"))
    assert line["worklog_ids"] == [1, 2] and line["trace"] == []


def test_credit_room():
    assert rules.credit_room(D("225.00"), [D("-45.00"), D("-80.00")]) == D("100.00")
    assert rules.credit_room(D("225.00"), []) == D("225.00")


@pytest.mark.parametrize("kind, quantity, price, ok", [
    ("invoice", "2", "10", True), ("invoice", "1", "-50", True),    # a discount line
    ("invoice", "-1", "10", False),
    ("credit_note", "-2", "10", True), ("credit_note", "2", "10", False), ("credit_note", "-1", "-10", False),
])
def test_line_sign(kind, quantity, price, ok):
    line = {"quantity": D(quantity), "unit_price": D(price)}
    if ok:
        rules.check_line_sign(kind, line)
    else:
        with pytest.raises(ValidationFailed):
            rules.check_line_sign(kind, line)
