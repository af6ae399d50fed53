"""Clients: applications (contracts) from ClickHouse, joined in Python with their customers."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..domain.access import Principal, authorize
from ..domain.cdm import APPLICATION_STATUSES, DEAL_TYPES, Application, Customer
from ..domain.errors import NotFound, ValidationFailed
from . import container

_FILTERS = {"deal_type", "status", "q"}


def _application_dict(app: Application) -> dict[str, Any]:
    data = asdict(app)
    data["jira_project_keys"] = list(app.jira_project_keys)
    return data


def _customer_dict(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {**asdict(customer), "is_resident": customer.is_resident}


def list_clients(principal: Principal, query: dict[str, str]) -> dict[str, Any]:
    authorize(principal, "read")
    unknown = set(query) - _FILTERS
    if unknown:
        raise ValidationFailed("unknown filter", details={"field": sorted(unknown)[0], "allowed": sorted(_FILTERS)})
    deal_type = query.get("deal_type")
    status = query.get("status")
    if deal_type is not None and deal_type not in DEAL_TYPES:
        raise ValidationFailed("unknown deal type", details={"field": "deal_type", "allowed": list(DEAL_TYPES)})
    if status is not None and status not in APPLICATION_STATUSES:
        raise ValidationFailed("unknown status", details={"field": "status", "allowed": list(APPLICATION_STATUSES)})
    needle = (query.get("q") or "").strip().lower()

    reader = container.current().clickhouse
    applications = reader.applications()
    customers = reader.customers()
    items = []
    for app in applications:
        if deal_type and app.deal_type != deal_type:
            continue
        if status and app.status != status:
            continue
        customer = customers.get(app.customer_key)
        name = customer.name if customer else None
        haystack = " ".join(filter(None, [app.application_key, app.title, app.contract_number, name,
                                         customer.legal_name if customer else None])).lower()
        if needle and needle not in haystack:
            continue
        items.append({**_application_dict(app), "customer_name": name,
                      "is_resident": customer.is_resident if customer else None})
    return {"items": items, "count": len(items)}


def get_client(principal: Principal, application_key: str) -> dict[str, Any]:
    authorize(principal, "read")
    reader = container.current().clickhouse
    app = reader.application(application_key)
    if app is None:
        raise NotFound(f"no application {application_key!r}", details={"application_key": application_key})
    customer = reader.customer(app.customer_key)
    contacts = reader.contacts(app.customer_key) if customer else []
    return {"application": _application_dict(app), "customer": _customer_dict(customer),
            "contacts": [asdict(c) for c in contacts]}
