"""Request and response models: what handlers validate with and what the OpenAPI document shows.

Structural problems (missing field, wrong type, unknown key) are 400; a well-formed value that breaks
a rule (negative, out of range, not one of the allowed values) is 422. Either way the body names the field.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError,
                      WithJsonSchema, create_model)
from pydantic_core import PydanticCustomError

from .domain import limits
from .domain.access import ROLES
from .domain.errors import BadRequest, ValidationFailed

M = TypeVar("M", bound=BaseModel)

_STRUCTURAL = ("missing", "extra_forbidden", "model_type", "model_attributes_type", "dict_type",
               "list_type", "json_invalid", "is_instance_of")


class Strict(BaseModel):
    """Base of request bodies: unknown keys are refused, strings are not coerced to numbers."""

    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=True)


def _is_structural(error_type: str) -> bool:
    return error_type in _STRUCTURAL or error_type.endswith("_type") or error_type.endswith("_parsing")


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` into ``model``; raise the project's 400/422 errors naming each field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        if any(_is_structural(p["type"]) for p in problems):
            raise BadRequest("the request body does not have the expected shape", details=problems) from None
        raise ValidationFailed("the request breaks a validation rule", details=problems) from None


# --- shared value types (their bounds come from chalicelib.domain.limits) ---------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_PERIOD_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


def calendar_date(value: Any, *, malformed: tuple[str, str] = (
        "date_parsing", "a date is written YYYY-MM-DD (no time, no spaces)")) -> date:
    """A date written ``YYYY-MM-DD`` in ASCII digits, nothing else (no time part), within the limits.
    ``malformed`` is the error (type, message) for text that is not so written: request bodies make it a
    400 (``_parsing``), the billing configuration a 422 (``config_schemas``)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    elif not isinstance(value, str):
        # "_type"/"_parsing" suffixes: parse() treats these as malformed (400).
        raise PydanticCustomError("date_type", "a date is a string YYYY-MM-DD")
    elif not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError(*malformed)
    else:
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_invalid", "not a calendar date") from None
    if not limits.date_in_range(parsed):
        raise PydanticCustomError("date_out_of_range", "must be between {low} and {high}",
                                  {"low": limits.DATE_MIN.isoformat(), "high": limits.DATE_MAX.isoformat()})
    return parsed


def _decimal_text(value: Any) -> Any:
    """Decimal strings in ASCII: Python's Decimal also reads "１２", "١٢" and "1_000", which no person means."""
    if isinstance(value, str) and (not value.isascii() or "_" in value):
        raise PydanticCustomError("decimal_parsing", "a decimal number is written with ASCII digits, e.g. \"12.50\"")
    return value


def _period_text(value: Any) -> Any:
    """``YYYY-MM`` exactly: the models strip whitespace, so a padded period is refused before they do."""
    if isinstance(value, str) and not _PERIOD_TEXT.fullmatch(value):
        raise PydanticCustomError("period_parsing", "a period is written YYYY-MM")
    return value


def _no_control_characters(value: Any) -> Any:
    if isinstance(value, str) and any(unicodedata.category(ch) == "Cc" for ch in value):
        raise PydanticCustomError("control_characters", "control characters (CR, LF, TAB, ...) are not allowed")
    return value


def _email_address(value: str) -> str:
    """An RFC 5322 addr-spec (``local@domain``), as the mail header will carry it; empty means none."""
    if not value:
        return value
    from email.errors import HeaderParseError
    from email.headerregistry import Address

    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        address = None
    if address is None or not address.username or "." not in address.domain or address.domain.startswith(".") \
            or address.domain.endswith("."):
        raise PydanticCustomError("email_invalid", "not an e-mail address (RFC 5322 local@domain)")
    return address.addr_spec


CalendarDate = Annotated[date, PlainValidator(calendar_date),
                         WithJsonSchema({"type": "string", "format": "date",
                                         "description": f"YYYY-MM-DD, {limits.DATE_MIN} to {limits.DATE_MAX}"})]
ExactDecimal = Annotated[Decimal, BeforeValidator(_decimal_text)]
MoneyValue = Annotated[Decimal, BeforeValidator(_decimal_text),
                       Field(max_digits=limits.MONEY_INTEGER_DIGITS + limits.MONEY_PLACES,
                             decimal_places=limits.MONEY_PLACES, allow_inf_nan=False)]
PeriodText = Annotated[str, BeforeValidator(_period_text)]
ContactText = Annotated[str, BeforeValidator(_no_control_characters)]
EmailAddress = Annotated[str, BeforeValidator(_no_control_characters), AfterValidator(_email_address)]


Role = Literal["viewer", "accountant", "approver", "admin"]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]


class LoginRequest(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=4096)


class LogoutRequest(Strict):
    refresh_token: str | None = Field(default=None, max_length=4096)


class PasswordChangeRequest(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=10, max_length=1024)


class UserCreateRequest(Strict):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+$")
    password: str = Field(min_length=10, max_length=1024)
    role: Role
    full_name: str = Field(default="", max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class Me(BaseModel):
    id: str
    email: str
    role: Role
    full_name: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class PrefillRequest(Strict):
    application_key: str = Field(min_length=1, max_length=100)
    # The pattern is for the document only: a period not written YYYY-MM stays a 400 (Period.parse).
    period: PeriodText = Field(min_length=1, max_length=20, description="calendar month, YYYY-MM",
                        json_schema_extra={"pattern": "^[0-9]{4}-[0-9]{2}$"})


# --- response shapes without a model yet (JSON schemas, as the OpenAPI document shows them) --------------

def list_of(model: type[BaseModel]) -> type[BaseModel]:
    """``{"items": [model], "count": n}``, the shape of the API's plain (unpaginated) lists."""
    return create_model(f"{model.__name__.removesuffix('Out')}List", items=(list[model], ...), count=(int, ...))


HEALTH = {"type": "object", "required": ["status", "checks"],
          "properties": {"status": {"enum": ["ok", "degraded"]}, "checks": {"type": "object"}}}
USER = {"type": "object", "required": ["id", "email", "role", "full_name"],
        "properties": {"id": {"type": "string"}, "email": {"type": "string"},
                       "role": {"enum": ["viewer", "accountant", "approver", "admin"]},
                       "full_name": {"type": "string"}}}
USER_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": USER}}}
ITEM_LIST = {"type": "object", "required": ["items"],
             "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}
