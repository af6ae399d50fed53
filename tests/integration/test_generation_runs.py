"""Generation runs on the real PostgreSQL and ClickHouse engine: inline and queued (moto SQS), outcomes
counted once, retries, the last delivery, stale runs, concurrent workers."""
from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from chalicelib.domain import generation_runs as runs
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.generation_schemas import GenerationRunRequest, RunQuery
from chalicelib.services import generation, queue_worker

TODAY = date(2026, 11, 30)
ACTIVE_IN_OCTOBER = ["TAPP-FP", "TAPP-HR", "TAPP-SUP"]  # tests/fixtures_cdm.py: TAPP-OLD is closed


@pytest.fixture
def admin(container):
    from chalicelib.services import auth

    user = auth.create_user("runs-admin@test.local", "correct-horse-battery", "admin", "Runs Admin")
    return Principal(user["id"], user["email"], "admin")


@pytest.fixture
def sqs():
    import boto3
    from moto import mock_aws

    from chalicelib.adapters.queue import Queue

    with mock_aws():
        client = boto3.client("sqs", region_name="eu-central-1")
        url = client.create_queue(QueueName="proxima-invoice-jobs")["QueueUrl"]
        yield Queue(url, client=client)


def _drain(queue):
    messages = []
    while True:
        got = queue.client.receive_message(QueueUrl=queue.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return messages
        messages += [m["Body"] for m in got]


def _event(bodies, receive_count=1):
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "r", "body": body,
                         "attributes": {"ApproximateReceiveCount": str(receive_count)},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:proxima-invoice-jobs",
                         "awsRegion": "eu-central-1"} for i, body in enumerate(bodies)]}


def _invoice_keys(container):
    return [r["application_key"] for r in container.db.run(lambda conn: conn.execute(
        "SELECT application_key FROM invoicing.invoices ORDER BY application_key").fetchall())]


def test_inline_run_generates_the_month_and_counts_each_outcome(container, admin):
    run = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY)
    assert run["mode"] == "inline" and run["trigger"] == "api" and run["started_by"] == admin.user_id
    assert run["status"] == "completed" and run["finished_at"] is not None
    assert run["counts"] == {"total": 3, "created": 3, "existing": 0, "skipped": 0, "failed": 0, "pending": 0}
    assert _invoice_keys(container) == ACTIVE_IN_OCTOBER
    # the same generation: a second run creates nothing and says so
    again = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY)
    assert again["counts"] == {"total": 3, "created": 0, "existing": 3, "skipped": 0, "failed": 0, "pending": 0}
    assert _invoice_keys(container) == ACTIVE_IN_OCTOBER
    listed = generation.list_runs(admin, RunQuery())["items"]
    assert [r["id"] for r in listed] == [again["id"], run["id"]]
    assert generation.list_runs(admin, RunQuery(period="2026-09"))["items"] == []


def test_failures_and_skips_are_reported_per_application(container, admin, monkeypatch):
    from chalicelib.services import invoices

    real = invoices.compute_prefill

    def flaky(key, period):
        if key == "TAPP-SUP":
            raise RuntimeError("ClickHouse said no")
        return real(key, period)

    monkeypatch.setattr(invoices, "compute_prefill", flaky)
    run = generation.start_run(admin, GenerationRunRequest(period="2026-08"), today=TODAY)
    assert run["status"] == "completed_with_failures"
    assert [(e["application_key"], e["reason"]) for e in run["errors"]] == [
        ("TAPP-SUP", "RuntimeError: ClickHouse said no")]
    assert [(s["application_key"], s["reason"]) for s in run["skipped"]] == [
        ("TAPP-HR", "HR contract with no billable hours in the period")]
    counts = run["counts"]
    assert counts["failed"] == 1 and counts["skipped"] == 1 and counts["pending"] == 0
    assert counts["created"] + counts["existing"] + counts["skipped"] + counts["failed"] == counts["total"]


def test_queued_run_is_running_until_the_workers_report(container, admin, sqs):
    run = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    assert run["mode"] == "queued" and run["status"] == "running" and run["finished_at"] is None
    assert run["counts"]["pending"] == 3 and _invoice_keys(container) == []
    bodies = _drain(sqs)
    assert sorted(json.loads(b)["application_key"] for b in bodies) == ACTIVE_IN_OCTOBER
    assert {json.loads(b)["run_id"] for b in bodies} == {run["id"]}

    assert queue_worker.process_batch(_event(bodies[:1])) == {"batchItemFailures": []}
    partway = generation.get_run(admin, run["id"])
    assert partway["status"] == "running" and partway["counts"]["created"] == 1 and partway["counts"]["pending"] == 2

    # the rest, and the first one again (SQS delivers at least once): counted once
    assert queue_worker.process_batch(_event(bodies[1:] + bodies[:1])) == {"batchItemFailures": []}
    done = generation.get_run(admin, run["id"])
    assert done["status"] == "completed"
    assert done["counts"] == {"total": 3, "created": 3, "existing": 0, "skipped": 0, "failed": 0, "pending": 0}
    assert _invoice_keys(container) == ACTIVE_IN_OCTOBER


def test_a_transient_failure_is_retried_and_the_last_delivery_records_it(container, admin, sqs, monkeypatch):
    from chalicelib.services import invoices

    real = invoices.compute_prefill

    def flaky(key, period):
        if key == "TAPP-HR":
            raise RuntimeError("connection reset")
        return real(key, period)

    monkeypatch.setattr(invoices, "compute_prefill", flaky)
    run = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    bodies = {json.loads(b)["application_key"]: b for b in _drain(sqs)}
    # (a batch where every record fails is refused whole by Powertools: keep a good record beside it)
    batch = [bodies["TAPP-HR"], bodies["TAPP-FP"]]

    result = queue_worker.process_batch(_event(batch, receive_count=1))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}  # the queue will deliver it again
    view = generation.get_run(admin, run["id"])
    assert view["status"] == "running" and view["counts"]["failed"] == 0
    assert [(r["application_key"], r["attempts"], r["reason"]) for r in view["retrying"]] == [
        ("TAPP-HR", 1, "RuntimeError: connection reset")]

    result = queue_worker.process_batch(_event(batch, receive_count=runs.MAX_RECEIVES))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}  # still raised: to the dead-letter queue
    view = generation.get_run(admin, run["id"])
    assert view["counts"]["failed"] == 1 and view["retrying"] == []
    assert view["errors"][0]["reason"] == (f"RuntimeError: connection reset (gave up after "
                                           f"{runs.MAX_RECEIVES} deliveries)")


def test_a_rule_the_draft_breaks_is_final_not_retried(container, admin, sqs, monkeypatch):
    from chalicelib.services import invoices

    def refuse(key, period):
        raise ValidationFailed("TAPP-FP has no fixed amount")

    monkeypatch.setattr(invoices, "compute_prefill", refuse)
    run = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    assert queue_worker.process_batch(_event(_drain(sqs))) == {"batchItemFailures": []}
    view = generation.get_run(admin, run["id"])
    assert view["status"] == "completed_with_failures" and view["counts"]["failed"] == 3


def test_one_running_run_per_month(container, admin, sqs):
    first = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    with pytest.raises(Conflict) as caught:
        generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    assert caught.value.details == {"id": first["id"]}
    # another month is not blocked
    assert generation.start_run(admin, GenerationRunRequest(period="2026-09"), today=TODAY, queue=sqs)["status"] == "running"


def test_a_stale_run_is_closed_when_its_month_starts_again(container, admin, sqs):
    stale = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    container.db.run(lambda conn: conn.execute(
        "UPDATE invoicing.generation_runs SET updated_at = now() - make_interval(secs => %s) WHERE id = %s",
        (runs.STALE_AFTER_SECONDS + 60, stale["id"])))
    fresh = generation.start_run(admin, GenerationRunRequest(period="2026-10"), today=TODAY, queue=sqs)
    closed = generation.get_run(admin, stale["id"])
    assert closed["status"] == "completed_with_failures" and closed["counts"]["failed"] == 3
    assert fresh["status"] == "running"


def test_the_month_must_be_over_and_only_an_admin_starts_it(container, admin):
    with pytest.raises(ValidationFailed):
        generation.start_run(admin, GenerationRunRequest(period="2026-11"), today=TODAY)
    with pytest.raises(Forbidden):
        generation.start_run(Principal("", "a@x", "accountant"), GenerationRunRequest(period="2026-10"), today=TODAY)
    assert generation.list_runs(admin, RunQuery())["items"] == []


def test_the_schedule_records_its_run(container, admin, sqs):
    result = generation.enqueue_month(today=date(2026, 11, 1), queue=sqs)
    assert result["period"] == "2026-10" and result["enqueued"] == 3
    run = generation.get_run(admin, result["run_id"])
    assert run["trigger"] == "schedule" and run["started_by"] is None and run["counts"]["pending"] == 3
    queue_worker.process_batch(_event(_drain(sqs)))
    assert generation.get_run(admin, result["run_id"])["counts"]["created"] == 3


def test_concurrent_workers_count_every_outcome_exactly_once(container):
    from chalicelib.adapters import generation_store as store

    keys = [f"APP-{i:02d}" for i in range(24)]
    run = container.db.run(lambda conn: store.create_run(conn, period="2026-10", trigger="schedule",
                                                         mode="queued", started_by=None, application_keys=keys))
    outcomes = ["created", "existing", "skipped", "failed"]
    errors = []

    def report(key, index):
        try:
            # every key reported twice, from two threads: the second must change nothing
            generation.record_outcome(run["id"], generation.Outcome(
                key, {"created": "created", "existing": "exists", "skipped": "skipped",
                      "failed": "failed"}[outcomes[index % 4]], reason="r"))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(k, i)) for i, k in enumerate(keys) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = container.db.run(lambda conn: store.load_run(conn, run["id"]))
    assert (row["created"], row["existing"], row["skipped"], row["failed"]) == (6, 6, 6, 6)
    assert row["status"] == "completed_with_failures" and row["finished_at"] is not None
