"""Proxima Invoice API: the routing table. Each route parses nothing and decides nothing: one service call."""
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


# --- health and auth ---------------------------------------------------------------------------

@app.route("/api/health", methods=["GET"])
@endpoint(app, auth=False)
def get_health(request):
    healthy, report = health.check()
    return web.Reply(report, status=200 if healthy else 503)


@app.route("/api/auth/login", methods=["POST"])
@endpoint(app, auth=False)
def login(request):
    return web.no_store(auth.login(request.json(), request.client_address))


@app.route("/api/auth/refresh", methods=["POST"])
@endpoint(app, auth=False)
def refresh(request):
    return web.no_store(auth.refresh(request.json()))


@app.route("/api/auth/logout", methods=["POST"])
@endpoint(app)
def logout(request):
    auth.logout(request.principal, request.header("authorization"), request.json(required=False))
    return web.Reply(None, status=204)


@app.route("/api/auth/me", methods=["GET"])
@endpoint(app)
def me(request):
    return auth.me(request.principal)


@app.route("/api/auth/password", methods=["POST"])
@endpoint(app)
def change_password(request):
    return web.no_store(auth.change_password(request.principal, request.json(), request.client_address))


@app.route("/api/users", methods=["GET"])
@endpoint(app)
def list_users(request):
    return auth.list_users(request.principal)


@app.route("/api/users", methods=["POST"])
@endpoint(app)
def add_user(request):
    return web.Reply(auth.add_user(request.principal, request.json()), status=201)


# --- clients -----------------------------------------------------------------------------------

@app.route("/api/clients", methods=["GET"])
@endpoint(app)
def list_clients(request):
    return clients.list_clients(request.principal, request.query)


@app.route("/api/clients/{application_key}", methods=["GET"])
@endpoint(app)
def get_client(request):
    return clients.get_client(request.principal, request.params["application_key"])


# --- invoices ----------------------------------------------------------------------------------

@app.route("/api/invoices/prefill", methods=["POST"])
@endpoint(app)
def prefill_invoice(request):
    return invoices.preview(request.principal, request.json(), include_trace=request.flag("include_trace"))


@app.route("/api/invoices", methods=["POST"])
@endpoint(app)
def create_invoice(request):
    return web.Reply(invoices.create_draft(request.principal, request.json()), status=201)


@app.route("/api/invoices", methods=["GET"])
@endpoint(app)
def list_invoices(request):
    return registry.list_invoices(request.principal, request.query)


@app.route("/api/invoices/export", methods=["GET"])
@endpoint(app)
def export_invoices(request):
    export = exports.export_registry(request.principal, request.query)
    if export.download is not None:  # too large for a response: a presigned link to it
        return web.Reply(export.download, status=201, headers={"Location": export.download["download_url"]})
    return web.Reply(export.body, headers={"Content-Type": export.media_type,
                                           "Content-Disposition": f'attachment; filename="{export.filename}"'})


@app.route("/api/invoices/{invoice_id}", methods=["GET"])
@endpoint(app)
def get_invoice(request):
    return web.with_etag(invoices.get_invoice(request.principal, request.params["invoice_id"]))


@app.route("/api/invoices/{invoice_id}", methods=["PATCH"])
@endpoint(app)
def update_invoice(request):
    return web.with_etag(editing.update_header(request.principal, request.params["invoice_id"],
                                               request.header("if-match"), request.json()))


@app.route("/api/invoices/{invoice_id}/lines", methods=["POST"])
@endpoint(app)
def add_invoice_line(request):
    return web.with_etag(editing.add_line(request.principal, request.params["invoice_id"],
                                          request.header("if-match"), request.json()), status=201)


@app.route("/api/invoices/{invoice_id}/lines/{line_id}", methods=["PATCH"])
@endpoint(app)
def update_invoice_line(request):
    return web.with_etag(editing.update_line(request.principal, request.params["invoice_id"],
                                             request.params["line_id"], request.header("if-match"), request.json()))


@app.route("/api/invoices/{invoice_id}/lines/{line_id}", methods=["DELETE"])
@endpoint(app)
def delete_invoice_line(request):
    return web.with_etag(editing.delete_line(request.principal, request.params["invoice_id"], request.params["line_id"],
                                             request.header("if-match"), request.json(required=False)))


def _action_route(action: str, status: int = 200):
    """POST /api/invoices/{id}/<action>: one route per status-machine action (DESIGN §4)."""

    @app.route(f"/api/invoices/{{invoice_id}}/{action}", methods=["POST"], name=f"invoice_{action.replace('-', '_')}")
    @endpoint(app)
    def view(request):
        return web.with_etag(lifecycle.run_action(request.principal, action, request.params["invoice_id"],
                                                  request.header("if-match"), request.json(required=False)),
                             status=status)

    view.__name__ = f"invoice_{action.replace('-', '_')}"  # the OpenAPI operationId
    return view


for _action in ("finalize", "approve", "reject", "send", "accept", "pay", "cancel"):
    _action_route(_action)


@app.route("/api/invoices/{invoice_id}/credit-note", methods=["POST"])
@endpoint(app)
def invoice_credit_note(request):
    return web.with_etag(lifecycle.create_credit_note(request.principal, request.params["invoice_id"],
                                                      request.header("if-match"), request.json(required=False),
                                                      idempotency_key=request.header("idempotency-key")),
                         status=201)


# --- source drift, corrections, regeneration, margin (issue 15) -------------------------------------

@app.route("/api/invoices/{invoice_id}/drift", methods=["GET"])
@endpoint(app)
def get_invoice_drift(request):
    return drift.invoice_drift(request.principal, request.params["invoice_id"])


@app.route("/api/drift", methods=["GET"])
@endpoint(app)
def list_drifts(request):
    return drift.list_drifts(request.principal, request.query)


@app.route("/api/invoices/{invoice_id}/drift/credit-note", methods=["POST"])
@endpoint(app)
def propose_drift_credit_note(request):
    return web.Reply(drift.propose_credit_note(request.principal, request.params["invoice_id"], request.json()),
                     status=201)


@app.route("/api/invoices/{invoice_id}/drift/supplement", methods=["POST"])
@endpoint(app)
def propose_drift_supplement(request):
    return web.Reply(drift.propose_supplement(request.principal, request.params["invoice_id"], request.json()),
                     status=201)


@app.route("/api/invoices/{invoice_id}/drift/acknowledge", methods=["POST"])
@endpoint(app)
def acknowledge_drift(request):
    return drift.acknowledge(request.principal, request.params["invoice_id"], request.json())


@app.route("/api/invoices/{invoice_id}/regenerate", methods=["POST"])
@endpoint(app)
def regenerate_invoice(request):
    return drift.regenerate(request.principal, request.params["invoice_id"], request.header("if-match"),
                            request.json(required=False))


@app.route("/api/invoices/{invoice_id}/margin", methods=["GET"])
@endpoint(app)
def get_invoice_margin(request):
    return drift.invoice_margin(request.principal, request.params["invoice_id"])


@app.route("/api/invoices/{invoice_id}/pdf", methods=["GET"])
@endpoint(app)
def get_invoice_pdf(request):
    pdf, filename = invoice_pdf.stored_pdf(request.principal, request.params["invoice_id"])
    return web.Reply(pdf, headers={"Content-Type": "application/pdf",
                                   "Content-Disposition": f'inline; filename="{filename}"'})


@app.route("/api/invoices/{invoice_id}/preview", methods=["GET"])
@endpoint(app)
def preview_invoice(request):
    return web.html_document(invoice_pdf.preview(request.principal, request.params["invoice_id"]))


@app.route("/api/invoices/{invoice_id}/events", methods=["GET"])
@endpoint(app)
def list_invoice_events(request):
    return registry.events(request.principal, request.params["invoice_id"])


@app.route("/api/invoices/{invoice_id}/history", methods=["GET"])
@endpoint(app)
def list_invoice_history(request):
    return registry.history(request.principal, request.params["invoice_id"])


@app.route("/api/invoices/{invoice_id}/jobs", methods=["GET"])
@endpoint(app)
def list_invoice_jobs(request):
    return jobs.list_for_invoice(request.principal, request.params["invoice_id"])


@app.route("/api/jobs/{job_id}/retry", methods=["POST"])
@endpoint(app)
def retry_job(request):
    return jobs.retry(request.principal, request.params["job_id"])


@app.route("/api/webhooks/didox", methods=["POST"])
@endpoint(app, auth=False)
def didox_webhook(request):
    result = webhooks.didox_callback(request.header("x-didox-signature"), request.raw_body)
    # A document we never sent is taken but not applied: 202; applied or a replay: 200.
    return web.Reply(result.to_dict(), status=202 if result.outcome == webhooks.UNKNOWN_DOCUMENT else 200)


# --- month generation runs (the console's "generate the month", and the monthly schedule) ---------

@app.route("/api/generation-runs", methods=["POST"])
@endpoint(app)
def start_generation_run(request):
    run = generation.start_run(request.principal, request.json())
    return web.Reply(run, status=201, headers={"Location": f"/api/generation-runs/{run['id']}"})


@app.route("/api/generation-runs", methods=["GET"])
@endpoint(app)
def list_generation_runs(request):
    return generation.list_runs(request.principal, request.query)


@app.route("/api/generation-runs/{run_id}", methods=["GET"])
@endpoint(app)
def get_generation_run(request):
    return generation.get_run(request.principal, request.params["run_id"])


# --- billing configuration (DESIGN §3 rules 3, 5, 7; §8) ---------------------------------------

@app.route("/api/applications/{application_key}/rate-rules", methods=["GET"])
@endpoint(app)
def list_rate_rules(request):
    return billing_config.list_rate_rules(request.principal, request.params["application_key"], request.query)


@app.route("/api/applications/{application_key}/rate-rules", methods=["POST"])
@endpoint(app)
def create_rate_rule(request):
    return web.Reply(billing_config.create_rate_rule(request.principal, request.params["application_key"],
                                                     request.json()), status=201)


@app.route("/api/rate-rules/{rule_id}", methods=["GET"])
@endpoint(app)
def get_rate_rule(request):
    return billing_config.get_rate_rule(request.principal, request.params["rule_id"])


@app.route("/api/rate-rules/{rule_id}", methods=["PATCH"])
@endpoint(app)
def update_rate_rule(request):
    return billing_config.update_rate_rule(request.principal, request.params["rule_id"], request.json())


@app.route("/api/rate-rules/{rule_id}", methods=["DELETE"])
@endpoint(app)
def delete_rate_rule(request):
    billing_config.delete_rate_rule(request.principal, request.params["rule_id"])
    return web.Reply(None, status=204)


@app.route("/api/project-classifications", methods=["GET"])
@endpoint(app)
def list_project_classifications(request):
    return billing_config.list_project_classifications(request.principal, request.query)


@app.route("/api/project-classifications/{project_key}", methods=["PUT"])
@endpoint(app)
def put_project_classification(request):
    return billing_config.put_project_classification(request.principal, request.params["project_key"],
                                                     request.json())


@app.route("/api/project-classifications/{project_key}", methods=["DELETE"])
@endpoint(app)
def delete_project_classification(request):
    billing_config.delete_project_classification(request.principal, request.params["project_key"])
    return web.Reply(None, status=204)


@app.route("/api/employee-exclusions", methods=["GET"])
@endpoint(app)
def list_employee_exclusions(request):
    return billing_config.list_employee_exclusions(request.principal, request.query)


@app.route("/api/employee-exclusions", methods=["POST"])
@endpoint(app)
def create_employee_exclusion(request):
    return web.Reply(billing_config.create_employee_exclusion(request.principal, request.json()), status=201)


@app.route("/api/employee-exclusions/{exclusion_id}", methods=["DELETE"])
@endpoint(app)
def delete_employee_exclusion(request):
    billing_config.delete_employee_exclusion(request.principal, request.params["exclusion_id"])
    return web.Reply(None, status=204)


@app.route("/api/settings", methods=["GET"])
@endpoint(app)
def get_settings(request):
    return billing_config.get_settings(request.principal)


@app.route("/api/integrations", methods=["GET"])
@endpoint(app)
def integrations_readiness(request):
    return integrations.readiness(request.principal)


@app.route("/api/settings/{key}", methods=["PUT"])
@endpoint(app)
def put_setting(request):
    return billing_config.put_setting(request.principal, request.params["key"], request.json())


@app.route("/api/config-changes", methods=["GET"])
@endpoint(app)
def list_config_changes(request):
    return billing_config.list_config_changes(request.principal, request.query)


# --- pricing calculator (DESIGN §6) -----------------------------------------------------------

@app.route("/api/calculator/quote", methods=["POST"])
@endpoint(app)
def price_quote(request):
    return calculator.quote(request.principal, request.json())


@app.route("/api/calculator/snapshots", methods=["POST"])
@endpoint(app)
def save_quote_snapshot(request):
    return web.Reply(calculator.save_snapshot(request.principal, request.json(),
                                              idempotency_key=request.header("idempotency-key")), status=201)


@app.route("/api/calculator/snapshots", methods=["GET"])
@endpoint(app)
def list_quote_snapshots(request):
    return calculator.list_snapshots(request.principal, request.query)


@app.route("/api/calculator/snapshots/{snapshot_id}", methods=["GET"])
@endpoint(app)
def get_quote_snapshot(request):
    return calculator.get_snapshot(request.principal, request.params["snapshot_id"])



@app.route("/api/calculator/snapshots/{snapshot_id}/pdf", methods=["GET"])
@endpoint(app)
def get_quote_pdf(request):
    pdf, filename = calculator.quote_pdf(request.principal, request.params["snapshot_id"],
                                         internal=request.flag("internal"))
    return web.Reply(pdf, headers={"Content-Type": "application/pdf",
                                   "Content-Disposition": f'inline; filename="{filename}"'})

# --- the API contract ----------------------------------------------------------------------------

@app.route("/api/openapi.json", methods=["GET"])
@endpoint(app, auth=False)
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
