"""Request and response models of the billing configuration endpoints (DESIGN §3 rules 3, 5, 7; §8).

They follow ``chalicelib.schemas``: a value of the wrong JSON type or an unknown key is 400, a
well-typed value that breaks a rule is 422, and either way the error names the field.

Choices made here:

* Money and multipliers are read from JSON strings (``"55.00"``) or JSON numbers (which
  ``jsonutil.loads`` turns into ``Decimal``), never floats, and must fit their columns exactly:
  ``rate`` has at most 2 decimals (``NUMERIC(18,2)``), ``multiplier`` at most 4 (``NUMERIC(8,4)``).
* Minutes are JSON integers (``"15"`` or ``15.0`` is a wrong type, 400) and at most a day (1440), so
  an absurd value is a 422 rather than an integer overflow in PostgreSQL.
* Dates are strings ``YYYY-MM-DD``: a non-string is 400, a string in another format or an impossible
  date (``2026-02-30``) is 422.
* Settings are validated per key, each by its own model; an unknown setting key is refused (422).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, Field, PlainValidator, StrictBool, StrictInt, StrictStr,
                      field_validator)
from pydantic_core import PydanticCustomError

from .domain import limits
from .schemas import ExactDecimal, Strict, parse

MINUTES_PER_DAY = 1440
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        # "_type" suffix: the parse() table treats it as a structural (400) problem.
        raise PydanticCustomError("date_type", "a date is a string YYYY-MM-DD")
    if not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date_format", "a date is written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_invalid", "not a calendar date") from None
    if not limits.date_in_range(parsed):
        raise PydanticCustomError("date_out_of_range", "must be between {low} and {high}",
                                  {"low": limits.DATE_MIN.isoformat(), "high": limits.DATE_MAX.isoformat()})
    return parsed


IsoDate = Annotated[date, PlainValidator(_iso_date)]
Rate = Annotated[ExactDecimal, Field(ge=0, max_digits=limits.MONEY_INTEGER_DIGITS + limits.MONEY_PLACES,
                                     decimal_places=limits.MONEY_PLACES)]
Multiplier = Annotated[ExactDecimal, Field(gt=0, max_digits=8, decimal_places=4)]
MatchValue = Annotated[str, Field(min_length=1, max_length=200)]
Minutes = Annotated[StrictInt, Field(ge=0, le=MINUTES_PER_DAY)]
Increment = Annotated[StrictInt, Field(ge=1, le=MINUTES_PER_DAY)]
Note = Annotated[str, Field(max_length=2000)]

CLASSIFICATIONS = ("billable", "internal", "overhead")


def _classification(value: str) -> str:
    if value not in CLASSIFICATIONS:
        raise PydanticCustomError("literal_error", "expected one of: billable, internal, overhead")
    return value


# A string (else 400) that is one of the three (else 422); a plain Literal would make 5 a 422.
Classification = Annotated[StrictStr, AfterValidator(_classification)]


# --- rate rules --------------------------------------------------------------------------------

RATE_RULE_MATCH_FIELDS = ("account_id", "issue_type", "priority")
RATE_RULE_OVERRIDE_FIELDS = ("rate", "multiplier", "min_billable_minutes", "rounding_increment_minutes")
RATE_RULE_FIELDS = RATE_RULE_MATCH_FIELDS + RATE_RULE_OVERRIDE_FIELDS + ("effective_from", "effective_to", "note")


class RateRuleInput(Strict):
    """Body of ``POST .../rate-rules`` and ``PATCH /rate-rules/{id}``: every field may be absent or null.

    On PATCH the fields present (``model_fields_set``) replace the stored ones, null included; the
    merged rule is then checked as a whole by the service (date order, not pointless)."""

    account_id: MatchValue | None = None
    issue_type: MatchValue | None = None
    priority: MatchValue | None = None
    rate: Rate | None = None
    multiplier: Multiplier | None = None
    min_billable_minutes: Minutes | None = None
    rounding_increment_minutes: Increment | None = None
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    note: Note | None = None


class RateRuleOut(BaseModel):
    id: int
    application_key: str
    account_id: str | None
    issue_type: str | None
    priority: str | None
    rate: Decimal | None
    multiplier: Decimal | None
    min_billable_minutes: int | None
    rounding_increment_minutes: int | None
    effective_from: date | None
    effective_to: date | None
    note: str
    specificity: int
    created_at: datetime
    updated_at: datetime


# --- project classifications -------------------------------------------------------------------

# Jira project keys: an upper-case letter, then upper-case letters, digits or underscores.
PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}")


class ClassificationInput(Strict):
    classification: Classification
    note: Note | None = None


class ClassificationOut(BaseModel):
    project_key: str
    classification: Classification
    note: str
    updated_at: datetime


# --- employee exclusions -----------------------------------------------------------------------

class ExclusionInput(Strict):
    account_id: MatchValue
    application_key: MatchValue | None = None
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ExclusionOut(BaseModel):
    id: int
    account_id: str
    application_key: str | None
    effective_from: date | None
    effective_to: date | None
    reason: str
    created_at: datetime


# --- settings ----------------------------------------------------------------------------------

class SettingInput(Strict):
    """The envelope of ``PUT /settings/{key}``; ``value`` is then checked by the key's own model."""

    value: Any


class RoundingIncrementValue(Strict):
    value: Increment


class CategoryMapValue(Strict):
    value: dict[Annotated[str, Field(min_length=1, max_length=100)],
                Annotated[str, Field(min_length=1, max_length=200)]] = Field(max_length=200)


class NumberPrefixValue(Strict):
    value: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,10}$")]


class PaymentTermsValue(Strict):
    value: Annotated[StrictInt, Field(ge=0, le=365)]


class SeparationOfDutiesValue(Strict):
    value: StrictBool


_Text = Annotated[str, Field(max_length=500)]


class Company(Strict):
    """The issuer's details printed on invoices, credit notes and quotes."""

    name: Annotated[str, Field(min_length=1, max_length=500)]
    legal_name: Annotated[str, Field(min_length=1, max_length=500)]
    tin: _Text = ""
    vat_code: _Text = ""
    address: _Text = ""
    bank_name: _Text = ""
    bank_account: _Text = ""
    bank_code: _Text = ""
    swift: _Text = ""
    director: _Text = ""
    director_position: _Text = ""
    chief_accountant: _Text = ""
    email: _Text = ""
    phone: _Text = ""
    website: _Text = ""


class CompanyValue(Strict):
    value: Company


SETTING_MODELS: dict[str, type[Strict]] = {
    "rounding_increment_minutes": RoundingIncrementValue,
    "category_map": CategoryMapValue,
    "invoice_prefix": NumberPrefixValue,
    "credit_note_prefix": NumberPrefixValue,
    "payment_terms_days": PaymentTermsValue,
    "separation_of_duties": SeparationOfDutiesValue,
    "company": CompanyValue,
}


def parse_setting_value(key: str, body: Any) -> Any:
    """The validated, JSON-ready value of setting ``key`` from a ``{"value": ...}`` body."""
    envelope = parse(SettingInput, body)
    checked = parse(SETTING_MODELS[key], {"value": envelope.value})
    return checked.model_dump(mode="json")["value"]


# --- audit -------------------------------------------------------------------------------------

AUDITED_ENTITIES = ("rate_rule", "project_classification", "employee_exclusion", "setting")


class ConfigChangeOut(BaseModel):
    id: int
    entity: str
    entity_id: str
    action: Literal["create", "update", "delete"]
    before: Any
    after: Any
    actor_id: str | None
    actor_email: str
    created_at: datetime

    @field_validator("actor_id", mode="before")
    @classmethod
    def _uuid_text(cls, value: Any) -> Any:
        return str(value) if value is not None else None
