"""Source drift after finalize, its resolutions, regenerating a draft keeping edits, and the margin guardrail,
over HTTP on the real PostgreSQL and ClickHouse engine. The source changes between finalize and the check
the way the sync changes it (tests/fixtures_cdm.py): a newer version row of a worklog, a deletion row,
a worklog logged late; each change is its own insert batch, as n8n's syncs are.

Each test has its own application and Jira project in June 2025 (no other test bills that month); the
module puts the shared dataset back afterwards.
"""
from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests import fixtures_cdm as cdm
from tests.e2e.test_auth import assert_error

PERIOD = "2025-06"
T2 = datetime(2026, 11, 25, 8, 0)  # the sync after the invoice was finalized
T3 = datetime(2026, 11, 26, 8, 0)


@pytest.fixture(scope="module", autouse=True)
def restore_dataset(clickhouse_admin):
    yield
    from infra.local.clickhouse_admin import truncate_tables

    truncate_tables(clickhouse_admin)
    cdm.load(clickhouse_admin)


@pytest.fixture(autouse=True)
def printable(document_settings):
    """Finalizing needs the settings every printed document carries (accounts, codes)."""
    return document_settings


def add_application(admin, key, project, rate="40.00", issues=(("1", "Task"),)):
    admin.insert("cdm.jira_applications", [[
        key, "TCUST-DE", f"Drift test {key}", "HR", "active", "EUR", D(rate), None, None, None, None, None,
        D("0.00"), [project], f"C-{key}", date(2025, 4, 1), date(2025, 5, 1), date(2025, 7, 31), cdm.T0]],
        column_names=cdm.APPLICATION_COLUMNS)
    admin.insert("jira.jira_issues", [[f"{project}-{n}", project, issue_type, "Medium", f"Work {n}", "Done", None,
                                        [], cdm.T0] for n, issue_type in issues], column_names=cdm.ISSUE_COLUMNS)


def worklog(admin, wid, project, day, minutes, *, issue="1", deleted=0, updated=cdm.T0):
    """One sync batch: a worklog row (a first version, a newer version, or a deletion marker)."""
    row = cdm._wl(wid, f"{project}-{issue}", project, "alice", datetime(2025, 6, day, 9, 0), minutes * 60, None,
                  deleted, updated)
    admin.insert("tempo.worklogs_flat", [row], column_names=cdm.WORKLOG_COLUMNS)


def act(api, token, invoice_id, action, body=None, **kwargs):
    return api.call("POST", f"/api/invoices/{invoice_id}/{action}", body, token=token, **kwargs)


def billed_invoice(api, tokens, key, *, approve=True):
    status, draft, _ = api.call("POST", "/api/invoices", {"application_key": key, "period": PERIOD},
                                token=tokens["accountant"])
    assert status == 201, draft
    status, data, _ = act(api, tokens["accountant"], draft["id"], "finalize")
    assert status == 200 and data["pdf_available"], data
    if approve:
        status, data, _ = act(api, tokens["approver"], draft["id"], "approve")
        assert status == 200, data
    return data


def drift_of(api, tokens, invoice_id):
    status, report, _ = api.call("GET", f"/api/invoices/{invoice_id}/drift", token=tokens["viewer"])
    assert status == 200, report
    return report


def save_sample(name, data):
    """With DRIFT_SAMPLES_DIR set, keep the JSON the test saw (for a reader; never part of the check)."""
    if os.environ.get("DRIFT_SAMPLES_DIR"):
        folder = Path(os.environ["DRIFT_SAMPLES_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def test_new_versions_deletions_and_late_worklogs_are_drift_and_a_supplement_settles_it(
        api, tokens, container, clickhouse_admin):
    from chalicelib.services import drift

    add_application(clickhouse_admin, "TDR-A", "TDRA")
    for wid, day, minutes in ((7100001, 2, 60), (7100002, 3, 30), (7100003, 4, 45)):
        worklog(clickhouse_admin, wid, "TDRA", day, minutes)
    invoice = billed_invoice(api, tokens, "TDR-A")
    assert invoice["total"] == "90.00"  # 135 min = 2.25 h at 40.00

    report = drift_of(api, tokens, invoice["id"])
    assert (report["drifted"], report["lines"], report["worklogs"]) == (False, [], [])

    worklog(clickhouse_admin, 7100002, "TDRA", 3, 90, updated=T2)             # a new version: 30 -> 90 min
    worklog(clickhouse_admin, 7100003, "TDRA", 4, 45, deleted=1, updated=T2)  # deleted in the source
    worklog(clickhouse_admin, 7100004, "TDRA", 5, 15, updated=T2)             # logged late

    report = drift_of(api, tokens, invoice["id"])
    assert {(w["worklog_id"], w["kind"], w["billed_minutes_before"], w["billed_minutes_after"])
            for w in report["worklogs"]} == {(7100002, "changed", 30, 90), (7100003, "removed", 45, 0),
                                             (7100004, "added", 0, 15)}
    [line] = report["lines"]
    assert (line["category"], line["billed_minutes_before"], line["billed_minutes_after"]) == ("Development", 135, 165)
    assert (line["money_delta"], report["subtotal_delta"], report["total_delta"]) == ("20.00", "20.00", "20.00")
    assert report["direction"] == "under_billed" and report["above_threshold"] is True
    assert report["allowed_resolutions"] == ["acknowledge", "supplement"]
    save_sample("drift-report.json", report)

    # The daily check records it once, with an event and a Telegram alert; the same drift is not re-alerted.
    outcome = drift.check_recent(today=date(2025, 8, 1))
    assert outcome["outcomes"].get("open") == 1 and outcome["failed"] == []
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"].get("unchanged") == 1
    alerts = container.db.run(lambda conn: conn.execute(
        "SELECT payload FROM invoicing.integration_jobs WHERE invoice_id = %s AND job_type = 'alert'",
        (invoice["id"],)).fetchall())
    assert len(alerts) == 1 and "PRX-2026-0001" in alerts[0]["payload"]["text"]
    status, listed, _ = api.call("GET", "/api/drift", token=tokens["viewer"])
    assert status == 200 and [(d["number"], d["status"], d["subtotal_delta"]) for d in listed["items"]] == [
        ("PRX-2026-0001", "open", "20.00")]

    # Nothing was over-billed: no credit note to propose.
    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/credit-note", {"reason": "x"})
    assert_error(status, data, 409)
    assert data["error"]["details"]["reason"] == "nothing_to_correct"

    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/supplement",
                          {"reason": "Time logged after the invoice was sent"})
    assert status == 201, data
    supplement = data["correction"]
    assert (supplement["kind"], supplement["source"], supplement["supplements_id"], supplement["status"]) == (
        "invoice", "supplementary", invoice["id"], "draft")
    [sline] = supplement["lines"]
    assert (sline["quantity"], sline["unit_price"], sline["amount"], sorted(sline["worklog_ids"])) == (
        "0.50", "40.00", "20.00", [7100002, 7100003, 7100004])
    assert "PRX-2026-0001" in supplement["notes"]
    assert data["drift"]["drifted"] is False, json.dumps(data["drift"], indent=1)  # the proposal counts as billed
    assert data["drift"]["record"]["status"] == "supplement_proposed"

    # Its own number, beside the original in the same month, which stays the month's one invoice.
    status, finalized, _ = act(api, tokens["accountant"], supplement["id"], "finalize")
    assert status == 200 and finalized["number"] == "PRX-2026-0002", finalized
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TDR-A", "period": PERIOD},
                               token=tokens["accountant"])
    assert_error(status, data, 409)
    assert data["error"]["details"]["id"] == invoice["id"]
    status, events, _ = api.call("GET", f"/api/invoices/{invoice['id']}/events", token=tokens["viewer"])
    assert [e["event_type"] for e in events["items"]][-2:] == ["drift_detected", "drift_supplement_proposed"]

    # A cancelled supplement no longer counts: the drift is back and the check reopens it.
    status, data, _ = act(api, tokens["accountant"], supplement["id"], "cancel", {"reason": "Disputed entries"})
    assert status == 200, data
    assert drift_of(api, tokens, invoice["id"])["subtotal_delta"] == "20.00"
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"] == {"open": 1}


def test_over_billing_proposes_a_credit_note(api, tokens, container, clickhouse_admin):
    add_application(clickhouse_admin, "TDR-B", "TDRB")
    worklog(clickhouse_admin, 7100101, "TDRB", 2, 60)
    worklog(clickhouse_admin, 7100102, "TDRB", 3, 60)
    invoice = billed_invoice(api, tokens, "TDR-B")
    worklog(clickhouse_admin, 7100102, "TDRB", 3, 60, deleted=1, updated=T2)

    report = drift_of(api, tokens, invoice["id"])
    assert report["subtotal_delta"] == "-40.00" and report["direction"] == "over_billed"
    assert report["allowed_resolutions"] == ["acknowledge", "credit-note"]
    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/supplement", {"reason": "x"})
    assert_error(status, data, 409)

    status, data, _ = act(api, tokens["viewer"], invoice["id"], "drift/credit-note", {"reason": "x"})
    assert_error(status, data, 403)
    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/credit-note", {"reason": "Entry deleted"})
    assert status == 201, data
    note = data["correction"]
    assert (note["kind"], note["corrects_id"], note["total"]) == ("credit_note", invoice["id"], "-40.00")
    assert [(l["quantity"], l["unit_price"], l["worklog_ids"]) for l in note["lines"]] == [("-1.00", "40.00", [7100102])]
    status, finalized, _ = act(api, tokens["accountant"], note["id"], "finalize")
    assert status == 200 and finalized["number"].startswith("CN-"), finalized


def test_thresholds_and_acknowledgement(api, tokens, container, clickhouse_admin):
    from chalicelib.services import drift

    add_application(clickhouse_admin, "TDR-C", "TDRC")
    worklog(clickhouse_admin, 7100201, "TDRC", 2, 60)
    invoice = billed_invoice(api, tokens, "TDR-C", approve=False)  # in review is finalized too
    worklog(clickhouse_admin, 7100201, "TDRC", 2, 66, updated=T2)  # +6 min = 4.00 EUR
    for key, value in (("drift_money_threshold", "5.00"), ("drift_minutes_threshold", 10)):
        status, data, _ = api.call("PUT", f"/api/settings/{key}", {"value": value}, token=tokens["admin"])
        assert status == 200, data
    status, data, _ = api.call("PUT", "/api/settings/drift_minutes_threshold", {"value": "ten"}, token=tokens["admin"])
    assert_error(status, data, 400)

    report = drift_of(api, tokens, invoice["id"])
    assert report["drifted"] and not report["above_threshold"]
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"] == {"none": 1}
    api.call("PUT", "/api/settings/drift_minutes_threshold", {"value": 6}, token=tokens["admin"])
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"] == {"open": 1}
    # Older than the months the check looks back: not checked.
    assert drift.check_recent(today=date(2025, 12, 1))["checked"] == 0

    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/acknowledge", {})
    assert_error(status, data, 400)
    status, data, _ = act(api, tokens["accountant"], invoice["id"], "drift/acknowledge",
                          {"reason": "Rounding of a late edit; not worth a correction"})
    assert status == 200, data
    record = data["drift"]["record"]
    assert (record["status"], record["resolution_reason"], record["resolved_by_email"]) == (
        "acknowledged", "Rounding of a late edit; not worth a correction", "accountant@test.local")
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"] == {"known": 1}  # not re-opened
    worklog(clickhouse_admin, 7100201, "TDRC", 2, 90, updated=T3)  # the source moves again
    assert drift.check_recent(today=date(2025, 8, 1))["outcomes"] == {"open": 1}


def test_a_draft_has_no_drift(api, tokens, clickhouse_admin):
    add_application(clickhouse_admin, "TDR-F", "TDRF")
    worklog(clickhouse_admin, 7100501, "TDRF", 2, 60)
    status, draft, _ = api.call("POST", "/api/invoices", {"application_key": "TDR-F", "period": PERIOD},
                                token=tokens["accountant"])
    status, data, _ = api.call("GET", f"/api/invoices/{draft['id']}/drift", token=tokens["viewer"])
    assert_error(status, data, 409)
    status, data, _ = api.call("GET", "/api/invoices/not-a-uuid/drift", token=tokens["viewer"])
    assert_error(status, data, 404)


def test_a_manual_invoice_has_no_source_to_drift_from(api, tokens, container):
    from tests.drafts import make_draft

    invoice_id = make_draft(container.db, "TAPP-HR")
    status, data, _ = act(api, tokens["accountant"], invoice_id, "finalize")
    assert status == 200, data
    status, data, _ = api.call("GET", f"/api/invoices/{invoice_id}/drift", token=tokens["viewer"])
    assert_error(status, data, 409)
    assert data["error"]["details"]["source"] == "manual"


def _line(invoice, category):
    return next(line for line in invoice["lines"] if line["category"] == category)


def test_regenerate_keeps_edits_updates_the_rest_and_returns_conflicts(api, tokens, clickhouse_admin):
    add_application(clickhouse_admin, "TDR-D", "TDRD", issues=(("1", "Task"), ("2", "Bug"), ("3", "Incident")))
    worklog(clickhouse_admin, 7100301, "TDRD", 2, 120, issue="1")  # Development 2 h
    worklog(clickhouse_admin, 7100302, "TDRD", 3, 60, issue="2")   # Bug fixing 1 h
    status, draft, headers = api.call("POST", "/api/invoices", {"application_key": "TDR-D", "period": PERIOD},
                                      token=tokens["accountant"])
    assert status == 201
    token = tokens["accountant"]
    dev, bug = _line(draft, "Development"), _line(draft, "Bug fixing")

    def edit(path, body, method="PATCH"):
        current = api.call("GET", f"/api/invoices/{draft['id']}", token=token)[2]["etag"]
        status, data, _ = api.call(method, path, body, token=token, headers={"If-Match": current})
        assert status in (200, 201), data
        return data

    edit(f"/api/invoices/{draft['id']}/lines/{dev['id']}", {"description": "Importer development"})
    edit(f"/api/invoices/{draft['id']}/lines/{bug['id']}", {"quantity": "0.50", "reason": "goodwill"})
    edit(f"/api/invoices/{draft['id']}/lines", {"category": "Travel", "description": "Trip to Berlin",
                                                "quantity": "1", "unit": "fixed", "unit_price": "300.00"}, "POST")

    worklog(clickhouse_admin, 7100303, "TDRD", 6, 60, issue="1", updated=T2)  # late: Development 3 h
    worklog(clickhouse_admin, 7100302, "TDRD", 3, 120, issue="2", updated=T2)  # new version: Bug fixing 2 h
    worklog(clickhouse_admin, 7100304, "TDRD", 7, 30, issue="3", updated=T2)  # a new line: Incident response

    status, data, _ = act(api, token, draft["id"], "regenerate")
    assert_error(status, data, 428)
    etag = api.call("GET", f"/api/invoices/{draft['id']}", token=token)[2]["etag"]
    status, data, _ = act(api, token, draft["id"], "regenerate", headers={"If-Match": etag})
    assert_error(status, data, 409)
    details = data["error"]["details"]
    assert details["reason"] == "merge_conflict"
    [conflict] = details["conflicts"]
    assert (conflict["id"], conflict["field"], conflict["base"], conflict["ours"], conflict["theirs"]) == (
        f"{bug['id']}:quantity", "quantity", "1.00", "0.50", "2.00")
    save_sample("merge-conflict.json", data)
    unchanged = api.call("GET", f"/api/invoices/{draft['id']}", token=token)[1]
    assert _line(unchanged, "Development")["quantity"] == "2.00"  # nothing written

    status, data, _ = act(api, token, draft["id"], "regenerate",
                          {"resolutions": [{"conflict": conflict["id"], "take": "ours"}]}, headers={"If-Match": etag})
    assert status == 200, data
    save_sample("merge-resolved.json", data)
    merged = data["invoice"]
    assert (_line(merged, "Development")["quantity"], _line(merged, "Development")["description"]) == (
        "3.00", "Importer development")                                   # updated, edit kept
    assert _line(merged, "Bug fixing")["quantity"] == "0.50"               # conflict resolved: kept
    assert _line(merged, "Incident response")["quantity"] == "0.50"        # added from the source
    assert _line(merged, "Travel")["amount"] == "300.00"                   # the hand-added line stays
    assert merged["total"] == str(D("120.00") + D("20.00") + D("20.00") + D("300.00"))
    assert sorted(_line(merged, "Development")["worklog_ids"]) == [7100301, 7100303]
    assert data["merge"]["resolved_conflicts"] == 1 and data["merge"]["added_lines"] == 1

    status, history, _ = api.call("GET", f"/api/invoices/{draft['id']}/history", token=token)
    fields = [(h["field"], h["reason"]) for h in history["items"]]
    assert ("regenerate", "regenerated from the current source") in fields
    assert ("conflict:quantity", "conflict resolved: kept the edit") in fields

    # Regenerating again with nothing new in the source changes nothing and raises no conflict.
    etag = api.call("GET", f"/api/invoices/{draft['id']}", token=token)[2]["etag"]
    status, again, _ = act(api, token, draft["id"], "regenerate", headers={"If-Match": etag})
    assert status == 200, again
    assert again["merge"]["conflicts"] == [] and again["merge"]["updated_lines"] == 0
    assert again["invoice"]["total"] == merged["total"]


def test_margin_guardrail_on_approval(api, tokens, container, clickhouse_admin):
    add_application(clickhouse_admin, "TDR-E", "TDRE")
    worklog(clickhouse_admin, 7100401, "TDRE", 2, 600)  # 10 h at 40.00 = 400.00
    invoice = billed_invoice(api, tokens, "TDR-E", approve=False)
    status, margin, _ = api.call("GET", f"/api/invoices/{invoice['id']}/margin", token=tokens["viewer"])
    assert status == 200 and margin["known"] is False  # no cost rate yet: nothing to guard

    # The cost from the application's quote: 10 h at 30.00 + 10 % overhead = 33.00 an hour.
    status, data, _ = api.call("POST", "/api/calculator/snapshots", {
        "application_key": "TDR-E", "currency": "EUR", "overhead_pct": "10",
        "lines": [{"role": "Developer", "hours": "10", "cost_rate": "30", "bill_rate": "40"}]},
        token=tokens["accountant"])
    assert status == 201, data
    margin = api.call("GET", f"/api/invoices/{invoice['id']}/margin", token=tokens["viewer"])[1]
    assert (margin["cost_rate"], margin["cost"], margin["margin_pct"], margin["below_floor"]) == (
        "33.00", "330.00", "17.50", True)
    # A per-application cost rate wins over the quote.
    api.call("PUT", "/api/settings/application_cost_rates", {"value": {"TDR-E": "20.00"}}, token=tokens["admin"])
    margin = api.call("GET", f"/api/invoices/{invoice['id']}/margin", token=tokens["viewer"])[1]
    assert (margin["margin_pct"], margin["below_floor"]) == ("50.00", False)
    api.call("PUT", "/api/settings/application_cost_rates", {"value": {"TDR-E": "35.00"}}, token=tokens["admin"])

    status, data, _ = api.call("PUT", "/api/settings/margin_require_reason", {"value": True}, token=tokens["admin"])
    assert status == 200, data
    status, data, _ = act(api, tokens["approver"], invoice["id"], "approve")
    assert_error(status, data, 422)
    assert data["error"]["details"][0]["field"] == "reason"
    assert api.call("GET", f"/api/invoices/{invoice['id']}", token=tokens["viewer"])[1]["status"] == "needs_review"
    status, data, _ = act(api, tokens["approver"], invoice["id"], "approve",
                          {"reason": "Strategic client, agreed with the CFO"})
    assert status == 200 and data["status"] == "approved", data
    events = api.call("GET", f"/api/invoices/{invoice['id']}/events", token=tokens["viewer"])[1]["items"]
    [warning] = [e for e in events if e["event_type"] == "margin_below_floor"]
    assert (warning["payload"]["margin_pct"], warning["payload"]["floor_pct"], warning["payload"]["reason"]) == (
        "12.50", "20.00", "Strategic client, agreed with the CFO")


def test_margin_warns_without_blocking_by_default(api, tokens, clickhouse_admin):
    add_application(clickhouse_admin, "TDR-G", "TDRG")
    worklog(clickhouse_admin, 7100601, "TDRG", 2, 60)
    invoice = billed_invoice(api, tokens, "TDR-G", approve=False)
    api.call("PUT", "/api/settings/application_cost_rates", {"value": {"TDR-G": "39.00"}}, token=tokens["admin"])
    status, data, _ = act(api, tokens["approver"], invoice["id"], "approve")
    assert status == 200, data
    events = api.call("GET", f"/api/invoices/{invoice['id']}/events", token=tokens["viewer"])[1]["items"]
    assert [e["payload"]["margin_pct"] for e in events if e["event_type"] == "margin_below_floor"] == ["2.50"]
