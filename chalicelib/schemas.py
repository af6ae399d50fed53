"""Request and response models: what handlers validate with and what the OpenAPI document shows.

Structural problems (missing field, wrong type, unknown key) are 400; a well-formed value that breaks
a rule (negative, out of range, not one of the allowed values) is 422. Either way the body names the field.
"""
from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    period: str = Field(min_length=1, max_length=20, description="calendar month, YYYY-MM",
                        json_schema_extra={"pattern": "^[0-9]{4}-[0-9]{2}$"})
