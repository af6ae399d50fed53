"""Invoices: prefill previews, saving drafts, reading them back (DESIGN §3, §8)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from uuid import UUID

from ..domain.access import Principal, authorize
from ..domain.billing import DraftResult, Period
from ..domain.billing.engine import draft_from_totals, plan_prefill
from ..domain.cdm import Application, Customer
from ..domain.errors import DomainError, NotFound
from ..domain.events import CREATED as EVENT_CREATED
from . import container

if TYPE_CHECKING:  # the request models load on first use, not at cold start
    from ..schemas import PrefillRequest


@dataclass(frozen=True)
class Prefill:
    """A computed draft with the CDM data it was computed from."""

    application: Application
    customer: Customer | None
    result: DraftResult
    payment_terms_days: int
    issue_date_rule: str = "period_end"  # setting resident_issue_date (domain.invoice.issue_date_for)


def compute_prefill(application_key: str, period: Period, *, with_trace: bool = True) -> Prefill:
    """Read ClickHouse (application, worklogs, customer) and PostgreSQL (rules), apply the rules.

    One path for the preview, a saved draft and monthly generation (domain/billing/engine.py): the rules
    are decided per case in Python and applied to every worklog in ClickHouse, which returns the totals
    and, ``with_trace`` (what a saved draft keeps), each line's trace aggregated in the same query. A
    batch of one of :func:`compute_prefills`."""
    found = compute_prefills([application_key], period, with_trace=with_trace)[application_key]
    if isinstance(found, Exception):
        raise found
    return found


def compute_prefills(application_keys: Sequence[str], period: Period, *,
                     with_trace: bool = True) -> dict[str, Prefill | DomainError | ValueError]:
    """:func:`compute_prefill` for several applications of one month, their worklogs priced in one pass
    of the engine. An application that cannot be planned (unknown, not billable in the month) gets its
    error instead of a prefill and leaves the others alone; ClickHouse being unavailable raises."""
    from .billing_config import load_billing_configurations

    c = container.current()
    reader = c.clickhouse
    keys = list(dict.fromkeys(application_keys))
    applications = {a.application_key: a for a in reader.applications(keys)}
    try:
        configs: dict[str, Any] = load_billing_configurations(c.db, keys, period.first_day, period.last_day)
    except (DomainError, ValueError) as exc:  # a stored setting the rules refuse: every application's error
        configs = {key: exc for key in keys}
    results: dict[str, Prefill | DomainError | ValueError] = {}
    planned = []
    for key in keys:
        application = applications.get(key)
        try:
            if application is None:
                raise NotFound(f"no application {key!r}", details={"application_key": key})
            config = configs[key]
            if isinstance(config, Exception):
                raise config
            plan = plan_prefill(application, period, rules=config.rules, classifications=config.classifications,
                                exclusions=config.exclusions, settings=config.settings)
        except (DomainError, ValueError) as exc:
            results[key] = exc
            continue
        planned.append((application, config, plan))
    plans = [plan for _, _, plan in planned]
    totals = reader.engine_totals(plans, period.first_day, period.last_day, with_trace=with_trace)
    customers = reader.customers({application.customer_key for application, _, _ in planned}) if planned else {}
    for (application, config, plan), found in zip(planned, totals):
        result = draft_from_totals(application, period, plan, found, settings=config.settings,
                                   data_as_of=application.updated_at)
        results[application.application_key] = Prefill(
            application, customers.get(application.customer_key), result, config.payment_terms_days,
            config.resident_issue_date)
    return results


def customer_view(customer: Customer | None) -> dict[str, Any] | None:
    return None if customer is None else {**asdict(customer), "is_resident": customer.is_resident}


def _contract_view(application: Application) -> dict[str, Any]:
    return {"number": application.contract_number, "date": application.contract_date,
            "title": application.title, "start_date": application.start_date, "end_date": application.end_date}


def preview(principal: Principal, request: PrefillRequest, include_trace: bool = False) -> dict[str, Any]:
    """POST /api/invoices/prefill: the draft as it would be saved; nothing is written."""
    authorize(principal, "read")
    prefill = compute_prefill(request.application_key, Period.parse(request.period), with_trace=include_trace)
    view = prefill.result.to_dict(with_traces=include_trace)
    for position, line in enumerate(view["lines"], start=1):
        line.setdefault("id", None)
        line["position"] = position
    return {**view, "status": None, "number": None, "version": None, "id": None,
            "customer": customer_view(prefill.customer), "contract": _contract_view(prefill.application)}


def _payment_terms(prefill: Prefill) -> str:
    """The draft's payment terms in the language its document will be printed in, so the editor shows
    what the client will read (documents.py translates the English default of older drafts)."""
    from .. import documents

    resident = prefill.customer is not None and prefill.customer.is_resident
    return documents.translator(documents.language_for(resident))("payment.terms", days=prefill.payment_terms_days)


def _draft_rows(prefill: Prefill, actor: Principal, issue_date) -> tuple[dict, list[dict], dict]:
    result = prefill.result
    full = result.to_dict(with_traces=False)
    header = {
        "kind": "invoice", "application_key": result.application_key, "customer_key": result.customer_key,
        "period": str(result.period), "deal_type": result.deal_type, "currency": result.currency,
        "status": "draft", "source": "prefill", "issue_date": issue_date,
        "due_date": issue_date + timedelta(days=prefill.payment_terms_days),
        "payment_terms": _payment_terms(prefill),
        "contract_number": prefill.application.contract_number,
        "contract_date": prefill.application.contract_date,
        "subtotal": result.subtotal, "vat_rate": result.vat_rate, "vat_amount": result.vat_amount,
        "total": result.total, "left_out": full["left_out"], "warnings": full["warnings"],
        "warning_codes": full["warning_codes"],
        "hours_summary": {"hours": full["hours"], "included_hours": full["included_hours"]},
        "data_as_of": result.data_as_of, "created_by": actor.user_id or None,
        "customer_name": prefill.customer.name if prefill.customer else "",
    }
    # Each line's trace goes to PostgreSQL as the JSON text the engine wrote (billing.lines.Trace).
    lines = [{**line, "trace": source.stored_trace()} for line, source in zip(full["lines"], result.lines)]
    event = {"event_type": EVENT_CREATED, "actor_id": actor.user_id, "actor_email": actor.email,
             "to_status": "draft",
             "payload": {"source": "prefill", "total": result.total, "currency": result.currency,
                         "lines": len(lines), "data_as_of": result.data_as_of}}
    return header, lines, event


def create_draft(principal: Principal, request: PrefillRequest, today=None) -> dict[str, Any]:
    """POST /api/invoices: save the prefill as a draft with lines, totals, trace and a `created` event."""
    authorize(principal, "edit_invoices")
    invoice_id = save_prefill(principal, request.application_key, Period.parse(request.period), today=today)
    return get_invoice(principal, invoice_id)


def save_prefill(actor: Principal, application_key: str, period: Period, today=None,
                 prefill: Prefill | None = None) -> str:
    """Compute (unless given) and save in one transaction; a live invoice for the slot -> Conflict."""
    from ..adapters import invoice_store

    prefill = prefill or compute_prefill(application_key, period)
    header, lines, event = _saved_rows(prefill, actor, period, today)
    return container.current().db.run(lambda conn: invoice_store.insert_invoice(conn, header, lines, event))


def save_prefills(actor: Principal, prefills: Sequence[Prefill], period: Period,
                  today=None) -> dict[str, str | Exception]:
    """:func:`save_prefill` for several computed drafts of one month (monthly generation) in one
    transaction, one commit for all instead of one each, every draft in a savepoint of its own: a draft
    that cannot be saved (a live invoice already there: Conflict; anything else) comes back as its error
    and leaves the others saved. Invoice ids (or errors) by application key."""
    from ..adapters import invoice_store

    rows = [(prefill.application.application_key, _saved_rows(prefill, actor, period, today)) for prefill in prefills]

    def work(conn) -> dict[str, str | Exception]:
        saved: dict[str, str | Exception] = {}
        for key, (header, lines, event) in rows:
            try:
                with conn.transaction():  # a savepoint
                    saved[key] = invoice_store.insert_invoice(conn, header, lines, event)
            except Exception as exc:  # noqa: BLE001 - this draft's error; the connection's is everyone's
                if conn.broken:
                    raise
                saved[key] = exc
        return saved

    return container.current().db.run(work)


def _saved_rows(prefill: Prefill, actor: Principal, period: Period, today) -> tuple[dict, list[dict], dict]:
    from datetime import date

    from ..domain.invoice import issue_date_for

    resident = prefill.customer is not None and prefill.customer.is_resident
    issue_date = issue_date_for(resident, period.last_day, today or date.today(), prefill.issue_date_rule)
    return _draft_rows(prefill, actor, issue_date)


def get_invoice(principal: Principal, invoice_id: UUID | str) -> dict[str, Any]:
    """GET /api/invoices/{id}: the saved invoice, merged with the customer (frozen snapshot once finalized)."""
    from ..adapters import invoice_store

    authorize(principal, "read")
    invoice_id = str(invoice_id)

    def load(conn):
        row = invoice_store.load_invoice(conn, invoice_id)
        row["corrections"] = invoice_store.corrections_of(conn, invoice_id)
        if row["corrects_id"]:
            row["corrects_number"] = invoice_store.load_invoice(conn, row["corrects_id"])["number"]
        return row

    return invoice_view(container.current().db.run(load))


def invoice_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API shape of a saved invoice (DESIGN §8) plus what a reader acts on: allowed actions,
    corrections, whether the PDF exists."""
    from ..domain.status import allowed_actions

    view = dict(row)
    view["allowed_actions"] = allowed_actions(row["status"])
    view["pdf_available"] = row.get("pdf_sha256") is not None
    summary = view.pop("hours_summary") or {}
    view["hours"] = summary.get("hours")
    view["included_hours"] = summary.get("included_hours")
    snapshot = view.pop("customer_snapshot")
    if snapshot is not None:
        view["customer"] = snapshot
    else:
        view["customer"] = customer_view(container.current().clickhouse.customer(row["customer_key"]))
    view["contract"] = {"number": row["contract_number"], "date": row["contract_date"]}
    return view
