"""Didox (Uzbek e-invoicing): resident customers receive their invoice as an e-invoice (document 002).

Every request follows references/integrations.md § Didox (cited as "ref: <item>"):

- ``POST /v1/auth/{tin}/password/{locale}`` ``{"password"}`` → ``token`` (ref: Auth). The token is cached
  until shortly before it expires; a 401 on a document call drops it and logs in once more. A refused
  login (422/423/429: the lockout ladder) is permanent: the job never retries a login in a loop.
  Without a password, a long-lived ``DIDOX_USER_KEY`` is used as is. Every call carries
  ``Partner-Authorization``, document calls ``user-key``.
- ``GET /v2/documents?owner=1&doctype=002&name=<number>&status=<codes>&page=1&limit=100`` before creating
  (ref: List: "Without status the list hides drafts": our own earlier draft must be found, so the known
  codes are listed, deleted ones (5, 55) excepted: a deleted draft may be replaced).
- ``POST /v1/documents/002/create`` with the 002 body (ref: Create, 002 e-invoice body). Creating makes a
  *draft* (status 0): nothing is delivered until a person signs it with the seller's E-IMZO key in the
  Didox cabinet; the invoice waits in ``awaiting_signature`` meanwhile. The body is checked against
  ``didox_schema`` first: a body that breaks the schema never leaves the building.
- ``GET /v1/documents/{id}?owner=1`` (ref: Read; detail under ``data.document``).
- ``GET /v2/documents?owner=1&doctype=002&status=<codes>&dateFromUpdated=YYYY-MM-DD&page=&limit=100``
  (ref: List, Webhooks: the poll is the mechanism that must work; dates only, so the caller overlaps a day).

Unverified without a live account: the list answer's field names (``_id``/``doc_id``, ``doc_status``,
``name``, ``updated``), ``Version``/``FacturaType`` 1 ("additional") and ``OldFacturaId``'s id form
(ref: "which id OldFacturaId wants ... is not stated"), ``VatRegStatus`` values, the cabinet link's form.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..config import Settings
from ..domain import didox as codes
from ..domain import tax_codes
from ..domain.jobs import OutcomeUnknown, PermanentError, TransientError
from ..domain.money import percent_of
from . import didox_schema
from .integration import FrozenInvoice, Integration, JsonHttp, TokenCache

LOGIN = "/v1/auth/{tin}/password/{locale}"
CREATE_INVOICE = "/v1/documents/002/create"
DOCUMENT = "/v1/documents/{document_id}"
DOCUMENTS = "/v2/documents"
OUTGOING = 1
INVOICE_DOCTYPE = "002"
PAGE_SIZE = 100  # ref: List, "limit ≤ 100"
MAX_PAGES = 50
# ref: List: without ``status`` drafts and deleted ones are hidden. The look-up lists every state of a
# document that still stands; the poll lists every documented code.
LOOKUP_STATUSES = ",".join(str(c) for c in sorted(codes.CODES) if c not in (5, 55))
POLL_STATUSES = ",".join(str(c) for c in sorted(codes.CODES))
FACTURA_STANDARD = 0
FACTURA_ADDITIONAL = 1  # a price reduction for a resident (documents.md; Resolution No. 489, items 40–42)
LOGIN_LOCKOUT = (422, 423, 429)  # ref: Auth, the lockout ladder


# --- the 002 body ------------------------------------------------------------------------------

def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _iso(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    return _text(value)[:10]


def seller_vat_code(seller: Mapping[str, Any]) -> str:
    """The company's VAT registration code, read as the printed invoice reads it (domain.tax_codes)."""
    return tax_codes.seller_vat_registration_code(seller)


def _products(invoice: FrozenInvoice, config: Mapping[str, Any], documents: Mapping[str, Any], has_vat: bool,
              missing: list[str]) -> list[dict]:
    """One product per line (ref: 002 body, Products); per-line VAT rounded, the rounding residue put on
    the largest line so the document's totals are exactly the frozen invoice's. MXIK code and unit come
    from the printed invoice's settings through the same lookup (domain.tax_codes.line_codes)."""
    rate = invoice.vat_rate
    mxik_codes, unit_codes = documents.get("mxik_codes") or {}, documents.get("unit_codes") or {}
    for problem in tax_codes.missing_line_codes(invoice.lines, mxik_codes, unit_codes):
        missing.append(f"{problem['setting']}: {problem['problem']}")
    if config.get("origin") is None:
        missing.append("efaktura.origin: the products' Origin code (Didox-only, no printed counterpart)")
    products = []
    for position, line in enumerate(invoice.lines, start=1):
        category = _text(line.get("category"))
        coded = tax_codes.line_codes(category, _text(line.get("unit")), mxik_codes, unit_codes)
        quantity = Decimal(str(line.get("quantity")))
        price = Decimal(str(line.get("unit_price")))
        net = Decimal(str(line.get("amount")))
        if quantity < 0:  # a credit note's negated line: a positive count at a negative price
            quantity, price = -quantity, -price
        products.append({
            "OrdNo": int(line.get("position") or position),
            "Name": _text(line.get("description") or category),
            "CatalogCode": coded["mxik_code"],
            "CatalogName": coded["mxik_name"],
            "PackageCode": coded["unit_code"],
            "PackageName": coded["unit_name"],
            "Origin": config.get("origin"),
            "Count": quantity,
            "Summa": price,
            "DeliverySum": net,
            "VatRate": rate if has_vat else Decimal("0"),
            "VatSum": percent_of(net, rate) if has_vat else Decimal("0.00"),
            "WithoutVat": has_vat and rate == 0,  # ref: WithoutVat only with HasVat: true
        })
    if products and sum(p["DeliverySum"] for p in products) != invoice.subtotal:
        missing.append(f"invoice {invoice.number}: lines do not add up to the subtotal")
    residue = invoice.vat_amount - sum(p["VatSum"] for p in products)
    if products and residue and has_vat:
        largest = max(products, key=lambda p: abs(p["DeliverySum"]))
        largest["VatSum"] += residue
    for product in products:
        product["DeliverySumWithVat"] = product["DeliverySum"] + product["VatSum"]
    return products


def build_factura(invoice: FrozenInvoice, seller_tin: str, config: Mapping[str, Any],
                  documents: Mapping[str, Any] | None = None) -> tuple[dict, list[str]]:
    """The 002 body (ref: 002 e-invoice body) and what is missing or wrong in it (empty: it may be sent).

    ``config`` is the ``efaktura`` setting, what only Didox needs: ``seller_vat_reg_status``, ``origin``
    and ``buyers`` (``{customer_key: {vat_reg_status}}``). ``documents`` holds the settings the printed
    invoice reads too (``mxik_codes``, ``unit_codes``, ``customer_details``): the MXIK code, the unit and
    the buyer's VAT registration code are read from them (domain.tax_codes), never kept twice."""
    documents = documents or {}
    missing: list[str] = []
    seller, buyer = invoice.seller, invoice.customer
    customer_key = _text(buyer.get("customer_key"))
    buyer_status = ((config.get("buyers") or {}).get(customer_key) or {}).get("vat_reg_status")
    buyer_code = tax_codes.buyer_vat_registration_code(documents.get("customer_details"), customer_key)
    if not buyer_code:
        missing.append(f"customer_details.{customer_key}.vat_registration_code: the buyer's VAT registration code")
    if buyer_status is None:
        missing.append(f"efaktura.buyers.{customer_key}.vat_reg_status: the buyer's VAT registration status")
    if config.get("seller_vat_reg_status") is None:
        missing.append("efaktura.seller_vat_reg_status: the company's VAT registration status")
    if _text(seller.get("tin")) and _text(seller.get("tin")) != seller_tin:
        missing.append(f"company.tin: {seller.get('tin')} is not the Didox account's TIN (DIDOX_TIN {seller_tin})")
    if not seller_vat_code(seller):
        missing.append("company.vat_registration_code: the company's VAT registration code")
    if not invoice.lines:
        missing.append(f"invoice {invoice.number} has no lines")
    has_vat = bool(config.get("seller_vat_reg_status") is not None and seller_vat_code(seller))
    additional = invoice.is_credit_note
    old = None
    if additional:
        corrects = invoice.corrects or {}
        old = {"OldFacturaId": _text(corrects.get("didox_document_id")),
               "OldFacturaNo": _text(corrects.get("number")), "OldFacturaDate": _iso(corrects.get("issue_date"))}
        if not old["OldFacturaId"]:
            missing.append("the original invoice has no Didox document to correct")
    body: dict[str, Any] = {
        "Version": 1,
        "FacturaType": FACTURA_ADDITIONAL if additional else FACTURA_STANDARD,
        "WaybillLocalIds": [], "HasMarking": False, "HasRent": False, "ContractId": None, "LotId": None,
        "FacturaDoc": {"FacturaNo": invoice.number, "FacturaDate": _iso(invoice.issue_date)},
        "ContractDoc": {"ContractNo": _text(invoice.contract.get("number")),
                        "ContractDate": _iso(invoice.contract.get("date"))},
        "OldFacturaDoc": old,
        # ref: unused objects are sent as null
        "FacturaRentDoc": None, "ItemReleasedDoc": None, "FacturaInvestmentObjectDoc": None,
        "FacturaEmpowermentDoc": None, "ForeignCompany": None,
        "SellerTin": seller_tin,
        "Seller": {"Name": _text(seller.get("legal_name") or seller.get("name")),
                   "Account": _text(seller.get("bank_account")), "BankId": _text(seller.get("bank_code")),
                   "Address": _text(seller.get("address")), "Director": _text(seller.get("director")),
                   "Accountant": _text(seller.get("chief_accountant")),
                   "VatRegCode": seller_vat_code(seller), "VatRegStatus": config.get("seller_vat_reg_status")},
        "BuyerTin": _text(buyer.get("tin")),
        "Buyer": {"Name": _text(buyer.get("legal_name") or buyer.get("name")),
                  "Account": _text(buyer.get("bank_account")), "BankId": _text(buyer.get("bank_code")),
                  "Address": _text(buyer.get("address")), "Director": _text(buyer.get("signer_name")),
                  "Accountant": "",
                  "VatRegCode": buyer_code, "VatRegStatus": buyer_status},
        "ProductList": {"Tin": seller_tin, "HasVat": has_vat,
                        "Products": _products(invoice, config, documents, has_vat, missing)},
    }
    if not missing:
        missing += didox_schema.problems(body)
    return body, missing


# --- answers -----------------------------------------------------------------------------------

def _document_fields(body: Any) -> Mapping[str, Any]:
    """The document record inside an answer: under ``data.document`` (ref: Read), under ``data`` or bare."""
    for candidate in (body, (body or {}).get("data") if isinstance(body, Mapping) else None):
        if isinstance(candidate, Mapping):
            inner = candidate.get("document")
            if isinstance(inner, Mapping):
                return inner
            if any(k in candidate for k in ("_id", "doc_id", "doc_status")):
                return candidate
    return {}


def _document_view(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``code`` is Didox's status code when it is a documented one, else None (logged by the caller, never
    applied: ref "Unknown codes must not be treated as a final state")."""
    document_id = fields.get("_id") or fields.get("doc_id")
    raw = fields.get("doc_status")
    try:
        code = codes.parse_code(raw)
        status = codes.name_of(code)
    except codes.UnknownDidoxStatus:
        code, status = None, "unknown"
    return {"document_id": str(document_id), "code": code, "status": status, "raw_status": raw,
            "number": fields.get("name"), "updated_at": fields.get("updated")}


class DidoxDelivery(Integration):
    name = "didox"

    def __init__(self, settings: Settings, *, session: Any = None, timeout: tuple[float, float] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.http = JsonHttp("Didox", settings.didox_base_url,
                             headers={"Partner-Authorization": settings.didox_partner_token},
                             timeout=timeout or (3.05, float(settings.integration_timeout_seconds)),
                             secrets=(settings.didox_partner_token, settings.didox_password,
                                      settings.didox_user_key), session=session)
        self.tokens = TokenCache(settings.didox_token_ttl_seconds, clock=clock)

    @property
    def logs_in(self) -> bool:
        return bool(self.settings.didox_password)

    @property
    def missing(self) -> list[str]:
        s = self.settings
        missing = [name for name, value in (("DIDOX_BASE_URL", s.didox_base_url),
                                            ("DIDOX_PARTNER_TOKEN", s.didox_partner_token),
                                            ("DIDOX_TIN", s.didox_tin)) if not value]
        if not s.didox_password and not s.didox_user_key:
            missing.append("DIDOX_PASSWORD or DIDOX_USER_KEY")
        return missing

    def cabinet_url(self, document_id: str) -> str:
        return self.settings.didox_cabinet_url.format(document_id=document_id)

    # -- jobs -------------------------------------------------------------------------------
    def deliver(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Job ``deliver_didox``: the 002 *draft* for a frozen invoice (``payload``: the invoice with
        ``lines``, ``customer``, ``contract``, ``seller`` (the ``company`` setting), ``efaktura`` (the
        setting), ``documents`` (``mxik_codes``, ``unit_codes``, ``customer_details``: the printed invoice's
        settings), ``corrects`` for a credit note). Result: ``{"document_id", "code", "status", "created",
        "cabinet_url"}``; the runner keeps the id and state on the invoice and reminds the chat to sign."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        document, missing = build_factura(invoice, self.settings.didox_tin, payload.get("efaktura") or {},
                                          payload.get("documents") or {})
        if missing:
            raise PermanentError(f"invoice {invoice.number}: the e-invoice cannot be built: " + "; ".join(missing))
        existing = self.find_document(invoice.number)
        if existing is not None:
            return {**self._result(existing["document_id"], existing["code"]), "created": False}
        answer = self._call("POST", CREATE_INVOICE, json_body=document)
        fields = _document_fields(answer)
        document_id = fields.get("_id") or fields.get("doc_id")
        if not document_id:
            raise OutcomeUnknown("Didox create: the answer has no document id")
        return {**self._result(str(document_id), 0), "created": True}

    def _result(self, document_id: str, code: int | None) -> dict[str, Any]:
        return {"document_id": document_id, "code": code,
                "status": codes.name_of(code) if code is not None else "unknown",
                "cabinet_url": self.cabinet_url(document_id)}

    def find_document(self, number: str) -> dict[str, Any] | None:
        """Our outgoing 002 with this number, drafts included (ref: List)."""
        for page in range(1, MAX_PAGES + 1):
            answer = self._call("GET", DOCUMENTS, params={
                "owner": OUTGOING, "doctype": INVOICE_DOCTYPE, "name": number, "status": LOOKUP_STATUSES,
                "page": page, "limit": PAGE_SIZE})
            items = self._list_items(answer)
            for fields in items:  # the name filter may match loosely: compare here
                if str(fields.get("name") or "") == number:
                    return _document_view(fields)
            if len(items) < PAGE_SIZE:
                return None
        raise TransientError(f"Didox look-up of {number}: more than {MAX_PAGES} pages")

    def document_status(self, document_id: str) -> dict[str, Any]:
        """One document (ref: Read): ``{"document_id", "code", "status", "raw_status", "number", "updated_at"}``."""
        self._require_configuration()
        fields = _document_fields(self._call("GET", DOCUMENT.format(document_id=document_id),
                                             params={"owner": OUTGOING}))
        if not fields:
            raise OutcomeUnknown(f"Didox document {document_id}: the answer has no document")
        return _document_view(fields)

    def documents_updated_since(self, since: datetime | date | str) -> list[dict[str, Any]]:
        """Outgoing e-invoices Didox changed on or after ``since``'s day, every state (ref: List: dates only,
        ``status`` listed or drafts are hidden). The caller keeps the day overlap."""
        self._require_configuration()
        day = since.date() if isinstance(since, datetime) else since
        stamp = day.isoformat() if isinstance(day, date) else str(day)[:10]
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = self._call("GET", DOCUMENTS, params={
                "owner": OUTGOING, "doctype": INVOICE_DOCTYPE, "status": POLL_STATUSES, "dateFromUpdated": stamp,
                "page": page, "limit": PAGE_SIZE})
            items = self._list_items(answer)
            found += [_document_view(fields) for fields in items]
            if len(items) < PAGE_SIZE:
                return found
        # A partial list would look like "nothing changed" for the rest: fail loudly instead.
        raise TransientError(f"Didox documents since {stamp}: more than {MAX_PAGES} pages")

    # -- transport --------------------------------------------------------------------------
    @staticmethod
    def _list_items(answer: Any) -> list[Mapping[str, Any]]:
        items = answer.get("data") if isinstance(answer, Mapping) else answer
        if isinstance(items, Mapping) and isinstance(items.get("documents"), list):
            items = items["documents"]
        if not isinstance(items, list):
            raise OutcomeUnknown("Didox list: the answer has no data list")
        return [i for i in items if isinstance(i, Mapping)]

    def _user_key(self) -> str:
        if not self.logs_in:
            return self.settings.didox_user_key
        token = self.tokens.get()
        if token is None:
            path = LOGIN.format(tin=self.settings.didox_tin, locale=self.settings.didox_locale)
            answer = self.http.request("POST", path, json_body={"password": self.settings.didox_password},
                                       allow=LOGIN_LOCKOUT)
            if answer.status in LOGIN_LOCKOUT:
                from .integration import remote_message

                # ref: Auth: wrong passwords lock the account out (10 min, 24 h, for good): never retried.
                raise PermanentError(f"Didox login refused (HTTP {answer.status}): "
                                     f"{remote_message(answer.body) or 'wrong password or locked out'}; "
                                     "check DIDOX_PASSWORD, then retry the job by hand", answer.status)
            body = answer.body
            token = body.get("token") if isinstance(body, Mapping) else None
            if not token:
                raise TransientError("Didox login: the answer has no token")
            self.tokens.put(token)
        return token

    def _call(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.http.request(method, path, json_body=json_body, params=params,
                                     headers={"user-key": self._user_key()}).body
        except PermanentError as exc:
            if exc.status != 401 or not self.logs_in:
                raise
        self.tokens.clear()  # revoked or expired early: one fresh login, then the error stands
        return self.http.request(method, path, json_body=json_body, params=params,
                                 headers={"user-key": self._user_key()}).body


def poll_since(last_poll: datetime | None, now: datetime, first_lookback: timedelta = timedelta(days=1)) -> date:
    """The ``dateFromUpdated`` day: a day before the last poll (dates only, clocks differ: overlap a day)."""
    start = (last_poll or now - first_lookback) - timedelta(days=1)
    return start.date()
