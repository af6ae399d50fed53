"""The contract every integration adapter follows, and the pieces they share.

An adapter is built from ``Settings``, says whether it is ``configured`` and has one method per job
type; the method performs the external effect for a frozen invoice (a plain dict, read once with
``FrozenInvoice.from_payload``) and returns a JSON-able result to keep on the job.

Failures are reported with the job runner's one error family, ``domain.jobs.JobError``:
``TransientError`` (and its ``OutcomeUnknown``), ``PermanentError`` (and its ``NotConfigured``). Adapters
with a look-up (PlanFact, Didox, R2) make a retry after ``OutcomeUnknown`` safe themselves; for Telegram and
e-mail the job type is declared not repeatable (``domain.jobs.JOB_TYPES``) and the runner decides.
"""
from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from ..domain.jobs import NotConfigured, OutcomeUnknown, PermanentError, TransientError, is_permanent_status


def disabled_result(integration: str, missing: Iterable[str] = ()) -> dict[str, Any]:
    """The result of a job whose integration is not configured (the job ends ``completed``)."""
    return {"status": "disabled", "integration": integration, "missing": sorted(missing)}


class Integration:
    """Base of the adapters: ``name``, ``missing`` settings and the ``configured`` flag."""

    name = "integration"

    @property
    def missing(self) -> list[str]:  # pragma: no cover - each adapter names its own settings
        raise NotImplementedError

    @property
    def configured(self) -> bool:
        return not self.missing

    def disabled_result(self) -> dict[str, Any]:
        return disabled_result(self.name, self.missing)

    def perform(self, action: str, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Run ``action``, a job type's declared effect (``domain.jobs.Effect``), for a job's payload. The
        job id (``idempotency_key``) matters only to adapters that cannot look a past effect up (Telegram)."""
        return getattr(self, action)(payload)

    def _require_configuration(self) -> None:
        if self.missing:
            raise NotConfigured(self.name, self.missing)


def missing_settings(**values: Any) -> list[str]:
    """Upper-case names of the environment variables whose value is empty."""
    return sorted(name.upper() for name, value in values.items() if not value)


# --- the frozen invoice -----------------------------------------------------------------------

def _money(value: Any, key: str) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise PermanentError(f"payload {key} must be a decimal, not {type(value).__name__}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise PermanentError(f"payload {key} is not a decimal: {value!r}") from None


def _date(value: Any, key: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PermanentError(f"payload {key} is not a date: {value!r}") from None


def _pdf(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):  # a JSON job payload carries it base64-encoded
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise PermanentError("payload pdf is neither bytes nor base64") from None
    raise PermanentError(f"payload pdf has an unexpected type {type(value).__name__}")


@dataclass(frozen=True)
class FrozenInvoice:
    """The invoice as finalized: what every adapter reads. Built from the job's plain-dict payload.

    Required keys: ``id``, ``number``, ``currency``, ``total``, ``issue_date``, ``customer`` (the frozen
    snapshot). Money arrives as ``Decimal`` or a decimal string (never a float); dates as ``date`` or ISO
    text; ``pdf`` as bytes or base64 text. A payload that breaks this is a ``PermanentError``: retrying the
    same payload cannot succeed.
    """

    id: str
    number: str
    kind: str
    period: str
    currency: str
    subtotal: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    total: Decimal
    issue_date: date
    due_date: date | None
    application_key: str
    customer: Mapping[str, Any]
    contract: Mapping[str, Any]
    lines: tuple[Mapping[str, Any], ...]
    pdf: bytes | None = None
    pdf_sha256: str | None = None
    billing_contacts: tuple[Mapping[str, Any], ...] = ()
    seller: Mapping[str, Any] = field(default_factory=dict)
    corrects: Mapping[str, Any] | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "FrozenInvoice":
        if not isinstance(payload, Mapping):
            raise PermanentError("payload must be an object")
        missing = [k for k in ("id", "number", "currency", "total", "issue_date", "customer")
                   if payload.get(k) in (None, "")]
        if missing:
            raise PermanentError(f"payload is missing {', '.join(missing)}")
        customer = payload["customer"]
        if not isinstance(customer, Mapping):
            raise PermanentError("payload customer must be an object")
        lines = payload.get("lines") or ()
        for position, line in enumerate(lines, start=1):
            if not isinstance(line, Mapping):
                raise PermanentError(f"payload line {position} must be an object")
        issue_date = _date(payload["issue_date"], "issue_date")
        assert issue_date is not None
        return cls(
            id=str(payload["id"]),
            number=str(payload["number"]),
            kind=str(payload.get("kind") or "invoice"),
            period=str(payload.get("period") or ""),
            currency=str(payload["currency"]),
            subtotal=_money(payload.get("subtotal", payload["total"]), "subtotal"),
            vat_rate=_money(payload.get("vat_rate", "0"), "vat_rate"),
            vat_amount=_money(payload.get("vat_amount", "0"), "vat_amount"),
            total=_money(payload["total"], "total"),
            issue_date=issue_date,
            due_date=_date(payload.get("due_date"), "due_date"),
            application_key=str(payload.get("application_key") or ""),
            customer=customer,
            contract=payload.get("contract") or {},
            lines=tuple(lines),
            pdf=_pdf(payload.get("pdf")),
            pdf_sha256=payload.get("pdf_sha256") or None,
            billing_contacts=tuple(payload.get("billing_contacts") or ()),
            seller=payload.get("seller") or {},
            corrects=payload.get("corrects") or None,
        )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def customer_name(self) -> str:
        return str(self.customer.get("legal_name") or self.customer.get("name") or "")

    @property
    def number_year(self) -> int:
        """The year in the number (``PRX-2026-0001``), else the issue date's: the archive folder."""
        found = re.search(r"(?:^|-)((?:19|20)\d{2})-", self.number)
        return int(found.group(1)) if found else self.issue_date.year

    def verified_pdf(self) -> tuple[bytes, str]:
        """The PDF and its sha256; a missing PDF or one that does not match its recorded hash is permanent."""
        if not self.pdf:
            raise PermanentError(f"invoice {self.number} has no PDF")
        digest = hashlib.sha256(self.pdf).hexdigest()
        if self.pdf_sha256 and self.pdf_sha256.lower() != digest:
            raise PermanentError(f"invoice {self.number}: PDF does not match its recorded sha256")
        return self.pdf, digest


# --- JSON with exact numbers --------------------------------------------------------------------

_DECIMAL_MARK = "\u0000decimal:"
_DECIMAL_TOKEN = re.compile(r'"\\u0000decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _DECIMAL_MARK + format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats never leave this service; use Decimal")
    if isinstance(value, Mapping):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_decimals(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def dumps_exact(value: Any) -> str:
    """JSON whose numbers are the Decimals' exact digits (``1200.50``), as remote APIs expect numbers.

    The standard encoder only knows floats; Decimals go through a marker string that is then unquoted.
    """
    return _DECIMAL_TOKEN.sub(r"\1", json.dumps(_mark_decimals(value), ensure_ascii=False))


def loads_exact(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


# --- HTTP ---------------------------------------------------------------------------------------

DEFAULT_TIMEOUT = (3.05, 15.0)  # connect, read (seconds): a job must end well inside its lease


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After``: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def remote_message(body: Any) -> str:
    """The human message in an error body, whatever the service calls it: Didox's
    ``{"data": {"status": "error", "message"}}`` and field errors ``{field: [...]}`` too
    (references/integrations.md § Didox, "Errors"), PlanFact's ``errorMessage``, Telegram's ``description``."""
    if isinstance(body, str):
        return body.strip()[:300]
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        nested = remote_message(body["data"])
        if nested:
            return nested
    if isinstance(body, Mapping):
        for key in ("errorMessage", "description", "message", "error_message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, Mapping):
                nested = remote_message(value)
                if nested:
                    return nested
        fields = [f"{key}: {'; '.join(str(v) for v in value)}" for key, value in body.items()
                  if isinstance(value, list) and value and all(isinstance(v, str) for v in value)]
        if fields:
            return "; ".join(fields)[:500]
    return ""


@dataclass
class HttpAnswer:
    status: int
    body: Any
    headers: Mapping[str, str]


class JsonHttp:
    """A JSON-over-HTTP client that turns every failure into the integration error hierarchy.

    ``secrets`` are redacted from every message (Telegram puts its token in the URL path).
    """

    def __init__(self, service: str, base_url: str, *, headers: Mapping[str, str] | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, secrets: Iterable[str] = (),
                 session: Any = None):
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._secrets = tuple(s for s in secrets if s)
        self._session = session

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, allow: Iterable[int] = ()) -> HttpAnswer:
        """Send; answer 2xx (and statuses in ``allow``) with a decoded body, raise for everything else."""
        import requests

        merged = {"Accept": "application/json", **self.headers, **(headers or {})}
        data = None
        if json_body is not None:
            merged["Content-Type"] = "application/json; charset=utf-8"
            data = dumps_exact(json_body).encode("utf-8")
        url = self.base_url + path
        try:
            response = self.session.request(method, url, data=data, params=params, headers=merged,
                                            timeout=self.timeout)
        except requests.ConnectTimeout as exc:  # before ReadTimeout: nothing was sent
            raise TransientError(f"{self.service}: connection timed out") from exc
        except requests.ConnectionError as exc:
            if _sent_before_failure(exc):
                raise OutcomeUnknown(f"{self.service}: connection lost before the answer") from exc
            raise TransientError(f"{self.service}: connection failed ({type(exc).__name__})") from exc
        except requests.Timeout as exc:
            raise OutcomeUnknown(f"{self.service}: no answer within {self.timeout[1]:g}s") from exc
        except requests.RequestException as exc:
            raise TransientError(self._redact(f"{self.service}: {type(exc).__name__}: {exc}")) from exc
        return self._answer(method, path, response, frozenset(allow))

    def _answer(self, method: str, path: str, response: Any, allow: frozenset[int]) -> HttpAnswer:
        status = response.status_code
        text = response.text
        try:
            body = loads_exact(text) if text.strip() else None
            decoded = True
        except ValueError:
            body, decoded = None, False
        where = self._redact(f"{self.service} {method} {path}")
        if 200 <= status < 300 or status in allow:
            if not decoded:
                raise OutcomeUnknown(f"{where}: unreadable answer (HTTP {status})")
            return HttpAnswer(status, body, response.headers)
        message = remote_message(body) or (text.strip()[:300] if not decoded else "") or response.reason or ""
        message = self._redact(f"{where}: HTTP {status}" + (f": {message}" if message else ""))
        if is_permanent_status(status):
            raise PermanentError(message, status)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if isinstance(body, Mapping) and isinstance(body.get("parameters"), Mapping):
            from_body = body["parameters"].get("retry_after")
            if isinstance(from_body, (int, Decimal)) and not isinstance(from_body, bool):
                retry_after = float(from_body)
        raise TransientError(message, retry_after)


def _sent_before_failure(exc: BaseException) -> bool:
    """A reset after the request went out (the remote may have acted) versus a refused connection."""
    text = repr(exc)
    return "RemoteDisconnected" in text or "ConnectionResetError" in text or "ProtocolError" in text


# --- boto (R2, SES) ------------------------------------------------------------------------------

def classify_boto_error(exc: Exception, action: str) -> Exception:
    """botocore failures in the integration hierarchy (as for HTTP: a 4xx but 408/429 is permanent; a
    lost or unreadable answer may hide a completed write)."""
    from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        error = exc.response.get("Error", {})
        message = f"{action}: HTTP {status}: {error.get('Code', '')} {error.get('Message', '')}".strip()
        # SES throttling arrives as HTTP 400 "Throttling" / "ThrottlingException" (references/integrations.md
        # § R2, SES: transient); a 409 on R2/S3 is a concurrent (conditional) write: worth a retry.
        if (not is_permanent_status(status) or status == 409
                or error.get("Code") in ("Throttling", "ThrottlingException", "SlowDown")):
            return TransientError(message, parse_retry_after(
                exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")))
        return PermanentError(message, status)
    if isinstance(exc, (ReadTimeoutError, ConnectionClosedError, ResponseParserError)):
        return OutcomeUnknown(f"{action}: {type(exc).__name__}")
    if isinstance(exc, BotoCoreError):
        return TransientError(f"{action}: {type(exc).__name__}")
    return exc


def boto_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return (BotoCoreError, ClientError, ResponseParserError)


class TokenCache:
    """One bearer token per adapter instance, reused until shortly before it expires."""

    def __init__(self, ttl_seconds: float, clock: Any = time.monotonic, margin_seconds: float = 60.0):
        self.ttl_seconds = ttl_seconds
        self.margin_seconds = min(margin_seconds, ttl_seconds / 10)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0

    def get(self) -> str | None:
        if self._token is not None and self._clock() < self._expires_at - self.margin_seconds:
            return self._token
        return None

    def put(self, token: str) -> None:
        self._token = token
        self._expires_at = self._clock() + self.ttl_seconds

    def clear(self) -> None:
        self._token = None
        self._expires_at = 0.0
