"""The OpenAPI 3.1 document of the API, served at ``GET /api/openapi.json``.

It is generated, never written by hand: the paths and methods come from the Chalice routing table
(``app.routes``), whether a route needs a token from its ``@endpoint(auth=...)``, and the request and
response bodies from the same pydantic models the services validate with (``model_json_schema``).
What the code cannot tell is kept in ``OPERATIONS`` below, one entry per route, keyed by
``(METHOD, path)`` exactly as in ``@app.route``.

To document a new route, add one entry::

    ("POST", "/api/invoices/{invoice_id}/approve"): Op(
        "Approve a finalized invoice", response=InvoiceOut, errors=(403, 404, 409, 412, 428)),

``tests/unit/test_openapi.py`` fails while a route has no entry or an entry has no route.

Added to every operation without being listed: 401 when it needs a token; 400 and 422 when it has a
request body or query parameters; 415 when it has a body; 503 (a database is unavailable). Path parameters are read from
the path; ``PATH_PARAMETERS`` describes the ones that recur.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from pydantic import BaseModel, create_model
from pydantic.json_schema import models_json_schema

from . import calculator_schemas as calc
from . import config_schemas as config
from . import drift_schemas as drift
from . import generation_schemas as gen
from . import invoice_schemas as inv
from . import schemas

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
ERROR_STATUSES = {
    400: "Malformed request: not JSON, wrong type, unknown key (details name the field)",
    401: "Missing, invalid or expired token",
    403: "The role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current version",
    415: "Unsupported media type",
    422: "Well formed but breaks a rule (details name the field)",
    428: "If-Match is required",
    429: "Too many attempts (see Retry-After)",
    503: "A database or service is unavailable; nothing was saved",
}
JsonSchema = dict[str, Any]
LOOSE_OBJECT: JsonSchema = {"type": "object"}


@dataclass(frozen=True)
class Query:
    """A query (or, in ``Op.headers``, header) parameter; always optional here."""

    name: str
    description: str
    schema: JsonSchema = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Op:
    """What the document says of one route beyond what Chalice and the models tell.

    ``response`` is a pydantic model, a JSON schema, or None for "a JSON object" (routes whose
    result has no model yet); ``media_type`` is the success response's (``application/pdf`` with
    ``response={"type": "string", "format": "binary"}``, or ``text/html``). ``status`` 204 means no
    body. ``errors`` are the statuses beyond the automatic ones (module docstring). ``headers`` are
    request headers such as If-Match. ``responses`` adds or replaces whole responses.
    """

    summary: str
    body: type[BaseModel] | None = None
    body_required: bool = True
    response: type[BaseModel] | JsonSchema | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    query: tuple[Query, ...] = ()
    headers: tuple[Query, ...] = ()
    media_type: str = "application/json"
    description: str = ""
    responses: Mapping[int, type[BaseModel] | JsonSchema] = field(default_factory=dict)
    media_types: tuple[str, ...] = ()  # more success media types beside ``media_type``, same schema


def list_of(model: type[BaseModel]) -> type[BaseModel]:
    """``{"items": [model], "count": n}``, the shape of the API's plain (unpaginated) lists."""
    return create_model(f"{model.__name__.removesuffix('Out')}List", items=(list[model], ...), count=(int, ...))


PATH_PARAMETERS: dict[str, JsonSchema] = {
    "invoice_id": {"type": "string", "format": "uuid", "description": "invoice id"},
    "snapshot_id": {"type": "string", "format": "uuid", "description": "calculator snapshot id"},
    "job_id": {"type": "string", "format": "uuid", "description": "integration job id"},
    "run_id": {"type": "string", "format": "uuid", "description": "generation run id"},
    "line_id": {"type": "string", "format": "uuid", "description": "invoice line id"},
    "application_key": {"type": "string", "description": "application (contract) key, e.g. ACME-SUP"},
    "rule_id": {"type": "string", "pattern": "^[0-9]+$", "description": "rate rule id"},
    "exclusion_id": {"type": "string", "pattern": "^[0-9]+$", "description": "employee exclusion id"},
    "project_key": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,49}$", "description": "Jira project key, e.g. ACME"},
    "key": {"type": "string", "enum": sorted(config.SETTING_MODELS), "description": "setting key"},
}

_HEALTH = {"type": "object", "required": ["status", "checks"],
           "properties": {"status": {"enum": ["ok", "degraded"]}, "checks": {"type": "object"}}}
_USER = {"type": "object", "required": ["id", "email", "role", "full_name"],
         "properties": {"id": {"type": "string"}, "email": {"type": "string"},
                        "role": {"enum": ["viewer", "accountant", "approver", "admin"]},
                        "full_name": {"type": "string"}}}
_SETTING = {"type": "object", "required": ["key", "value"], "properties": {"key": {"type": "string"}, "value": {}}}
_LIMIT = Query("limit", "page size", {"type": "string", "pattern": "^[0-9]+$"})

_IF_MATCH = Query("If-Match", 'the invoice version from the ETag of your last read, e.g. "3"')
_IDEMPOTENCY_KEY = Query("Idempotency-Key", "1-255 visible ASCII characters (e.g. a UUID) chosen per request: a retry "
                         "with the same key and body creates nothing and gets the first answer; the same key with "
                         "another body is refused (422). Kept 24 h.")
_EDIT_ERRORS = (403, 404, 409, 412, 428)
_ACTION_ERRORS = (403, 404, 409, 412)
_LIST = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
_REGISTRY = {"type": "object", "required": ["items", "next_cursor", "limit", "totals"], "properties": {
    "items": {"type": "array", "items": {"type": "object"}},
    "next_cursor": {"type": ["string", "null"], "description": "pass as cursor= for the next page; null on the last"},
    "limit": {"type": "integer"},
    "totals": {"type": ["array", "null"], "description": "per currency over the whole filter (first page only)",
               "items": {"type": "object", "properties": {
                   "currency": {"type": "string"}, "count": {"type": "integer"}, "subtotal": {"type": "string"},
                   "vat_amount": {"type": "string"}, "total": {"type": "string"}}}}}}

_REGISTRY_FILTERS = (
    Query("status", "one or more statuses, comma-separated"), Query("kind", "invoice | credit_note"),
    Query("application_key", "application (contract) key"), Query("customer_key", "customer key"),
    Query("period_from", "YYYY-MM"), Query("period_to", "YYYY-MM"),
    Query("q", "number prefix (PRX-2026-00) or part of the customer's name"))
_EXPORT_LINK = {"type": "object", "required": ["download_url", "expires_at", "filename", "media_type", "bytes", "rows"],
                "description": "the export was too large for a response: a presigned link to it",
                "properties": {"download_url": {"type": "string"}, "expires_at": {"type": "string"},
                               "filename": {"type": "string"}, "media_type": {"type": "string"},
                               "bytes": {"type": "integer"}, "rows": {"type": "integer"}}}


_DRIFT = {"type": "object", "required": ["invoice_id", "lines", "worklogs", "subtotal_delta", "total_delta"],
          "properties": {"invoice_id": {"type": "string"}, "number": {"type": ["string", "null"]},
                         "lines": {"type": "array", "items": {"type": "object"}},
                         "worklogs": {"type": "array", "items": {"type": "object"}},
                         "counts": {"type": "object"}, "minutes_changed": {"type": "integer"},
                         "subtotal_delta": {"type": "string"}, "vat_delta": {"type": "string"},
                         "total_delta": {"type": "string"},
                         "direction": {"enum": ["over_billed", "under_billed", "none"]},
                         "drifted": {"type": "boolean"}, "above_threshold": {"type": "boolean"},
                         "record": {"type": ["object", "null"]},
                         "allowed_resolutions": {"type": "array", "items": {"type": "string"}}}}
_RESOLUTION = {"type": "object", "required": ["drift", "correction"],
               "properties": {"drift": _DRIFT, "correction": {"type": ["object", "null"]}}}
_REGENERATED = {"type": "object", "required": ["invoice", "merge"],
                "properties": {"invoice": {"type": "object"}, "merge": {"type": "object"}}}
_MARGIN = {"type": "object", "required": ["known"], "properties": {
    "known": {"type": "boolean"}, "require_reason": {"type": "boolean"}, "revenue": {"type": "string"},
    "cost": {"type": "string"}, "margin_pct": {"type": ["string", "null"]}, "floor_pct": {"type": "string"},
    "below_floor": {"type": "boolean"}}}


def _action(summary: str, body: type[BaseModel] = inv.TransitionRequest, errors: tuple[int, ...] = _ACTION_ERRORS,
            status: int = 200) -> Op:
    return Op(summary, body=body, body_required=body is not inv.CreditNoteRequest, status=status,
              errors=errors, headers=(_IF_MATCH,))


OPERATIONS: dict[tuple[str, str], Op] = {
    # --- health, auth, users
    ("GET", "/api/health"): Op("Reachability of PostgreSQL and ClickHouse", response=_HEALTH,
                               responses={503: _HEALTH}),
    ("POST", "/api/auth/login"): Op("Sign in with e-mail and password", body=schemas.LoginRequest,
                                    response=schemas.TokenPair, errors=(401, 429)),
    ("POST", "/api/auth/refresh"): Op("Trade a refresh token for a new pair (the old one is revoked)",
                                      body=schemas.RefreshRequest, response=schemas.TokenPair, errors=(401,)),
    ("POST", "/api/auth/logout"): Op("Revoke the access token's user session and the refresh token given",
                                     body=schemas.LogoutRequest, body_required=False, status=204),
    ("GET", "/api/auth/me"): Op("The signed-in user", response=schemas.Me),
    ("POST", "/api/auth/password"): Op("Change the password (older tokens are refused afterwards)",
                                       body=schemas.PasswordChangeRequest, response=schemas.TokenPair,
                                       errors=(429,)),
    ("GET", "/api/users"): Op("All users (admin)", response={"type": "object", "required": ["items"],
                                                              "properties": {"items": {"type": "array",
                                                                                       "items": _USER}}},
                              errors=(403,)),
    ("POST", "/api/users"): Op("Create a user (admin)", body=schemas.UserCreateRequest, response=_USER,
                               status=201, errors=(403, 409)),
    # --- clients
    ("GET", "/api/clients"): Op("Applications (contracts) with their customers", query=(
        Query("deal_type", "SUP, HR or FP", {"type": "string", "enum": ["SUP", "HR", "FP"]}),
        Query("status", "active, paused or closed", {"type": "string", "enum": ["active", "paused", "closed"]}),
        Query("q", "text search in key, title, contract number and customer names"))),
    ("GET", "/api/clients/{application_key}"): Op("One application with its customer and contacts", errors=(404,)),
    # --- invoices
    ("POST", "/api/invoices/prefill"): Op(
        "Preview the draft a month's worklogs produce; saves nothing", body=schemas.PrefillRequest,
        query=(Query("include_trace", "true to include each line's worklog trace",
                     {"type": "string", "enum": ["true", "false"]}),),
        errors=(404,)),
    ("POST", "/api/invoices"): Op("Save the prefill as a draft", body=schemas.PrefillRequest, status=201,
                                  errors=(403, 404, 409)),
    ("GET", "/api/invoices/{invoice_id}"): Op("One invoice with its lines and customer (ETag: its version)",
                                              errors=(404,)),
    ("GET", "/api/invoices"): Op(
        "The invoice registry: newest first, keyset pages, totals per currency", response=_REGISTRY, query=(
            *_REGISTRY_FILTERS, _LIMIT,
            Query("cursor", "next_cursor of the previous page"),
            Query("totals", "false to skip the totals", {"type": "string", "enum": ["true", "false"]}))),
    ("GET", "/api/invoices/export"): Op(
        "The registry's filtered list as a CSV or XLSX file (the same filters, every page)",
        query=(Query("format", "csv (default) or xlsx", {"type": "string", "enum": ["csv", "xlsx"]}),
               *_REGISTRY_FILTERS),
        media_type="text/csv", media_types=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        response={"type": "string", "format": "binary"}, responses={201: _EXPORT_LINK},
        description="Newest first, as the registry; cancelled invoices are listed (their status says so). "
                    "CSV: UTF-8 with BOM, comma, CRLF, money as exact decimal strings, text cells that "
                    "a spreadsheet would read as a formula (=, +, -, @, tab, CR) prefixed with a single "
                    "quote (OWASP). XLSX: money as numbers with the exact value, a Totals sheet per "
                    "currency (the registry's totals). Content-Disposition names the file. For xlsx send "
                    "Accept: */* or its media type. A file too large for a Lambda response (about 4.7 MB of XLSX, "
                    "5 MB of ASCII CSV) "
                    "is answered 201 with a presigned download link instead, or 422 when no download "
                    "storage is configured."),
    ("PATCH", "/api/invoices/{invoice_id}"): Op(
        "Edit a draft's header (If-Match required)", body=inv.InvoicePatch, errors=_EDIT_ERRORS,
        headers=(_IF_MATCH,)),
    ("POST", "/api/invoices/{invoice_id}/lines"): Op(
        "Add a line to a draft (If-Match required)", body=inv.LineInput, status=201, errors=_EDIT_ERRORS,
        headers=(_IF_MATCH,)),
    ("PATCH", "/api/invoices/{invoice_id}/lines/{line_id}"): Op(
        "Edit a draft line (If-Match required)", body=inv.LinePatch, errors=_EDIT_ERRORS, headers=(_IF_MATCH,)),
    ("DELETE", "/api/invoices/{invoice_id}/lines/{line_id}"): Op(
        "Delete a draft line (If-Match required; optional reason)", body=inv.LineDelete, body_required=False,
        errors=_EDIT_ERRORS, headers=(_IF_MATCH,)),
    ("POST", "/api/invoices/{invoice_id}/finalize"): _action(
        "draft → needs_review: number, frozen customer, PDF", errors=(*_ACTION_ERRORS, 422)),
    ("POST", "/api/invoices/{invoice_id}/approve"): _action("needs_review → approved (not by the finalizer)"),
    ("POST", "/api/invoices/{invoice_id}/reject"): _action("needs_review → draft (reason required)"),
    ("POST", "/api/invoices/{invoice_id}/send"): _action(
        "approved → sent (e-mail), or approved → awaiting_signature (a resident's Didox e-invoice draft, sent"
        " once signed with the company's E-IMZO key in the Didox cabinet)"),
    ("POST", "/api/invoices/{invoice_id}/accept"): _action("sent → accepted"),
    ("POST", "/api/invoices/{invoice_id}/pay"): _action("accepted → paid", body=inv.PayRequest),
    ("POST", "/api/invoices/{invoice_id}/cancel"): _action("draft | needs_review → cancelled (reason required)"),
    ("POST", "/api/invoices/{invoice_id}/credit-note"): Op(
        "A draft credit note negating an approved (or later) invoice", body=inv.CreditNoteRequest,
        body_required=False, status=201, errors=_ACTION_ERRORS, headers=(_IF_MATCH, _IDEMPOTENCY_KEY)),
    ("GET", "/api/invoices/{invoice_id}/pdf"): Op(
        "The stored PDF (send Accept: application/pdf)", media_type="application/pdf",
        response={"type": "string", "format": "binary"}, errors=(404, 409)),
    ("GET", "/api/invoices/{invoice_id}/preview"): Op(
        "The HTML the PDF is rendered from", media_type="text/html", response={"type": "string"}, errors=(404,)),
    ("GET", "/api/invoices/{invoice_id}/events"): Op("Status changes and actions, oldest first", response=_LIST,
                                                     errors=(404,)),
    ("GET", "/api/invoices/{invoice_id}/history"): Op("Field-level edit history, oldest first", response=_LIST,
                                                      errors=(404,)),
    ("GET", "/api/invoices/{invoice_id}/jobs"): Op("Side-effect jobs and their state", response=_LIST,
                                                   errors=(404,)),
    ("POST", "/api/jobs/{job_id}/retry"): Op("Re-queue a failed job", errors=(403, 404, 409)),
    ("POST", "/api/webhooks/didox"): Op(
        "Didox document status callback (HMAC-SHA256 of the raw body in X-Didox-Signature); `status` is a"
        " documented Didox code (0, 1, 2, 3, 4, 5, 6, 8, 40, 50, 55, 60), anything else is 422",
        body=inv.DidoxEvent, errors=(401, 422), headers=(Query("X-Didox-Signature", "sha256=<hex HMAC of the body>"),),
        responses={202: {"type": "object", "description": "unknown document; logged"}}),
    # --- source drift, corrections, regeneration, margin (issue 15)
    ("GET", "/api/invoices/{invoice_id}/drift"): Op(
        "The invoice against today's source: worklogs added/removed/changed, minutes and money per line",
        response=_DRIFT, errors=(404, 409)),
    ("GET", "/api/drift"): Op(
        "Recorded drifts (open by default), newest first", response=_LIST, query=(
            Query("status", "open, acknowledged, credit_proposed, supplement_proposed, cleared or all",
                  {"type": "string", "enum": ["open", "acknowledged", "credit_proposed", "supplement_proposed",
                                              "cleared", "all"]}),
            Query("limit", "at most this many (1-500, default 100)", {"type": "string", "pattern": "^[0-9]+$"}))),
    ("POST", "/api/invoices/{invoice_id}/drift/credit-note"): Op(
        "A draft credit note for what the source says was over-billed (lines and worklogs from the drift)",
        body=drift.DriftResolutionRequest, response=_RESOLUTION, status=201, errors=(403, 404, 409)),
    ("POST", "/api/invoices/{invoice_id}/drift/supplement"): Op(
        "A draft supplementary invoice (own number, linked to the original) for what was under-billed",
        body=drift.DriftResolutionRequest, response=_RESOLUTION, status=201, errors=(403, 404, 409)),
    ("POST", "/api/invoices/{invoice_id}/drift/acknowledge"): Op(
        "Acknowledge the drift with a reason (no correction)", body=drift.DriftResolutionRequest,
        response=_RESOLUTION, errors=(403, 404, 409)),
    ("POST", "/api/invoices/{invoice_id}/regenerate"): Op(
        "Recompute a draft from today's source, keeping the user's edits (three-way merge); 409 lists the "
        "conflicts to resolve (If-Match required)", body=drift.RegenerateRequest, body_required=False,
        response=_REGENERATED, errors=_EDIT_ERRORS, headers=(_IF_MATCH,)),
    ("GET", "/api/invoices/{invoice_id}/margin"): Op(
        "The invoice's margin against the floor that approval checks", response=_MARGIN, errors=(404,)),
    # --- month generation runs
    ("POST", "/api/generation-runs"): Op(
        "Start the month's drafts (admin): one idempotent draft per active application", body=gen.GenerationRunRequest,
        response=gen.GenerationRunOut, status=201, errors=(403, 409),
        description="The month must have ended (422 otherwise); a run of the month already running -> 409 "
                    "naming it in details.id. With a job queue the run comes back `running` and workers "
                    "record each application's outcome (poll GET /api/generation-runs/{run_id}); without one "
                    "it runs in the request and comes back finished. The Location header names the run."),
    ("GET", "/api/generation-runs"): Op(
        "Recent generation runs, newest first", response=gen.GenerationRunPage,
        query=(Query("period", "only this month's runs (YYYY-MM)"),
               Query("limit", "at most this many (1-100, default 20)", {"type": "string", "pattern": "^[0-9]+$"}))),
    ("GET", "/api/generation-runs/{run_id}"): Op(
        "A generation run: status, counts, and the applications that failed, were skipped or are retrying",
        response=gen.GenerationRunOut, errors=(404,)),
    # --- billing configuration
    ("GET", "/api/applications/{application_key}/rate-rules"): Op(
        "An application's rate rules", response=list_of(config.RateRuleOut), errors=(404,)),
    ("POST", "/api/applications/{application_key}/rate-rules"): Op(
        "Add a rate rule", body=config.RateRuleInput, response=config.RateRuleOut, status=201, errors=(403, 404)),
    ("GET", "/api/rate-rules/{rule_id}"): Op("One rate rule", response=config.RateRuleOut, errors=(404,)),
    ("PATCH", "/api/rate-rules/{rule_id}"): Op(
        "Change a rate rule (fields present replace the stored ones)", body=config.RateRuleInput,
        response=config.RateRuleOut, errors=(403, 404)),
    ("DELETE", "/api/rate-rules/{rule_id}"): Op("Delete a rate rule", status=204, errors=(403, 404)),
    ("GET", "/api/project-classifications"): Op(
        "Classified projects (any other is billable)", response=list_of(config.ClassificationOut),
        query=(Query("classification", "billable, internal or overhead",
                     {"type": "string", "enum": list(config.CLASSIFICATIONS)}),)),
    ("PUT", "/api/project-classifications/{project_key}"): Op(
        "Classify a project", body=config.ClassificationInput, response=config.ClassificationOut,
        errors=(403,)),
    ("DELETE", "/api/project-classifications/{project_key}"): Op(
        "Back to the default (billable)", status=204, errors=(403, 404)),
    ("GET", "/api/employee-exclusions"): Op(
        "Employees left out of billing", response=list_of(config.ExclusionOut),
        query=(Query("account_id", "only this employee"), Query("application_key", "only this application"))),
    ("POST", "/api/employee-exclusions"): Op(
        "Leave an employee out of billing", body=config.ExclusionInput, response=config.ExclusionOut,
        status=201, errors=(403,)),
    ("DELETE", "/api/employee-exclusions/{exclusion_id}"): Op("Remove an exclusion", status=204,
                                                              errors=(403, 404)),
    ("GET", "/api/settings"): Op("Every setting, by key", response={"type": "object"}),
    ("GET", "/api/integrations"): Op(
        "Per integration: configured or not, the environment variables and the settings it still lacks",
        response={"type": "object"}),
    ("PUT", "/api/settings/{key}"): Op(
        "Replace one setting (admin); the value's shape depends on the key", body=config.SettingInput,
        response=_SETTING, errors=(403, 409)),
    ("GET", "/api/config-changes"): Op(
        "Who changed which rule or setting, newest first", response=list_of(config.ConfigChangeOut),
        query=(Query("entity", "rate_rule, project_classification, employee_exclusion or setting",
                     {"type": "string", "enum": list(config.AUDITED_ENTITIES)}),
               Query("entity_id", "only this rule, project, exclusion or setting key"),
               Query("limit", "at most this many (1-500, default 100)", {"type": "string", "pattern": "^[0-9]+$"}))),
    # --- pricing calculator
    ("POST", "/api/calculator/quote"): Op(
        "Price a quote: cost, revenue, margin, VAT and total; saves nothing", body=calc.QuoteRequest,
        response=calc.QuoteOut),
    ("POST", "/api/calculator/snapshots"): Op(
        "Price and save a quote with the next quote number (Q-YYYY-NNNN)", body=calc.SnapshotRequest,
        response=calc.SnapshotOut, status=201, errors=(403, 404), headers=(_IDEMPOTENCY_KEY,)),
    ("GET", "/api/calculator/snapshots"): Op(
        "Saved quotes, newest first (keyset pagination)", response=calc.SnapshotPageOut,
        query=(Query("application_key", "only this application's quotes"),
               Query("limit", "page size, 1-100 (default 50)", {"type": "string", "pattern": "^[0-9]+$"}),
               Query("cursor", "next_cursor of the previous page"))),
    ("GET", "/api/calculator/snapshots/{snapshot_id}"): Op("One saved quote", response=calc.SnapshotOut,
                                                           errors=(404,)),
    ("GET", "/api/calculator/snapshots/{snapshot_id}/pdf"): Op(
        "The quote as a PDF for the client (send Accept: application/pdf); ?internal=true adds a margin "
        "analysis page (cost vs revenue per role) that is not for the client", media_type="application/pdf",
        response={"type": "string", "format": "binary"}, errors=(404,),
        query=(Query("internal", "true adds the internal margin analysis page",
                     {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}),)),
    # --- the contract itself
    ("GET", "/api/openapi.json"): Op("This document (OpenAPI 3.1)", response={"type": "object"}),
}

_PATH_PARAM = re.compile(r"{([^}]+)}")


def chalice_operations(app: Any) -> dict[tuple[str, str], Any]:
    """Every (METHOD, path) the Chalice app routes, with its view function."""
    return {(method.upper(), path): entry.view_function
            for path, methods in app.routes.items() for method, entry in methods.items()}


def _model_schemas(models: set[tuple[type[BaseModel], str]]) -> tuple[dict[Any, JsonSchema], JsonSchema]:
    """One JSON schema per (model, mode), their shared definitions hoisted into components."""
    refs, definitions = models_json_schema(sorted(models, key=lambda m: (m[0].__name__, m[1])),
                                           ref_template="#/components/schemas/{model}")
    return refs, definitions.get("$defs", {})


def _schema(value: Any, mode: str, refs: Mapping[Any, JsonSchema]) -> JsonSchema:
    if value is None:
        return LOOSE_OBJECT
    if isinstance(value, type) and issubclass(value, BaseModel):
        return refs[(value, mode)]
    return value


def _json_content(schema: JsonSchema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_response(status: int) -> dict[str, Any]:
    return {"description": ERROR_STATUSES.get(status, "Error"),
            "content": _json_content({"$ref": "#/components/schemas/ErrorBody"})}


def _operation(method: str, path: str, view: Any, op: Op, refs: Mapping[Any, JsonSchema]) -> dict[str, Any]:
    requires_auth = getattr(view, "requires_auth", True)
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": PATH_PARAMETERS.get(name, {"type": "string"})}
                  for name in _PATH_PARAM.findall(path)]
    parameters += [{"name": q.name, "in": "query", "required": False, "description": q.description,
                    "schema": q.schema} for q in op.query]
    parameters += [{"name": h.name, "in": "header", "required": False, "description": h.description,
                    "schema": h.schema} for h in op.headers]
    result: dict[str, Any] = {
        "operationId": getattr(view, "__name__", f"{method.lower()}_{path}"),
        "summary": op.summary,
        "tags": [path.split("/")[2].removesuffix(".json")],
        "parameters": parameters,
        "security": [{"bearerAuth": []}] if requires_auth else [],
    }
    if op.description:
        result["description"] = op.description
    if op.body is not None:
        result["requestBody"] = {"required": op.body_required,
                                 "content": _json_content(_schema(op.body, "validation", refs))}
    responses: dict[str, Any] = {}
    if op.status == 204:
        responses["204"] = {"description": "Done; no body"}
    else:
        success = _schema(op.response, "serialization", refs)
        responses[str(op.status)] = {"description": "OK" if op.status == 200 else "Created",
                                     "content": {media: {"schema": success}
                                                 for media in (op.media_type, *op.media_types)}}
    statuses = set(op.errors) | {503}
    if requires_auth:
        statuses.add(401)
    if op.body is not None or op.query:
        statuses |= {400, 422}
    if op.body is not None:
        statuses.add(415)
    for status in sorted(statuses):
        responses[str(status)] = _error_response(status)
    for status, schema in op.responses.items():
        responses[str(status)] = {"description": ERROR_STATUSES.get(status, "See schema"),
                                  "content": _json_content(_schema(schema, "serialization", refs))}
    result["responses"] = responses
    return result


def build(app: Any, operations: Mapping[tuple[str, str], Op] = OPERATIONS) -> dict[str, Any]:
    """The document for ``app``. A route missing from ``operations`` gets a placeholder the tests reject."""
    routes = chalice_operations(app)
    models = {(op.body, "validation") for op in operations.values() if op.body is not None}
    for op in operations.values():
        for value in (op.response, *op.responses.values()):
            if isinstance(value, type) and issubclass(value, BaseModel):
                models.add((value, "serialization"))
    models.add((schemas.ErrorBody, "serialization"))
    refs, definitions = _model_schemas(models)

    paths: dict[str, dict[str, Any]] = {}
    for (method, path), view in sorted(routes.items(), key=lambda item: (item[0][1], item[0][0])):
        op = operations.get((method, path)) or Op("UNDOCUMENTED", description="missing from chalicelib.openapi")
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, view, op, refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Proxima Invoice API",
            "version": API_VERSION,
            "description": "Jira/Tempo worklogs to invoices. Money, rates, hours and percentages are decimal "
                           "strings (\"1234.50\"). Errors have the body {\"error\": {\"code\", \"message\", "
                           "\"details\"}}. Sign in with POST /api/auth/login and send "
                           "`Authorization: Bearer <access_token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@lru_cache(maxsize=4)
def document_json(app: Any) -> str:
    """The document as JSON text, built once per warm process (it depends only on the code).

    Plain ``json``: the schemas hold JSON numbers (bounds), which the API's own encoder would not
    need to touch, and nothing in the document is a Decimal.
    """
    return json.dumps(build(app), separators=(",", ":"))
