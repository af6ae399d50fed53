"""The outbox runner on the real PostgreSQL: claims, backoff, failure with alert, reclaiming a dead
worker's job, duplicate messages, the relay onto a real (moto) SQS queue."""
from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from chalicelib.adapters import jobs_store
from chalicelib.domain import jobs as policy
from chalicelib.services import container as container_module
from chalicelib.services import jobs, queue_worker
from tests.drafts import make_draft


@pytest.fixture
def invoice(container):
    return make_draft(container.db, "APP-J")


@pytest.fixture
def calls(monkeypatch):
    """A scripted integration: each call pops the next outcome (an exception to raise or a result)."""
    script: list = []
    seen: list = []

    def handler(job):
        seen.append(job["id"])
        outcome = script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    table = {**{name: handler for name in policy.JOB_TYPES}, "alert": lambda job: {"ok": True}}
    monkeypatch.setattr(jobs, "handlers", lambda: table)
    return script, seen


def new_job(container, invoice, job_type="telegram_notify", max_attempts=3):
    def work(conn):
        job_id = jobs_store.insert(conn, invoice, job_type, f"{job_type}:{invoice}")
        conn.execute("UPDATE invoicing.integration_jobs SET max_attempts = %s WHERE id = %s", (max_attempts, job_id))
        return job_id

    return container.db.run(work)


def row(container, job_id):
    return container.db.run(lambda conn: jobs_store.get(conn, job_id))


def make_due(container, job_id):
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.integration_jobs SET next_attempt_at = now() WHERE id = %s", (job_id,)))


def test_success_keeps_the_result(container, invoice, calls):
    script, seen = calls
    script.append({"message_id": 42})
    job_id = new_job(container, invoice)
    assert jobs.process(job_id) == "completed"
    job = row(container, job_id)
    assert (job["status"], job["attempts"], job["result"], job["error"]) == ("completed", 1, {"message_id": 42}, None)
    # The same message again: nothing to do, no second effect.
    assert jobs.process(job_id) == "skipped" and len(seen) == 1


def test_transient_errors_back_off_then_succeed_once(container, invoice, calls):
    script, seen = calls
    script += [policy.TransientError("HTTP 500"), policy.TransientError("HTTP 429", retry_after=600),
               {"message_id": 7}]
    job_id = new_job(container, invoice)
    assert jobs.process(job_id, jitter=lambda: 0.0) == "pending"
    job = row(container, job_id)
    assert job["error"] == "HTTP 500" and job["attempts"] == 1
    wait = (job["next_attempt_at"] - job["updated_at"]).total_seconds()
    assert 14 <= wait <= 16  # 30 s ceiling, equal jitter at 0 → 15 s
    assert jobs.process(job_id) == "skipped"  # not due yet
    make_due(container, job_id)
    assert jobs.process(job_id, jitter=lambda: 0.0) == "pending"
    job = row(container, job_id)
    assert (job["next_attempt_at"] - job["updated_at"]).total_seconds() >= 599  # retry_after honoured
    make_due(container, job_id)
    assert jobs.process(job_id) == "completed"
    assert len(seen) == 3 and row(container, job_id)["result"] == {"message_id": 7}


def test_last_attempt_fails_with_the_error_and_an_alert(container, invoice, calls):
    script, _ = calls
    script += [policy.TransientError("timeout")] * 2
    job_id = new_job(container, invoice, max_attempts=2)
    jobs.process(job_id)
    make_due(container, job_id)
    assert jobs.process(job_id) == "failed"
    job = row(container, job_id)
    assert job["status"] == "failed" and job["error"] == "timeout" and job["completed_at"] is not None
    alerts = [j for j in container.db.run(lambda conn: jobs_store.for_invoice(conn, invoice)) if j["job_type"] == "alert"]
    assert len(alerts) == 1 and alerts[0]["payload"]["failed_job_id"] == job_id


def test_permanent_error_fails_at_once(container, invoice, calls):
    script, seen = calls
    script.append(policy.PermanentError("HTTP 400: chat not found"))
    job_id = new_job(container, invoice)
    assert jobs.process(job_id) == "failed"
    assert row(container, job_id)["error"] == "HTTP 400: chat not found" and len(seen) == 1


def test_a_lost_answer_of_a_not_repeatable_effect_completes_as_unknown_and_is_not_sent_again(container, invoice, calls):
    script, seen = calls
    script.append(policy.OutcomeUnknown("Telegram: read timeout"))
    job_id = new_job(container, invoice, job_type="telegram_notify")
    assert jobs.process(job_id) == "completed"
    job = row(container, job_id)
    assert job["result"] == {"outcome": "unknown", "error": "Telegram: read timeout"} and job["attempts"] == 1
    make_due(container, job_id)
    assert jobs.process(job_id) == "skipped" and len(seen) == 1


def test_a_lost_answer_of_a_repeatable_effect_is_retried(container, invoice, calls):
    script, seen = calls
    script += [policy.OutcomeUnknown("PlanFact: read timeout"), {"operation_id": 9}]
    job_id = new_job(container, invoice, job_type="planfact_sync")
    assert jobs.process(job_id) == "pending"
    assert row(container, job_id)["error"] == "PlanFact: read timeout"
    make_due(container, job_id)
    assert jobs.process(job_id) == "completed" and len(seen) == 2


def test_a_type_the_registry_does_not_declare_fails_at_once_without_running(container, invoice, calls, monkeypatch):
    script, seen = calls
    script.append({"ok": 1})
    job_id = new_job(container, invoice, job_type="telegram_notify")
    monkeypatch.setattr(policy, "JOB_TYPES", {k: v for k, v in policy.JOB_TYPES.items() if k != "telegram_notify"})
    assert jobs.process(job_id) == "failed"
    job = row(container, job_id)
    assert job["attempts"] == 1 and "telegram_notify" in job["error"] and seen == []


def test_the_database_accepts_exactly_the_declared_job_types(container):
    """The CHECK on integration_jobs.job_type (migration 000004) and the registry agree, read from the
    migrated schema so a later migration that changes the CHECK is compared too."""
    import re

    definitions = container.db.run(lambda conn: [r["definition"] for r in conn.execute(
        "SELECT pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
        " WHERE c.conrelid = 'invoicing.integration_jobs'::regclass AND c.contype = 'c' AND a.attname = 'job_type'"
    ).fetchall()])
    assert len(definitions) == 1, definitions
    assert sorted(re.findall(r"'([a-z0-9_]+)'", definitions[0])) == sorted(policy.JOB_TYPES)


def test_a_dead_workers_job_is_reclaimed_and_finishes_once(container, invoice, calls):
    script, seen = calls
    script.append({"ok": 1})
    job_id = new_job(container, invoice)
    # A worker claimed it and was killed: running, lock not yet expired → nobody else may run it.
    container.db.run(lambda conn: jobs_store.claim(conn, job_id, 600))
    assert jobs.process(job_id) == "skipped"
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.integration_jobs SET locked_until = now() - interval '1 second' WHERE id = %s", (job_id,)))
    assert jobs.process(job_id) == "completed"
    job = row(container, job_id)
    assert job["attempts"] == 2 and len(seen) == 1
    # The dead worker's late completion cannot overwrite the new claim's outcome.
    assert container.db.run(lambda conn: jobs_store.complete(conn, job_id, 1, {"late": True})) is False


def test_duplicate_messages_in_parallel_run_the_effect_once(container, invoice, calls):
    script, seen = calls
    script += [{"ok": 1}] * 4
    job_id = new_job(container, invoice)
    wide = container_module.Container(replace(container.settings, pg_pool_max_size=4))
    container_module.use(wide)
    barrier = threading.Barrier(4)
    outcomes = []

    def deliver():
        barrier.wait()
        outcomes.append(jobs.handle_message(json.dumps({"type": "job", "job_id": job_id})))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        container_module.use(container)
        wide.close()
    assert sorted(outcomes) == ["completed", "skipped", "skipped", "skipped"] and len(seen) == 1


def test_manual_retry_requeues_a_failed_job(container, invoice, calls):
    from chalicelib.domain.access import Principal
    from chalicelib.domain.errors import Conflict, Forbidden

    script, _ = calls
    script += [policy.PermanentError("bad token"), {"ok": 1}]
    job_id = new_job(container, invoice)
    jobs.process(job_id)
    viewer = Principal("", "v@x", "viewer")
    accountant = Principal("", "a@x", "accountant")
    with pytest.raises(Forbidden):
        jobs.retry(viewer, job_id)
    view = jobs.retry(accountant, job_id)
    assert view["status"] == "pending" and view["attempts"] == 0
    with pytest.raises(Conflict):
        jobs.retry(accountant, job_id)
    assert jobs.process(job_id) == "completed"


def test_relay_publishes_what_was_missed_to_sqs(container, invoice, calls):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        import boto3

        sqs = boto3.client("sqs", endpoint_url=endpoint)
        url = sqs.create_queue(QueueName="jobs-test")["QueueUrl"]
        relaying = container_module.Container(replace(container.settings, jobs_queue_url=url,
                                                      aws_endpoint_url=endpoint))
        container_module.use(relaying)
        try:
            job_id = new_job(container, invoice)
            assert jobs.relay() == {"published": 1, "found": 1}
            assert jobs.relay() == {"published": 0, "found": 0}  # published: not again until it is overdue
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            assert [json.loads(m["Body"]) for m in messages] == [{"type": "job", "job_id": job_id}]
            # The SQS handler runs it, reporting no failed record.
            calls[0].append({"ok": 1})
            event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs",
                                  "receiptHandle": m["ReceiptHandle"], "attributes": {}, "messageAttributes": {},
                                  "md5OfBody": m["MD5OfBody"], "eventSourceARN": "arn:aws:sqs:x:1:jobs-test",
                                  "awsRegion": "eu-central-1"} for m in messages]}
            assert queue_worker.process_batch(event) == {"batchItemFailures": []}
            assert row(container, job_id)["status"] == "completed"
        finally:
            container_module.use(container)
            relaying.close()
    finally:
        server.stop()
