"""Builders shared by the billing unit tests."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

from chalicelib.domain.billing import WorklogFact
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


def wl(
    worklog_id: int = 1,
    minutes: int = 60,
    *,
    seconds: int | None = None,
    billable: int | None = None,
    issue_type: str | None = "Task",
    priority: str | None = None,
    account: str = "acc-1",
    project: str = "PRJ",
    work_date: date = date(2026, 10, 15),
    started_at: datetime | None = None,
    updated_at: datetime | None = None,
) -> WorklogFact:
    """A worklog fact; started a minute apart per id on its day unless ``started_at`` says otherwise."""
    return WorklogFact(
        worklog_id=worklog_id, account_id=account, author_name=f"Author {account}", project_key=project,
        issue_key=f"{project}-{worklog_id}",
        started_at=started_at or datetime.combine(work_date, time(9)) + timedelta(minutes=worklog_id),
        work_date=work_date,
        time_spent_seconds=seconds if seconds is not None else minutes * 60,
        billable_seconds=billable, issue_type=issue_type, priority=priority, updated_at=updated_at,
    )
