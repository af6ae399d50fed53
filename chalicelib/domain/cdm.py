"""Read models of the CDM data synced into ClickHouse: flat, immutable, Decimals for money."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

DEAL_TYPES = ("SUP", "HR", "FP")
APPLICATION_STATUSES = ("active", "paused", "closed")


@dataclass(frozen=True)
class Application:
    application_key: str
    customer_key: str
    title: str
    deal_type: str
    status: str
    currency: str
    hourly_rate: Decimal
    monthly_fee: Decimal | None
    included_hours: Decimal | None
    fixed_amount: Decimal | None
    hours_limit: int | None
    min_billable_minutes: int | None
    vat_rate: Decimal
    jira_project_keys: tuple[str, ...]
    contract_number: str
    contract_date: date | None
    start_date: date
    end_date: date | None
    updated_at: datetime | None = None

    def is_active_between(self, first_day: date, last_day: date) -> bool:
        """Active in a period when the contract started by its end and did not end before its start."""
        return self.start_date <= last_day and (self.end_date is None or self.end_date >= first_day)


@dataclass(frozen=True)
class Customer:
    customer_key: str
    name: str
    legal_name: str
    tin: str
    country: str
    address: str
    bank_name: str
    bank_account: str
    bank_code: str
    swift: str
    signer_name: str
    signer_position: str
    email: str
    updated_at: datetime | None = None

    @property
    def is_resident(self) -> bool:
        """Residents of Uzbekistan receive invoices through Didox; everyone else by e-mail."""
        return self.country == "UZ"


@dataclass(frozen=True)
class Contact:
    contact_id: str
    customer_key: str
    name: str
    email: str
    phone: str
    role: str
    is_primary: bool
    updated_at: datetime | None = None

