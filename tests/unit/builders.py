"""Builders shared by the billing unit tests."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from chalicelib.domain.cdm import Application


def make_app(**overrides) -> Application:
    values = dict(
        application_key="APP", customer_key="CUST", title="Acme platform", deal_type="HR",
        status="active", currency="USD", hourly_rate=D("50.00"), monthly_fee=None,
        included_hours=None, fixed_amount=None, hours_limit=None, min_billable_minutes=None,
        vat_rate=D("12.00"), jira_project_keys=("PRJ",), contract_number="C-1",
        contract_date=date(2026, 1, 1), start_date=date(2026, 1, 1), end_date=None,
    )
    values.update(overrides)
    return Application(**values)
