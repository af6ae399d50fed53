"""What an export of the invoice registry holds, cell by cell (no I/O).

One column list for CSV and XLSX. Money stays the ``Decimal`` the database holds: an exact decimal
string in CSV, a number with that exact text in XLSX.

CSV injection (OWASP, "CSV Injection"): a text cell a spreadsheet would read as a formula — starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return — is prefixed with a single quote, and the csv writer
quotes any cell holding the delimiter, a quote (doubled) or a line break. Only text from people
(customer names, keys, numbers) is neutralised: the money and date columns are written by this code from
Decimals and dates, so a credit note's ``-100.00`` stays a number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str  # text | money | date | datetime | int
    width: float = 14


COLUMNS: tuple[Column, ...] = (
    Column("Number", "number", "text", 16),
    Column("Kind", "kind", "text", 11),
    Column("Status", "status", "text", 13),
    Column("Period", "period", "text", 9),
    Column("Application", "application_key", "text", 16),
    Column("Customer key", "customer_key", "text", 14),
    Column("Customer", "customer_name", "text", 32),
    Column("Deal type", "deal_type", "text", 9),
    Column("Currency", "currency", "text", 9),
    Column("Issue date", "issue_date", "date", 11),
    Column("Due date", "due_date", "date", 11),
    Column("Subtotal", "subtotal", "money", 15),
    Column("VAT", "vat_amount", "money", 13),
    Column("Total", "total", "money", 15),
    Column("Corrects invoice id", "corrects_id", "text", 38),
    Column("Invoice id", "id", "text", 38),
    Column("Created (UTC)", "created_at", "datetime", 17),
)
HEADERS = tuple(c.header for c in COLUMNS)
TOTALS_HEADERS = ("Currency", "Invoices", "Subtotal", "VAT", "Total")


def neutralise(text: str) -> str:
    """A text cell no spreadsheet will evaluate as a formula (OWASP: prefix with a single quote)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(row: Mapping[str, Any]) -> list[str]:
    """One invoice as CSV cells: exact decimal strings, ISO dates, neutralised text."""
    cells = []
    for column in COLUMNS:
        value = row.get(column.key)
        if value is None:
            cells.append("")
        elif column.kind == "money":
            cells.append(format(Decimal(value), "f"))
        elif column.kind == "datetime":
            cells.append(value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif column.kind == "date":
            cells.append(value.isoformat())
        else:
            cells.append(neutralise(str(value)))
    return cells


def xlsx_row(row: Mapping[str, Any]) -> list[Any]:
    """One invoice as XLSX values: Decimals, dates and text (inline strings are never formulas)."""
    return [row.get(c.key) if c.kind != "text" or row.get(c.key) is None else str(row[c.key]) for c in COLUMNS]


def filename(extension: str, filters: Mapping[str, Any], now: datetime) -> str:
    """``invoices-2026-10_2026-12-20261130-140203.csv`` (``-from-2026-10``, ``-to-2026-12`` for an open range):
    the period range when filtered, then the UTC time of the export."""
    start, end = filters.get("period_from"), filters.get("period_to")
    span = (f"-{start}_{end}" if start and end else f"-from-{start}" if start else f"-to-{end}" if end else "")
    return f"invoices{span}-{now.astimezone(timezone.utc):%Y%m%d-%H%M%S}.{extension}"
