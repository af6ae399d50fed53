"""Every function of the deployment, invoked as AWS Lambda invokes it.

The handler names come from the template ``make package`` builds (``sam.json``'s ``Handler`` fields), the
events are shaped like AWS's published samples (``infra.local.lambda_runtime``: API Gateway REST proxy v1,
SQS event source batches, EventBridge "Scheduled Event"), each call gets a Lambda context object, and the
event makes a JSON round trip first. Side effects land in moto (server mode) and the real PostgreSQL.
"""
from __future__ import annotations

import base64
import io
import json
import logging
from contextlib import contextmanager, redirect_stdout
from dataclasses import replace
from datetime import datetime, timezone

import boto3
import pytest

from chalicelib.services import container as container_module
from infra import package as packager
from infra.local import lambda_runtime as runtime
from infra.local.side_effects import R2_KEYS, REGION, provision_aws
from tests.e2e.conftest import PASSWORD

FIRST_OF_NOVEMBER = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)  # the monthly rule's firing time


@pytest.fixture(scope="module")
def functions(tmp_path_factory) -> dict[str, dict]:
    """The template's functions (the package without wheels: the same template, in a second)."""
    out = packager.package(tmp_path_factory.mktemp("entrypoints") / "dist", with_dependencies=False)
    return runtime.handlers_from_template(json.loads((out / "sam.json").read_text()))


def handler_of(functions, python_name: str) -> str:
    found = [f["handler"] for f in functions.values() if f["handler"].rpartition(".")[2] == python_name]
    assert len(found) == 1, f"the template has no single function for {python_name}: {functions}"
    return found[0]


@pytest.fixture
def aws(container, users, moto_url, document_settings):
    """The queue, bucket and SES sender in moto; the services wired to them (as in the deployed stack)."""
    provisioned = provision_aws(moto_url)
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name=REGION)
    arn = sqs.get_queue_attributes(QueueUrl=provisioned["queue_url"],
                                   AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    wired = container_module.Container(replace(
        container.settings, jobs_queue_url=provisioned["queue_url"], aws_endpoint_url=moto_url,
        r2_endpoint_url=moto_url, r2_access_key_id=R2_KEYS[0], r2_secret_access_key=R2_KEYS[1],
        r2_bucket=provisioned["bucket"]))
    container_module.use(wired)
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1",
                      aws_access_key_id=R2_KEYS[0], aws_secret_access_key=R2_KEYS[1])
    for item in s3.list_objects_v2(Bucket=provisioned["bucket"]).get("Contents", []):
        s3.delete_object(Bucket=provisioned["bucket"], Key=item["Key"])
    resources = {"sqs": sqs, "s3": s3, "queue_arn": arn, **provisioned}
    receive_all(resources)  # what an earlier test left (PurgeQueue is allowed once a minute)
    yield resources
    container_module.use(container)
    wired.close()


def receive_all(aws) -> list[dict]:
    """Every message on the queue, taken off it (the test hands them to the worker itself)."""
    messages = []
    while True:
        batch = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                           AttributeNames=["All"]).get("Messages", [])
        if not batch:
            return messages
        aws["sqs"].delete_message_batch(QueueUrl=aws["queue_url"], Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        messages.extend(batch)


def bucket_keys(aws) -> list[str]:
    return [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=aws["bucket"]).get("Contents", [])]


class Gateway:
    """API Gateway in front of the ``app.app`` handler: proxy events in, proxy responses out."""

    def __init__(self, handler: str):
        self.handler = handler
        import app as app_module

        self.app = app_module.app

    def call(self, method, path, body=None, token=None, headers=None, base64_body=False):
        hdrs = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        event = runtime.api_gateway_event(self.app, method, path, headers=hdrs, body=payload,
                                          base64_body=base64_body)
        return runtime.invoke(self.handler, event, function_name="APIHandler")

    def json(self, *args, **kwargs):
        response = self.call(*args, **kwargs)
        return response["statusCode"], json.loads(runtime.decoded_body(response) or b"null")

    def login(self, role):
        status, data = self.json("POST", "/api/auth/login", {"email": f"{role}@test.local", "password": PASSWORD},
                                 base64_body=True)
        assert status == 200, data
        return data["access_token"]


@pytest.fixture
def gateway(functions):
    return Gateway(handler_of(functions, "app"))


@contextmanager
def captured_logs():
    """What the function writes to stdout (where Lambda's log lines and EMF metrics go), as JSON lines."""
    from chalicelib.observability import logger

    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)
    lines: list[dict] = []
    try:
        with redirect_stdout(buffer):
            yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{"))


# --- the template's functions ----------------------------------------------------------------------

def test_every_function_in_the_template_resolves_to_the_chalice_entrypoint_it_names(functions):
    import app as app_module

    expected = {"app"} | {source.handler_string.rpartition(".")[2] for source in app_module.app.event_sources}
    assert {f["handler"].rpartition(".")[2] for f in functions.values()} == expected
    assert len(functions) == 7  # the API and jobs-worker + five schedules
    for function in functions.values():
        assert callable(runtime.resolve_handler(function["handler"])), function


def test_a_lambda_context_is_an_object_not_a_dict():
    context = runtime.LambdaContext("jobs-worker")
    assert not hasattr(context, "get") and context.get_remaining_time_in_millis() > 0


# --- API Gateway -----------------------------------------------------------------------------------

def test_the_api_answers_proxy_events_and_correlates_its_logs_by_request_id(gateway, users, container):
    event = runtime.api_gateway_event(gateway.app, "GET", "/api/auth/me",
                                      headers={"Authorization": "Bearer not-a-token"})
    with captured_logs() as lines:
        response = runtime.invoke(gateway.handler, event, function_name="APIHandler")
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"]
    request_id = event["requestContext"]["requestId"]
    summary = [line for line in lines if line.get("message") == "request handled"]
    assert summary and summary[0]["correlation_id"] == request_id, lines
    assert summary[0]["status"] == 401 and summary[0]["route"] == "/api/auth/me"
    assert summary[0]["function_name"] == "APIHandler" and summary[0]["function_request_id"]


def test_a_base64_body_from_api_gateway_is_read(gateway, users):
    status, data = gateway.json("POST", "/api/auth/login",
                                {"email": "accountant@test.local", "password": PASSWORD}, base64_body=True)
    assert status == 200 and data["access_token"]


def test_a_500_is_logged_with_its_incident_id_as_a_field(gateway, users, monkeypatch):
    from chalicelib.services import auth

    def broken(principal):
        raise RuntimeError("boom")

    monkeypatch.setattr(auth, "me", broken)
    token = gateway.login("viewer")
    with captured_logs() as lines:
        status, body = gateway.json("GET", "/api/auth/me", token=token)
    assert status == 500
    incident = body["error"]["details"]["incident"]
    logged = [line for line in lines if line.get("incident") == incident]
    assert logged and logged[0]["level"] == "ERROR" and "RuntimeError" in logged[0]["exception"], lines
    assert "boom" not in json.dumps(body)


def test_a_pdf_goes_back_through_api_gateway_as_base64(gateway, aws):
    accountant = gateway.login("accountant")
    status, invoice = gateway.json("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                                   token=accountant)
    assert status == 201, invoice
    with captured_logs() as lines:
        status, invoice = gateway.json("POST", f"/api/invoices/{invoice['id']}/finalize", token=accountant)
        assert status == 200, invoice
        for message in receive_all(aws):  # the render job, run as the worker would
            runtime.invoke("app.jobs_worker", runtime.sqs_event_from_received([message], aws["queue_arn"]))
    metrics = {m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]: m for m in lines if "_aws" in m}
    assert metrics["InvoiceActions"]["action"] == "finalize" and metrics["InvoiceActions"]["InvoiceActions"] == [1.0]
    assert metrics["PdfRenderTime"]["PdfRenderTime"][0] > 0 and metrics["PdfRenderTime"]["kind"] == "invoice"
    response = gateway.call("GET", f"/api/invoices/{invoice['id']}/pdf", token=accountant,
                            headers={"Accept": "application/pdf"})
    assert response["statusCode"] == 200, response
    assert response["isBase64Encoded"] is True
    assert response["headers"]["Content-Type"] == "application/pdf"
    assert base64.b64decode(response["body"]).startswith(b"%PDF-")


# --- the jobs worker (SQS) ---------------------------------------------------------------------------

def approved_invoice(gateway, aws) -> str:
    accountant, approver = gateway.login("accountant"), gateway.login("approver")
    status, invoice = gateway.json("POST", "/api/invoices", {"application_key": "TAPP-HR", "period": "2026-10"},
                                   token=accountant)
    assert status == 201, invoice
    for action, token in (("finalize", accountant), ("approve", approver)):
        status, invoice = gateway.json("POST", f"/api/invoices/{invoice['id']}/{action}", token=token)
        assert status == 200, invoice
    return invoice["id"]


def job_rows(gateway, invoice_id):
    status, jobs = gateway.json("GET", f"/api/invoices/{invoice_id}/jobs", token=gateway.login("viewer"))
    assert status == 200, jobs
    return {job["job_type"]: job for job in jobs["items"]}


def test_a_poison_record_is_reported_alone_and_the_rest_of_the_batch_is_done(functions, gateway, aws):
    worker = handler_of(functions, "jobs_worker")
    invoice_id = approved_invoice(gateway, aws)
    messages = receive_all(aws)
    assert messages, "approval published its jobs on the queue"
    event = runtime.sqs_event_from_received(messages, aws["queue_arn"])
    poison = runtime.sqs_record('{"type": "job", "job_id": 42', aws["queue_arn"])
    event["Records"].insert(1, poison)

    with captured_logs() as lines:
        result = runtime.invoke(worker, event, function_name="jobs-worker", timeout_seconds=900)

    assert result == {"batchItemFailures": [{"itemIdentifier": poison["messageId"]}]}
    jobs = job_rows(gateway, invoice_id)
    assert {t: j["status"] for t, j in jobs.items() if t != "render_pdf"} == {
        "archive_r2": "completed", "planfact_sync": "completed", "telegram_notify": "completed"}
    assert len(bucket_keys(aws)) == 1
    # each record's lines carry its own message id as the correlation id, and the jobs emit EMF metrics
    correlated = {line.get("correlation_id") for line in lines if line.get("function_name") == "jobs-worker"}
    assert {r["messageId"] for r in event["Records"]} <= correlated, lines
    metrics = [line for line in lines if "_aws" in line]
    completed = [m for m in metrics if "JobsCompleted" in m and m.get("job_type") == "archive_r2"]
    assert completed and completed[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ProximaInvoice"


def test_a_redelivered_batch_has_no_second_effect(functions, gateway, aws):
    worker = handler_of(functions, "jobs_worker")
    invoice_id = approved_invoice(gateway, aws)
    event = runtime.sqs_event_from_received(receive_all(aws), aws["queue_arn"])
    assert runtime.invoke(worker, event) == {"batchItemFailures": []}
    before = job_rows(gateway, invoice_id)
    keys = bucket_keys(aws)

    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = "2"
    assert runtime.invoke(worker, event) == {"batchItemFailures": []}

    after = job_rows(gateway, invoice_id)
    assert bucket_keys(aws) == keys and len(keys) == 1
    assert {t: (j["status"], j["attempts"], j["completed_at"]) for t, j in after.items()} == \
           {t: (j["status"], j["attempts"], j["completed_at"]) for t, j in before.items()}


# --- the schedules (EventBridge) -----------------------------------------------------------------

def test_the_monthly_schedule_fans_out_through_the_queue_into_drafts(functions, gateway, aws):
    monthly, worker = handler_of(functions, "monthly_drafts"), handler_of(functions, "jobs_worker")
    event = runtime.scheduled_event("proxima-invoice-prod-MonthlyDrafts", at=FIRST_OF_NOVEMBER)
    result = runtime.invoke(monthly, event, function_name="monthly-drafts")
    # TAPP-SUP, TAPP-HR, TAPP-FP (TAPP-OLD is closed), recorded as one generation run
    assert (result["period"], result["enqueued"]) == ("2026-10", 3) and result["run_id"]

    messages = receive_all(aws)
    assert sorted(json.loads(m["Body"])["application_key"] for m in messages) == ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]
    batch = runtime.sqs_event_from_received(messages, aws["queue_arn"])
    assert runtime.invoke(worker, batch, function_name="jobs-worker") == {"batchItemFailures": []}
    assert runtime.invoke(worker, batch, function_name="jobs-worker") == {"batchItemFailures": []}  # redelivery

    status, registry = gateway.json("GET", "/api/invoices?period_from=2026-10&period_to=2026-10",
                                    token=gateway.login("viewer"))
    assert status == 200
    assert sorted((i["application_key"], i["status"]) for i in registry["items"]) == [
        ("TAPP-FP", "draft"), ("TAPP-HR", "draft"), ("TAPP-SUP", "draft")]
    status, run = gateway.json("GET", f"/api/generation-runs/{result['run_id']}", token=gateway.login("admin"))
    assert status == 200 and run["status"] == "completed", run
    assert (run["counts"]["created"], run["counts"]["failed"], run["counts"]["pending"]) == (3, 0, 0), run


def test_the_monthly_schedule_drafts_the_month_before_the_rule_fired_not_before_today(functions, aws):
    event = runtime.scheduled_event("MonthlyDrafts", at=datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc))
    assert runtime.invoke(handler_of(functions, "monthly_drafts"), event)["period"] == "2026-09"


def test_the_relay_schedule_publishes_jobs_no_worker_was_told_about(functions, gateway, aws):
    invoice_id = approved_invoice(gateway, aws)
    receive_all(aws)  # published at approval, then lost: the relay must publish them again
    container_module.current().db.run(lambda conn: conn.execute(
        "UPDATE invoicing.integration_jobs SET published_at = now() - interval '1 hour' WHERE invoice_id = %s",
        (invoice_id,)))
    result = runtime.invoke(handler_of(functions, "jobs_relay"), runtime.scheduled_event("JobsRelay"))
    assert result["published"] == result["found"] >= 3
    assert len(receive_all(aws)) == result["published"]


def test_the_didox_poll_schedule_runs_with_a_lambda_context(functions, aws):
    event = runtime.scheduled_event("DidoxPoll")
    with captured_logs() as lines:
        result = runtime.invoke(handler_of(functions, "didox_poll"), event, function_name="didox-poll")
    assert result == {"status": "disabled"}  # no Didox account configured here
    assert all(line.get("correlation_id") == event["id"] for line in lines
               if line.get("function_name") == "didox-poll")


def test_the_token_purge_schedule_removes_expired_revocations_only(functions, users):
    db = container_module.current().db
    user_id = users["viewer"]["id"]
    db.run(lambda conn: conn.execute(
        "INSERT INTO auth.refresh_token_blacklist (jti, user_id, expires_at) VALUES"
        " ('expired', %s, now() - interval '1 day'), ('live', %s, now() + interval '1 day')", (user_id, user_id)))
    result = runtime.invoke(handler_of(functions, "purge_expired_tokens"),
                            runtime.scheduled_event("PurgeExpiredTokens"), function_name="purge-expired-tokens")
    left = db.run(lambda conn: conn.execute("SELECT jti FROM auth.refresh_token_blacklist").fetchall())
    assert [row["jti"] for row in left] == ["live"], result


def test_a_refused_webhook_is_counted(gateway, container, monkeypatch):
    from chalicelib.services import webhooks

    monkeypatch.setattr(webhooks.container.current(), "settings",
                        replace(container.settings, didox_webhook_secret="s" * 32))
    with captured_logs() as lines:
        response = gateway.call("POST", "/api/webhooks/didox", {"event_id": "e1"},
                                headers={"X-Didox-Signature": "sha256=00"})
    assert response["statusCode"] == 401
    refused = [m for m in lines if "WebhookRefused" in m]
    assert refused and refused[0]["reason"] == "signature", lines


def test_the_drift_schedule_checks_the_finalized_invoices_of_the_months_before_it_fired(functions, gateway, aws):
    approved_invoice(gateway, aws)  # TAPP-HR 2026-10, approved: billed, so checked against the source
    event = runtime.scheduled_event("DriftCheck", at=datetime(2026, 11, 30, 4, 30, tzinfo=timezone.utc))
    result = runtime.invoke(handler_of(functions, "drift_check"), event, function_name="drift-check",
                            timeout_seconds=900)
    assert result["checked"] == 1, result
    assert result["since"] <= "2026-10"
