"""The rule configuration prefill reads (DESIGN §3 rules 3, 5, 7): rate rules, project classifications,
employee exclusions and settings, with the append-only audit of every change.

Each write is one unit of work: the row and its ``invoicing.config_changes`` row are written in the
same transaction, so a failed write leaves neither. A write that changes nothing (a PUT or PATCH with
the stored values) writes nothing and records nothing.

``load_billing_configuration`` is the reader of the prefill engine: no permission check, domain types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar

from ..domain.access import Principal, authorize
from ..domain.billing import BillingSettings, EmployeeExclusion, RateRule
from ..domain.errors import Conflict, NotFound, ValidationFailed
from ..domain.money import quantize
from . import container

if TYPE_CHECKING:  # the request models load on first use, not at cold start
    from ..config_schemas import ClassificationInput, ExclusionInput, RateRuleInput, SettingInput

T = TypeVar("T")

RATE_RULE, PROJECT_CLASSIFICATION, EMPLOYEE_EXCLUSION, SETTING = (
    "rate_rule", "project_classification", "employee_exclusion", "setting")  # config_schemas.AUDITED_ENTITIES
_TIMESTAMPS = ("created_at", "updated_at")
_PREFIX_KEYS = ("credit_note_prefix", "invoice_prefix")  # sorted: the order their rows are locked in
_MAX_CHANGES = 500


def _cs():
    """The settings models, loaded on first use (pydantic stays off the cold start: ``chalicelib.parsing``)."""
    from .. import config_schemas

    return config_schemas


def _store():
    from ..adapters import billing_config_store

    return billing_config_store


def _run(work: Callable[[Any], T]) -> T:
    return container.current().db.run(work)


def _invalid(field_name: str, problem: str, kind: str, **extra: Any) -> ValidationFailed:
    """A 422 whose details have the shape ``schemas.parse`` gives: a list naming each field."""
    return ValidationFailed(problem, details=[{"field": field_name, "problem": problem, "type": kind, **extra}])


def _filters(query: Mapping[str, str] | None, allowed: set[str]) -> dict[str, str]:
    """Query parameters, refusing unknown ones; an empty value means no filter."""
    query = query or {}
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise _invalid(unknown[0], f"unknown filter {unknown[0]!r}", "unknown_filter", allowed=sorted(allowed))
    return {k: v for k, v in query.items() if v not in (None, "")}


def _require_application(application_key: str) -> None:
    if container.current().clickhouse.application(application_key) is None:
        raise NotFound(f"no application {application_key!r}", details={"application_key": application_key})


def _check_dates(effective_from: date | None, effective_to: date | None) -> None:
    if effective_from is not None and effective_to is not None and effective_to < effective_from:
        raise _invalid("effective_to", "effective_to is before effective_from", "date_order")


def _audit(conn: Any, principal: Principal, entity: str, entity_id: Any, action: str,
           before: Any, after: Any) -> None:
    _store().record_change(conn, entity=entity, entity_id=str(entity_id), action=action, before=before,
                           after=after, actor_id=principal.user_id or None, actor_email=principal.email)


def _snapshot(public: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a row: its fields, without the timestamps the audit row has anyway."""
    return {k: v for k, v in public.items() if k not in _TIMESTAMPS}


# --- rate rules --------------------------------------------------------------------------------

def _specificity(row: Mapping[str, Any]) -> int:
    return 4 * (row["account_id"] is not None) + 2 * (row["issue_type"] is not None) + (row["priority"] is not None)


def _rule_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return _cs().RateRuleOut(**row, specificity=_specificity(row)).model_dump()


def _rule_values(request: RateRuleInput, names: set[str]) -> dict[str, Any]:
    """The request's values for ``names``, at the precision of their columns."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(request, name)
        if name == "rate" and value is not None:
            value = quantize(value, 2)
        elif name == "multiplier" and value is not None:
            value = quantize(value, 4)
        elif name == "note" and value is None:
            value = ""
        values[name] = value
    return values


def _check_rule(rule: Mapping[str, Any]) -> None:
    """The checks that need the whole rule (on PATCH: the stored rule with the changes applied)."""
    _check_dates(rule.get("effective_from"), rule.get("effective_to"))
    if all(rule.get(name) is None for name in _cs().RATE_RULE_MATCH_FIELDS + _cs().RATE_RULE_OVERRIDE_FIELDS):
        raise _invalid("(body)", "a rule needs a match field (account_id, issue_type, priority) or an override"
                       " (rate, multiplier, min_billable_minutes, rounding_increment_minutes)", "rule_pointless")


def list_rate_rules(principal: Principal, application_key: str, query: Mapping[str, str] | None = None) -> dict:
    authorize(principal, "read")
    _filters(query, set())
    _require_application(application_key)
    rows = _run(lambda conn: _store().rate_rules(conn, application_key))
    items = [_rule_out(row) for row in rows]
    return {"items": items, "count": len(items)}


def _no_rule(rule_id: int) -> NotFound:
    return NotFound(f"no rate rule {rule_id}", details={"id": str(rule_id)})


def get_rate_rule(principal: Principal, rule_id: int) -> dict[str, Any]:
    authorize(principal, "read")
    row = _run(lambda conn: _store().rate_rule(conn, rule_id))
    if row is None:
        raise _no_rule(rule_id)
    return _rule_out(row)


def create_rate_rule(principal: Principal, application_key: str, request: RateRuleInput) -> dict[str, Any]:
    authorize(principal, "configure_billing")
    _require_application(application_key)
    values = _rule_values(request, set(_cs().RATE_RULE_FIELDS))
    _check_rule(values)

    def work(conn: Any) -> dict[str, Any]:
        created = _rule_out(_store().insert_rate_rule(conn, application_key, values, principal.user_id or None))
        _audit(conn, principal, RATE_RULE, created["id"], "create", None, _snapshot(created))
        return created

    return _run(work)


def update_rate_rule(principal: Principal, rule_id: int, request: RateRuleInput) -> dict[str, Any]:
    """Partial update: the fields present replace the stored ones (null clears); the result is checked whole."""
    authorize(principal, "configure_billing")
    changes = _rule_values(request, set(request.model_fields_set))

    def work(conn: Any) -> dict[str, Any]:
        store = _store()
        stored = store.rate_rule(conn, rule_id, for_update=True)
        if stored is None:
            raise _no_rule(rule_id)
        _check_rule({**stored, **changes})
        changed = {name: value for name, value in changes.items() if stored[name] != value}
        before = _rule_out(stored)
        if not changed:
            return before
        after = _rule_out(store.update_rate_rule(conn, rule_id, changed))
        _audit(conn, principal, RATE_RULE, rule_id, "update", _snapshot(before), _snapshot(after))
        return after

    return _run(work)


def delete_rate_rule(principal: Principal, rule_id: int) -> None:
    authorize(principal, "configure_billing")

    def work(conn: Any) -> None:
        deleted = _store().delete_rate_rule(conn, rule_id)
        if deleted is None:
            raise _no_rule(rule_id)
        _audit(conn, principal, RATE_RULE, rule_id, "delete", _snapshot(_rule_out(deleted)), None)

    _run(work)


# --- project classifications -------------------------------------------------------------------

def _classification_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return _cs().ClassificationOut(**row).model_dump()


def list_project_classifications(principal: Principal, query: Mapping[str, str] | None = None) -> dict:
    """Only the classified projects; any other project is ``billable`` (the default)."""
    authorize(principal, "read")
    filters = _filters(query, {"classification"})
    wanted = filters.get("classification")
    if wanted is not None and wanted not in _cs().CLASSIFICATIONS:
        raise _invalid("classification", f"unknown classification {wanted!r}", "literal_error",
                       allowed=list(_cs().CLASSIFICATIONS))
    items = [_classification_out(r) for r in _run(lambda conn: _store().classifications(conn, wanted))]
    return {"items": items, "count": len(items)}


def put_project_classification(principal: Principal, project_key: str,
                               request: ClassificationInput) -> dict[str, Any]:
    authorize(principal, "configure_billing")
    if not _cs().PROJECT_KEY.fullmatch(project_key or ""):
        raise _invalid("project_key", "a Jira project key is an upper-case letter followed by upper-case"
                       " letters, digits or underscores (at most 50)", "project_key_format")
    note = request.note or ""

    def work(conn: Any) -> dict[str, Any]:
        store = _store()
        stored = store.classification(conn, project_key, for_update=True)
        if stored is None:
            row = store.insert_classification(conn, project_key, request.classification, note,
                                              principal.user_id or None)
            if row is None:
                raise Conflict(f"project {project_key} was classified at the same time; try again",
                               details={"project_key": project_key})
            action, before = "create", None
        elif (stored["classification"], stored["note"]) == (request.classification, note):
            return _classification_out(stored)
        else:
            row = store.update_classification(conn, project_key, request.classification, note,
                                              principal.user_id or None)
            action, before = "update", _snapshot(_classification_out(stored))
        after = _classification_out(row)
        _audit(conn, principal, PROJECT_CLASSIFICATION, project_key, action, before, _snapshot(after))
        return after

    return _run(work)


def delete_project_classification(principal: Principal, project_key: str) -> None:
    """Back to the default: the project is billable again."""
    authorize(principal, "configure_billing")

    def work(conn: Any) -> None:
        deleted = _store().delete_classification(conn, project_key)
        if deleted is None:
            raise NotFound(f"project {project_key!r} has no classification", details={"project_key": project_key})
        _audit(conn, principal, PROJECT_CLASSIFICATION, project_key, "delete",
               _snapshot(_classification_out(deleted)), None)

    _run(work)


# --- employee exclusions -----------------------------------------------------------------------

def _exclusion_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return _cs().ExclusionOut(**row).model_dump()


def list_employee_exclusions(principal: Principal, query: Mapping[str, str] | None = None) -> dict:
    """Filter ``application_key`` gives what applies to that application: its own and the global ones."""
    authorize(principal, "read")
    filters = _filters(query, {"application_key", "account_id"})
    rows = _run(lambda conn: _store().exclusions(conn, application_key=filters.get("application_key"),
                                                 account_id=filters.get("account_id")))
    items = [_exclusion_out(row) for row in rows]
    return {"items": items, "count": len(items)}


def create_employee_exclusion(principal: Principal, request: ExclusionInput) -> dict[str, Any]:
    authorize(principal, "configure_billing")
    _check_dates(request.effective_from, request.effective_to)
    if request.application_key is not None and container.current().clickhouse.application(
            request.application_key) is None:
        raise _invalid("application_key", f"no application {request.application_key!r}", "unknown_application")
    values = request.model_dump()

    def work(conn: Any) -> dict[str, Any]:
        created = _exclusion_out(_store().insert_exclusion(conn, values, principal.user_id or None))
        _audit(conn, principal, EMPLOYEE_EXCLUSION, created["id"], "create", None, _snapshot(created))
        return created

    return _run(work)


def delete_employee_exclusion(principal: Principal, exclusion_id: int) -> None:
    authorize(principal, "configure_billing")

    def work(conn: Any) -> None:
        deleted = _store().delete_exclusion(conn, exclusion_id)
        if deleted is None:
            raise NotFound(f"no employee exclusion {exclusion_id}", details={"id": str(exclusion_id)})
        _audit(conn, principal, EMPLOYEE_EXCLUSION, exclusion_id, "delete", _snapshot(_exclusion_out(deleted)), None)

    _run(work)


# --- settings ----------------------------------------------------------------------------------

def get_settings(principal: Principal) -> dict[str, Any]:
    authorize(principal, "read")
    return _run(lambda conn: _store().settings(conn))


def put_setting(principal: Principal, key: str, request: SettingInput) -> dict[str, Any]:
    """Replace one setting. Only the known keys, each validated by its model (``config_schemas``)."""
    authorize(principal, "manage_settings")
    if key not in _cs().SETTING_MODELS:
        raise _invalid("key", f"unknown setting {key!r}", "unknown_setting", allowed=sorted(_cs().SETTING_MODELS))
    value = _cs().setting_value(key, request)
    if key in ("rounding_increment_minutes", "category_map"):
        BillingSettings.from_mapping({key: value})  # the domain's own word on what it can bill with

    def work(conn: Any) -> dict[str, Any]:
        store = _store()
        # Both prefixes are locked together (in key order) so two PUTs cannot make them equal.
        locked = store.settings_for_update(conn, list(_PREFIX_KEYS) if key in _PREFIX_KEYS else [key])
        if key in _PREFIX_KEYS:
            other = next(k for k in _PREFIX_KEYS if k != key)
            if locked.get(other) == value:
                raise _invalid("value", f"{other} is already {value!r}: invoices and credit notes need"
                               " different prefixes", "prefix_taken")
        actor = principal.user_id or None
        if key not in locked:
            if not store.insert_setting(conn, key, value, actor):
                raise Conflict(f"setting {key} was created at the same time; try again", details={"key": key})
            action, before = "create", None
        elif locked[key] == value:
            return {"key": key, "value": value}
        else:
            store.update_setting(conn, key, value, actor)
            action, before = "update", {"key": key, "value": locked[key]}
        _audit(conn, principal, SETTING, key, action, before, {"key": key, "value": value})
        return {"key": key, "value": value}

    return _run(work)


# --- the audit ---------------------------------------------------------------------------------

def list_config_changes(principal: Principal, query: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Newest first; ``limit`` defaults to 100 (at most 500)."""
    authorize(principal, "read")
    filters = _filters(query, {"entity", "entity_id", "limit"})
    entity = filters.get("entity")
    if entity is not None and entity not in _cs().AUDITED_ENTITIES:
        raise _invalid("entity", f"unknown entity {entity!r}", "literal_error", allowed=list(_cs().AUDITED_ENTITIES))
    limit_text = filters.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= _MAX_CHANGES:
        raise _invalid("limit", f"limit is a whole number from 1 to {_MAX_CHANGES}", "limit_range")
    rows = _run(lambda conn: _store().changes(conn, entity=entity, entity_id=filters.get("entity_id"),
                                              limit=int(limit_text)))
    items = [_cs().ConfigChangeOut(**row).model_dump() for row in rows]
    return {"items": items, "count": len(items)}


# --- the prefill engine's reader ---------------------------------------------------------------

@dataclass(frozen=True)
class BillingConfiguration:
    """What prefill needs of the configuration for one application and period (DESIGN §3 rules 3, 5, 7)."""

    rules: tuple[RateRule, ...] = ()
    classifications: Mapping[str, str] = field(default_factory=dict)
    exclusions: tuple[EmployeeExclusion, ...] = ()
    settings: BillingSettings = field(default_factory=BillingSettings)
    payment_terms_days: int = 10
    resident_issue_date: str = "period_end"


def _rate_rule(row: Mapping[str, Any]) -> RateRule:
    return RateRule(
        id=row["id"], account_id=row["account_id"], issue_type=row["issue_type"], priority=row["priority"],
        rate=row["rate"], multiplier=row["multiplier"], min_billable_minutes=row["min_billable_minutes"],
        rounding_increment_minutes=row["rounding_increment_minutes"], effective_from=row["effective_from"],
        effective_to=row["effective_to"])


def _exclusion(row: Mapping[str, Any]) -> EmployeeExclusion:
    return EmployeeExclusion(id=row["id"], account_id=row["account_id"], application_key=row["application_key"],
                             effective_from=row["effective_from"], effective_to=row["effective_to"],
                             reason=row["reason"])


def load_billing_configuration(conn_or_db: Any, application_key: str, period_first_day: date,
                               period_last_day: date) -> BillingConfiguration:
    """The application's rate rules and the exclusions (global or its own) in effect at some point of
    the period, every project classification, and the billing settings.

    ``conn_or_db`` is an open connection (read inside the caller's transaction) or a ``Database``
    (read in a transaction of its own). No permission check: the caller has done it."""
    return load_billing_configurations(conn_or_db, [application_key], period_first_day,
                                       period_last_day)[application_key]


def load_billing_configurations(conn_or_db: Any, application_keys: Sequence[str], period_first_day: date,
                                period_last_day: date) -> dict[str, BillingConfiguration]:
    """:func:`load_billing_configuration` for several applications in four queries (monthly generation),
    one configuration per key."""
    keys = list(dict.fromkeys(application_keys))

    def work(conn: Any) -> dict[str, BillingConfiguration]:
        store = _store()
        stored = store.settings(conn, ["category_map", "payment_terms_days", "rounding_increment_minutes",
                                       "resident_issue_date"])
        settings = BillingSettings.from_mapping(
            {k: v for k, v in stored.items() if k not in ("payment_terms_days", "resident_issue_date")})
        classifications = store.classification_map(conn)
        rules: dict[str, list[RateRule]] = {key: [] for key in keys}
        for row in store.rate_rules_overlapping(conn, keys, period_first_day, period_last_day):
            rules[row["application_key"]].append(_rate_rule(row))
        exclusions = [(row["application_key"], _exclusion(row)) for row in store.exclusions_overlapping(
            conn, keys, period_first_day, period_last_day)]
        return {key: BillingConfiguration(
            rules=tuple(rules[key]),
            classifications=classifications,
            exclusions=tuple(x for owner, x in exclusions if owner is None or owner == key),
            settings=settings,
            payment_terms_days=int(stored.get("payment_terms_days", 10)),
            resident_issue_date=str(stored.get("resident_issue_date") or "period_end"),
        ) for key in keys}

    return conn_or_db.run(work) if hasattr(conn_or_db, "run") else work(conn_or_db)
