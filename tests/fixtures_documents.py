"""Invoice views for document tests, the renderer benchmark and the sample PNGs.

``sample_invoice(lines=10, employees=9, issues=7)`` is shaped like ``GET /api/invoices/{id}`` (plus each
line's ``trace``, which the finalize service reads with the lines); with the defaults it prints on three
A4 pages: the invoice and two pages of timesheet. Names mix Latin, Cyrillic and Uzbek Latin (o‘, g‘) so
the embedded font is exercised.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from itertools import cycle

from chalicelib.domain.billing import hours_from_minutes
from chalicelib.domain.money import percent_of, round_money
from infra.local.seed import COMPANY

# The demo seller, with its address spelled with the Uzbek letter o‘ so the embedded font is exercised.
SELLER = {**COMPANY, "address": "100084, Toshkent sh., Yunusobod tumani, Amir Temur shoh ko‘chasi, 108, 7-qavat"}

CUSTOMER = {
    "customer_key": "NORD", "name": "Nordlicht Logistics GmbH",
    "legal_name": "Nordlicht Logistics Gesellschaft mit beschränkter Haftung — Niederlassung Ташкент",
    "tin": "DE 298 765 432", "country": "DE",
    "address": "Speicherstadt, Am Sandtorkai 38, 20457 Hamburg, Germany",
    "bank_name": "Hamburger Sparkasse AG", "bank_account": "DE89 2005 0550 1234 5678 90",
    "bank_code": "20050550", "swift": "HASPDEHHXXX", "signer_name": "Katrin Vogel",
    "signer_position": "Chief Financial Officer", "email": "ap@nordlicht.example", "is_resident": False,
}

EMPLOYEES = ["Aziza Karimova", "Bekzod G‘ulomov", "Dilshod O‘tkirov", "Елена Смирнова", "Farrux Tursunov",
             "Jasur Rahimov", "Lola Yusupova", "Madina Qodirova", "Otabek Ergashev", "Sardor Nazarov",
             "Timur Xolmatov", "Zarina Aliyeva"]

CATEGORIES = [("Development", D("60.00")), ("Bug fixing", D("60.00")), ("Incident response", D("90.00")),
              ("Consulting", D("75.00")), ("Support requests", D("45.00"))]


def _trace(line_no: int, employees: int, issues: int) -> list[dict]:
    entries = []
    minutes = cycle([45, 90, 30, 120, 75, 60, 15, 240])
    for e in range(employees):
        for i in range(issues):
            # An issue has one type, so its worklogs land on one invoice line (one category).
            if (e + i + line_no) % 5 == 0 or i % 3 != (line_no - 1) % 3:
                continue
            billed = next(minutes)
            worklog_id = line_no * 10_000 + e * 100 + i
            entries.append({
                "worklog_id": worklog_id, "issue_key": f"NORD-{100 + i * 7}",
                "author_name": EMPLOYEES[e % len(EMPLOYEES)], "work_date": date(2026, 10, 1 + (e + i) % 28),
                "raw_minutes": D(billed) - D("3.25"), "billed_minutes": billed,
                "worklog_billed_minutes": billed, "split": False, "rate_rule_id": None,
            })
    return entries


def sample_invoice(lines: int = 10, employees: int = 9, issues: int = 7, *, number: str | None = "PRX-2026-0007",
                   status: str = "needs_review", kind: str = "invoice", vat_rate: D = D("12.00"),
                   currency: str = "USD") -> dict:
    """An invoice view with ``lines`` hourly lines whose traces spread over ``employees`` × ``issues``."""
    built = []
    for n in range(1, lines + 1):
        category, rate = CATEGORIES[(n - 1) % len(CATEGORIES)]
        multiplier = D("1.5") if n % 4 == 0 else D("1")
        trace = _trace(n, employees, issues) if n <= 3 else []
        billed = sum(t["billed_minutes"] for t in trace) or 60 * n + 15
        quantity = hours_from_minutes(billed)
        unit_price = round_money(rate * multiplier)
        description = category + (f" — {multiplier.normalize()}× rate (weekend and night work)" if multiplier != 1 else "")
        built.append({
            "id": None, "position": n, "category": category, "description": description,
            "quantity": quantity, "unit": "hour", "unit_price": unit_price, "multiplier": multiplier,
            "amount": round_money(quantity * unit_price), "raw_minutes": billed, "billed_minutes": billed,
            "worklog_ids": [t["worklog_id"] for t in trace], "trace": trace,
        })
    sign = D(-1) if kind == "credit_note" else D(1)
    for line in built:
        line["quantity"] *= sign
        line["amount"] *= sign
    subtotal = sum((line["amount"] for line in built), D("0.00"))
    vat = percent_of(subtotal, vat_rate)
    return {
        "id": "6f1c2a7e-0000-4000-8000-000000000007", "kind": kind, "number": number,
        "corrects_number": "PRX-2026-0007" if kind == "credit_note" else None, "status": status,
        "application_key": "NORD-HR", "customer_key": "NORD", "period": "2026-10", "deal_type": "HR",
        "currency": currency, "issue_date": date(2026, 10, 31), "due_date": date(2026, 11, 14),
        "payment_terms": "Payment within 14 days of the invoice date", "notes": None,
        "contract": {"number": "NL-2025/014", "date": date(2025, 3, 17)},
        "subtotal": subtotal, "vat_rate": vat_rate, "vat_amount": vat, "total": subtotal + vat,
        "lines": built, "customer": dict(CUSTOMER),
    }
