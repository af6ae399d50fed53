"""Request models of the invoice lifecycle (DESIGN §4): draft edits, lines, transitions, the registry."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator

from .domain.status import STATUSES
from .schemas import CalendarDate, ContactText, EmailAddress, ExactDecimal, MoneyValue, PeriodText, Strict

Money = MoneyValue
Reason = Annotated[str, Field(max_length=2000)]
Text = Annotated[str, Field(max_length=4000)]
Unit = Literal["hour", "month", "fixed"]
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)


class BillingContact(Strict):
    """Who receives the invoice by e-mail (it replaces the CDM's billing contacts) and whom the document
    addresses. Text goes into mail headers and the document: control characters (CR/LF) are refused."""

    name: Annotated[ContactText, Field(max_length=200)] = ""
    email: Annotated[EmailAddress, Field(max_length=320)] = ""
    phone: Annotated[ContactText, Field(max_length=50)] = ""


class InvoicePatch(Strict):
    """Header fields of a draft; only the fields present change. ``reason`` goes to the edit history."""

    issue_date: CalendarDate | None = None
    due_date: CalendarDate | None = None
    payment_terms: Annotated[str, Field(max_length=1000)] | None = None
    notes: Text | None = None
    billing_contact: BillingContact | None = None
    contract_number: Annotated[str, Field(max_length=100)] | None = None
    contract_date: CalendarDate | None = None
    vat_rate: Annotated[ExactDecimal, Field(ge=0, lt=100, max_digits=5, decimal_places=2)] | None = None
    reason: Reason = ""

    @field_validator("issue_date", "due_date", "payment_terms", "notes", "contract_number", "vat_rate")
    @classmethod
    def _not_null(cls, value):
        # null is accepted only where clearing makes sense (billing_contact, contract_date).
        if value is None:
            raise ValueError("cannot be null")
        return value


class LineInput(Strict):
    """A line added by hand: amount = quantity × unit_price (computed by the server)."""

    category: Annotated[str, Field(max_length=200)] = ""
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    quantity: Money
    unit: Unit = "hour"
    unit_price: Money
    multiplier: Annotated[ExactDecimal, Field(gt=0, le=1000, max_digits=8, decimal_places=4)] = Decimal(1)
    position: Annotated[int, Field(ge=1, le=10000)] | None = None
    reason: Reason = ""


class LinePatch(Strict):
    category: Annotated[str, Field(max_length=200)] | None = None
    description: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    quantity: Money | None = None
    unit: Unit | None = None
    unit_price: Money | None = None
    multiplier: Annotated[ExactDecimal, Field(gt=0, le=1000, max_digits=8, decimal_places=4)] | None = None
    position: Annotated[int, Field(ge=1, le=10000)] | None = None
    reason: Reason = ""

    @field_validator("category", "description", "quantity", "unit", "unit_price", "multiplier", "position")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("cannot be null")
        return value


class LineDelete(Strict):
    reason: Reason = ""


class TransitionRequest(Strict):
    """Body of finalize/approve/reject/send/accept/cancel; reject and cancel require a reason."""

    reason: Reason = ""


class PayRequest(Strict):
    paid_on: CalendarDate | None = None
    reference: Annotated[str, Field(max_length=200)] = ""
    reason: Reason = ""


class CreditNoteRequest(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RegistryFilters(Strict):
    """The registry's filters, shared by ``GET /api/invoices`` and its export (all strings on the wire)."""

    status: str | None = Field(None, description="one or more statuses, comma-separated")
    kind: Literal["invoice", "credit_note"] | None = Field(None, description="invoice | credit_note")
    application_key: Annotated[str, Field(max_length=100)] | None = Field(None, description="application (contract) key")
    customer_key: Annotated[str, Field(max_length=100)] | None = Field(None, description="customer key")
    period_from: PeriodText | None = Field(None, description="YYYY-MM")
    period_to: PeriodText | None = Field(None, description="YYYY-MM")
    q: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="number prefix (PRX-2026-00) or part of the customer's name")

    @field_validator("status")
    @classmethod
    def _statuses(cls, value):
        if value is None:
            return None
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown or not statuses:
            raise ValueError(f"unknown status {', '.join(unknown) or value!r}; one or more of {', '.join(STATUSES)}")
        return ",".join(statuses)

    @field_validator("period_from", "period_to")
    @classmethod
    def _period(cls, value):
        if value is not None and not _PERIOD.fullmatch(value):
            raise ValueError("a calendar month YYYY-MM")
        return value


class RegistryQuery(RegistryFilters):
    """Query parameters of ``GET /api/invoices``."""

    limit: Annotated[int, Field(ge=1, le=200)] = Field(50, description="page size")
    cursor: Annotated[str, Field(max_length=500)] | None = Field(None, description="next_cursor of the previous page")
    totals: bool = Field(True, description="false to skip the totals")


class RegistryExportQuery(RegistryFilters):
    """Query parameters of ``GET /api/invoices/export``: the registry's filters and the file format."""

    format: Literal["csv", "xlsx"] = Field("csv", description="csv (default) or xlsx")


class DidoxEvent(BaseModel):
    """What we read of a callback; Didox may send more fields, which are kept in the receipt."""

    model_config = ConfigDict(extra="allow")

    event_id: str = Field(min_length=1, max_length=200)
    document_id: str = Field(min_length=1, max_length=200)
    status: StrictInt | StrictStr  # Didox's status code (3 or "3"); only documented codes are applied (domain.didox)
    timestamp: int | float | str


# --- responses (what the OpenAPI document shows; the services build these shapes as dicts) ----------------
# Money, rates and quantities are decimal strings on the wire ("1234.50", jsonutil), hence ``DecimalText``.

DecimalText = Annotated[str, Field(description='an exact decimal, e.g. "1234.50"')]
InvoiceStatus = Literal[STATUSES]  # type: ignore[valid-type]
Kind = Literal["invoice", "credit_note"]


class InvoiceLineOut(BaseModel):
    id: str
    position: int
    category: str
    description: str
    quantity: DecimalText
    unit: Unit
    unit_price: DecimalText
    multiplier: DecimalText
    amount: DecimalText = Field(description="quantity × unit_price × multiplier, rounded to cents")
    raw_minutes: int
    billed_minutes: int
    worklog_ids: list[int]


class CorrectionOut(BaseModel):
    """A credit note or supplementary invoice that corrects this one."""

    id: str
    number: str | None
    status: InvoiceStatus
    total: DecimalText
    issue_date: date | None
    created_at: datetime


class InvoiceOut(BaseModel):
    """A saved invoice (``ETag``: its ``version``). ``customer`` is the frozen snapshot once finalized."""

    id: str
    kind: Kind
    corrects_id: str | None = Field(description="the invoice a credit note corrects")
    application_key: str
    customer_key: str
    customer_name: str
    period: str = Field(description="YYYY-MM")
    deal_type: str
    currency: str
    status: InvoiceStatus
    source: str
    number: str | None = Field(description="given at finalization")
    version: int
    issue_date: date | None
    due_date: date | None
    payment_terms: str
    notes: str
    billing_contact: dict[str, Any] | None
    contract_number: str
    contract_date: date | None
    contract: dict[str, Any]
    subtotal: DecimalText
    vat_rate: DecimalText
    vat_amount: DecimalText
    total: DecimalText
    hours: Any = Field(description="billed hours by category, as the draft computed them")
    included_hours: Any = Field(description="hours covered by the monthly allowance")
    left_out: dict[str, Any]
    warnings: list[Any]
    warning_codes: list[Any] = Field(description="the warnings as {code, values}, index for index (empty on "
                                                  "drafts saved before they were recorded)")
    lines: list[InvoiceLineOut]
    customer: dict[str, Any] | None
    corrections: list[CorrectionOut]
    allowed_actions: list[str] = Field(description="the status-machine actions the invoice's status allows")
    pdf_available: bool
    status_reason: str | None
    data_as_of: datetime | None
    created_at: datetime
    updated_at: datetime


class RegistryItemOut(BaseModel):
    id: str
    kind: Kind
    number: str | None
    status: InvoiceStatus
    application_key: str
    customer_key: str
    customer_name: str
    period: str
    deal_type: str
    currency: str
    issue_date: date | None
    due_date: date | None
    subtotal: DecimalText
    vat_amount: DecimalText
    total: DecimalText
    version: int
    corrects_id: str | None
    created_at: datetime
    updated_at: datetime


class CurrencyTotalOut(BaseModel):
    currency: str
    count: int
    subtotal: DecimalText
    vat_amount: DecimalText
    total: DecimalText


class RegistryPage(BaseModel):
    items: list[RegistryItemOut]
    next_cursor: str | None = Field(description="pass as cursor= for the next page; null on the last")
    limit: int
    totals: list[CurrencyTotalOut] | None = Field(description="per currency over the whole filter (first page only)")


class InvoiceEventOut(BaseModel):
    id: int
    event_type: str
    from_status: str | None
    to_status: str | None
    actor_id: str | None
    actor_email: str
    payload: dict[str, Any]
    created_at: datetime


class InvoiceEventList(BaseModel):
    items: list[InvoiceEventOut]


class EditOut(BaseModel):
    id: int
    line_id: str | None
    field: str
    before: Any
    after: Any
    actor_id: str | None
    actor_email: str
    reason: str
    created_at: datetime


class EditList(BaseModel):
    items: list[EditOut]


class JobOut(BaseModel):
    id: str
    invoice_id: str | None
    job_type: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    error: str | None
    result: Any
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class JobList(BaseModel):
    items: list[JobOut]

EXPORT_LINK = {"type": "object", "required": ["download_url", "expires_at", "filename", "media_type", "bytes", "rows"],
               "description": "the export was too large for a response: a presigned link to it",
               "properties": {"download_url": {"type": "string"}, "expires_at": {"type": "string"},
                              "filename": {"type": "string"}, "media_type": {"type": "string"},
                              "bytes": {"type": "integer"}, "rows": {"type": "integer"}}}
DIDOX_UNKNOWN_DOCUMENT = {"type": "object", "description": "unknown document; logged"}
