"""The local run's side effects end to end: the stack ``make run`` starts (moto for S3/SQS/SES, the SaaS
doubles, the local SQS worker and schedules, built by the same ``infra.local.side_effects`` functions),
the API over a real socket, and an invoice taken from draft to sent.

Each effect is counted where it lands (objects in the moto bucket, SES sends, operations/messages/
documents at the doubles), then every job's SQS message is delivered twice more: nothing new may happen.
"""
from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import replace

import boto3
import pytest

from chalicelib.services import container as container_module
from tests.conftest import local_stack
from tests.e2e.conftest import PASSWORD

WAIT_SECONDS = 90  # an upper bound for the worker on a loaded 2-core machine, never an assertion


@pytest.fixture
def stack(container, users, document_settings):
    with local_stack(container) as running:
        yield running


def call(server, method, path, body=None, token=None):
    request = urllib.request.Request(server.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def login(server, role):
    status, data = call(server, "POST", "/api/auth/login", {"email": f"{role}@test.local", "password": PASSWORD})
    assert status == 200, data
    return data["access_token"]


def draft_to_sent(server, application_key, sent="sent"):
    accountant, approver = login(server, "accountant"), login(server, "approver")
    status, invoice = call(server, "POST", "/api/invoices", {"application_key": application_key, "period": "2026-10"},
                           token=accountant)
    assert status == 201, invoice
    for action, token, expected in (("finalize", accountant, "needs_review"), ("approve", approver, "approved"),
                                    ("send", accountant, sent)):
        status, invoice = call(server, "POST", f"/api/invoices/{invoice['id']}/{action}", token=token)
        assert status == 200 and invoice["status"] == expected, invoice
    return invoice, accountant


def settled_jobs(server, invoice_id, token):
    """The invoice's jobs once none is pending or running (the worker and relay run on their threads)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status, jobs = call(server, "GET", f"/api/invoices/{invoice_id}/jobs", token=token)
        assert status == 200, jobs
        if all(job["status"] in ("completed", "failed") for job in jobs["items"]) or time.monotonic() > deadline:
            return jobs["items"]
        time.sleep(0.2)


def wait_for_worker(worker, succeeded):
    deadline = time.monotonic() + WAIT_SECONDS
    while worker.stats["succeeded"] < succeeded and time.monotonic() < deadline:
        time.sleep(0.1)
    return worker.stats["succeeded"]


def archived(effects):
    s3 = boto3.client("s3", endpoint_url=effects.endpoint, region_name="us-east-1")
    bucket = effects.aws["bucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return keys, {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def effect_counts(effects):
    doubles = effects.doubles
    return {"objects": len(archived(effects)[0]), "emails": len(effects.sent_emails()),
            "operations": len(doubles["planfact"].operations), "messages": len(doubles["telegram"].messages),
            "documents": len(doubles["didox"].documents),
            "requests": {name: len(double.requests) for name, double in doubles.items()}}


def test_draft_to_sent_completes_every_job_once_and_duplicates_change_nothing(stack):
    effects, server = stack
    invoice, token = draft_to_sent(server, "TAPP-HR")  # a German customer: delivered by e-mail
    number = invoice["number"]

    jobs = settled_jobs(server, invoice["id"], token)
    assert {job["job_type"]: job["status"] for job in jobs} == {
        "render_pdf": "completed", "archive_r2": "completed", "planfact_sync": "completed",
        "telegram_notify": "completed", "deliver_email": "completed"}, jobs
    assert all(job["error"] is None for job in jobs)
    # the PDF went through the deployed door: the renderer function over the Lambda Invoke API
    assert [i["outcome"] for i in effects.lambda_service.invocations] == ["ok"]

    keys, bodies = archived(effects)
    assert keys == [f"invoices/2026/{number}.pdf"]
    assert hashlib.sha256(bodies[keys[0]]).hexdigest() == invoice["pdf_sha256"]
    emails = effects.sent_emails()
    assert len(emails) == 1 and number in emails[0].raw_data and f'filename="{number}.pdf"' in emails[0].raw_data
    operations = effects.doubles["planfact"].operations
    assert len(operations) == 1 and number in operations[0]["comment"]
    messages = effects.doubles["telegram"].messages
    assert len(messages) == 1 and number in messages[0]["text"]
    assert effects.doubles["didox"].requests == []  # not a resident customer

    status, saved = call(server, "GET", f"/api/invoices/{invoice['id']}", token=token)
    assert status == 200 and saved["planfact_operation_id"] == str(operations[0]["operationId"])

    # The same job messages, delivered twice more (SQS is at-least-once): the rows say they are done.
    before = effect_counts(effects)
    worker = effects.worker
    succeeded = worker.stats["succeeded"]
    sqs = boto3.client("sqs", endpoint_url=effects.endpoint)
    job_messages = [{"type": "job", "job_id": job["id"]} for job in jobs]
    for _ in range(2):
        for message in job_messages:
            sqs.send_message(QueueUrl=effects.aws["queue_url"], MessageBody=json.dumps(message))
    assert wait_for_worker(worker, succeeded + 2 * len(job_messages)) >= succeeded + 2 * len(job_messages)
    assert effect_counts(effects) == before
    _, again = call(server, "GET", f"/api/invoices/{invoice['id']}/jobs", token=token)
    assert [(j["id"], j["status"], j["attempts"]) for j in again["items"]] == \
           [(j["id"], j["status"], j["attempts"]) for j in jobs]


# What the accountant configures for e-invoices (PUT /api/settings/{key}, admin): the company's VAT
# registration and accounts, MXIK code and unit per category, the buyer's VAT registration.
COMPANY = {"name": "Proxima", "legal_name": "Proxima Ops MChJ", "tin": "309512874",
           "vat_registration_code": "326060012874", "address": "Toshkent, Amir Temur 108",
           "bank_name": "Turon Kapital Bank", "bank_account": "20208000805123456001", "bank_code": "01071",
           "director": "R. Abdullayev", "chief_accountant": "G. Saidova"}
# MXIK code and unit per category are the printed invoice's ``mxik_codes``/``unit_codes`` (the
# document_settings fixture); the buyer's VAT registration code is ``customer_details``; ``efaktura`` keeps
# only what Didox alone needs (domain.tax_codes: one owner per fact).
CUSTOMER_DETAILS = {"TCUST-UZ": {"vat_registration_code": "326020000777"}}
EFAKTURA = {"seller_vat_reg_status": 20, "origin": 4, "buyers": {"TCUST-UZ": {"vat_reg_status": 20}}}


def configure_e_invoices(server):
    admin = login(server, "admin")
    for key, value in (("company", COMPANY), ("customer_details", CUSTOMER_DETAILS), ("efaktura", EFAKTURA)):
        status, data = call(server, "PUT", f"/api/settings/{key}", {"value": value}, token=admin)
        assert status == 200, data


def invoice_status(server, invoice_id, token):
    status, saved = call(server, "GET", f"/api/invoices/{invoice_id}", token=token)
    assert status == 200, saved
    return saved


def test_a_resident_customer_is_sent_as_a_didox_draft_that_waits_for_the_signature(stack):
    """Issue 11's path: send → Didox draft → awaiting signature (with a reminder to sign) → the seller signs
    in the cabinet → sent → the buyer signs → accepted; and the rejection path."""
    from chalicelib.services import webhooks

    effects, server = stack
    configure_e_invoices(server)
    invoice, token = draft_to_sent(server, "TAPP-SUP", sent="awaiting_signature")  # an Uzbek customer

    jobs = settled_jobs(server, invoice["id"], token)
    assert {job["job_type"]: job["status"] for job in jobs} == {
        "render_pdf": "completed", "archive_r2": "completed", "planfact_sync": "completed",
        "telegram_notify": "completed", "deliver_didox": "completed", "alert": "completed"}, jobs

    didox = effects.doubles["didox"]
    (document,) = didox.documents
    assert (document["doctype"], document["name"], document["doc_status"]) == ("002", invoice["number"], 0)
    assert effects.sent_emails() == []
    saved = invoice_status(server, invoice["id"], token)
    assert (saved["status"], saved["didox_document_id"], saved["didox_status"]) == (
        "awaiting_signature", document["_id"], "draft")
    reminder = [m for m in effects.doubles["telegram"].messages if "E-IMZO" in m["text"]]
    assert len(reminder) == 1 and invoice["number"] in reminder[0]["text"] and document["_id"] in reminder[0]["text"]
    _, events = call(server, "GET", f"/api/invoices/{invoice['id']}/events", token=token)
    assert any(e["event_type"] == "didox_draft" for e in events["items"]), events

    webhooks.poll_didox()
    assert invoice_status(server, invoice["id"], token)["status"] == "awaiting_signature"
    didox.seller_sign(document["_id"])  # a person, in the Didox cabinet, with the company's E-IMZO key
    webhooks.poll_didox()
    assert invoice_status(server, invoice["id"], token)["status"] == "sent"
    didox.buyer_sign(document["_id"])
    webhooks.poll_didox()
    saved = invoice_status(server, invoice["id"], token)
    assert (saved["status"], saved["didox_status"]) == ("accepted", "signed")


def test_a_resident_invoice_that_cannot_make_an_e_invoice_fails_at_finalize_then_the_buyer_rejects(stack):
    from chalicelib.services import webhooks

    effects, server = stack
    accountant = login(server, "accountant")
    status, invoice = call(server, "POST", "/api/invoices", {"application_key": "TAPP-SUP", "period": "2026-10"},
                           token=accountant)
    assert status == 201, invoice
    status, error = call(server, "POST", f"/api/invoices/{invoice['id']}/finalize", token=accountant)
    assert status == 422, error  # no VAT registration yet: said now, not days later in a job
    named = {d["field"] for d in error["error"]["details"]}
    assert {"customer_details.TCUST-UZ.vat_registration_code", "efaktura.buyers.TCUST-UZ.vat_reg_status",
            "efaktura.seller_vat_reg_status", "efaktura.origin", "company.vat_registration_code"} <= named, named
    assert invoice_status(server, invoice["id"], accountant)["status"] == "draft"

    configure_e_invoices(server)
    approver = login(server, "approver")
    for action, token, expected in (("finalize", accountant, "needs_review"), ("approve", approver, "approved"),
                                    ("send", accountant, "awaiting_signature")):
        status, invoice = call(server, "POST", f"/api/invoices/{invoice['id']}/{action}", token=token)
        assert status == 200 and invoice["status"] == expected, invoice
    settled_jobs(server, invoice["id"], accountant)
    didox = effects.doubles["didox"]
    (document,) = didox.documents
    didox.seller_sign(document["_id"])
    didox.buyer_reject(document["_id"])
    webhooks.poll_didox()
    saved = invoice_status(server, invoice["id"], accountant)
    # the rejection proves the buyer had it: sent (the poll missed code 1), rejected, with an alert
    assert (saved["status"], saved["didox_status"]) == ("sent", "rejected")
    assert saved["status_reason"] == "Didox: document rejected (code 4)"
    settled_jobs(server, invoice["id"], accountant)
    assert any("rejected by the buyer" in m["text"] for m in effects.doubles["telegram"].messages)


def test_the_local_worker_deletes_what_succeeded_and_leaves_failed_records_for_redelivery(container):
    from infra.local.side_effects import LocalSideEffects, LocalWorker

    effects = LocalSideEffects().start()
    wired = container_module.Container(replace(container.settings, **effects.settings_values("http://x")))
    container_module.use(wired)
    try:
        sqs = boto3.client("sqs", endpoint_url=effects.endpoint)
        queue_url = effects.aws["queue_url"]
        # A job nobody created is skipped (success); a job message without a job id is a failed record.
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(
            {"type": "job", "job_id": "00000000-0000-4000-8000-000000000000"}))
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"type": "job", "job_id": 5}))
        worker = LocalWorker(queue_url, effects.endpoint, wait_seconds=1)
        while worker.stats["received"] < 2:
            assert worker.run_once() > 0
        assert worker.stats == {"received": 2, "succeeded": 1, "failed": 1, "relays": 0, "polls": 0}
        counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        # The failed one is still there, invisible until its visibility timeout, then redelivered (and
        # after 5 receives moved to the dead-letter queue).
        assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
    finally:
        container_module.use(container)
        wired.close()
        effects.stop()
