"""The SQS consumer: each record is one idempotent unit of work; failures are reported per record."""
from __future__ import annotations

import json
import logging
from typing import Any

from .. import observability
from . import generation, jobs

log = logging.getLogger(__name__)


def _handle(record: Any) -> None:
    """Route by message type: a draft to generate or an outbox job to run. A job that failed and will be
    retried later is not a record failure: its row holds the retry, the relay re-publishes it when due.

    Every line logged while a record is handled carries its SQS message id as the correlation id."""
    receive_count = _receive_count(record)
    observability.correlate(record.message_id, receive_count=receive_count)
    try:
        kind = json.loads(record.body).get("type")
        if kind == jobs.MESSAGE_TYPE:
            outcome = jobs.handle_message(record.body)
        else:
            outcome = generation.handle_message(record.body, receive_count=receive_count).status
        log.info("record processed", extra={"message_type": kind, "outcome": outcome})
    except Exception:
        log.exception("record failed; SQS redelivers it (dead-letter queue after the redrive count)")
        raise
    finally:
        observability.forget("receive_count")


def _receive_count(record: Any) -> int:
    """SQS's ApproximateReceiveCount (1 on the first delivery); 1 when absent (local or hand-made events)."""
    try:
        return int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    except (TypeError, ValueError):
        return 1


def process_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Process a batch with Powertools' batch utility; returns ``batchItemFailures`` for the failed ones."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
