"""Idempotent creation: a POST with an ``Idempotency-Key`` creates at most one resource, and its retries get
the first answer back (draft-ietf-httpapi-idempotency-key-header).

The key is claimed as the first statement of the creating transaction and names the created resource in
that same transaction, so there is no window in which a crash leaves a resource without its key or a key
without its resource. A concurrent retry waits on the key's row and then replays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import jsonutil
from ..domain import idempotency as rules
from ..domain.access import Principal
from . import container


class Replayed(Exception):
    """The key was used before for this request: here is what was created (and answered)."""

    def __init__(self, resource_id: str | None, response: str | None):
        super().__init__(resource_id)
        self.resource_id = resource_id
        self.response = jsonutil.loads(response) if response else None


@dataclass(frozen=True)
class Guard:
    user_id: str | None
    key: str | None
    operation: str
    fingerprint: str = ""

    @classmethod
    def of(cls, principal: Principal, key: str | None, operation: str, body: Any) -> "Guard":
        if key is None or not principal.user_id:
            return cls(None, None, operation)
        return cls(principal.user_id, rules.check_key(key), operation, rules.fingerprint(operation, body))

    def claim(self, conn: Any) -> None:
        """First thing in the creating transaction: take the key, or raise ``Replayed`` (or 422 on reuse)."""
        from ..adapters import idempotency_store as store

        if self.key is None or store.claim(conn, self.user_id, self.key, self.operation, self.fingerprint):
            return
        row = store.load(conn, self.user_id, self.key)
        rules.check_same_request(row["operation"], row["request_sha256"], self.operation, self.fingerprint)
        raise Replayed(row["resource_id"], row["response_body"])

    def created(self, conn: Any, resource_id: str) -> None:
        from ..adapters import idempotency_store as store

        if self.key is not None:
            store.set_resource(conn, self.user_id, self.key, resource_id)

    def remember(self, response: dict[str, Any]) -> dict[str, Any]:
        """After the commit: keep the answer itself, so a replay is byte for byte the first one."""
        from ..adapters import idempotency_store as store

        if self.key is not None:
            body = jsonutil.dumps(response)
            container.current().db.run(lambda conn: store.set_response(conn, self.user_id, self.key, body))
        return response


def purge_expired() -> int:
    from ..adapters import idempotency_store as store

    return container.current().db.run(lambda conn: store.purge(conn, rules.KEEP_FOR.total_seconds()))
