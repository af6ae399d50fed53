"""A draft invoice written straight into the test database, for tests about what happens to it next."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from chalicelib.adapters import invoice_store


def make_draft(db, application_key: str, period: str = "2026-10", amount: str = "100.00") -> str:
    header = {"kind": "invoice", "application_key": application_key, "customer_key": "TCUST-DE",
              "period": period, "deal_type": "HR", "currency": "EUR", "status": "draft", "source": "manual",
              "issue_date": date(2026, 11, 1), "due_date": date(2026, 11, 11), "subtotal": Decimal(amount),
              "vat_rate": Decimal("0"), "vat_amount": Decimal("0"), "total": Decimal(amount)}
    line = {"position": 1, "category": "Development", "description": "Work", "quantity": Decimal("1"),
            "unit": "hour", "unit_price": Decimal(amount), "multiplier": Decimal("1"), "amount": Decimal(amount),
            "raw_minutes": 60, "billed_minutes": 60, "worklog_ids": [], "trace": []}
    event = {"event_type": "created", "actor_id": None, "actor_email": "test", "to_status": "draft"}
    return db.run(lambda conn: invoice_store.insert_invoice(conn, header, [line], event))
