"""Local doubles of the SaaS APIs the app calls: PlanFact, Telegram and Didox.

Each is a small stdlib HTTP server in a thread that keeps the state the real service would (counter-
parties, operations, messages, documents), records every request (method, path, query, headers, JSON
body) and can be scripted to misbehave:

- ``fail_next(status, body=None, headers=None, times=1, path=None)``: answer with an error instead of acting;
- ``delay_next(seconds, times=1, path=None)``: act, then answer late (the client times out although the
  effect happened: the case that makes retries dangerous);
- ``malformed_next(times=1, path=None)``: answer 200 with a body that is not JSON, without acting.

``make run`` serves them to the local stack; the tests use them to check the exact request shapes and
that retries after each failure end in exactly one effect. ``GET /__doubles`` on a double's own port
answers what it received and holds (``inspection()``), without being recorded. Never imported by Lambda code.
"""
from __future__ import annotations

import html.parser
import http.client
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from chalicelib.adapters.integration import dumps_exact


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON (numbers as Decimal) or None
    raw: bytes


@dataclass
class _Fault:
    kind: str  # fail | delay | malformed
    times: int
    path: str | None
    method: str | None = None
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


Reply = tuple[int, Any, dict[str, str]]
Route = tuple[str, "re.Pattern[str]", Callable[..., Reply]]


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Double:
    """A threaded HTTP server with a routing table, a request log and a fault script.

    With ``upstream`` (e.g. moto in server mode) it routes nothing itself: it records and forwards every
    request, and its fault script puts 5xx, 429, slow and unreadable answers in front of a real API.
    """

    name = "double"
    upstream = ""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, upstream: str = ""):
        self.upstream = upstream.rstrip("/")
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self._faults: list[_Fault] = []
        self.routes: list[Route] = []
        self._acting = 0  # requests recorded whose effect is not complete yet (see settle())
        self._idle = threading.Condition()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "Double":
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _serve(self) -> None:
                double._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Double":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the double first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting --------------------------------------------------------------------------
    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1,
                  path: str | None = None, method: str | None = None) -> None:
        """Answer the next matching request(s) with ``status`` (JSON ``body``, or bytes/str as is)."""
        with self.lock:
            self._faults.append(_Fault("fail", times, path, method, status=status, body=body,
                                       headers=dict(headers or {})))

    def delay_next(self, seconds: float, times: int = 1, path: str | None = None, method: str | None = None) -> None:
        with self.lock:
            self._faults.append(_Fault("delay", times, path, method, seconds=seconds))

    def malformed_next(self, times: int = 1, path: str | None = None, method: str | None = None) -> None:
        with self.lock:
            self._faults.append(_Fault("malformed", times, path, method))

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every scripted fault has been used and every request received has had its effect.

        A client that timed out on a delayed request can return before the double has even read it (on a
        loaded machine the server thread may not have run yet); a test that then counts effects settles
        first instead of racing the double. The late answer itself may still be due.
        """
        def settled() -> bool:
            with self.lock:
                return self._acting == 0 and not self._faults

        with self._idle:
            if not self._idle.wait_for(settled, timeout=timeout):
                raise TimeoutError(f"{self.name}: not settled after {timeout} s")

    def requests_to(self, method: str, path_pattern: str) -> list[Recorded]:
        pattern = re.compile(path_pattern)
        with self.lock:
            return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if (fault.path is None or fault.path in path) and fault.method in (None, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- inspecting -------------------------------------------------------------------------
    INSPECTION_PATH = "/__doubles"

    def state(self) -> dict[str, Any]:
        """What the fake service holds (its counterparties, messages, documents...)."""
        return {}

    def inspection(self) -> dict[str, Any]:
        with self.lock:
            requests = [{"method": r.method, "path": r.path, "query": r.query, "body": _shorten(r.body)}
                        for r in self.requests]
            return {"name": self.name, "requests": requests, **_shorten(self.state())}

    # -- serving ----------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if handler.command == "GET" and parts.path == self.INSPECTION_PATH:
            return self._send(handler, 200, self.inspection(), {})
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw, parse_float=Decimal) if raw else None
        except ValueError:
            body = None
        record = Recorded(handler.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                          {k.lower(): v for k, v in handler.headers.items()}, body, raw)
        with self._idle, self.lock:
            self._acting += 1
            self.requests.append(record)
        try:
            fault = self._take_fault(record.method, parts.path)
            if fault is not None and fault.kind == "fail":
                return self._send(handler, fault.status, fault.body, fault.headers)
            if fault is not None and fault.kind == "malformed":
                return self._send_raw(handler, 200, b"<html>upstream hiccup", {"Content-Type": "text/html"})
            if self.upstream:
                status, payload, headers = self._forward(handler, record)
            else:
                status, reply, headers = self._route(record)
        finally:
            with self._idle:
                self._acting -= 1
                self._idle.notify_all()
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if self.upstream:
            return self._send_raw(handler, status, payload, headers)
        self._send(handler, status, reply, headers)

    def _forward(self, handler: BaseHTTPRequestHandler, record: Recorded) -> tuple[int, bytes, dict[str, str]]:
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(record.method, handler.path, body=record.raw or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            keep_length = record.method == "HEAD"  # a HEAD answer states the object's size, with no body
            return response.status, payload, {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
                                              and (keep_length or k.lower() != "content-length")}
        finally:
            connection.close()

    def _route(self, record: Recorded) -> Reply:
        for method, pattern, action in self.routes:
            match = pattern.fullmatch(record.path)
            if method == record.method and match:
                with self.lock:
                    return action(record, *match.groups())
        return 404, {"error": f"no route {record.method} {record.path}"}, {}

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, (bytes, str)):
            raw = body.encode("utf-8") if isinstance(body, str) else body
            return self._send_raw(handler, status, raw, {"Content-Type": "application/xml", **headers})
        payload = b"" if body is None else dumps_exact(body).encode("utf-8")
        self._send_raw(handler, status, payload, {"Content-Type": "application/json", **headers})

    @staticmethod
    def _send_raw(handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str]) -> None:
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if not any(name.lower() == "content-length" for name in headers):
                handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass


def _shorten(value: Any, limit: int = 200) -> Any:
    """Long strings (base64 PDFs) cut for reading; the structure kept."""
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}... ({len(value)} chars)"
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- PlanFact ----------------------------------------------------------------------------------

class PlanFactDouble(Double):
    """PlanFact API v1 as references/integrations.md § PlanFact describes it (not as our adapter calls it):

    - ``X-ApiKey``; every answer the envelope ``{data, isSuccess, errorMessage, errorCode}``;
    - an operation needs ``accountId`` (**required**) naming a known account (``add_account``);
    - lists page with ``paging.offset`` / ``paging.limit`` (``operations/list`` with ``offset``/``limit`` in
      the body); the counterparty filter ``filter.inn`` is *not confirmed* and unknown filters may be
      silently ignored, so this double ignores it: a look-up must page and compare the TIN itself.
    """

    name = "planfact-double"
    DEFAULT_LIMIT = 20
    MAX_LIMIT = 100

    def __init__(self, api_key: str = "pf-test-key", **kwargs: Any):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.counterparties: list[dict[str, Any]] = []
        self.projects: list[dict[str, Any]] = []
        self.operations: list[dict[str, Any]] = []
        self.accounts: list[dict[str, Any]] = []
        self._ids = itertools.count(1001)
        self.routes = [
            ("GET", re.compile(r"/api/v1/contragents"), self._list_counterparties),
            ("POST", re.compile(r"/api/v1/contragents"), self._create_counterparty),
            ("GET", re.compile(r"/api/v1/projects"), self._list_projects),
            ("POST", re.compile(r"/api/v1/operations/list"), self._list_operations),
            ("POST", re.compile(r"/api/v1/operations/(income|outcome)"), self._create_operation),
        ]

    def state(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "counterparties": self.counterparties, "projects": self.projects,
                "operations": self.operations}

    @staticmethod
    def envelope(data: Any = None, error: str | None = None, code: str | None = None) -> dict[str, Any]:
        return {"data": data, "isSuccess": error is None, "errorMessage": error,
                "errorCode": (code or "ValidationError") if error else None}

    def add_project(self, title: str) -> int:
        with self.lock:
            project_id = next(self._ids)
            self.projects.append({"projectId": project_id, "title": title, "active": True})
            return project_id

    def add_account(self, currency: str, title: str | None = None) -> int:
        with self.lock:
            account_id = next(self._ids)
            self.accounts.append({"accountId": account_id, "title": title or f"{currency} account",
                                  "currencyCode": currency})
            return account_id

    def add_counterparty(self, title: str, inn: str = "") -> int:
        with self.lock:
            item = {"contrAgentId": next(self._ids), "title": title, "inn": inn, "contrAgentType": "Legal",
                    "fullTitle": title}
            self.counterparties.append(item)
            return item["contrAgentId"]

    def _route(self, record: Recorded) -> Reply:
        if record.headers.get("x-apikey") != self.api_key:
            return 401, self.envelope(error="API key is invalid", code="Unauthorized"), {}
        return super()._route(record)

    def _page(self, items: list[dict[str, Any]], offset: Any, limit: Any) -> dict[str, Any] | None:
        try:
            offset = int(offset or 0)
            limit = int(limit or self.DEFAULT_LIMIT)
        except (TypeError, ValueError):
            return None
        if offset < 0 or not 1 <= limit <= self.MAX_LIMIT:
            return None
        return {"items": items[offset: offset + limit], "total": len(items)}

    def _list_counterparties(self, record: Recorded) -> Reply:
        # filter.inn / filter.title deliberately ignored (ref: unknown filters may be silently ignored).
        page = self._page(list(self.counterparties), record.query.get("paging.offset"),
                          record.query.get("paging.limit"))
        if page is None:
            return 400, self.envelope(error="Invalid paging"), {}
        return 200, self.envelope(page), {}

    def _create_counterparty(self, record: Recorded) -> Reply:
        body = record.body or {}
        if not body.get("title"):
            return 400, self.envelope(error="Title is required"), {}
        item = {"contrAgentId": next(self._ids), "title": body["title"], "inn": body.get("inn") or "",
                "contrAgentType": body.get("contrAgentType"), "fullTitle": body.get("fullTitle") or ""}
        self.counterparties.append(item)
        return 200, self.envelope({"contrAgentId": item["contrAgentId"]}), {}

    def _list_projects(self, record: Recorded) -> Reply:
        return 200, self.envelope({"items": list(self.projects), "total": len(self.projects)}), {}

    def _list_operations(self, record: Recorded) -> Reply:
        body = record.body or {}
        search = body.get("searchString") or ""
        found = [o for o in self.operations if search in (o.get("comment") or "")]
        page = self._page(found, body.get("offset"), body.get("limit"))
        if page is None:
            return 400, self.envelope(error="Invalid paging"), {}
        return 200, self.envelope(page), {}

    def _create_operation(self, record: Recorded, kind: str) -> Reply:
        body = record.body or {}
        items = body.get("items") or []
        # ref: Operation body: operationDate, accountId (required), comment, isCommitted, items[...]
        if body.get("accountId") is None:
            return 400, self.envelope(error="The AccountId field is required."), {}
        if body["accountId"] not in {a["accountId"] for a in self.accounts}:
            return 400, self.envelope(error=f"Account {body['accountId']} not found", code="NotFound"), {}
        if not body.get("operationDate") or not items:
            return 400, self.envelope(error="operationDate and items are required"), {}
        known = {c["contrAgentId"] for c in self.counterparties}
        if any(item.get("contrAgentId") not in known for item in items):
            return 400, self.envelope(error="ContrAgent not found", code="NotFound"), {}
        operation = {"operationId": next(self._ids), "operationType": kind.capitalize(), **body}
        self.operations.append(operation)
        return 200, self.envelope({"operationId": operation["operationId"]}), {}


# --- Telegram ----------------------------------------------------------------------------------

_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                 "tg-spoiler", "blockquote"}
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")


class _TelegramHtml(html.parser.HTMLParser):
    """Parses like Telegram's HTML mode: unknown tags are refused; collects the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        if tag == "a":
            self.links += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ALLOWED_TAGS:
            self.error = self.error or f'Unsupported end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


class TelegramDouble(Double):
    """Telegram Bot API ``sendMessage``: ``POST /bot<token>/sendMessage``; text 1–4096 characters after
    entity parsing (references/integrations.md § Telegram)."""

    name = "telegram-double"

    def __init__(self, token: str = "123456:test-token", chat_ids: tuple[str, ...] = ("-1001234567890",),
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.token = token
        self.chat_ids = set(chat_ids)
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.routes = [("POST", re.compile(r"/bot([^/]+)/sendMessage"), self._send_message)]

    def state(self) -> dict[str, Any]:
        return {"messages": [{k: m[k] for k in ("message_id", "chat", "text")} for m in self.messages]}

    @staticmethod
    def error(code: int, description: str, **extra: Any) -> dict[str, Any]:
        return {"ok": False, "error_code": code, "description": description, **extra}

    def _send_message(self, record: Recorded, token: str) -> Reply:
        if token != self.token:
            return 401, self.error(401, "Unauthorized"), {}
        body = record.body or {}
        if str(body.get("chat_id")) not in self.chat_ids:
            return 400, self.error(400, "Bad Request: chat not found"), {}
        text = body.get("text") or ""
        if not text:
            return 400, self.error(400, "Bad Request: message text is empty"), {}
        plain = text
        if body.get("parse_mode") == "HTML":
            parser = _TelegramHtml()
            parser.feed(text)
            parser.close()
            if parser.error or _BARE_AMPERSAND.search(text):
                reason = parser.error or "unescaped &"
                return 400, self.error(400, f"Bad Request: can't parse entities: {reason}"), {}
            plain = "".join(parser.text)
        if len(plain.encode("utf-16-le")) // 2 > 4096:  # references/integrations.md § Telegram: after parsing
            return 400, self.error(400, "Bad Request: message is too long"), {}
        message = {"message_id": next(self._ids), "chat": {"id": body["chat_id"]}, "date": int(time.time()),
                   "text": plain, "html": text, "request": body}
        self.messages.append(message)
        return 200, {"ok": True, "result": {k: message[k] for k in ("message_id", "chat", "date", "text")}}, {}


# --- Didox -------------------------------------------------------------------------------------

# The 002 body's shape as references/integrations.md § Didox, "002 e-invoice body (page 07)" lists it,
# written here independently of the adapter's schema: extra fields are refused, required ones named.
_D_TOP_REQUIRED = {"FacturaDoc", "ContractDoc", "SellerTin", "Seller", "BuyerTin", "Buyer", "ProductList"}
_D_TOP_NULLABLE = {"OldFacturaDoc", "FacturaRentDoc", "ItemReleasedDoc", "FacturaInvestmentObjectDoc",
                   "FacturaEmpowermentDoc", "ForeignCompany"}
_D_TOP_ALLOWED = _D_TOP_REQUIRED | _D_TOP_NULLABLE | {"Version", "FacturaType", "WaybillLocalIds", "HasMarking",
                                                      "HasRent", "ContractId", "LotId"}
_D_PARTY = {"Name", "Account", "BankId", "Address", "Director", "Accountant", "VatRegCode", "VatRegStatus"}
_D_PRODUCT_REQUIRED = {"OrdNo", "Name", "CatalogCode", "CatalogName", "PackageCode", "PackageName", "Origin",
                       "Count", "Summa", "DeliverySum", "VatRate", "VatSum", "DeliverySumWithVat"}
_D_PRODUCT_ALLOWED = _D_PRODUCT_REQUIRED | {"WithoutVat"}
_D_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _decimals(value: Any) -> int:
    exponent = Decimal(str(value)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def factura_errors(body: Any) -> dict[str, list[str]]:
    """Didox's field errors ``{field: [...]}`` (ref: Errors) for a 002 body; empty when it is acceptable."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not isinstance(body, dict):
        return {"body": ["must be an object"]}
    for key in set(body) - _D_TOP_ALLOWED:
        add(key, "Лишние поля запрещены (extra fields are forbidden)")
    for key in _D_TOP_REQUIRED - set(body):
        add(key, "required")
    for key in _D_TOP_NULLABLE - {"OldFacturaDoc"}:
        if body.get(key) is not None:
            add(key, "must be null when unused")
    for key in ("FacturaDoc", "ContractDoc"):
        doc = body.get(key) or {}
        for field, value in doc.items():
            if field.endswith("Date") and not (isinstance(value, str) and _D_DATE.fullmatch(value)):
                add(f"{key}.{field}", "yyyy-MM-dd")
    for party in ("Seller", "Buyer"):
        data = body.get(party)
        if not isinstance(data, dict):
            continue
        for key in set(data) - _D_PARTY:
            add(f"{party}.{key}", "Лишние поля запрещены (extra fields are forbidden)")
        if data.get("VatRegStatus") is None:
            add(f"{party}.VatRegStatus", "required")
    if not (body.get("Buyer") or {}).get("VatRegCode"):
        add("Buyer.VatRegCode", "required")
    product_list = body.get("ProductList") or {}
    products = product_list.get("Products") or []
    if not products:
        add("ProductList.Products", "required")
    for index, product in enumerate(products):
        where = f"ProductList.Products.{index}"
        for key in set(product) - _D_PRODUCT_ALLOWED:
            add(f"{where}.{key}", "Лишние поля запрещены (extra fields are forbidden)")
        for key in _D_PRODUCT_REQUIRED:
            if product.get(key) in (None, ""):
                add(f"{where}.{key}", "required")
        if product.get("Count") is not None and _decimals(product["Count"]) > 6:
            add(f"{where}.Count", "at most 6 decimals")
        for key in ("Summa", "DeliverySum", "VatSum", "DeliverySumWithVat"):
            if product.get(key) is not None and _decimals(product[key]) > 2:
                add(f"{where}.{key}", "at most 2 decimals")
        if product.get("WithoutVat") and product_list.get("HasVat") is not True:
            add(f"{where}.WithoutVat", "only allowed together with HasVat: true")
    return errors


class DidoxDouble(Double):
    """Didox's partner API as references/integrations.md § Didox describes it (not as the adapter calls it):

    - login ``POST /v1/auth/{tin}/password/{locale}`` → ``token``; wrong passwords lock out (3 → 423
      blocked, 10 → 429; ref: Auth, the lockout ladder) until ``unlock()``;
    - ``Partner-Authorization`` on every call, ``user-key`` on document calls; errors as
      ``{"data": {"status": "error", "message"}}`` and field errors ``{field: [...]}`` (ref: Errors);
    - create makes a **draft** (status 0) and delivers nothing; ``POST /v1/documents/{id}/sign`` with a
      signature (the seller's E-IMZO PKCS7, which only a person can make: the double takes any non-empty
      one) sends it to the buyer (status 1); the buyer then signs (3) or rejects (4); the tax committee may
      annul (50); a draft may be deleted (55), a document deleted (5);
    - ``GET /v2/documents``: ``page`` and ``limit`` (≤ 100) required; filters ``owner``, ``doctype``,
      ``name``, ``status`` (comma list), ``dateFromUpdated``/``dateToUpdated`` (YYYY-MM-DD); **without
      ``status`` drafts and deleted ones are hidden**; unknown parameters are ignored.

    The buyer's and the tax committee's side has no Didox endpoint for us: tests call ``buyer_sign`` etc.,
    and ``make run`` posts to ``/__doubles/documents/{id}/{seller-sign|buyer-sign|buyer-reject|annul|delete}``.
    """

    name = "didox-double"
    HIDDEN_WITHOUT_STATUS = {0, 5, 55}

    def __init__(self, partner_token: str = "didox-partner-token", tin: str = "305000001",
                 password: str = "didox-password", **kwargs: Any):
        super().__init__(**kwargs)
        self.partner_token = partner_token
        self.tin = tin
        self.password = password
        self.tokens: set[str] = set()
        self.documents: list[dict[str, Any]] = []
        self.failed_logins = 0
        self._ids = itertools.count(1)
        self._token_ids = itertools.count(1)
        self.routes = [
            ("POST", re.compile(r"/v1/auth/([^/]+)/password/([a-z]{2})"), self._login),
            ("POST", re.compile(r"/v1/documents/002/create(?:/[a-z]{2})?"), self._create),
            ("POST", re.compile(r"/v1/documents/([^/]+)/sign"), self._sign),
            ("GET", re.compile(r"/v1/documents/([^/]+)"), self._get),
            ("GET", re.compile(r"/v2/documents"), self._list),
        ]

    def state(self) -> dict[str, Any]:
        return {"documents": [self._summary(d) for d in self.documents]}

    @staticmethod
    def error(message: str) -> dict[str, Any]:
        return {"data": {"status": "error", "message": message}}

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def unlock(self) -> None:
        with self.lock:
            self.failed_logins = 0

    # -- the other side's actions (no partner endpoint: the buyer, the tax committee) ----------
    def _move(self, document_id: str, allowed_from: set[int], to: int) -> dict[str, Any]:
        with self.lock:
            document = next((d for d in self.documents if d["_id"] == document_id), None)
            if document is None:
                raise KeyError(document_id)
            if document["doc_status"] not in allowed_from:
                raise ValueError(f"document {document_id} is in status {document['doc_status']}, "
                                 f"not one of {sorted(allowed_from)}")
            document["doc_status"] = to
            document["updated"] = _didox_now()
            return self._summary(document)

    def seller_sign(self, document_id: str) -> dict[str, Any]:
        """What a person does in the cabinet with the company's E-IMZO key: draft → waiting for the buyer."""
        return self._move(document_id, {0, 2}, 1)

    def buyer_sign(self, document_id: str) -> dict[str, Any]:
        return self._move(document_id, {1}, 3)

    def buyer_reject(self, document_id: str) -> dict[str, Any]:
        return self._move(document_id, {1}, 4)

    def annul(self, document_id: str) -> dict[str, Any]:
        return self._move(document_id, {1, 3}, 50)

    def delete(self, document_id: str) -> dict[str, Any]:
        with self.lock:
            document = next(d for d in self.documents if d["_id"] == document_id)
            return self._move(document_id, {document["doc_status"]}, 55 if document["doc_status"] == 0 else 5)

    def set_status(self, document_id: str, doc_status: int, updated: str | None = None) -> None:
        """Any code, e.g. an undocumented one (tests)."""
        with self.lock:
            document = next(d for d in self.documents if d["_id"] == document_id)
            document["doc_status"] = doc_status
            document["updated"] = updated or _didox_now()

    _ACTIONS = {"seller-sign": "seller_sign", "buyer-sign": "buyer_sign", "buyer-reject": "buyer_reject",
                "annul": "annul", "delete": "delete"}

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        shown = re.fullmatch(r"/__doubles/documents/([^/]+)", urlsplit(handler.path).path)
        if handler.command == "GET" and shown:  # the local "cabinet" page the reminder links to
            with self.lock:
                document = next((d for d in self.documents if d["_id"] == shown.group(1)), None)
                if document is None:
                    return self._send(handler, 404, self.error("Document not found"), {})
                actions = {name: f"POST {self.url}/__doubles/documents/{document['_id']}/{name}"
                           for name in self._ACTIONS}
                return self._send(handler, 200, {"document": self._summary(document), "actions": actions}, {})
        found = re.fullmatch(r"/__doubles/documents/([^/]+)/([a-z-]+)", urlsplit(handler.path).path)
        if handler.command == "POST" and found and found.group(2) in self._ACTIONS:
            length = int(handler.headers.get("Content-Length") or 0)
            if length:
                handler.rfile.read(length)
            try:
                summary = getattr(self, self._ACTIONS[found.group(2)])(found.group(1))
            except KeyError:
                return self._send(handler, 404, self.error("Document not found"), {})
            except ValueError as exc:
                return self._send(handler, 409, self.error(str(exc)), {})
            return self._send(handler, 200, summary, {})
        return super()._serve(handler)

    # -- the partner API ---------------------------------------------------------------------
    def _route(self, record: Recorded) -> Reply:
        if record.headers.get("partner-authorization") != self.partner_token:
            return 403, self.error("Partner is not authorized"), {}
        if not record.path.startswith("/v1/auth/") and record.headers.get("user-key") not in self.tokens:
            return 401, self.error("Token is expired or invalid"), {}
        return super()._route(record)

    def _login(self, record: Recorded, tin: str, locale: str) -> Reply:
        if self.failed_logins >= 10:
            return 429, self.error("Too many failed logins: blocked for 24 hours"), {}
        if self.failed_logins >= 3:
            return 423, self.error("Too many failed logins: blocked for 10 minutes"), {}
        if tin != self.tin or (record.body or {}).get("password") != self.password:
            self.failed_logins += 1
            return 422, self.error("Login or password is incorrect"), {}
        self.failed_logins = 0
        token = f"user-token-{next(self._token_ids)}"
        self.tokens.add(token)
        return 200, {"token": token}, {}

    def _create(self, record: Recorded) -> Reply:
        body = record.body
        errors = factura_errors(body)
        if errors:
            return 422, errors, {}
        number = body["FacturaDoc"].get("FacturaNo")
        document = {"_id": f"{next(self._ids):032x}", "doctype": "002", "name": number, "doc_status": 0,
                    "partnerTin": body["BuyerTin"], "created": _didox_now(), "updated": _didox_now(), "json": body}
        self.documents.append(document)
        return 200, {"_id": document["_id"], "doc_status": 0}, {}

    def _sign(self, record: Recorded, document_id: str) -> Reply:
        document = next((d for d in self.documents if d["_id"] == document_id), None)
        if document is None:
            return 404, self.error("Document not found"), {}
        if not (record.body or {}).get("signature"):
            return 422, {"signature": ["required"]}, {}
        if document["doc_status"] not in (0, 2):
            return 422, self.error(f"Document is in status {document['doc_status']}"), {}
        document["doc_status"], document["updated"] = 1, _didox_now()
        return 200, {"data": {"document": self._summary(document)}}, {}

    def _summary(self, document: dict[str, Any]) -> dict[str, Any]:
        return {k: document[k] for k in ("_id", "doctype", "name", "doc_status", "partnerTin", "created", "updated")}

    def _get(self, record: Recorded, document_id: str) -> Reply:
        document = next((d for d in self.documents if d["_id"] == document_id), None)
        if document is None:
            return 404, self.error("Document not found"), {}
        return 200, {"data": {"document": self._summary(document), "json": document["json"]}}, {}

    def _list(self, record: Recorded) -> Reply:
        query = record.query
        try:
            page, limit = int(query["page"]), int(query["limit"])
        except (KeyError, ValueError):
            return 422, {"page": ["required"], "limit": ["required"]}, {}
        if page < 1 or not 1 <= limit <= 100:
            return 422, {"limit": ["must be between 1 and 100"]}, {}
        for key in ("dateFromUpdated", "dateToUpdated"):
            if key in query and not _D_DATE.fullmatch(query[key]):
                return 422, {key: ["YYYY-MM-DD"]}, {}
        if "status" in query:
            wanted = {int(c) for c in query["status"].split(",") if c.strip().isdigit()}
            visible = lambda d: d["doc_status"] in wanted  # noqa: E731
        else:
            visible = lambda d: d["doc_status"] not in self.HIDDEN_WITHOUT_STATUS  # noqa: E731
        found = [d for d in self.documents
                 if visible(d)
                 and (not query.get("doctype") or d["doctype"] in query["doctype"].split(","))
                 and (not query.get("name") or query["name"] in d["name"])
                 and (not query.get("dateFromUpdated") or d["updated"][:10] >= query["dateFromUpdated"])
                 and (not query.get("dateToUpdated") or d["updated"][:10] <= query["dateToUpdated"])]
        window = found[(page - 1) * limit: page * limit]
        return 200, {"data": [self._summary(d) for d in window], "total": len(found)}, {}


def _didox_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def start_all(host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> dict[str, Double]:
    """The three doubles on the given ports, else free ones (``make run`` points the settings at their ``url``)."""
    ports = ports or {}
    planfact = PlanFactDouble(host=host, port=ports.get("planfact", 0))
    for currency in ("UZS", "USD", "EUR"):  # accountId is required (references/integrations.md § PlanFact)
        planfact.add_account(currency)
    return {"planfact": planfact.start(),
            "telegram": TelegramDouble(host=host, port=ports.get("telegram", 0)).start(),
            # the Didox account belongs to the seeded company (infra/local/seed.py COMPANY["tin"])
            "didox": DidoxDouble(host=host, port=ports.get("didox", 0), tin="309512874").start()}
