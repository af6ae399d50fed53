"""The SQS consumer: each record is one idempotent unit of work; failures are reported per record."""
from __future__ import annotations

import json
from typing import Any

from . import generation, jobs


def _handle(record: Any) -> None:
    """Route by message type: a draft to generate or an outbox job to run. A job that failed and will be
    retried later is not a record failure: its row holds the retry, the relay re-publishes it when due."""
    kind = json.loads(record.body).get("type")
    if kind == jobs.MESSAGE_TYPE:
        jobs.handle_message(record.body)
    else:
        generation.handle_message(record.body, receive_count=_receive_count(record))


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
