"""PlanFact (accounting): an income operation per approved invoice, booked once.

Follows references/integrations.md § PlanFact ("ref: <item>"): base ``/api/v1/``, header ``X-ApiKey``;
every answer is the envelope ``{data, isSuccess, errorMessage, errorCode}`` (``isSuccess: false`` is a
refusal even under HTTP 200; ``errorCode`` is carried into the job error). PlanFact enforces no uniqueness
on operations and ``externalId`` is not searchable, so idempotency is ours: the comment carries the
invoice number and ``POST operations/list`` with ``searchString`` precedes every create.

Requests: ``POST /api/v1/operations/list`` ``{offset, limit, searchString}`` (ref: operations/list);
``GET /api/v1/contragents`` paged with ``paging.offset``/``paging.limit`` and compared by TIN here, since
unknown filters may be silently ignored (ref: Lists page ...); ``POST /api/v1/contragents``;
``GET /api/v1/projects``; ``POST /api/v1/operations/income|outcome`` with ``operationDate``, ``accountId``
(**required**: refused here, permanently and naming the setting, when the currency has no account),
``comment``, ``isCommitted``, ``items[...]`` (ref: Operation body). ``currencyCode`` is not sent: it
appears in no public income example (the account carries the currency).

Not confirmed publicly (ref: "Not confirmed publicly"): the counterparty endpoint, its ``filter.inn``
filter and create fields; check them against a live account first.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from ..config import Settings
from ..domain.jobs import OutcomeUnknown, PermanentError, TransientError
from .integration import FrozenInvoice, Integration, JsonHttp, missing_settings

COUNTERPARTIES = "/api/v1/contragents"
PROJECTS = "/api/v1/projects"
OPERATIONS_LIST = "/api/v1/operations/list"
INCOME = "/api/v1/operations/income"
OUTCOME = "/api/v1/operations/outcome"  # credit notes reverse revenue as an outcome
PAGE_SIZE = 100
MAX_PAGES = 100


def operation_comment(invoice: FrozenInvoice) -> str:
    """The text that identifies our booking: the look-up searches it for the invoice number."""
    title = "credit note" if invoice.is_credit_note else "invoice"
    parts = [f"Proxima {title} {invoice.number}", invoice.application_key, invoice.period]
    if invoice.corrects and invoice.corrects.get("number"):
        parts.append(f"corrects {invoice.corrects['number']}")
    return " · ".join(p for p in parts if p)


def _mentions(comment: str, number: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(number)}(?![\w-])", comment or "") is not None


def _json_setting(name: str, raw: str) -> dict[str, str]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise PermanentError(f"{name.upper()} is not a JSON object") from None
    if not isinstance(value, dict):
        raise PermanentError(f"{name.upper()} is not a JSON object")
    return {str(k): str(v) for k, v in value.items()}


def _as_id(value: str) -> Any:
    return int(value) if value.isdigit() else value


class PlanFactSync(Integration):
    name = "planfact"

    def __init__(self, settings: Settings, *, session: Any = None, timeout: tuple[float, float] | None = None):
        self.settings = settings
        self.http = JsonHttp("PlanFact", settings.planfact_base_url, headers={"X-ApiKey": settings.planfact_api_key},
                             timeout=timeout or (3.05, float(settings.integration_timeout_seconds)),
                             secrets=(settings.planfact_api_key,), session=session)
        self._project_ids: dict[str, Any] = {}

    @property
    def missing(self) -> list[str]:
        return missing_settings(planfact_api_key=self.settings.planfact_api_key,
                                planfact_base_url=self.settings.planfact_base_url)

    def sync(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Job ``planfact_sync``. Payload: ``id``, ``number``, ``kind``, ``currency``, ``total``, ``issue_date``,
        ``due_date``, ``period``, ``application_key``, ``customer`` (``tin``, ``name``, ``legal_name``),
        ``corrects.number`` for credit notes. Result: ``{"operation_id", "counterparty_id", "created"}``;
        the runner stores ``operation_id`` on the invoice (``planfact_operation_id``)."""
        self._require_configuration()
        invoice = FrozenInvoice.from_payload(payload)
        account_id = self.account_id(invoice.currency)  # before any request: without it nothing is booked
        existing = self.find_operation(invoice.number)
        if existing is not None:
            return {"operation_id": str(existing.get("operationId")), "counterparty_id": None, "created": False}
        counterparty_id = self.ensure_counterparty(invoice.customer)
        operation_id = self._create_operation(invoice, counterparty_id, account_id)
        return {"operation_id": str(operation_id), "counterparty_id": str(counterparty_id), "created": True}

    # -- steps ------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        body = self.http.request(method, path, json_body=json_body, params=params).body
        if not isinstance(body, Mapping) or "isSuccess" not in body:
            raise OutcomeUnknown(f"PlanFact {method} {path}: answer is not the PlanFact envelope")
        if body.get("isSuccess") is not True:
            code = body.get("errorCode")
            raise PermanentError(f"PlanFact {method} {path}: {body.get('errorMessage') or 'isSuccess is false'}"
                                 + (f" (errorCode {code})" if code not in (None, "") else ""))
        return body.get("data")

    @staticmethod
    def _items(data: Any) -> list[Mapping[str, Any]]:
        items = data.get("items") if isinstance(data, Mapping) else data
        return [i for i in (items or []) if isinstance(i, Mapping)]

    def account_id(self, currency: str) -> Any:
        """The PlanFact account for ``currency`` (``PLANFACT_ACCOUNTS``); ref: ``accountId`` is required, so a
        missing one is a permanent error naming the setting, never a ``null`` sent to PlanFact."""
        accounts = _json_setting("planfact_accounts", self.settings.planfact_accounts)
        if not accounts.get(currency):
            raise PermanentError(f"PlanFact: no account for {currency}: set PLANFACT_ACCOUNTS "
                                 f'(e.g. {{"{currency}": "<accountId>"}}), then retry the job')
        return _as_id(accounts[currency])

    def find_operation(self, number: str) -> Mapping[str, Any] | None:
        data = self._call("POST", OPERATIONS_LIST, json_body={"searchString": number, "offset": 0, "limit": 100})
        return next((op for op in self._items(data) if _mentions(str(op.get("comment") or ""), number)), None)

    def ensure_counterparty(self, customer: Mapping[str, Any]) -> Any:
        """The counterparty with the customer's TIN (by exact title when there is no TIN), created if missing."""
        tin = str(customer.get("tin") or "").strip()
        title = str(customer.get("legal_name") or customer.get("name") or "").strip()
        if not tin and not title:
            raise PermanentError("PlanFact: the customer has neither a TIN nor a name")
        params = {"filter.inn": tin} if tin else {"filter.title": title}
        # ref: Lists page with paging.limit / paging.offset and unknown filters may be silently ignored:
        # read every page and compare the TIN (or the exact title) here.
        offset = 0
        for _ in range(MAX_PAGES):
            items = self._items(self._call("GET", COUNTERPARTIES, params={
                **params, "paging.offset": offset, "paging.limit": PAGE_SIZE}))
            for item in items:
                if (tin and str(item.get("inn") or "") == tin) or (not tin and str(item.get("title") or "") == title):
                    return item["contrAgentId"]
            if len(items) < PAGE_SIZE:
                break
            offset += PAGE_SIZE
        else:
            raise TransientError(f"PlanFact counterparties: more than {MAX_PAGES} pages")
        created = self._call("POST", COUNTERPARTIES, json_body={
            "title": str(customer.get("name") or title), "fullTitle": title, "inn": tin,
            "contrAgentType": "Legal", "email": str(customer.get("email") or ""),
            "description": f"Proxima customer {customer.get('customer_key') or ''}".strip()})
        if not isinstance(created, Mapping) or "contrAgentId" not in created:
            raise OutcomeUnknown("PlanFact: counterparty created without an id")
        return created["contrAgentId"]

    def project_id(self, application_key: str) -> Any:
        """The mapped project (``PLANFACT_PROJECTS``), else the project titled by the application key."""
        mapped = _json_setting("planfact_projects", self.settings.planfact_projects)
        if application_key in mapped:
            return _as_id(mapped[application_key])
        if not application_key:
            return None
        if application_key not in self._project_ids:
            items = self._items(self._call("GET", PROJECTS, params={"filter.active": "true"}))
            found = next((p for p in items if str(p.get("title") or "") == application_key), None)
            self._project_ids[application_key] = found.get("projectId") if found else None
        return self._project_ids[application_key]

    def _create_operation(self, invoice: FrozenInvoice, counterparty_id: Any, account_id: Any) -> Any:
        item: dict[str, Any] = {
            "calculationDate": invoice.issue_date.isoformat(),  # the accrual: revenue recognised on issue
            "isCalculationCommitted": True,
            "contrAgentId": counterparty_id,
            "projectId": self.project_id(invoice.application_key),
            "value": abs(invoice.total),
        }
        if self.settings.planfact_income_category_id:
            item["operationCategoryId"] = _as_id(self.settings.planfact_income_category_id)
        body = {
            "operationDate": (invoice.due_date or invoice.issue_date).isoformat(),  # the payment, still planned
            "isCommitted": False,
            "accountId": account_id,
            "comment": operation_comment(invoice),
            "externalId": f"proxima-invoice:{invoice.id}",  # ref: exists on operations, not searchable
            "items": [item],
        }
        data = self._call("POST", OUTCOME if invoice.is_credit_note else INCOME, json_body=body)
        if not isinstance(data, Mapping) or "operationId" not in data:
            raise OutcomeUnknown("PlanFact: operation created without an id")
        return data["operationId"]
