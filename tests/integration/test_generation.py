"""Monthly generation on the real databases: idempotent, skips, failures isolated, SQS fan-out."""
from __future__ import annotations

import json
from decimal import Decimal
from datetime import date


from chalicelib.domain.billing import Period
from chalicelib.services import generation

OCT = Period.parse("2026-10")


def _invoices(container):
    return container.db.run(lambda conn: conn.execute(
        "SELECT application_key, period, status, total FROM invoicing.invoices ORDER BY application_key").fetchall())


def test_generate_month_creates_each_draft_once(container):
    first = generation.generate_month(OCT, today=date(2026, 11, 1)).to_dict()
    # TAPP-OLD is closed; the three active contracts get a draft
    assert first["created"] == 3 and first["already_existing"] == 0 and first["failed"] == []
    assert [r["application_key"] for r in _invoices(container)] == ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]
    second = generation.generate_month(OCT).to_dict()
    assert second["created"] == 0 and second["already_existing"] == 3
    assert len(_invoices(container)) == 3


def test_hr_without_billable_hours_is_skipped(container):
    summary = generation.generate_month(Period.parse("2026-08"), only="TAPP-HR").to_dict()
    assert summary["created"] == 0
    assert summary["skipped"] == [{"application_key": "TAPP-HR",
                                   "reason": "HR contract with no billable hours in the period"}]


def test_one_failure_does_not_stop_the_others(container, monkeypatch):
    from chalicelib.adapters import invoice_store

    real = invoice_store.insert_lines

    def failing(conn, invoice_id, lines):
        real(conn, invoice_id, lines)
        if conn.execute("SELECT application_key FROM invoicing.invoices WHERE id = %s",
                        (invoice_id,)).fetchone()["application_key"] == "TAPP-HR":
            conn.execute("SELECT 1 / 0")  # a statement PostgreSQL refuses, half-way through the draft

    # The month's drafts are priced in one engine pass and saved in one transaction (generation.BATCH), each
    # in a savepoint: the failed draft leaves nothing behind, the others are saved.
    monkeypatch.setattr(invoice_store, "insert_lines", failing)
    summary = generation.generate_month(OCT).to_dict()
    assert summary["created"] == 2
    assert summary["failed"] == [{"application_key": "TAPP-HR", "reason": "DivisionByZero: division by zero"}]
    assert [r["application_key"] for r in _invoices(container)] == ["TAPP-FP", "TAPP-SUP"]
    lines = container.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM invoicing.invoice_line_items l JOIN invoicing.invoices i ON i.id = l.invoice_id"
        " WHERE i.application_key = 'TAPP-HR'").fetchone()["n"])
    assert lines == 0


def test_an_application_the_engine_cannot_plan_fails_alone(container, monkeypatch):
    from chalicelib.services import invoices

    real = invoices.plan_prefill

    def refuse(application, period, **kwargs):
        if application.application_key == "TAPP-HR":
            raise ValueError("project THR: unknown classification 'secret'")
        return real(application, period, **kwargs)

    monkeypatch.setattr(invoices, "plan_prefill", refuse)
    summary = generation.generate_month(OCT).to_dict()
    assert summary["created"] == 2
    assert summary["failed"] == [{"application_key": "TAPP-HR",
                                  "reason": "ValueError: project THR: unknown classification 'secret'"}]


QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:proxima-invoice-jobs"


def _sqs_event(*bodies):
    from infra.local.lambda_runtime import sqs_record

    return {"Records": [sqs_record(body, QUEUE_ARN, message_id=f"m{i}") for i, body in enumerate(bodies)]}


def test_queue_batch_is_idempotent_and_reports_bad_records(container):
    message = json.dumps({"type": "generate_draft", "application_key": "TAPP-FP", "period": "2026-10"})
    from infra.local.lambda_runtime import invoke

    # through the jobs-worker function's entrypoint, as Lambda's SQS event source calls it
    result = invoke("app.jobs_worker", _sqs_event(message, message, "{not json"), function_name="jobs-worker")
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    rows = _invoices(container)
    assert [(r["application_key"], r["total"]) for r in rows] == [("TAPP-FP", Decimal("18000.00"))]


def test_schedule_enqueues_previous_month_for_active_applications(container):
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.queue import Queue

    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-central-1")
        url = sqs.create_queue(QueueName="proxima-invoice-jobs")["QueueUrl"]
        result = generation.enqueue_month(today=date(2026, 11, 1), queue=Queue(url, client=sqs))
        assert (result["period"], result["enqueued"]) == ("2026-10", 3)  # + the run it records
        bodies = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                break
            bodies += [json.loads(m["Body"]) for m in got]
    assert sorted(b["application_key"] for b in bodies) == ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]
    assert {b["period"] for b in bodies} == {"2026-10"} and {b["type"] for b in bodies} == {"generate_draft"}


def test_progress_follows_every_application_once(container, monkeypatch):
    seen = []

    def progress(keys):
        for key in keys:
            seen.append((key, len(_invoices(container))))  # drafts saved when the bar reaches this key
            yield key

    monkeypatch.setattr(generation, "BATCH", 2)
    summary = generation.generate_month(OCT, progress=progress).to_dict()
    assert summary["created"] == 3
    assert [key for key, _ in seen] == ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]
    assert [saved for _, saved in seen] == [2, 2, 3]  # a batch's drafts are saved before its steps
