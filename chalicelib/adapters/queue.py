"""SQS: the one queue that carries draft generation and integration jobs."""
from __future__ import annotations

import json
from typing import Any, Iterable, Mapping


class Queue:
    def __init__(self, queue_url: str, *, endpoint_url: str | None = None, client: Any = None):
        self.queue_url = queue_url
        self._endpoint_url = endpoint_url or None
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", endpoint_url=self._endpoint_url)
        return self._client

    def send_many(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Send in batches of 10 (the SQS limit); a partial batch failure raises with the failed ids."""
        batch: list[dict[str, str]] = []
        sent = 0
        for index, message in enumerate(messages):
            batch.append({"Id": str(index), "MessageBody": json.dumps(message, sort_keys=True, default=str)})
            if len(batch) == 10:
                sent += self._send(batch)
                batch = []
        if batch:
            sent += self._send(batch)
        return sent

    def _send(self, batch: list[dict[str, str]]) -> int:
        response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=batch)
        failed = response.get("Failed") or []
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} messages: {[f.get('Message') for f in failed]}")
        return len(batch)
