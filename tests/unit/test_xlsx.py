"""The streaming XLSX writer, read back by openpyxl (an independent reader) and as raw XML."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from chalicelib import xlsx


def test_column_names():
    assert [xlsx.column_name(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_a_workbook_round_trips_through_openpyxl():
    import openpyxl

    out = io.BytesIO()
    with xlsx.Workbook(out) as book:
        sheet = book.sheet("Invoices", widths=[20, 12, 12])
        sheet.write_row(["Customer", "Total", "Issued", "Created"], [xlsx.HEADER] * 4)
        for i in range(3000):  # several buffered writes
            sheet.write_row([f"Name {i} <&> \"q\"\x07", Decimal("1234567890123.45") - i, date(2026, 11, 1),
                             datetime(2026, 11, 30, 13, 45, tzinfo=timezone.utc)],
                            [None, xlsx.MONEY, xlsx.DATE, xlsx.DATETIME])
        book.sheet("Totals").write_row(["EUR", 3, Decimal("-0.10")])
    book_ = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    rows = list(book_["Invoices"].iter_rows(values_only=True))
    assert len(rows) == 3001 and rows[0] == ("Customer", "Total", "Issued", "Created")
    assert rows[1][0] == 'Name 0 <&> "q"'  # markup escaped, a control character (not XML) dropped
    assert rows[1][2] == datetime(2026, 11, 1) and rows[1][3] == datetime(2026, 11, 30, 13, 45)
    assert book_["Invoices"]["B2"].number_format == "#,##0.00"
    assert book_["Invoices"].freeze_panes == "A2" and book_["Invoices"].auto_filter.ref == "A1:D3001"
    assert list(book_["Totals"].iter_rows(values_only=True)) == [("EUR", 3, -0.1)]
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="B2" s="1"><v>1234567890123.45</v></c>' in xml  # the exact decimal, not a float's digits
    assert '<c r="B3001" s="1"><v>1234567887124.45</v></c>' in xml


def test_a_formula_looking_text_stays_text():
    out = io.BytesIO()
    with xlsx.Workbook(out) as book:
        book.sheet("S").write_row(["=1+1", "@SUM(A1)"])
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and 't="inlineStr"' in xml


def test_not_a_number_is_refused():
    with pytest.raises(ValueError):
        with xlsx.Workbook(io.BytesIO()) as book:
            book.sheet("S").write_row([Decimal("NaN")])
