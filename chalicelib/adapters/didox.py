"""Didox (Uzbek e-invoicing): resident customers receive their invoice as an e-invoice (document 002).

Every call carries ``Partner-Authorization`` (our partner token) and, on document calls, ``user-key``:
the token a password login for the seller's TIN returns, cached in the adapter instance until shortly
before it expires (a 401 on a document call drops it and logs in once more). Without a password, a
long-lived ``DIDOX_USER_KEY`` is used as is.

Creating is made idempotent by looking the number up first (outgoing 002 documents filtered by name), so
a retry after a lost answer finds the first document instead of creating a second one.

Shapes follow Didox's partner API as its public clients call it (login ``/v1/auth/{tin}/password/{locale}``,
create ``/v1/documents/002/create``, read ``/v1/documents/{id}``, list ``/v2/documents``); the list
filters (``name``, ``updated_from``), the answers' field names, the status codes and where the PDF goes in
the document (``Attachments``) are not confirmed against Didox's documentation and are kept in this
module only, to check against a live account first.
"""
from __future__ import annotations

import base64
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..config import Settings
from ..domain.money import percent_of
from .integration import (FrozenInvoice, Integration, JsonHttp, OutcomeUnknown, PermanentError, TokenCache,
                          TransientError)

LOGIN = "/v1/auth/{tin}/password/{locale}"
CREATE_INVOICE = "/v1/documents/002/create"
DOCUMENT = "/v1/documents/{document_id}"
DOCUMENTS = "/v2/documents"
OUTGOING = 1
INVOICE_DOCTYPE = "002"
PAGE_SIZE = 100
MAX_PAGES = 50
# Didox's numeric document states, in the words the webhook and the invoice use.
STATUS_NAMES = {0: "draft", 1: "sent", 6: "sent", 7: "sent", 2: "signed", 3: "rejected", 4: "annulled"}


def status_name(raw: Any) -> str:
    try:
        return STATUS_NAMES.get(int(raw), "unknown")
    except (TypeError, ValueError):
        return "unknown"


def _products(invoice: FrozenInvoice) -> list[dict[str, Any]]:
    """One product per line; per-line VAT rounded, the rounding residue put on the largest line so the
    document's totals are exactly the frozen invoice's."""
    if not invoice.lines:
        raise PermanentError(f"invoice {invoice.number} has no lines")
    rate = invoice.vat_rate
    products = []
    for position, line in enumerate(invoice.lines, start=1):
        net = Decimal(str(line.get("amount")))
        products.append({
            "OrdNo": int(line.get("position") or position),
            "Name": str(line.get("description") or line.get("category") or ""),
            "Count": Decimal(str(line.get("quantity"))),
            "Summa": Decimal(str(line.get("unit_price"))),
            "DeliverySum": net,
            "VatRate": rate,
            "VatSum": percent_of(net, rate),
            "WithoutVat": rate == 0,
        })
    if sum(p["DeliverySum"] for p in products) != invoice.subtotal:
        raise PermanentError(f"invoice {invoice.number}: lines do not add up to the subtotal")
    residue = invoice.vat_amount - sum(p["VatSum"] for p in products)
    if residue:
        largest = max(products, key=lambda p: abs(p["DeliverySum"]))
        largest["VatSum"] += residue
    for product in products:
        product["DeliverySumWithVat"] = product["DeliverySum"] + product["VatSum"]
    return products


def factura_document(invoice: FrozenInvoice, seller_tin: str) -> dict[str, Any]:
    """The e-invoice (type 002) body for a frozen invoice, its PDF attached."""
    pdf, digest = invoice.verified_pdf()
    buyer_tin = str(invoice.customer.get("tin") or "")
    if not buyer_tin:
        raise PermanentError(f"invoice {invoice.number}: the customer has no TIN for Didox")
    seller, buyer = invoice.seller, invoice.customer
    document: dict[str, Any] = {
        "Version": 1,
        "FacturaType": 4 if invoice.is_credit_note else 0,  # 4: corrective (a credit note), 0: standard
        "FacturaDoc": {"FacturaNo": invoice.number, "FacturaDate": invoice.issue_date.isoformat()},
        "ContractDoc": {"ContractNo": str(invoice.contract.get("number") or ""),
                        "ContractDate": str(invoice.contract.get("date") or "")},
        "SellerTin": seller_tin,
        "Seller": {"Name": str(seller.get("legal_name") or seller.get("name") or ""),
                   "Account": str(seller.get("bank_account") or ""), "BankId": str(seller.get("bank_code") or ""),
                   "Address": str(seller.get("address") or ""), "VatRegCode": str(seller.get("vat_code") or ""),
                   "Director": str(seller.get("director") or ""),
                   "Accountant": str(seller.get("chief_accountant") or "")},
        "BuyerTin": buyer_tin,
        "Buyer": {"Name": str(buyer.get("legal_name") or buyer.get("name") or ""),
                  "Account": str(buyer.get("bank_account") or ""), "BankId": str(buyer.get("bank_code") or ""),
                  "Address": str(buyer.get("address") or ""), "Director": str(buyer.get("signer_name") or "")},
        "ProductList": {"Tin": seller_tin, "HasVat": invoice.vat_rate > 0, "Products": _products(invoice)},
        "Attachments": [{"FileName": f"{invoice.number}.pdf", "MimeType": "application/pdf",
                         "Sha256": digest, "Content": base64.b64encode(pdf).decode("ascii")}],
    }
    if invoice.is_credit_note and invoice.corrects:
        document["OldFacturaDoc"] = {"OldFacturaNo": str(invoice.corrects.get("number") or ""),
                                     "OldFacturaDate": str(invoice.corrects.get("issue_date") or ""),
                                     "OldFacturaId": str(invoice.corrects.get("didox_document_id") or "")}
    return document


def _document_fields(body: Any) -> Mapping[str, Any]:
    """The document record inside an answer: bare, under ``data`` or under ``data.document``."""
    for candidate in (body, (body or {}).get("data") if isinstance(body, Mapping) else None):
        if isinstance(candidate, Mapping):
            inner = candidate.get("document")
            if isinstance(inner, Mapping):
                return inner
            if any(k in candidate for k in ("_id", "doc_id", "doc_status")):
                return candidate
    return {}


def _document_view(fields: Mapping[str, Any]) -> dict[str, Any]:
    document_id = fields.get("_id") or fields.get("doc_id")
    return {"document_id": str(document_id), "status": status_name(fields.get("doc_status")),
            "raw_status": fields.get("doc_status"), "number": fields.get("name"), "updated_at": fields.get("updated")}


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

    # -- jobs -------------------------------------------------------------------------------
    def deliver(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Job ``deliver_didox``. Payload: the frozen invoice with ``lines`` (``position``, ``description``,
        ``quantity``, ``unit_price``, ``amount``), ``subtotal``, ``vat_rate``, ``vat_amount``, ``total``,
        ``customer`` (``tin``, ``legal_name``, ``address``, ``bank_account``, ``bank_code``, ``signer_name``),
        ``contract`` (``number``, ``date``), ``seller`` (the ``company`` setting), ``pdf`` + ``pdf_sha256``;
        ``corrects`` (``number``, ``issue_date``, ``didox_document_id``) for a credit note.
        Result: ``{"document_id", "status", "created"}``; the runner stores ``didox_document_id``."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        document = factura_document(invoice, self.settings.didox_tin)
        existing = self.find_document(invoice.number)
        if existing is not None:
            return {"document_id": existing["document_id"], "status": existing["status"], "created": False}
        answer = self._call("POST", CREATE_INVOICE, json_body=document)
        fields = _document_fields(answer)
        if not (fields.get("_id") or fields.get("doc_id")):
            raise OutcomeUnknown("Didox create: the answer has no document id")
        return {"document_id": str(fields.get("_id") or fields.get("doc_id")), "status": "draft", "created": True}

    def find_document(self, number: str) -> dict[str, Any] | None:
        answer = self._call("GET", DOCUMENTS, params={"owner": OUTGOING, "doctype": INVOICE_DOCTYPE, "name": number,
                                                      "page": 1, "limit": 10})
        for fields in self._list_items(answer):
            if str(fields.get("name") or "") == number:
                return _document_view(fields)
        return None

    def document_status(self, document_id: str) -> dict[str, Any]:
        """The poll for one document: ``{"document_id", "status", "raw_status", "number", "updated_at"}``."""
        self._require_configuration()
        fields = _document_fields(self._call("GET", DOCUMENT.format(document_id=document_id)))
        if not fields:
            raise OutcomeUnknown(f"Didox document {document_id}: the answer has no document")
        return _document_view(fields)

    def documents_updated_since(self, since: datetime | str) -> list[dict[str, Any]]:
        """Outgoing e-invoices changed since ``since`` (the 15-minute poll that catches lost callbacks)."""
        self._require_configuration()
        stamp = since.isoformat(timespec="seconds") if isinstance(since, datetime) else str(since)
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = self._call("GET", DOCUMENTS, params={"owner": OUTGOING, "doctype": INVOICE_DOCTYPE,
                                                          "updated_from": stamp, "page": page, "limit": PAGE_SIZE})
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
        if not isinstance(items, list):
            raise OutcomeUnknown("Didox list: the answer has no data list")
        return [i for i in items if isinstance(i, Mapping)]

    def _user_key(self) -> str:
        if not self.logs_in:
            return self.settings.didox_user_key
        token = self.tokens.get()
        if token is None:
            path = LOGIN.format(tin=self.settings.didox_tin, locale=self.settings.didox_locale)
            body = self.http.request("POST", path, json_body={"password": self.settings.didox_password}).body
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
