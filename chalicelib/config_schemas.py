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
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from .domain import limits
from .schemas import ExactDecimal, Strict, calendar_date, list_of, parse

MINUTES_PER_DAY = 1440


def _iso_date(value: Any) -> date:
    # A misspelt date in the configuration is a rule broken (422), not a malformed body.
    return calendar_date(value, malformed=("date_format", "a date is written YYYY-MM-DD"))


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
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Swift = Annotated[str, Field(pattern=r"^([A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?)?$")]
AccountNumber = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9 ]+$")]


class CurrencyAccount(Strict):
    """Where an invoice in one currency is paid (/work/shared/references/documents.md, "Payment block"):
    the account in that currency, its bank when not the main one, and the intermediary (correspondent)
    bank that currency travels through."""

    account: AccountNumber
    bank_name: _Text = ""
    swift: Swift = ""
    bank_code: _Text = ""
    intermediary_bank: _Text = ""
    intermediary_swift: Swift = ""
    intermediary_account: _Text = ""


class Company(Strict):
    """The issuer's details printed on invoices, credit notes and quotes.

    ``bank_account`` is the main (soum) account; ``currency_accounts`` holds one account per invoice
    currency. A 20-digit Uzbek account whose currency digits (6-8) name another currency is refused, so a
    soum account can never be printed under "USD" (``domain.invoice.account_matches_currency``)."""

    name: Annotated[str, Field(min_length=1, max_length=500)]
    legal_name: Annotated[str, Field(min_length=1, max_length=500)]
    tin: _Text = ""
    vat_code: _Text = ""  # older name of vat_registration_code, still read (domain.tax_codes)
    vat_registration_code: Annotated[str, Field(pattern=r"^([0-9]{12})?$")] = ""  # the e-invoice's Seller.VatRegCode
    vat_status: _Text = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "UZ"
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
    bank_account_currency: CurrencyCode = "UZS"
    currency_accounts: dict[CurrencyCode, CurrencyAccount] = Field(default_factory=dict, max_length=20)
    bank_charges: Literal["SHA", "OUR"] = "SHA"
    # The legal basis printed beside VAT 0 % on a foreign invoice; blank: the catalogue's default sentence.
    vat_exemption_basis: Annotated[str, Field(max_length=1000)] = ""
    # Countries whose business clients get "Reverse charge" next to their VAT number (EU customers).
    reverse_charge_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list,
                                                                                         max_length=60)

    @field_validator("currency_accounts")
    @classmethod
    def _accounts_in_their_currency(cls, accounts: dict[str, CurrencyAccount]) -> dict[str, CurrencyAccount]:
        from .domain.invoice import account_matches_currency

        for currency, entry in accounts.items():
            if not account_matches_currency(entry.account, currency):
                raise PydanticCustomError(
                    "account_currency", "currency_accounts.{currency}: the account number {account} is not a "
                    "{currency} account (its currency digits 6-8 name another currency)",
                    {"account": entry.account, "currency": currency})
        return accounts

    @model_validator(mode="after")
    def _main_account_in_its_currency(self) -> "Company":
        from .domain.invoice import account_matches_currency

        if self.bank_account and not account_matches_currency(self.bank_account, self.bank_account_currency):
            raise PydanticCustomError("account_currency", "bank_account is not in bank_account_currency")
        return self


class CompanyValue(Strict):
    value: Company


class BuyerVatStatus(Strict):
    vat_reg_status: StrictInt


class Efaktura(Strict):
    """What only the Didox e-invoice needs (setting ``efaktura``; references/integrations.md § Didox, 002
    body): ``VatRegStatus`` of the company and of each resident buyer, and the products' ``Origin``.
    Everything the printed invoice also shows has one owner elsewhere (``domain.tax_codes``): MXIK code and
    unit in ``mxik_codes``/``unit_codes``, VAT registration codes in ``company`` and ``customer_details``.
    The older ``catalog`` and ``buyers.*.vat_reg_code`` keys are refused by name."""

    seller_vat_reg_status: StrictInt | None = None
    origin: Annotated[StrictInt, Field(ge=1, le=9)] | None = None
    buyers: dict[Annotated[str, Field(min_length=1, max_length=100)], BuyerVatStatus] = {}


class EfakturaValue(Strict):
    value: Efaktura
class ClassificationCode(Strict):
    """An MXIK (IKPU) product/service code: 17 digits, with its official name."""

    code: Annotated[str, Field(pattern=r"^[0-9]{17}$")]
    name: Annotated[str, Field(min_length=1, max_length=500)]


class UnitCode(Strict):
    """A unit of measure ("PackageCode") and its name as printed."""

    code: Annotated[str, Field(pattern=r"^[0-9]{1,10}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]


_Key = Annotated[str, Field(min_length=1, max_length=200)]


class MxikCodesValue(Strict):
    """``{line category: {code, name}}``: set by the accountant per kind of service
    (/work/shared/references/documents.md, "Resident customers")."""

    value: dict[_Key, ClassificationCode] = Field(max_length=200)


class UnitCodesValue(Strict):
    """``{line unit (hour|month|fixed): {code, name}}``."""

    value: dict[_Key, UnitCode] = Field(max_length=20)


class CustomerTaxDetails(Strict):
    vat_registration_code: Annotated[str, Field(pattern=r"^([0-9]{12})?$")] = ""
    vat_number: _Text = ""
    chief_accountant: _Text = ""


class CustomerDetailsValue(Strict):
    """``{customer_key: {vat_registration_code, vat_number, chief_accountant}}``: what the CDM does not
    carry and the documents print (the buyer's VAT registration code on a resident invoice)."""

    value: dict[_Key, CustomerTaxDetails] = Field(max_length=5000)


class ResidentIssueDateValue(Strict):
    value: Literal["period_end", "today"]


# --- source drift and the margin guardrail (issue 15) ---

_MoneyText = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
_Percent = Annotated[Decimal, Field(ge=0, lt=100, max_digits=5, decimal_places=2)]


class MonthsBackValue(Strict):
    value: Annotated[StrictInt, Field(ge=1, le=36)]


class MoneyThresholdValue(Strict):
    value: _MoneyText


class MinutesThresholdValue(Strict):
    value: Annotated[StrictInt, Field(ge=0, le=100_000)]


class MarginFloorValue(Strict):
    value: _Percent | None


class CostRatesValue(Strict):
    """Hourly cost rate per application key (overrides the one derived from the application's quotes)."""

    value: dict[Annotated[str, Field(min_length=1, max_length=100)], _MoneyText] = Field(max_length=5000)


SETTING_MODELS: dict[str, type[Strict]] = {
    "drift_months_back": MonthsBackValue,
    "drift_money_threshold": MoneyThresholdValue,
    "drift_minutes_threshold": MinutesThresholdValue,
    "margin_floor_pct": MarginFloorValue,
    "margin_require_reason": SeparationOfDutiesValue,
    "application_cost_rates": CostRatesValue,
    "rounding_increment_minutes": RoundingIncrementValue,
    "category_map": CategoryMapValue,
    "invoice_prefix": NumberPrefixValue,
    "credit_note_prefix": NumberPrefixValue,
    "payment_terms_days": PaymentTermsValue,
    "separation_of_duties": SeparationOfDutiesValue,
    "company": CompanyValue,
    "efaktura": EfakturaValue,
    "mxik_codes": MxikCodesValue,
    "unit_codes": UnitCodesValue,
    "customer_details": CustomerDetailsValue,
    "resident_issue_date": ResidentIssueDateValue,
}


def setting_value(key: str, envelope: SettingInput) -> Any:
    """The validated, JSON-ready value of setting ``key`` from its parsed ``{"value": ...}`` envelope."""
    checked = parse(SETTING_MODELS[key], {"value": envelope.value})
    return checked.model_dump(mode="json")["value"]


def parse_setting_value(key: str, body: Any) -> Any:
    """:func:`setting_value` from a raw body."""
    return setting_value(key, parse(SettingInput, body))


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


# --- response shapes ---------------------------------------------------------------------------------------

RateRuleList = list_of(RateRuleOut)
ClassificationList = list_of(ClassificationOut)
ExclusionList = list_of(ExclusionOut)
ConfigChangeList = list_of(ConfigChangeOut)
SETTING = {"type": "object", "required": ["key", "value"], "properties": {"key": {"type": "string"}, "value": {}}}
