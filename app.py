"""Proxima Invoice API: the routing table. Each route declares what it takes (`@endpoint`: the edge parses and
validates it, and the OpenAPI document is built from it) and makes one service call with the typed values."""
from chalice import Chalice, Cron, Rate

from chalicelib import observability, web
from chalicelib.services import (auth, billing_config, calculator, clients, drift, editing, exports, generation,
                                 health, idempotency, integrations, invoice_pdf, invoices, jobs, lifecycle,
                                 queue_worker, registry, webhooks)

# Logs go through the Powertools logger (JSON); Chalice must not add a second handler to the same name.
app = Chalice(app_name="proxima-invoice", configure_logs=False)
observability.instrument(app)
app.register_middleware(web.uniform_errors, "http")
app.register_middleware(web.security_headers, "http")
app.api.binary_types.append("application/pdf")
app.api.binary_types.append("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # exports
endpoint = web.endpoint
Param = web.Param


def _choice(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


_LIMIT = {"type": "string", "pattern": "^[0-9]+$"}
_ACTION_ERRORS = (403, 409)  # with the 404 of the path id and the 412 of If-Match, which the declaration implies
_EDIT_ERRORS = (403, 409)
_INVOICE = "invoice_schemas.InvoiceOut"


# --- health and auth ---------------------------------------------------------------------------

@app.route("/api/health", methods=["GET"])
@endpoint(app, "Reachability of PostgreSQL and ClickHouse", auth=False, response="schemas.HEALTH",
          responses={503: "schemas.HEALTH"})
def get_health(request):
    healthy, report = health.check()
    return web.Reply(report, status=200 if healthy else 503)


@app.route("/api/auth/login", methods=["POST"])
@endpoint(app, "Sign in with e-mail and password", auth=False, body="schemas.LoginRequest",
          response="schemas.TokenPair", errors=(401, 429))
def login(request, body):
    return web.no_store(auth.login(body, request.client_address))


@app.route("/api/auth/refresh", methods=["POST"])
@endpoint(app, "Trade a refresh token for a new pair (the old one is revoked)", auth=False,
          body="schemas.RefreshRequest", response="schemas.TokenPair", errors=(401,))
def refresh(request, body):
    return web.no_store(auth.refresh(body))


@app.route("/api/auth/logout", methods=["POST"])
@endpoint(app, "Revoke the access token's user session and the refresh token given",
          body="schemas.LogoutRequest", body_required=False, status=204)
def logout(request, body):
    return auth.logout(request.principal, request.header("authorization"), body)


@app.route("/api/auth/me", methods=["GET"])
@endpoint(app, "The signed-in user", response="schemas.Me")
def me(request):
    return auth.me(request.principal)


@app.route("/api/auth/password", methods=["POST"])
@endpoint(app, "Change the password (older tokens are refused afterwards)", body="schemas.PasswordChangeRequest",
          response="schemas.TokenPair", errors=(429,))
def change_password(request, body):
    return web.no_store(auth.change_password(request.principal, body, request.client_address))


@app.route("/api/users", methods=["GET"])
@endpoint(app, "All users (admin)", response="schemas.USER_LIST", errors=(403,))
def list_users(request):
    return auth.list_users(request.principal)


@app.route("/api/users", methods=["POST"])
@endpoint(app, "Create a user (admin)", body="schemas.UserCreateRequest", response="schemas.USER", status=201,
          errors=(403, 409))
def add_user(request, body):
    return auth.add_user(request.principal, body)


# --- clients -----------------------------------------------------------------------------------

@app.route("/api/clients", methods=["GET"])
@endpoint(app, "Applications (contracts) with their customers", query_params=(
    Param("deal_type", "SUP, HR or FP", _choice("SUP", "HR", "FP")),
    Param("status", "active, paused or closed", _choice("active", "paused", "closed")),
    Param("q", "text search in key, title, contract number and customer names")))
def list_clients(request):
    return clients.list_clients(request.principal, request.query)


@app.route("/api/clients/{application_key}", methods=["GET"])
@endpoint(app, "One application with its customer and contacts", errors=(404,))
def get_client(request, application_key):
    return clients.get_client(request.principal, application_key)


# --- invoices ----------------------------------------------------------------------------------

@app.route("/api/invoices/prefill", methods=["POST"])
@endpoint(app, "Preview the draft a month's worklogs produce; saves nothing", body="schemas.PrefillRequest",
          query_params=(Param("include_trace", "true to include each line's worklog trace", _choice("true", "false")),),
          errors=(404,))
def prefill_invoice(request, body):
    return invoices.preview(request.principal, body, include_trace=request.flag("include_trace"))


@app.route("/api/invoices", methods=["POST"])
@endpoint(app, "Save the prefill as a draft", body="schemas.PrefillRequest", response=_INVOICE, status=201,
          errors=(403, 404, 409))
def create_invoice(request, body):
    return invoices.create_draft(request.principal, body)


@app.route("/api/invoices", methods=["GET"])
@endpoint(app, "The invoice registry: newest first, keyset pages, totals per currency",
          query="invoice_schemas.RegistryQuery", response="invoice_schemas.RegistryPage")
def list_invoices(request, query):
    return registry.list_invoices(request.principal, query)


@app.route("/api/invoices/export", methods=["GET"])
@endpoint(app, "The registry's filtered list as a CSV or XLSX file (the same filters, every page)",
          query="invoice_schemas.RegistryExportQuery", media_type="text/csv",
          media_types=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
          response="schemas.BINARY", responses={201: "invoice_schemas.EXPORT_LINK"})
def export_invoices(request, query):
    """Newest first, as the registry; cancelled invoices are listed (their status says so). CSV: UTF-8 with BOM,
    comma, CRLF, money as exact decimal strings, text cells that a spreadsheet would read as a formula (=, +, -,
    @, tab, CR) prefixed with a single quote (OWASP). XLSX: money as numbers with the exact value, a Totals sheet
    per currency (the registry's totals). Content-Disposition names the file. For xlsx send Accept: */* or its
    media type. A file too large for a Lambda response (about 4.7 MB of XLSX, 5 MB of ASCII CSV) is answered 201
    with a presigned download link instead, or 422 when no download storage is configured."""
    return web.file_or_link(exports.export_registry(request.principal, query))


@app.route("/api/invoices/{invoice_id}", methods=["GET"])
@endpoint(app, "One invoice with its lines and customer (ETag: its version)", response=_INVOICE)
def get_invoice(request, invoice_id):
    return web.with_etag(invoices.get_invoice(request.principal, invoice_id))


@app.route("/api/invoices/{invoice_id}", methods=["PATCH"])
@endpoint(app, "Edit a draft's header (If-Match required)", body="invoice_schemas.InvoicePatch",
          if_match="required", response=_INVOICE, errors=_EDIT_ERRORS)
def update_invoice(request, invoice_id, version, body):
    return web.with_etag(editing.update_header(request.principal, invoice_id, version, body))


@app.route("/api/invoices/{invoice_id}/lines", methods=["POST"])
@endpoint(app, "Add a line to a draft (If-Match required)", body="invoice_schemas.LineInput", if_match="required",
          response=_INVOICE, status=201, errors=_EDIT_ERRORS)
def add_invoice_line(request, invoice_id, version, body):
    return web.with_etag(editing.add_line(request.principal, invoice_id, version, body))


@app.route("/api/invoices/{invoice_id}/lines/{line_id}", methods=["PATCH"])
@endpoint(app, "Edit a draft line (If-Match required)", body="invoice_schemas.LinePatch", if_match="required",
          response=_INVOICE, errors=_EDIT_ERRORS)
def update_invoice_line(request, invoice_id, line_id, version, body):
    return web.with_etag(editing.update_line(request.principal, invoice_id, line_id, version, body))


@app.route("/api/invoices/{invoice_id}/lines/{line_id}", methods=["DELETE"])
@endpoint(app, "Delete a draft line (If-Match required; optional reason)", body="invoice_schemas.LineDelete",
          body_required=False, if_match="required", response=_INVOICE, errors=_EDIT_ERRORS)
def delete_invoice_line(request, invoice_id, line_id, version, body):
    return web.with_etag(editing.delete_line(request.principal, invoice_id, line_id, version, body))


# One route per status-machine action (DESIGN §4).
_ACTIONS = {
    "finalize": ("draft → needs_review: number, frozen customer, PDF", "TransitionRequest"),
    "approve": ("needs_review → approved (not by the finalizer)", "TransitionRequest"),
    "reject": ("needs_review → draft (reason required)", "TransitionRequest"),
    "send": ("approved → sent (e-mail), or approved → awaiting_signature (a resident's Didox e-invoice draft, sent"
             " once signed with the company's E-IMZO key in the Didox cabinet)", "TransitionRequest"),
    "accept": ("sent → accepted", "TransitionRequest"),
    "pay": ("accepted → paid", "PayRequest"),
    "cancel": ("draft | needs_review → cancelled (reason required)", "TransitionRequest"),
}


def _action_route(action: str, summary: str, body: str):
    name = f"invoice_{action.replace('-', '_')}"  # the OpenAPI operationId

    @app.route(f"/api/invoices/{{invoice_id}}/{action}", methods=["POST"], name=name)
    @endpoint(app, summary, body=f"invoice_schemas.{body}", body_required=False, if_match="optional",
              response=_INVOICE, errors=_ACTION_ERRORS)
    def view(request, invoice_id, version, body):
        return web.with_etag(lifecycle.run_action(request.principal, action, str(invoice_id), version, body))

    view.__name__ = name
    return view


for _action, (_summary, _body) in _ACTIONS.items():
    _action_route(_action, _summary, _body)


@app.route("/api/invoices/{invoice_id}/credit-note", methods=["POST"])
@endpoint(app, "A draft credit note negating an approved (or later) invoice", body="invoice_schemas.CreditNoteRequest",
          body_required=False, if_match="optional", headers=(web.IDEMPOTENCY_KEY,), response=_INVOICE,
          status=201, errors=_ACTION_ERRORS)
def invoice_credit_note(request, invoice_id, version, body):
    return web.with_etag(lifecycle.create_credit_note(request.principal, str(invoice_id), version, body,
                                                      idempotency_key=request.header("idempotency-key")))


# --- source drift, corrections, regeneration, margin (issue 15) -------------------------------------

@app.route("/api/invoices/{invoice_id}/drift", methods=["GET"])
@endpoint(app, "The invoice against today's source: worklogs added/removed/changed, minutes and money per line",
          response="drift_schemas.DRIFT", errors=(409,))
def get_invoice_drift(request, invoice_id):
    return drift.invoice_drift(request.principal, invoice_id)


@app.route("/api/drift", methods=["GET"])
@endpoint(app, "Recorded drifts (open by default), newest first", query="drift_schemas.DriftListQuery",
          response="schemas.ITEM_LIST")
def list_drifts(request, query):
    return drift.list_drifts(request.principal, query)


@app.route("/api/invoices/{invoice_id}/drift/credit-note", methods=["POST"])
@endpoint(app, "A draft credit note for what the source says was over-billed (lines and worklogs from the drift)",
          body="drift_schemas.DriftResolutionRequest", response="drift_schemas.RESOLUTION", status=201,
          errors=(403, 409))
def propose_drift_credit_note(request, invoice_id, body):
    return drift.propose_credit_note(request.principal, invoice_id, body)


@app.route("/api/invoices/{invoice_id}/drift/supplement", methods=["POST"])
@endpoint(app, "A draft supplementary invoice (own number, linked to the original) for what was under-billed",
          body="drift_schemas.DriftResolutionRequest", response="drift_schemas.RESOLUTION", status=201,
          errors=(403, 409))
def propose_drift_supplement(request, invoice_id, body):
    return drift.propose_supplement(request.principal, invoice_id, body)


@app.route("/api/invoices/{invoice_id}/drift/acknowledge", methods=["POST"])
@endpoint(app, "Acknowledge the drift with a reason (no correction)", body="drift_schemas.DriftResolutionRequest",
          response="drift_schemas.RESOLUTION", errors=(403, 409))
def acknowledge_drift(request, invoice_id, body):
    return drift.acknowledge(request.principal, invoice_id, body)


@app.route("/api/invoices/{invoice_id}/regenerate", methods=["POST"])
@endpoint(app, "Recompute a draft from today's source, keeping the user's edits (three-way merge); 409 lists the "
               "conflicts to resolve (If-Match required)", body="drift_schemas.RegenerateRequest", body_required=False,
          if_match="required", response="drift_schemas.REGENERATED", errors=_EDIT_ERRORS)
def regenerate_invoice(request, invoice_id, version, body):
    return drift.regenerate(request.principal, invoice_id, version, body)


@app.route("/api/invoices/{invoice_id}/margin", methods=["GET"])
@endpoint(app, "The invoice's margin against the floor that approval checks", response="drift_schemas.MARGIN")
def get_invoice_margin(request, invoice_id):
    return drift.invoice_margin(request.principal, invoice_id)


@app.route("/api/invoices/{invoice_id}/pdf", methods=["GET"])
@endpoint(app, "The stored PDF (send Accept: application/pdf)", media_type="application/pdf",
          response="schemas.BINARY", errors=(409,))
def get_invoice_pdf(request, invoice_id):
    return web.pdf_file(*invoice_pdf.stored_pdf(request.principal, str(invoice_id)))


@app.route("/api/invoices/{invoice_id}/preview", methods=["GET"])
@endpoint(app, "The HTML the PDF is rendered from", media_type="text/html", response="schemas.TEXT")
def preview_invoice(request, invoice_id):
    return web.html_document(invoice_pdf.preview(request.principal, str(invoice_id)))


@app.route("/api/invoices/{invoice_id}/events", methods=["GET"])
@endpoint(app, "Status changes and actions, oldest first", response="invoice_schemas.InvoiceEventList")
def list_invoice_events(request, invoice_id):
    return registry.events(request.principal, invoice_id)


@app.route("/api/invoices/{invoice_id}/history", methods=["GET"])
@endpoint(app, "Field-level edit history, oldest first", response="invoice_schemas.EditList")
def list_invoice_history(request, invoice_id):
    return registry.history(request.principal, invoice_id)


@app.route("/api/invoices/{invoice_id}/jobs", methods=["GET"])
@endpoint(app, "Side-effect jobs and their state", response="invoice_schemas.JobList")
def list_invoice_jobs(request, invoice_id):
    return jobs.list_for_invoice(request.principal, str(invoice_id))


@app.route("/api/jobs/{job_id}/retry", methods=["POST"])
@endpoint(app, "Re-queue a failed job", response="invoice_schemas.JobOut", errors=(403, 409))
def retry_job(request, job_id):
    return jobs.retry(request.principal, str(job_id))


@app.route("/api/webhooks/didox", methods=["POST"])
@endpoint(app, "Didox document status callback (HMAC-SHA256 of the raw body in X-Didox-Signature); `status` is a"
               " documented Didox code (0, 1, 2, 3, 4, 5, 6, 8, 40, 50, 55, 60), anything else is 422",
          auth=False, body="invoice_schemas.DidoxEvent", raw=True, errors=(401, 422),
          headers=(Param("X-Didox-Signature", "sha256=<hex HMAC of the body>"),),
          responses={202: "invoice_schemas.DIDOX_UNKNOWN_DOCUMENT"})
def didox_webhook(request):
    result = webhooks.didox_callback(request.header("x-didox-signature"), request.raw_body)
    # A document we never sent is taken but not applied: 202; applied or a replay: 200.
    return web.Reply(result.to_dict(), status=202 if result.outcome == webhooks.UNKNOWN_DOCUMENT else 200)


# --- month generation runs (the console's "generate the month", and the monthly schedule) ---------

@app.route("/api/generation-runs", methods=["POST"])
@endpoint(app, "Start the month's drafts (admin): one idempotent draft per active application",
          body="generation_schemas.GenerationRunRequest", response="generation_schemas.GenerationRunOut",
          status=201, errors=(403, 409))
def start_generation_run(request, body):
    """The month must have ended (422 otherwise); a run of the month already running -> 409 naming it in
    details.id. With a job queue the run comes back `running` and workers record each application's outcome
    (poll GET /api/generation-runs/{run_id}); without one it runs in the request and comes back finished. The
    Location header names the run."""
    run = generation.start_run(request.principal, body)
    return web.Reply(run, headers={"Location": f"/api/generation-runs/{run['id']}"})


@app.route("/api/generation-runs", methods=["GET"])
@endpoint(app, "Recent generation runs, newest first", query="generation_schemas.RunQuery",
          response="generation_schemas.GenerationRunPage")
def list_generation_runs(request, query):
    return generation.list_runs(request.principal, query)


@app.route("/api/generation-runs/{run_id}", methods=["GET"])
@endpoint(app, "A generation run: status, counts, and the applications that failed, were skipped or are retrying",
          response="generation_schemas.GenerationRunOut")
def get_generation_run(request, run_id):
    return generation.get_run(request.principal, str(run_id))


# --- billing configuration (DESIGN §3 rules 3, 5, 7; §8) ---------------------------------------

@app.route("/api/applications/{application_key}/rate-rules", methods=["GET"])
@endpoint(app, "An application's rate rules", response="config_schemas.RateRuleList", errors=(404,))
def list_rate_rules(request, application_key):
    return billing_config.list_rate_rules(request.principal, application_key, request.query)


@app.route("/api/applications/{application_key}/rate-rules", methods=["POST"])
@endpoint(app, "Add a rate rule", body="config_schemas.RateRuleInput", response="config_schemas.RateRuleOut",
          status=201, errors=(403, 404))
def create_rate_rule(request, application_key, body):
    return billing_config.create_rate_rule(request.principal, application_key, body)


@app.route("/api/rate-rules/{rule_id}", methods=["GET"])
@endpoint(app, "One rate rule", response="config_schemas.RateRuleOut")
def get_rate_rule(request, rule_id):
    return billing_config.get_rate_rule(request.principal, rule_id)


@app.route("/api/rate-rules/{rule_id}", methods=["PATCH"])
@endpoint(app, "Change a rate rule (fields present replace the stored ones)", body="config_schemas.RateRuleInput",
          response="config_schemas.RateRuleOut", errors=(403,))
def update_rate_rule(request, rule_id, body):
    return billing_config.update_rate_rule(request.principal, rule_id, body)


@app.route("/api/rate-rules/{rule_id}", methods=["DELETE"])
@endpoint(app, "Delete a rate rule", status=204, errors=(403,))
def delete_rate_rule(request, rule_id):
    return billing_config.delete_rate_rule(request.principal, rule_id)


@app.route("/api/project-classifications", methods=["GET"])
@endpoint(app, "Classified projects (any other is billable)", response="config_schemas.ClassificationList",
          query_params=(Param("classification", "billable, internal or overhead",
                              lambda: _choice(*web.resolve("config_schemas.CLASSIFICATIONS"))),))
def list_project_classifications(request):
    return billing_config.list_project_classifications(request.principal, request.query)


@app.route("/api/project-classifications/{project_key}", methods=["PUT"])
@endpoint(app, "Classify a project", body="config_schemas.ClassificationInput",
          response="config_schemas.ClassificationOut", errors=(403,))
def put_project_classification(request, project_key, body):
    return billing_config.put_project_classification(request.principal, project_key, body)


@app.route("/api/project-classifications/{project_key}", methods=["DELETE"])
@endpoint(app, "Back to the default (billable)", status=204, errors=(403, 404))
def delete_project_classification(request, project_key):
    return billing_config.delete_project_classification(request.principal, project_key)


@app.route("/api/employee-exclusions", methods=["GET"])
@endpoint(app, "Employees left out of billing", response="config_schemas.ExclusionList",
          query_params=(Param("account_id", "only this employee"),
                        Param("application_key", "only this application")))
def list_employee_exclusions(request):
    return billing_config.list_employee_exclusions(request.principal, request.query)


@app.route("/api/employee-exclusions", methods=["POST"])
@endpoint(app, "Leave an employee out of billing", body="config_schemas.ExclusionInput",
          response="config_schemas.ExclusionOut", status=201, errors=(403,))
def create_employee_exclusion(request, body):
    return billing_config.create_employee_exclusion(request.principal, body)


@app.route("/api/employee-exclusions/{exclusion_id}", methods=["DELETE"])
@endpoint(app, "Remove an exclusion", status=204, errors=(403,))
def delete_employee_exclusion(request, exclusion_id):
    return billing_config.delete_employee_exclusion(request.principal, exclusion_id)


@app.route("/api/settings", methods=["GET"])
@endpoint(app, "Every setting, by key", response={"type": "object"})
def get_settings(request):
    return billing_config.get_settings(request.principal)


@app.route("/api/integrations", methods=["GET"])
@endpoint(app, "Per integration: configured or not, the environment variables and the settings it still lacks",
          response={"type": "object"})
def integrations_readiness(request):
    return integrations.readiness(request.principal)


@app.route("/api/settings/{key}", methods=["PUT"])
@endpoint(app, "Replace one setting (admin); the value's shape depends on the key", body="config_schemas.SettingInput",
          response="config_schemas.SETTING", errors=(403, 409))
def put_setting(request, key, body):
    return billing_config.put_setting(request.principal, key, body)


@app.route("/api/config-changes", methods=["GET"])
@endpoint(app, "Who changed which rule or setting, newest first", response="config_schemas.ConfigChangeList",
          query_params=(Param("entity", "rate_rule, project_classification, employee_exclusion or setting",
                              lambda: _choice(*web.resolve("config_schemas.AUDITED_ENTITIES"))),
                        Param("entity_id", "only this rule, project, exclusion or setting key"),
                        Param("limit", "at most this many (1-500, default 100)", _LIMIT)))
def list_config_changes(request):
    return billing_config.list_config_changes(request.principal, request.query)


# --- pricing calculator (DESIGN §6) -----------------------------------------------------------

@app.route("/api/calculator/quote", methods=["POST"])
@endpoint(app, "Price a quote: cost, revenue, margin, VAT and total; saves nothing",
          body="calculator_schemas.QuoteRequest", response="calculator_schemas.QuoteOut")
def price_quote(request, body):
    return calculator.quote(request.principal, body)


@app.route("/api/calculator/snapshots", methods=["POST"])
@endpoint(app, "Price and save a quote with the next quote number (Q-YYYY-NNNN)",
          body="calculator_schemas.SnapshotRequest", headers=(web.IDEMPOTENCY_KEY,),
          response="calculator_schemas.SnapshotOut", status=201, errors=(403, 404))
def save_quote_snapshot(request, body):
    return calculator.save_snapshot(request.principal, body, idempotency_key=request.header("idempotency-key"))


@app.route("/api/calculator/snapshots", methods=["GET"])
@endpoint(app, "Saved quotes, newest first (keyset pagination)", response="calculator_schemas.SnapshotPageOut",
          query_params=(Param("application_key", "only this application's quotes"),
                        Param("limit", "page size, 1-100 (default 50)", _LIMIT),
                        Param("cursor", "next_cursor of the previous page")))
def list_quote_snapshots(request):
    return calculator.list_snapshots(request.principal, request.query)


@app.route("/api/calculator/snapshots/{snapshot_id}", methods=["GET"])
@endpoint(app, "One saved quote", response="calculator_schemas.SnapshotOut")
def get_quote_snapshot(request, snapshot_id):
    return calculator.get_snapshot(request.principal, snapshot_id)


@app.route("/api/calculator/snapshots/{snapshot_id}/pdf", methods=["GET"])
@endpoint(app, "The quote as a PDF for the client (send Accept: application/pdf); ?internal=true adds a margin "
               "analysis page (cost vs revenue per role) that is not for the client", media_type="application/pdf",
          response="schemas.BINARY", query_params=(Param("internal", "true adds the internal margin analysis page",
                                                         _choice("true", "false", "1", "0", "yes", "no")),))
def get_quote_pdf(request, snapshot_id):
    return web.pdf_file(*calculator.quote_pdf(request.principal, snapshot_id, internal=request.flag("internal")))


# --- the API contract ----------------------------------------------------------------------------

@app.route("/api/openapi.json", methods=["GET"])
@endpoint(app, "This document (OpenAPI 3.1)", auth=False, response={"type": "object"})
def get_openapi(request):
    from chalicelib import openapi  # rarely asked for: kept off the cold start

    return web.Reply(openapi.document_json(app), headers={"Content-Type": "application/json"})


# --- schedules ---------------------------------------------------------------------------------

@app.schedule(Cron(0, 2, 1, "*", "?", "*"), name="monthly-drafts")
def monthly_drafts(event):
    return generation.enqueue_month(today=web.scheduled_day(event))


@app.on_sqs_message(queue="proxima-invoice-jobs", batch_size=10, name="jobs-worker")
def jobs_worker(event):
    return queue_worker.process_batch(event.to_dict(), event.context)


@app.schedule(Rate(2, unit=Rate.MINUTES), name="jobs-relay")
def jobs_relay(event):
    return jobs.relay()


@app.schedule(Rate(15, unit=Rate.MINUTES), name="didox-poll")
def didox_poll(event):
    return webhooks.poll_didox()


@app.schedule(Cron(15, 3, "*", "*", "?", "*"), name="purge-expired-tokens")
def purge_expired_tokens(event):
    return {**auth.purge_expired_tokens(), "idempotency_keys": idempotency.purge_expired()}


@app.schedule(Cron(30, 4, "*", "*", "?", "*"), name="drift-check")
def drift_check(event):
    return drift.check_recent(today=web.scheduled_day(event))
