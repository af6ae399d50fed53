"""The registry over HTTP: filters, stable keyset pages, totals per currency for the whole filter."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.adapters import invoice_store
from tests.e2e.test_auth import assert_error


@pytest.fixture
def invoices(container):
    """25 invoices: 15 EUR drafts of customer A, 10 USD of customer B (3 cancelled), created a minute apart,
    two of them at the same instant (the id must break the tie)."""
    base = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    ids = []

    def make(conn, i, currency, customer, name, status, total, created_at):
        header = {"kind": "invoice", "application_key": f"APP-{i:02d}", "customer_key": customer,
                  "customer_name": name, "period": f"2026-{(i % 12) + 1:02d}", "deal_type": "HR",
                  "currency": currency, "status": status, "source": "manual", "issue_date": date(2026, 11, 1),
                  "subtotal": Decimal(total), "vat_rate": Decimal(0), "vat_amount": Decimal(0),
                  "total": Decimal(total)}
        event = {"event_type": "created", "actor_id": None, "actor_email": "test", "to_status": status}
        invoice_id = invoice_store.insert_invoice(conn, header, [], event)
        conn.execute("UPDATE invoicing.invoices SET created_at = %s WHERE id = %s", (created_at, invoice_id))
        return invoice_id

    def work(conn):
        for i in range(25):
            eur = i < 15
            created = base + timedelta(minutes=i if i != 7 else 6)  # 6 and 7 share an instant
            ids.append(make(conn, i, "EUR" if eur else "USD", "CUST-A" if eur else "CUST-B",
                            "Nordlicht GmbH" if eur else "Acme Corp", "draft" if eur or i < 22 else "cancelled",
                            "100.10" if eur else "1000.00", created))

    container.db.run(work)
    return ids


def _all_pages(api, token, query):
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/invoices?{query}" + (f"&cursor={cursor}" if cursor else "")
        status, data, _ = api.call("GET", url, token=token)
        assert status == 200, data
        items += data["items"]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            return items, pages


def test_pages_cover_everything_once_in_a_stable_order(api, tokens, invoices):
    items, pages = _all_pages(api, tokens["viewer"], "limit=4")
    assert pages == 7 and len(items) == 25
    assert len({i["id"] for i in items}) == 25
    keys = [(i["created_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)


def test_totals_are_per_currency_for_the_whole_filter(api, tokens, invoices):
    status, data, _ = api.call("GET", "/api/invoices?limit=2", token=tokens["viewer"])
    assert status == 200 and len(data["items"]) == 2
    totals = {t["currency"]: t for t in data["totals"]}
    # 15 × 100.10 EUR; 7 live USD × 1000.00 (cancelled ones are not money owed unless asked for).
    assert totals["EUR"]["count"] == 15 and totals["EUR"]["total"] == "1501.50"
    assert totals["USD"]["count"] == 7 and totals["USD"]["total"] == "7000.00"
    status, data, _ = api.call("GET", "/api/invoices?status=cancelled", token=tokens["viewer"])
    assert [(t["currency"], t["count"], t["total"]) for t in data["totals"]] == [("USD", 3, "3000.00")]
    # Later pages do not repeat the totals (the first page gave them for the whole filter).
    _, first, _ = api.call("GET", "/api/invoices?limit=2", token=tokens["viewer"])
    _, second, _ = api.call("GET", f"/api/invoices?limit=2&cursor={first['next_cursor']}", token=tokens["viewer"])
    assert first["totals"] and second["totals"] is None and len(second["items"]) == 2


def test_filters(api, tokens, invoices):
    def ids(query):
        status, data, _ = api.call("GET", f"/api/invoices?limit=200&{query}", token=tokens["viewer"])
        assert status == 200, data
        return data["items"]

    assert {i["customer_key"] for i in ids("customer_key=CUST-B")} == {"CUST-B"}
    assert len(ids("customer_key=CUST-B&status=draft")) == 7
    assert len(ids("status=draft,cancelled")) == 25
    assert [i["application_key"] for i in ids("application_key=APP-03")] == ["APP-03"]
    assert {i["customer_name"] for i in ids("q=nordl")} == {"Nordlicht GmbH"}
    assert all("2026-03" <= i["period"] <= "2026-05" for i in ids("period_from=2026-03&period_to=2026-05"))
    assert len(ids("period_from=2026-03&period_to=2026-05")) == 6


@pytest.mark.parametrize("query, expected", [
    ("status=lost", 422), ("period_from=2026-13", 422), ("limit=0", 422), ("limit=abc", 400),
    ("cursor=not-a-cursor", 400), ("period_from=2026-05&period_to=2026-03", 422), ("colour=red", 400),
])
def test_bad_queries(api, tokens, query, expected):
    status, data, _ = api.call("GET", f"/api/invoices?{query}", token=tokens["viewer"])
    assert_error(status, data, expected)
