"""Drift comparison, the three-way merge of a regenerated draft, and the margin check (pure domain)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain import drift, merge
from chalicelib.domain.errors import ValidationFailed


def entry(wid, minutes, raw=None):
    return {"worklog_id": wid, "billed_minutes": minutes, "raw_minutes": str(raw if raw is not None else minutes),
            "issue_key": "X-1", "author_name": "Alice", "work_date": date(2026, 10, 1)}


def hourly(category, price, trace, line_id=None, position=1, quantity=None):
    minutes = sum(e["billed_minutes"] for e in trace)
    qty = quantity if quantity is not None else (D(minutes) / 60).quantize(D("0.01"))
    return {"id": line_id, "position": position, "category": category, "description": category,
            "quantity": qty, "unit": "hour", "unit_price": D(price), "multiplier": D("1.0000"),
            "amount": (qty * D(price)).quantize(D("0.01")), "raw_minutes": minutes, "billed_minutes": minutes,
            "worklog_ids": [e["worklog_id"] for e in trace], "trace": trace}


# --- drift --------------------------------------------------------------------------------------

def test_no_change_is_no_drift():
    billed = [hourly("Development", "45.00", [entry(1, 60), entry(2, 30)], "L1")]
    report = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 60), entry(2, 30)])],
                           vat_rate=D("0"), currency="EUR")
    assert report["lines"] == [] and report["worklogs"] == []
    assert report["subtotal_delta"] == D("0.00") and report["direction"] == "none"
    assert not drift.exceeds(report, drift.DriftThresholds())


def test_each_worklog_kind_and_the_money_per_line():
    billed = [hourly("Development", "45.00", [entry(1, 60), entry(2, 30), entry(3, 45)], "L1")]
    # 2 grew 30 -> 90 (new version), 3 deleted, 4 logged late.
    now = [hourly("Development", "45.00", [entry(1, 60), entry(2, 90), entry(4, 15)])]
    report = drift.compare(billed, now, vat_rate=D("12.00"), currency="EUR")
    kinds = {w["worklog_id"]: (w["kind"], w["billed_minutes_before"], w["billed_minutes_after"])
             for w in report["worklogs"]}
    assert kinds == {2: ("changed", 30, 90), 3: ("removed", 45, 0), 4: ("added", 0, 15)}
    assert report["counts"] == {"added": 1, "removed": 1, "changed": 1}
    [line] = report["lines"]
    assert (line["billed_minutes_before"], line["billed_minutes_after"]) == (135, 165)
    # 135 min = 2.25 h -> 165 min = 2.75 h: +0.50 h at 45.00
    assert line["money_delta"] == D("22.50") and line["line_id"] == "L1"
    assert report["subtotal_delta"] == D("22.50") and report["vat_delta"] == D("2.70")
    assert report["total_delta"] == D("25.20") and report["direction"] == "under_billed"
    assert report["minutes_changed"] == 60 + 45 + 15


def test_a_hand_edited_quantity_is_not_drift_but_a_source_change_is_priced_at_the_printed_price():
    billed = [hourly("Development", "50.00", [entry(1, 120)], "L1", quantity=D("1.50"))]  # discounted by hand
    same = drift.compare(billed, [hourly("Development", "50.00", [entry(1, 120)])], vat_rate=D("0"),
                         currency="EUR")
    assert same["worklogs"] == [] and same["lines"] == [] and same["subtotal_delta"] == D("0.00")
    # 2 h -> 1 h in the source: one hour less, at the printed 50.00, whatever quantity was printed.
    lower = drift.compare(billed, [hourly("Development", "50.00", [entry(1, 60)])], vat_rate=D("0"), currency="EUR")
    assert lower["subtotal_delta"] == D("-50.00") and lower["direction"] == "over_billed"


def test_lines_added_and_removed_and_manual_lines_left_alone():
    manual = {"id": "M", "position": 2, "category": "Discount", "description": "Goodwill", "quantity": D("1.00"),
              "unit": "fixed", "unit_price": D("-20.00"), "multiplier": D("1"), "amount": D("-20.00"),
              "worklog_ids": [], "trace": []}
    billed = [hourly("Development", "45.00", [entry(1, 60)], "L1"), manual]
    now = [hourly("Bug fixing", "45.00", [entry(1, 60)])]  # the issue became a Bug
    report = drift.compare(billed, now, vat_rate=D("0"), currency="EUR")
    assert [(line["category"], line["kind"], line["money_delta"]) for line in report["lines"]] == [
        ("Development", "removed", D("-45.00")), ("Bug fixing", "added", D("45.00"))]
    [moved] = report["worklogs"]
    assert moved["kind"] == "changed" and moved["lines_before"] != moved["lines_after"]
    assert report["subtotal_delta"] == D("0.00")


def test_fee_lines_report_minutes_not_money():
    fee = {"id": "F", "position": 1, "category": "Support retainer", "description": "Retainer", "quantity": D("1.00"),
           "unit": "month", "unit_price": D("1000.00"), "multiplier": D("1"), "amount": D("1000.00"),
           "worklog_ids": [1], "trace": [entry(1, 60)]}
    report = drift.compare([fee], [{**fee, "trace": [entry(1, 60), entry(2, 30)]}], vat_rate=D("0"), currency="USD")
    assert report["subtotal_delta"] == D("0.00") and report["counts"]["added"] == 1
    assert drift.exceeds(report, drift.DriftThresholds(money=D("1.00"), minutes=30))
    assert not drift.exceeds(report, drift.DriftThresholds(money=D("1.00"), minutes=31))


def test_a_correction_counts_as_billed():
    billed = [hourly("Development", "45.00", [entry(1, 60)], "L1")]
    now = [hourly("Development", "45.00", [entry(1, 60), entry(2, 60)])]
    report = drift.compare(billed, now, vat_rate=D("0"), currency="EUR")
    supplement = drift.correction_lines(report, credit=False)
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in supplement] == [
        (D("1.00"), D("45.00"), D("45.00"))]
    assert supplement[0]["worklog_ids"] == [2]
    assert drift.correction_lines(report, credit=True) == []
    after = drift.compare(billed, now, vat_rate=D("0"), currency="EUR", correction_lines=supplement)
    assert after["worklogs"] == [] and after["subtotal_delta"] == D("0.00")


def test_a_credit_note_for_over_billing_carries_negative_minutes():
    billed = [hourly("Development", "45.00", [entry(1, 60), entry(2, 60)], "L1")]
    report = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 60)])], vat_rate=D("0"),
                           currency="EUR")
    [line] = drift.correction_lines(report, credit=True)
    assert line["quantity"] == D("-1.00") and line["amount"] == D("-45.00") and line["trace"][0]["billed_minutes"] == -60
    after = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 60)])], vat_rate=D("0"),
                          currency="EUR", correction_lines=[line])
    assert after["worklogs"] == [] and after["subtotal_delta"] == D("0.00")


def test_fingerprint_follows_the_changes():
    billed = [hourly("Development", "45.00", [entry(1, 60)], "L1")]
    a = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 90)])], vat_rate=D("0"), currency="EUR")
    b = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 90)])], vat_rate=D("0"), currency="EUR")
    c = drift.compare(billed, [hourly("Development", "45.00", [entry(1, 120)])], vat_rate=D("0"), currency="EUR")
    assert drift.fingerprint(a) == drift.fingerprint(b) != drift.fingerprint(c)


# --- merge --------------------------------------------------------------------------------------

def gen(category, quantity, price="45.00"):
    q, p = D(quantity), D(price)
    return {"category": category, "description": category, "quantity": q, "unit": "hour", "unit_price": p,
            "multiplier": D("1.0000"), "amount": (q * p).quantize(D("0.01")), "raw_minutes": 0,
            "billed_minutes": int(q * 60), "worklog_ids": [], "trace": []}


def three(base_lines, ours_lines, theirs_lines, header=None, ours_header=None, theirs_header=None):
    h = header or {"vat_rate": D("0"), "contract_number": "C-1", "contract_date": date(2026, 1, 1)}
    base = {"header": h, "lines": [{**line, "key": drift.line_key(line)} for line in base_lines]}
    return base, {"header": ours_header or h, "lines": ours_lines}, {"header": theirs_header or h, "lines": theirs_lines}


def test_untouched_line_follows_the_source():
    base, ours, theirs = three([{**gen("Development", "4.00"), "id": "A"}], [{**gen("Development", "4.00"), "id": "A"}],
                               [gen("Development", "5.50")])
    result = merge.merge(base, ours, theirs)
    assert result.conflicts == []
    assert result.updates["A"]["quantity"] == D("5.50") and result.updates["A"]["amount"] == D("247.50")


def test_edited_field_is_kept_while_the_others_follow_the_source():
    base, ours, theirs = three(
        [{**gen("Development", "4.00"), "id": "A"}],
        [{**gen("Development", "4.00"), "id": "A", "description": "Development of the importer"}],
        [gen("Development", "5.00")])
    result = merge.merge(base, ours, theirs)
    assert result.conflicts == []
    assert "description" not in result.updates["A"]
    assert result.updates["A"]["quantity"] == D("5.00")
    assert any(c["why"] == "kept_edit" and c["field"] == "description" for c in result.changes)


def test_conflict_is_returned_then_resolved_either_way():
    base, ours, theirs = three([{**gen("Development", "4.00"), "id": "A"}],
                               [{**gen("Development", "3.00"), "id": "A"}],  # discounted by hand
                               [gen("Development", "6.00")])
    result = merge.merge(base, ours, theirs)
    [conflict] = result.conflicts
    assert conflict.id == "A:quantity" and (conflict.base, conflict.ours, conflict.theirs) == (
        D("4.00"), D("3.00"), D("6.00"))
    assert "quantity" not in result.updates.get("A", {})  # never silently overwritten
    kept = merge.merge(base, ours, theirs, {"A:quantity": "ours"})
    assert kept.conflicts == [] and "quantity" not in kept.updates["A"]
    taken = merge.merge(base, ours, theirs, {"A:quantity": "theirs"})
    assert taken.conflicts == [] and taken.updates["A"]["quantity"] == D("6.00")
    assert taken.updates["A"]["amount"] == D("270.00")
    assert taken.resolved == [{"conflict": "A:quantity", "take": "theirs", "line_id": "A", "field": "quantity",
                               "ours": D("3.00"), "theirs": D("6.00")}]


def test_an_unknown_resolution_is_refused():
    base, ours, theirs = three([{**gen("Development", "4.00"), "id": "A"}], [{**gen("Development", "4.00"), "id": "A"}],
                               [gen("Development", "4.00")])
    with pytest.raises(ValidationFailed):
        merge.merge(base, ours, theirs, {"nope:quantity": "ours"})


def test_deleted_and_added_lines():
    base_lines = [{**gen("Development", "4.00"), "id": "A"}, {**gen("Bug fixing", "1.00"), "id": "B"},
                  {**gen("Consulting", "2.00"), "id": "C"}]
    ours_lines = [{**gen("Development", "4.00"), "id": "A"},  # B deleted by the user, C untouched
                  {**gen("Consulting", "2.00"), "id": "C"},
                  {**gen("Travel", "1.00", "100.00"), "id": "M"}]  # added by hand
    theirs_lines = [gen("Development", "4.00"), gen("Bug fixing", "1.00"),  # B unchanged in the source
                    gen("Incident response", "2.00")]  # C gone from the source, a new line
    result = merge.merge(*three(base_lines, ours_lines, theirs_lines))
    assert result.conflicts == []
    assert result.deletions == ["C"]                       # untouched and gone: removed
    assert [a["category"] for a in result.additions] == ["Incident response"]
    assert "B" not in result.updates and "M" not in result.updates and "M" not in result.deletions


def test_delete_versus_modify_is_a_conflict():
    base_lines = [{**gen("Development", "4.00"), "id": "A"}, {**gen("Bug fixing", "1.00"), "id": "B"}]
    ours_lines = [{**gen("Development", "4.00"), "id": "A", "unit_price": D("40.00"), "amount": D("160.00")}]
    theirs_lines = [gen("Bug fixing", "2.00")]  # A gone from the source, B grew (the user deleted it)
    result = merge.merge(*three(base_lines, ours_lines, theirs_lines))
    assert sorted(c.id for c in result.conflicts) == ["A:line", "B:line"]
    resolved = merge.merge(*three(base_lines, ours_lines, theirs_lines), {"A:line": "theirs", "B:line": "ours"})
    assert resolved.deletions == ["A"] and resolved.additions == []


def test_header_fields_merge_three_ways():
    h = {"vat_rate": D("0"), "contract_number": "C-1", "contract_date": date(2026, 1, 1)}
    line = {**gen("Development", "1.00"), "id": "A"}
    base, ours, theirs = three([line], [line], [gen("Development", "1.00")], header=h,
                               ours_header={**h, "contract_number": "C-1/b"},
                               theirs_header={**h, "vat_rate": D("12.00"), "contract_number": "C-2"})
    result = merge.merge(base, ours, theirs)
    assert result.header == {"vat_rate": D("12.00")}
    assert [c.id for c in result.conflicts] == ["header:contract_number"]


def test_base_rebuilt_from_the_edit_history():
    lines = [{**gen("Development", "3.00"), "id": "A", "description": "Dev work"},
             {**gen("Travel", "1.00", "100.00"), "id": "M"}]
    history = [
        {"line_id": "A", "field": "quantity", "before": "4.00", "after": "3.50"},
        {"line_id": "A", "field": "quantity", "before": "3.50", "after": "3.00"},
        {"line_id": "A", "field": "description", "before": "Development", "after": "Dev work"},
        {"line_id": "M", "field": "line", "before": None, "after": {"category": "Travel"}},
        {"line_id": "B", "field": "line", "before": {**{k: v for k, v in gen("Bug fixing", "1.00").items()
                                                          if k in ("category", "description", "quantity", "unit",
                                                                   "unit_price", "multiplier", "amount")}},
         "after": None},
        {"line_id": None, "field": "vat_rate", "before": "0.00", "after": "12.00"},
        {"line_id": None, "field": "subtotal", "before": "1.00", "after": "2.00"},
    ]
    base = merge.reconstruct_base(lines, {"vat_rate": D("12.00"), "contract_number": "C", "contract_date": None},
                                  history)
    by_id = {line["id"]: line for line in base["lines"]}
    assert set(by_id) == {"A", "B"}
    assert by_id["A"]["quantity"] == "4.00" and by_id["A"]["description"] == "Development"
    assert by_id["A"]["key"] == drift.line_key(gen("Development", "4.00"))
    assert base["header"]["vat_rate"] == "0.00"


# --- margin -------------------------------------------------------------------------------------

def test_blended_cost_rate_and_margin_check():
    rate = drift.blended_cost_rate([{"hours": "10", "cost_rate": "20"}, {"hours": "30", "cost_rate": "40"}], "10")
    assert rate == D("38.50")  # (200 + 1200) / 40 = 35.00, +10 % overhead
    check = drift.margin_check(D("450.00"), 600, rate, D("20"))  # 10 h: cost 385.00, margin 65.00 = 14.44 %
    assert (check.cost, check.margin, check.margin_pct, check.below_floor) == (
        D("385.00"), D("65.00"), D("14.44"), True)
    assert not drift.margin_check(D("450.00"), 600, rate, D("14.00")).below_floor
    assert drift.blended_cost_rate([]) is None
