"""Editing drafts over HTTP: If-Match/ETag, header and line changes, totals, the edit history."""
from __future__ import annotations

import pytest

from tests.e2e.test_auth import assert_error


def _etag(data):
    return f'"{data["version"]}"'


def test_read_carries_etag_and_allowed_actions(api, tokens, draft):
    status, data, headers = api.call("GET", f"/api/invoices/{draft['id']}", token=tokens["viewer"])
    assert status == 200
    assert headers["etag"] == '"1"' and data["version"] == 1
    assert data["allowed_actions"] == ["finalize", "cancel", "edit"]
    assert data["pdf_available"] is False and data["corrections"] == []


def test_patch_header_requires_if_match(api, tokens, draft):
    status, data, _ = api.call("PATCH", f"/api/invoices/{draft['id']}", {"notes": "x"}, token=tokens["accountant"])
    assert_error(status, data, 428)
    status, data, _ = api.call("PATCH", f"/api/invoices/{draft['id']}", {"notes": "x"}, token=tokens["accountant"],
                               headers={"If-Match": "yesterday"})
    assert_error(status, data, 400)


def test_patch_header_records_history_and_bumps_version(api, tokens, draft):
    body = {"notes": "Thank you for your business", "vat_rate": "19.00", "reason": "German VAT applies"}
    status, data, headers = api.call("PATCH", f"/api/invoices/{draft['id']}", body, token=tokens["accountant"],
                                     headers={"If-Match": _etag(draft)})
    assert status == 200, data
    assert data["version"] == 2 and headers["etag"] == '"2"'
    assert data["notes"] == "Thank you for your business"
    # 225.00 × 19 % = 42.75, recomputed by the server.
    assert (data["subtotal"], data["vat_rate"], data["vat_amount"], data["total"]) == (
        "225.00", "19.00", "42.75", "267.75")
    status, history, _ = api.call("GET", f"/api/invoices/{draft['id']}/history", token=tokens["viewer"])
    changed = {item["field"]: item for item in history["items"]}
    assert set(changed) == {"notes", "vat_rate", "vat_amount", "total"}
    assert changed["vat_rate"]["before"] == "0.00" and changed["vat_rate"]["after"] == "19.00"
    assert changed["total"]["before"] == "225.00" and changed["total"]["after"] == "267.75"
    assert {item["reason"] for item in history["items"]} == {"German VAT applies"}
    assert {item["actor_email"] for item in history["items"]} == {"accountant@test.local"}


def test_stale_version_is_412_and_changes_nothing(api, tokens, draft):
    url = f"/api/invoices/{draft['id']}"
    status, first, _ = api.call("PATCH", url, {"notes": "first"}, token=tokens["accountant"],
                                headers={"If-Match": '"1"'})
    assert status == 200
    status, data, _ = api.call("PATCH", url, {"notes": "second"}, token=tokens["accountant"],
                               headers={"If-Match": '"1"'})
    assert_error(status, data, 412)
    assert data["error"]["details"] == {"expected_version": 1, "current_version": 2}
    _, now, _ = api.call("GET", url, token=tokens["viewer"])
    assert now["notes"] == "first" and now["version"] == 2


def test_add_edit_delete_lines_keep_totals_and_positions(api, tokens, draft):
    url = f"/api/invoices/{draft['id']}"
    line = {"description": "Server hosting, October", "category": "Hosting", "quantity": "1", "unit": "fixed",
            "unit_price": "120.50", "position": 1, "reason": "agreed by e-mail"}
    status, data, _ = api.call("POST", f"{url}/lines", line, token=tokens["accountant"], headers={"If-Match": '"1"'})
    assert status == 201, data
    assert [l["position"] for l in data["lines"]] == [1, 2, 3]
    hosting = data["lines"][0]
    assert hosting["description"] == "Server hosting, October" and hosting["amount"] == "120.50"
    assert data["subtotal"] == "345.50" and data["total"] == "345.50" and data["version"] == 2

    # Raising the multiplier alone moves the price from the same base: 45.00 ×1.5 = 67.50; 4 h → 270.00.
    development = next(l for l in data["lines"] if l["category"] == "Development")
    status, data, _ = api.call("PATCH", f"{url}/lines/{development['id']}", {"multiplier": "1.5"},
                               token=tokens["accountant"], headers={"If-Match": '"2"'})
    assert status == 200, data
    development = next(l for l in data["lines"] if l["id"] == development["id"])
    assert (development["unit_price"], development["amount"]) == ("67.50", "270.00")
    assert data["subtotal"] == "435.50"

    status, data, _ = api.call("DELETE", f"{url}/lines/{hosting['id']}", {"reason": "hosting billed separately"},
                               token=tokens["accountant"], headers={"If-Match": '"3"'})
    assert status == 200, data
    assert [l["position"] for l in data["lines"]] == [1, 2]
    assert data["subtotal"] == "315.00" and data["version"] == 4

    _, history, _ = api.call("GET", f"{url}/history", token=tokens["viewer"])
    line_entries = [h for h in history["items"] if h["field"] == "line"]
    assert line_entries[0]["before"] is None and line_entries[0]["after"]["amount"] == "120.50"
    assert line_entries[1]["after"] is None and line_entries[1]["reason"] == "hosting billed separately"
    multiplier = next(h for h in history["items"] if h["field"] == "multiplier")
    assert multiplier["line_id"] == development["id"]
    assert (multiplier["before"], multiplier["after"]) == ("1.0000", "1.5000")


@pytest.mark.parametrize("body, expected", [
    ({"description": "x", "quantity": "1.005", "unit_price": "1"}, 422),   # a third decimal place
    ({"description": "x", "quantity": "-1", "unit_price": "1"}, 422),      # negative on an invoice
    ({"description": "x", "quantity": "1", "unit_price": "1", "unit": "day"}, 422),
    ({"description": "x", "quantity": "1"}, 400),                           # unit_price missing
    ({"description": "x", "quantity": [1], "unit_price": "1"}, 400),
    ({"description": "x", "quantity": "1", "unit_price": "1", "amount": "5"}, 400),  # amount is computed
])
def test_bad_lines_are_refused_and_change_nothing(api, tokens, draft, body, expected):
    url = f"/api/invoices/{draft['id']}"
    status, data, _ = api.call("POST", f"{url}/lines", body, token=tokens["accountant"], headers={"If-Match": '"1"'})
    assert_error(status, data, expected)
    _, now, _ = api.call("GET", url, token=tokens["viewer"])
    assert now["version"] == 1 and len(now["lines"]) == 2


def test_due_date_before_issue_date_is_422(api, tokens, draft):
    status, data, _ = api.call("PATCH", f"/api/invoices/{draft['id']}",
                               {"issue_date": "2026-11-05", "due_date": "2026-11-01"},
                               token=tokens["accountant"], headers={"If-Match": '"1"'})
    assert_error(status, data, 422)


def test_viewer_cannot_edit_and_unknown_ids_are_404(api, tokens, draft):
    url = f"/api/invoices/{draft['id']}"
    status, data, _ = api.call("PATCH", url, {"notes": "x"}, token=tokens["viewer"], headers={"If-Match": '"1"'})
    assert_error(status, data, 403)
    status, data, _ = api.call("PATCH", f"{url}/lines/00000000-0000-0000-0000-000000000000", {"quantity": "1"},
                               token=tokens["accountant"], headers={"If-Match": '"1"'})
    assert_error(status, data, 404)
    status, data, _ = api.call("PATCH", "/api/invoices/not-a-uuid", {"notes": "x"}, token=tokens["accountant"],
                               headers={"If-Match": '"1"'})
    assert_error(status, data, 404)


def test_patch_with_same_values_records_nothing(api, tokens, draft):
    status, data, _ = api.call("PATCH", f"/api/invoices/{draft['id']}", {"notes": draft["notes"]},
                               token=tokens["accountant"], headers={"If-Match": '"1"'})
    assert status == 200 and data["version"] == 1
    _, history, _ = api.call("GET", f"/api/invoices/{draft['id']}/history", token=tokens["viewer"])
    assert history["items"] == []
