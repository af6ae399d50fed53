"""Prefill and draft saving through the API, figures computed by hand from tests/fixtures_cdm.py."""
from __future__ import annotations

import pytest

from tests.e2e.test_auth import assert_error


def test_hr_preview_reads_correctly(api, tokens):
    status, data, _ = api.call("POST", "/api/invoices/prefill", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["viewer"])
    assert status == 200, data
    # October THR worklogs (latest live versions): 900001 alice Task 3600 s, 900002 bob Bug 3600 s billable,
    # 900003 alice Task 7200 s, 900009 bob Task 3600 s (billable cleared -> full time).
    # HR at 45.00 EUR, min billable 15 min, no rules: Development 3+1 h? -> Task: 1 h + 2 h + 1 h = 4 h; Bug: 1 h.
    lines = {line["category"]: line for line in data["lines"]}
    assert set(lines) == {"Bug fixing", "Development"}
    assert lines["Development"]["quantity"] == "4.00" and lines["Development"]["amount"] == "180.00"
    assert lines["Bug fixing"]["quantity"] == "1.00" and lines["Bug fixing"]["unit_price"] == "45.00"
    assert sorted(lines["Development"]["worklog_ids"]) == [900001, 900003, 900009]
    assert data["subtotal"] == "225.00" and data["vat_amount"] == "0.00" and data["total"] == "225.00"
    assert data["currency"] == "EUR" and data["deal_type"] == "HR" and data["period"] == "2026-10"
    assert data["customer"]["name"] == "Nordlicht" and data["status"] is None
    assert "trace" not in lines["Development"]


def test_sup_preview_has_retainer_and_overage(api, tokens):
    status, data, _ = api.call("POST", "/api/invoices/prefill?include_trace=true",
                               {"application_key": "TAPP-SUP", "period": "2026-10"}, token=tokens["viewer"])
    assert status == 200, data
    first = data["lines"][0]
    assert first["unit"] == "month" and first["amount"] == "12000000.00" and first["quantity"] == "1.00"
    # TSUP: 900007 Incident 10 h (36000 s); 900008 billable 0 -> nothing. 10.50 included hours cover all of it.
    assert len(data["lines"]) == 1
    assert data["subtotal"] == "12000000.00"
    assert data["vat_amount"] == "1440000.00" and data["total"] == "13440000.00"
    assert data["lines"][0]["trace"][0]["worklog_id"] == 900007


def test_inactive_application_is_422(api, tokens):
    status, data, _ = api.call("POST", "/api/invoices/prefill", {"application_key": "TAPP-OLD", "period": "2026-10"},
                               token=tokens["viewer"])
    assert_error(status, data, 422)


@pytest.mark.parametrize("body, expected", [
    ({"application_key": "NOPE", "period": "2026-10"}, 404),
    ({"application_key": "TAPP-HR", "period": "2026-13"}, 422),
    ({"application_key": "TAPP-HR", "period": "26-10"}, 400),
    ({"application_key": "TAPP-HR"}, 400),
    ({"application_key": 5, "period": "2026-10"}, 400),
    ({"application_key": "TAPP-HR", "period": "2026-10", "extra": 1}, 400),
])
def test_bad_prefill_requests(api, tokens, body, expected):
    status, data, _ = api.call("POST", "/api/invoices/prefill", body, token=tokens["viewer"])
    assert_error(status, data, expected)


def test_save_draft_then_conflict_naming_the_existing_one(api, tokens, container):
    body = {"application_key": "TAPP-HR", "period": "2026-10"}
    status, data, _ = api.call("POST", "/api/invoices", body, token=tokens["accountant"])
    assert status == 201, data
    assert data["status"] == "draft" and data["number"] is None and data["version"] == 1
    assert data["total"] == "225.00" and len(data["lines"]) == 2 and data["lines"][0]["id"]
    status, again, _ = api.call("POST", "/api/invoices", body, token=tokens["accountant"])
    assert_error(status, again, 409)
    assert again["error"]["details"]["id"] == data["id"]
    status, fetched, _ = api.call("GET", f"/api/invoices/{data['id']}", token=tokens["viewer"])
    assert status == 200 and fetched["total"] == "225.00" and fetched["customer"]["tin"] == "DE811234567"
    events = container.db.run(lambda conn: conn.execute(
        "SELECT event_type, to_status FROM invoicing.invoice_events WHERE invoice_id = %s", (data["id"],)).fetchall())
    assert events == [{"event_type": "created", "to_status": "draft"}]


def test_viewer_cannot_save_drafts(api, tokens, container):
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["viewer"])
    assert_error(status, data, 403)
    count = container.db.run(lambda conn: conn.execute("SELECT count(*) AS n FROM invoicing.invoices").fetchone())
    assert count["n"] == 0


def test_unknown_invoice_is_404(api, tokens):
    for invoice_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        status, data, _ = api.call("GET", f"/api/invoices/{invoice_id}", token=tokens["viewer"])
        assert_error(status, data, 404)


def test_clickhouse_outage_is_503_and_saves_nothing(api, tokens, container):
    from chalicelib.adapters.clickhouse import ClickHouseReader

    container._clickhouse = ClickHouseReader("http://127.0.0.1:9/default")
    status, data, _ = api.call("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["accountant"])
    assert_error(status, data, 503, "unavailable")
    assert "ClickHouse" in data["error"]["message"]
    count = container.db.run(lambda conn: conn.execute("SELECT count(*) AS n FROM invoicing.invoices").fetchone())
    assert count["n"] == 0


def test_clickhouse_timeout_is_503(api, tokens, container):
    from chalicelib.adapters.clickhouse import ClickHouseReader

    class SlowReader(ClickHouseReader):
        def engine_totals(self, *args, **kwargs):
            # A real engine timeout: max_execution_time of 1 s against a query that runs longer.
            self.max_execution_time = 1
            return self.query("SELECT count() FROM numbers(1000000000000) WHERE rand() = 0")

    container._clickhouse = SlowReader(container.settings.clickhouse_url)
    status, data, _ = api.call("POST", "/api/invoices/prefill", {"application_key": "TAPP-HR", "period": "2026-10"},
                               token=tokens["viewer"])
    assert_error(status, data, 503, "unavailable")


def test_a_draft_states_its_payment_terms_in_the_language_its_document_is_printed_in(api, tokens):
    """A resident's document is Russian (documents.md), so the editable terms are too; a foreign one English."""
    terms = {}
    for key in ("TAPP-SUP", "TAPP-HR"):  # Oltin Yo'l (UZ, resident), Nordlicht (DE)
        status, data, _ = api.call("POST", "/api/invoices", {"application_key": key, "period": "2026-10"},
                                   token=tokens["accountant"])
        assert status == 201, data
        terms[key] = data["payment_terms"]
    assert terms["TAPP-SUP"].startswith("Оплата в течение ") and terms["TAPP-SUP"].endswith(" дней с даты счёта-фактуры")
    assert terms["TAPP-HR"].startswith("Payment within ") and terms["TAPP-HR"].endswith(" days of the invoice date")
