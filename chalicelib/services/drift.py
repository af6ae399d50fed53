"""Source drift after finalize, its resolution, regenerating a draft without losing edits, and the margin
guardrail on approval (issue 15).

The billing engine is reached only through ``invoices.compute_prefill`` (the draft the current source gives,
with its trace); the comparison is ``domain.drift``, the merge ``domain.merge``.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping
from uuid import UUID

from ..domain import drift as rules
from ..domain import events
from ..domain import invoice as invoice_rules
from ..domain import merge as merging
from ..domain.access import Principal, authorize
from ..domain.errors import Conflict, DomainError
from ..domain.money import to_decimal
from ..domain.status import check_action
from . import container

if TYPE_CHECKING:
    import psycopg

    from ..drift_schemas import DriftListQuery, DriftResolutionRequest, RegenerateRequest

log = logging.getLogger(__name__)

SETTING_KEYS = ["drift_months_back", "drift_money_threshold", "drift_minutes_threshold", "margin_floor_pct",
                "margin_require_reason", "application_cost_rates", "payment_terms_days"]
DEFAULTS = {"drift_months_back": 3, "drift_money_threshold": "1.00", "drift_minutes_threshold": 15,
            "margin_floor_pct": "20.00", "margin_require_reason": False, "application_cost_rates": {},
            "payment_terms_days": 10}
OPEN, ACKNOWLEDGED, CREDIT_PROPOSED, SUPPLEMENT_PROPOSED, CLEARED = (
    "open", "acknowledged", "credit_proposed", "supplement_proposed", "cleared")


def _settings(conn: "psycopg.Connection") -> dict[str, Any]:
    from ..adapters import billing_config_store as settings_store

    return {**DEFAULTS, **settings_store.settings(conn, SETTING_KEYS)}


def _thresholds(settings: Mapping[str, Any]) -> rules.DriftThresholds:
    return rules.DriftThresholds(money=to_decimal(settings["drift_money_threshold"]),
                                 minutes=int(settings["drift_minutes_threshold"]))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- the report ----------------------------------------------------------------------------------

def _billed(invoice_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    from ..adapters import drift_store
    from ..adapters import invoice_store as store

    def read(conn):
        invoice = store.load_invoice(conn, invoice_id, with_trace=True)
        return invoice, drift_store.correction_lines(conn, invoice_id), _settings(conn)

    invoice, corrections, settings = container.current().db.run(read)
    if invoice["kind"] != invoice_rules.INVOICE or invoice["source"] != "prefill":
        raise Conflict("drift is checked on invoices generated from the source; a credit note or supplement is "
                       "part of its original's check, a manual invoice has no source",
                       details={"kind": invoice["kind"], "source": invoice["source"],
                                "corrects_id": invoice["corrects_id"], "supplements_id": invoice["supplements_id"]})
    if invoice["status"] not in ("needs_review", "approved", "sent", "accepted", "paid"):
        raise Conflict(f"a {invoice['status']} invoice has not been finalized: regenerate a draft instead",
                       details={"status": invoice["status"], "reason": "not_finalized"})
    return invoice, corrections, settings


def compute_report(invoice_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The drift of a finalized invoice: recomputed from today's source with the rules in force for its
    month, compared with what it and its live corrections billed. Returns (invoice, report, settings)."""
    from ..domain.billing import Period
    from .invoices import compute_prefill

    invoice, corrections, settings = _billed(invoice_id)
    prefill = compute_prefill(invoice["application_key"], Period.parse(invoice["period"]))
    current = prefill.result.to_dict()["lines"]
    report = rules.compare(invoice["lines"], current, vat_rate=invoice["vat_rate"], currency=invoice["currency"],
                           correction_lines=corrections)
    report = {"invoice_id": invoice_id, "number": invoice["number"], "status": invoice["status"],
              "application_key": invoice["application_key"], "period": invoice["period"],
              "billed_data_as_of": invoice["data_as_of"], "source_data_as_of": prefill.result.data_as_of,
              "checked_at": _now(), **report}
    report["corrections_counted"] = len({line["invoice_id"] for line in corrections})
    report["fingerprint"] = rules.fingerprint(report)
    report["drifted"] = bool(report["worklogs"] or report["lines"])
    report["above_threshold"] = rules.exceeds(report, _thresholds(settings))
    return invoice, report, settings


def invoice_drift(principal: Principal, invoice_id: UUID) -> dict[str, Any]:
    """GET /api/invoices/{id}/drift: the report now, with the drift recorded for it (if any)."""
    from ..adapters import drift_store

    authorize(principal, "read")
    invoice_id = str(invoice_id)
    invoice, report, settings = compute_report(invoice_id)
    record = container.current().db.run(lambda conn: drift_store.latest_drift(conn, invoice_id))
    if record is not None:
        record.pop("report", None)
    actions = []
    if report["drifted"]:
        actions.append("acknowledge")
        if any(line["money_delta"] < 0 for line in report["lines"]) and invoice["status"] in (
                "approved", "sent", "accepted", "paid"):
            actions.append("credit-note")
        if any(line["money_delta"] > 0 for line in report["lines"]):
            actions.append("supplement")
    thresholds = _thresholds(settings)
    return {**report, "record": record, "allowed_resolutions": actions,
            "thresholds": {"money": thresholds.money, "minutes": thresholds.minutes}}


def list_drifts(principal: Principal, request: DriftListQuery) -> dict[str, Any]:
    """GET /api/drift: recorded drifts (open by default), newest first."""
    from ..adapters import drift_store

    authorize(principal, "read")
    statuses = ([OPEN, ACKNOWLEDGED, CREDIT_PROPOSED, SUPPLEMENT_PROPOSED, CLEARED] if request.status == "all"
                else [request.status])
    items = container.current().db.run(lambda conn: drift_store.list_drifts(conn, statuses, request.limit))
    return {"items": items, "count": len(items)}


# --- the daily check -----------------------------------------------------------------------------

def _first_period(today: date, months_back: int) -> str:
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def _alert_text(report: Mapping[str, Any]) -> str:
    counts = report["counts"]
    worklogs = "worklog" if counts["added"] == 1 else "worklogs"
    effect = {"under_billed": "under-billed by", "over_billed": "over-billed by", "none": "money unchanged:"}
    return (f"Source drift on invoice {report['number']} ({report['application_key']} {report['period']}): "
            f"since it was billed, {counts['added']} {worklogs} added, {counts['removed']} removed, "
            f"{counts['changed']} changed ({report['minutes_changed']} minutes). "
            f"{effect[report['direction']].capitalize()} {abs(report['total_delta'])} {report['currency']} in total "
            f"(net of lines over- and under-billed). Review it in the drift list.")


def record(report: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """Record one invoice's drift: opened (with an event and a Telegram alert) when above the threshold
    and not already known under the same fingerprint, refreshed while open, cleared when it goes away."""
    from ..adapters import drift_store, jobs_store
    from ..adapters import invoice_store as store
    from ..domain import jobs as job_policy
    from . import jobs

    invoice_id = report["invoice_id"]
    above = report["above_threshold"]

    def work(conn) -> tuple[str, list[str]]:
        store.load_invoice(conn, invoice_id, lock=True)  # one checker per invoice at a time
        latest = drift_store.latest_drift(conn, invoice_id, lock=True)
        if latest is not None and latest["status"] == OPEN:
            if not above:
                drift_store.close_drift(conn, latest["id"], CLEARED, actor_email="system")
                store.append_event(conn, invoice_id, event_type=events.DRIFT_CLEARED, actor_id=None,
                                   actor_email="system", payload={"drift_id": latest["id"]})
                return CLEARED, []
            if latest["fingerprint"] != report["fingerprint"]:
                drift_store.refresh_drift(conn, latest["id"], report, report["fingerprint"])
                return "refreshed", []
            return "unchanged", []
        # An acknowledged drift stays so until the source moves again. A proposed correction counts as billed
        # while it is live, so the same drift showing again means it was cancelled: the drift reopens.
        if not above or (latest is not None and latest["status"] == ACKNOWLEDGED
                         and latest["fingerprint"] == report["fingerprint"]):
            return "none" if not above else "known", []
        drift_id = drift_store.insert_drift(conn, invoice_id, report, report["fingerprint"])
        store.append_event(conn, invoice_id, event_type=events.DRIFT_DETECTED, actor_id=None, actor_email="system",
                           payload={"drift_id": drift_id, "subtotal_delta": report["subtotal_delta"],
                                    "total_delta": report["total_delta"], "minutes_changed": report["minutes_changed"],
                                    "counts": report["counts"]})
        alert = jobs_store.insert(conn, invoice_id, job_policy.ALERT.name,
                                  f"drift:{invoice_id}:{report['fingerprint']}",
                                  {"text": _alert_text(report), "drift_id": drift_id})
        return OPEN, [alert] if alert else []

    outcome, alerts = container.current().db.run(work)
    if alerts:
        jobs.publish(alerts)
    return outcome


def check_recent(today: date | None = None) -> dict[str, Any]:
    """The daily schedule: every finalized invoice of the last N months (setting ``drift_months_back``)."""
    from ..adapters import drift_store

    today = today or date.today()
    db = container.current().db
    months = int(db.run(_settings)["drift_months_back"])
    invoices = db.run(lambda conn: drift_store.invoices_to_check(conn, _first_period(today, months)))
    outcomes: dict[str, int] = {}
    failed = []
    for row in invoices:
        try:
            _, report, settings = compute_report(row["id"])
            outcome = record(report, settings)
        except DomainError as exc:
            failed.append({"invoice_id": row["id"], "number": row["number"], "reason": exc.message})
            continue
        except Exception as exc:  # noqa: BLE001 - one invoice never stops the check; logged with the stack
            log.exception("drift check failed", extra={"invoice_id": row["id"]})
            failed.append({"invoice_id": row["id"], "number": row["number"], "reason": type(exc).__name__})
            continue
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {"checked": len(invoices) - len(failed), "since": _first_period(today, months), "outcomes": outcomes,
            "failed": failed}


# --- resolutions ---------------------------------------------------------------------------------

def _resolve(principal: Principal, invoice_id: UUID, request: DriftResolutionRequest, action: str) -> dict[str, Any]:
    from ..adapters import drift_store
    from ..adapters import invoice_store as store
    from . import jobs
    from .invoices import get_invoice

    authorize(principal, "edit_invoices")
    invoice_id = str(invoice_id)
    _, report, settings = compute_report(invoice_id)
    if not report["drifted"]:
        raise Conflict("the invoice matches its source: there is no drift to resolve",
                       details={"reason": "no_drift"})
    credit = action == "credit-note"
    lines = rules.correction_lines(report, credit=credit) if action != "acknowledge" else []
    if action != "acknowledge" and not lines:
        raise Conflict(f"nothing was {'over' if credit else 'under'}-billed: no {action} to propose",
                       details={"reason": "nothing_to_correct", "direction": report["direction"]})

    def work(conn) -> str | None:
        original = store.load_invoice(conn, invoice_id, lock=True)
        if credit:
            check_action(original["status"], "credit-note")
        # The report was computed before the lock: a correction proposed meanwhile would be proposed twice.
        if len({line["invoice_id"] for line in drift_store.correction_lines(conn, invoice_id)}) != \
                report["corrections_counted"]:
            raise Conflict("a correction of this invoice changed while its drift was computed; look at the drift "
                           "again", details={"reason": "corrections_changed"})
        latest = drift_store.latest_drift(conn, invoice_id, lock=True)
        if latest is None or latest["status"] != OPEN:
            drift_id = drift_store.insert_drift(conn, invoice_id, report, report["fingerprint"])
        else:
            drift_id = latest["id"]
            drift_store.refresh_drift(conn, drift_id, report, report["fingerprint"])
        correction_id = None
        if action == "acknowledge":
            resolution = ACKNOWLEDGED
            drift_store.close_drift(conn, drift_id, resolution, reason=request.reason,
                                    actor_id=principal.user_id, actor_email=principal.email)
        else:
            correction_id = _insert_correction(conn, principal, original, lines, report, request.reason, credit,
                                               int(settings["payment_terms_days"]))
            resolution = CREDIT_PROPOSED if credit else SUPPLEMENT_PROPOSED
            drift_store.close_drift(conn, drift_id, resolution, reason=None, correction_id=correction_id,
                                    actor_id=principal.user_id, actor_email=principal.email)
        store.append_event(conn, invoice_id, event_type=events.drift_resolved(resolution),
                           actor_id=principal.user_id, actor_email=principal.email,
                           from_status=original["status"], to_status=original["status"],
                           payload={"drift_id": drift_id, "reason": request.reason, "correction_id": correction_id,
                                    "subtotal_delta": report["subtotal_delta"], "fingerprint": report["fingerprint"]})
        return correction_id

    correction_id = container.current().db.run(work)
    if correction_id:
        jobs.publish_due(correction_id)
    return {"drift": invoice_drift(principal, invoice_id),
            "correction": get_invoice(principal, correction_id) if correction_id else None}


def _insert_correction(conn, principal: Principal, original: Mapping[str, Any], lines: list[dict[str, Any]],
                       report: Mapping[str, Any], reason: str, credit: bool, payment_terms_days: int) -> str:
    """A draft credit note (kind credit_note, corrects the original) or supplementary invoice (an invoice of
    its own series, supplements the original), its lines and worklogs from the drift."""
    from ..adapters import invoice_store as store

    totals = invoice_rules.totals_for(lines, original["vat_rate"])
    issue_date = date.today()
    what = "Corrects" if credit else "Supplements"
    header = {
        **{k: original[k] for k in ("application_key", "customer_key", "customer_name", "period", "deal_type",
                                    "currency", "payment_terms", "contract_number", "contract_date", "vat_rate")},
        "status": "draft", "data_as_of": report["source_data_as_of"],
        "issue_date": issue_date,
        "due_date": issue_date if credit else invoice_rules.due_date_for(issue_date, payment_terms_days),
        "notes": f"{what} invoice {original['number']} for {original['period']}: time logged or corrected after "
                 f"that invoice was issued. {reason}",
        "subtotal": totals.subtotal, "vat_amount": totals.vat_amount, "total": totals.total,
        "created_by": principal.user_id or None,
    }
    if credit:
        header.update(kind=invoice_rules.CREDIT_NOTE, corrects_id=original["id"], source="credit_note")
    else:
        header.update(kind=invoice_rules.INVOICE, supplements_id=original["id"], source="supplementary")
    created = {"event_type": events.CREATED, "actor_id": principal.user_id, "actor_email": principal.email,
               "to_status": "draft", "payload": {"source": header["source"], "from_drift": report["fingerprint"],
                                                 "original": original["number"], "reason": reason,
                                                 "total": totals.total}}
    return store.insert_invoice(conn, header, lines, created)


def acknowledge(principal: Principal, invoice_id: UUID, request: DriftResolutionRequest) -> dict[str, Any]:
    return _resolve(principal, invoice_id, request, "acknowledge")


def propose_credit_note(principal: Principal, invoice_id: UUID, request: DriftResolutionRequest) -> dict[str, Any]:
    return _resolve(principal, invoice_id, request, "credit-note")


def propose_supplement(principal: Principal, invoice_id: UUID, request: DriftResolutionRequest) -> dict[str, Any]:
    return _resolve(principal, invoice_id, request, "supplement")


# --- regenerating a draft ------------------------------------------------------------------------

def regenerate(principal: Principal, invoice_id: UUID, expected: int, request: RegenerateRequest) -> dict[str, Any]:
    """POST /api/invoices/{id}/regenerate: recompute the draft from today's source and merge it three ways
    with the user's edits. Open conflicts: 409 with them in ``details.conflicts``, nothing written; send
    them back in ``resolutions`` to apply the merge. The history records the regeneration and each
    resolved conflict."""
    from ..adapters import drift_store
    from ..adapters import invoice_store as store
    from ..domain.billing import Period
    from .invoices import compute_prefill, get_invoice

    authorize(principal, "edit_invoices")
    invoice_id = str(invoice_id)
    resolutions = {r.conflict: r.take for r in request.resolutions}
    header = container.current().db.run(lambda conn: store.load_invoice(conn, invoice_id))
    check_action(header["status"], "edit")
    if header["kind"] != invoice_rules.INVOICE or header["source"] != "prefill":
        raise Conflict("only a draft generated from the source can be regenerated",
                       details={"kind": header["kind"], "source": header["source"]})
    # ClickHouse is read before the row lock is taken, as finalize does.
    prefill = compute_prefill(header["application_key"], Period.parse(header["period"]))
    result_view = prefill.result.to_dict()
    theirs = {"header": {"vat_rate": prefill.result.vat_rate,
                         "contract_number": prefill.application.contract_number,
                         "contract_date": prefill.application.contract_date},
              "lines": result_view["lines"]}

    def work(conn) -> dict[str, Any]:
        invoice = store.load_invoice(conn, invoice_id, lock=True, with_trace=True)
        check_action(invoice["status"], "edit")
        invoice_rules.check_version(invoice["version"], expected)
        base = drift_store.baseline(conn, invoice_id) or merging.reconstruct_base(
            invoice["lines"], invoice, store.edit_history(conn, invoice_id))
        merged = merging.merge(base, {"header": invoice, "lines": invoice["lines"]}, theirs, resolutions)
        if merged.conflicts:
            raise Conflict(f"{len(merged.conflicts)} of your edits conflict with changes in the source; "
                           "resolve each (take ours or theirs) and regenerate again",
                           details={"reason": "merge_conflict", "version": invoice["version"],
                                    **merged.summary()})
        for line_id, values in merged.updates.items():
            store.update_line(conn, line_id, values)
        for line_id in merged.deletions:
            store.delete_line(conn, line_id)
        added = [store.insert_line(conn, invoice_id, {**line, "position": 10001 + n})
                 for n, line in enumerate(merged.additions)]
        kept = [line["id"] for line in invoice["lines"] if line["id"] not in merged.deletions]
        store.renumber_lines(conn, invoice_id, kept + added)
        if merged.header:
            store.update_invoice(conn, invoice_id, merged.header, bump_version=False)
        vat_rate = merged.header.get("vat_rate", invoice["vat_rate"])
        totals = invoice_rules.totals_for(store.load_lines(conn, invoice_id), vat_rate)
        store.update_invoice(conn, invoice_id, {"subtotal": totals.subtotal, "vat_amount": totals.vat_amount,
                                                "total": totals.total})
        drift_store.update_source_summary(conn, invoice_id, {
            "left_out": result_view["left_out"], "warnings": result_view["warnings"],
            "warning_codes": result_view["warning_codes"],
            "hours_summary": {"hours": result_view["hours"], "included_hours": result_view["included_hours"]},
            "data_as_of": prefill.result.data_as_of})
        summary = {**merged.summary(), "data_as_of_before": invoice["data_as_of"],
                   "data_as_of_after": prefill.result.data_as_of, "total_before": invoice["total"],
                   "total_after": totals.total}
        reason = request.reason or "regenerated from the current source"
        edits = [{"field": "regenerate", "before": {"data_as_of": invoice["data_as_of"], "total": invoice["total"]},
                  "after": {"data_as_of": prefill.result.data_as_of, "total": totals.total,
                            **{k: summary[k] for k in ("updated_lines", "added_lines", "deleted_lines",
                                                       "kept_edits", "resolved_conflicts")}}}]
        edits += [{"field": c["field"], "before": c["before"], "after": c["after"], "line_id": c["line_id"]}
                  for c in merged.changes if c["why"] == "source"]
        store.record_edits(conn, invoice_id, edits, actor_id=principal.user_id, actor_email=principal.email,
                           reason=reason)
        for resolved in merged.resolved:
            store.record_edits(conn, invoice_id, [{
                "field": f"conflict:{resolved['field']}", "line_id": resolved["line_id"],
                "before": resolved["ours"],
                "after": resolved["theirs"] if resolved["take"] == merging.THEIRS else resolved["ours"]}],
                actor_id=principal.user_id, actor_email=principal.email,
                reason=("conflict resolved: took the source's value" if resolved["take"] == merging.THEIRS
                        else "conflict resolved: kept the edit"))
        drift_store.save_baseline(conn, invoice_id, merging.new_base(theirs, merged.follows, added))
        store.append_event(conn, invoice_id, event_type=events.REGENERATED, actor_id=principal.user_id,
                           actor_email=principal.email, from_status=invoice["status"], to_status=invoice["status"],
                           payload={k: v for k, v in summary.items() if k != "conflicts"})
        return summary

    summary = container.current().db.run(work)
    return {"invoice": get_invoice(principal, invoice_id), "merge": summary}


# --- the margin guardrail ------------------------------------------------------------------------

def _margin(conn, invoice: Mapping[str, Any]) -> rules.MarginCheck | None:
    from ..adapters import drift_store

    settings = _settings(conn)
    if settings.get("margin_floor_pct") is None or invoice["kind"] != invoice_rules.INVOICE:
        return None
    rate = (settings.get("application_cost_rates") or {}).get(invoice["application_key"])
    if rate is not None:
        cost_rate = to_decimal(rate)
    else:
        quote = drift_store.latest_quote_inputs(conn, invoice["application_key"])
        cost_rate = rules.blended_cost_rate(quote.get("lines") or [], quote.get("overhead_pct")) if quote else None
    if cost_rate is None:
        return None  # cost unknown: nothing to guard
    minutes = sum(int(line["billed_minutes"]) for line in invoice["lines"])
    return rules.margin_check(invoice["subtotal"], minutes, cost_rate, to_decimal(settings["margin_floor_pct"]))


def margin_for_approval(conn, invoice: Mapping[str, Any]) -> tuple[rules.MarginCheck | None, bool]:
    """What approval checks (issue 15), read in its transaction: the margin against the floor (None: no
    floor or no cost rate) and whether a reason is required under it. The ``Invoice`` aggregate decides."""
    return _margin(conn, invoice), bool(_settings(conn).get("margin_require_reason"))


def invoice_margin(principal: Principal, invoice_id: UUID) -> dict[str, Any]:
    """GET /api/invoices/{id}/margin: what approval will check (``known: false`` when no cost rate is set)."""
    from ..adapters import invoice_store as store

    authorize(principal, "read")
    invoice_id = str(invoice_id)

    check, require_reason = container.current().db.run(
        lambda conn: margin_for_approval(conn, store.load_invoice(conn, invoice_id)))
    if check is None:
        return {"known": False, "require_reason": require_reason}
    return {"known": True, "require_reason": require_reason, **check.to_dict()}
