"""The registry export over HTTP: the same rows and totals as the registry for the same filters, exact
money, CSV injection neutralised, XLSX read back by an independent reader (openpyxl), the size limit."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.adapters import invoice_store
from chalicelib.invoice_schemas import RegistryExportQuery
from tests.e2e.test_auth import assert_error

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+7 Trading", "-minus LLC", "@SUM(A1)", "\tTabbed",
           "Ромашка, ООО \"Кавычки\""]


@pytest.fixture
def invoices(container):
    """18 invoices over three currencies: hostile customer names, a credit note with negative amounts,
    cancelled ones, amounts with cents that floats get wrong, created a minute apart."""
    base = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    rows = [
        # (currency, customer name, status, kind, subtotal, vat, period)
        ("EUR", HOSTILE[0], "draft", "invoice", "100.10", "20.02", "2026-09"),
        ("EUR", HOSTILE[1], "approved", "invoice", "0.10", "0.02", "2026-10"),
        ("EUR", HOSTILE[2], "cancelled", "invoice", "999.99", "0.00", "2026-10"),
        ("EUR", HOSTILE[3], "credit_note_draft", "credit_note", "-100.10", "-20.02", "2026-10"),
        ("USD", HOSTILE[4], "sent", "invoice", "1234567890123.45", "0.00", "2026-10"),
        ("USD", HOSTILE[5], "paid", "invoice", "0.20", "0.01", "2026-11"),
        ("UZS", "Acme Corp", "draft", "invoice", "15000000.00", "1800000.00", "2026-10"),
    ] + [("EUR", f"Nordlicht {i}", "draft", "invoice", f"{i}.33", "0.07", "2026-10") for i in range(11)]

    def work(conn):
        ids = []
        for i, (currency, name, status, kind, subtotal, vat, period) in enumerate(rows):
            status = "draft" if status == "credit_note_draft" else status
            header = {"kind": kind, "application_key": f"APP-{i:02d}", "customer_key": f"CUST-{currency}",
                      "customer_name": name, "period": period, "deal_type": "HR", "currency": currency,
                      "status": status, "source": "manual", "issue_date": date(2026, 11, 1),
                      "subtotal": Decimal(subtotal), "vat_rate": Decimal(0), "vat_amount": Decimal(vat),
                      "total": Decimal(subtotal) + Decimal(vat)}
            if kind == "credit_note":
                header["corrects_id"] = ids[0]
            event = {"event_type": "created", "actor_id": None, "actor_email": "test", "to_status": status}
            invoice_id = invoice_store.insert_invoice(conn, header, [], event)
            ids.append(invoice_id)
            conn.execute("UPDATE invoicing.invoices SET created_at = %s WHERE id = %s",
                         (base + timedelta(minutes=i), invoice_id))

    container.db.run(work)
    return rows


def _registry(api, token, query):
    items, totals, cursor = [], None, None
    while True:
        url = f"/api/invoices?{query}&limit=5" + (f"&cursor={cursor}" if cursor else "")
        status, data, _ = api.call("GET", url, token=token)
        assert status == 200, data
        items += data["items"]
        totals = totals if totals is not None else data["totals"]
        cursor = data["next_cursor"]
        if cursor is None:
            return items, totals


def _csv(api, token, query):
    status, body, headers = api.call("GET", f"/api/invoices/export?format=csv&{query}", token=token)
    assert status == 200, body
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="invoices[-_0-9a-z]*\.csv"', headers["content-disposition"])
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    assert text.startswith("\ufeff")  # BOM: Excel opens the Cyrillic names intact
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _sums(rows, statuses_filtered):
    """Per currency, the registry's rule: cancelled ones count only when the status filter names them."""
    sums = defaultdict(lambda: {"count": 0, "subtotal": Decimal(0), "vat_amount": Decimal(0), "total": Decimal(0)})
    for row in rows:
        if row["Status"] == "cancelled" and not statuses_filtered:
            continue
        s = sums[row["Currency"]]
        s["count"] += 1
        for column, key in (("Subtotal", "subtotal"), ("VAT", "vat_amount"), ("Total", "total")):
            s[key] += Decimal(row[column])
    return [{"currency": c, "count": s["count"], "subtotal": f"{s['subtotal']:.2f}",
             "vat_amount": f"{s['vat_amount']:.2f}", "total": f"{s['total']:.2f}"} for c, s in sorted(sums.items())]


@pytest.mark.parametrize("query", [
    "", "status=draft,cancelled", "period_from=2026-10&period_to=2026-10", "kind=credit_note",
    "q=Nordlicht", "customer_key=CUST-EUR&period_to=2026-10", "q=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0",
])
def test_csv_has_the_registrys_rows_and_totals_for_the_same_filters(api, tokens, invoices, query):
    items, totals = _registry(api, tokens["viewer"], query)
    rows = _csv(api, tokens["viewer"], query)
    assert [r["Invoice id"] for r in rows] == [i["id"] for i in items]  # same rows, same order, every page
    assert _sums(rows, "status=" in query) == totals
    for row, item in zip(rows, items):  # money exactly as the API gives it
        assert (row["Subtotal"], row["VAT"], row["Total"]) == (item["subtotal"], item["vat_amount"], item["total"])


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(api, tokens, invoices):
    names = {r["Customer"] for r in _csv(api, tokens["accountant"], "")}
    for hostile in HOSTILE:
        expected = hostile if hostile[0] not in "=+-@\t\r" else "'" + hostile
        assert expected in names
    assert not any(n[:1] in ("=", "+", "-", "@", "\t") for n in names)
    credit = next(r for r in _csv(api, tokens["accountant"], "kind=credit_note"))
    assert credit["Total"] == "-120.12"  # a number stays a number


def test_xlsx_holds_the_exact_values_and_the_registrys_totals(api, tokens, invoices):
    import openpyxl

    status, body, headers = api.call("GET", "/api/invoices/export?format=xlsx&period_to=2026-10",
                                     token=tokens["approver"], headers={"Accept": XLSX})
    assert status == 200, body
    assert headers["content-type"] == XLSX
    assert re.fullmatch(r'attachment; filename="invoices-to-2026-10-\d{8}-\d{6}\.xlsx"',
                        headers["content-disposition"])
    items, totals = _registry(api, tokens["approver"], "period_to=2026-10")

    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["Invoices", "Totals"]
    sheet = list(book["Invoices"].iter_rows(values_only=True))
    header, rows = sheet[0], sheet[1:]
    assert [r[header.index("Invoice id")] for r in rows] == [i["id"] for i in items]
    assert rows[0][header.index("Issue date")] == datetime(2026, 11, 1)  # a real date cell
    assert book["Invoices"].cell(2, header.index("Total") + 1).number_format == "#,##0.00"
    names = [r[header.index("Customer")] for r in rows]
    assert HOSTILE[0] in names  # an inline string: shown as text, never evaluated
    summary = [dict(zip(("currency", "count", "subtotal", "vat_amount", "total"), r))
               for r in list(book["Totals"].iter_rows(values_only=True))[1:]]
    assert [(s["currency"], s["count"]) for s in summary] == [(t["currency"], t["count"]) for t in totals]

    # openpyxl reads numbers as floats; the file itself holds the exact decimal text
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
        totals_xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert "<v>1234567890123.45</v>" in xml and "<v>-120.12</v>" in xml and "<v>0.10</v>" in xml
    for t in totals:
        for key in ("subtotal", "vat_amount", "total"):
            assert f"<v>{t[key]}</v>" in totals_xml


def test_the_export_follows_the_registrys_rules(api, tokens, invoices):
    status, data, _ = api.call("GET", "/api/invoices/export")
    assert_error(status, data, 401)
    status, data, _ = api.call("GET", "/api/invoices/export?format=pdf", token=tokens["viewer"])
    assert status == 422 and data["error"]["details"][0]["field"] == "format"
    status, data, _ = api.call("GET", "/api/invoices/export?period_from=2026-11&period_to=2026-10",
                               token=tokens["viewer"])
    assert_error(status, data, 422)
    status, data, _ = api.call("GET", "/api/invoices/export?limit=5", token=tokens["viewer"])
    assert status == 400 and data["error"]["details"][0]["field"] == "limit"  # no paging: the whole list


class FakeDownloads:
    """Stands in for R2 (covered against moto in tests/integration): records what it was handed."""

    configured = True

    def __init__(self):
        self.published = []

    def publish(self, key, fileobj, *, content_type, filename, expires_in):
        self.published.append((key, fileobj.read(), content_type, filename, expires_in))
        return f"https://r2.example/exports/{key}?X-Amz-Signature=abc"


def test_a_file_over_the_response_limit_becomes_a_link_or_a_clear_refusal(container, invoices, monkeypatch):
    from chalicelib.domain.access import Principal
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services import exports

    small = container.settings.__class__(**{**container.settings.__dict__, "export_inline_max_bytes": 600})
    monkeypatch.setattr(container, "settings", small)
    viewer = Principal("", "v@x", "viewer")
    now = datetime(2026, 11, 30, 14, 2, 3, tzinfo=timezone.utc)

    downloads = FakeDownloads()
    export = exports.export_registry(viewer, RegistryExportQuery(format="csv"), now=now, downloads=downloads)
    assert export.body is None and export.rows == len(invoices)
    (key, data, media, filename, ttl), = downloads.published
    assert export.download == {"download_url": f"https://r2.example/exports/{key}?X-Amz-Signature=abc",
                               "expires_at": now + timedelta(seconds=ttl), "filename": filename,
                               "media_type": media, "bytes": len(data), "rows": len(invoices)}
    assert len(data) > 600 and data.decode("utf-8-sig").count("\r\n") == len(invoices) + 1
    assert filename == "invoices-20261130-140203.csv"

    class NoStorage:
        configured = False

    with pytest.raises(ValidationFailed) as refused:
        exports.export_registry(viewer, RegistryExportQuery(format="xlsx"), now=now, downloads=NoStorage())
    assert refused.value.details[0]["field"] == "period_from"
    # the same export under the limit is the response itself
    assert exports.export_registry(viewer, RegistryExportQuery(format="csv", q="Acme"), now=now,
                                   downloads=NoStorage()).body.count("\r\n") == 2


def test_the_limit_is_measured_as_the_lambda_response_carries_the_body(container, invoices, monkeypatch):
    import json

    from chalicelib.domain.access import Principal
    from chalicelib.services import exports

    assert exports.carried_size(b"\x00" * 3000) == 4000  # base64
    assert exports.carried_size("Ромашка\r\n") == len('"' + "\\u0420" * 7 + '\\r\\n"')
    viewer = Principal("", "v@x", "viewer")
    query = RegistryExportQuery(format="csv", q="Ромашка")
    text = exports.export_registry(viewer, query, downloads=FakeDownloads()).body
    raw, carried = len(text.encode("utf-8")), len(json.dumps(text))
    assert carried > raw  # Cyrillic, quotes, CRLF and the BOM all grow as JSON text

    def with_limit(limit):
        settings = container.settings.__class__(**{**container.settings.__dict__, "export_inline_max_bytes": limit})
        monkeypatch.setattr(container, "settings", settings)
        return exports.export_registry(viewer, query, downloads=FakeDownloads())

    assert with_limit(raw).download is not None  # the file fits, its JSON form would not
    assert with_limit(carried).body == text
