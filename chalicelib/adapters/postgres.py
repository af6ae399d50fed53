"""PostgreSQL through a psycopg 3 pool: one transaction per command, retried on transient errors."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from ..domain.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors after which the whole transaction may simply be tried again.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    psycopg.OperationalError,
)


class Database:
    """A lazily opened connection pool with a statement timeout on every connection."""

    def __init__(self, dsn: str, *, statement_timeout_ms: int = 5000, max_retries: int = 2,
                 max_size: int = 4, application_name: str = "proxima-invoice"):
        self.dsn = dsn
        self.statement_timeout_ms = statement_timeout_ms
        self.max_retries = max_retries
        self._pool = ConnectionPool(
            dsn,
            min_size=0,
            max_size=max_size,
            open=False,
            timeout=10,
            kwargs={
                "row_factory": dict_row,
                "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                "application_name": application_name,
            },
            check=ConnectionPool.check_connection,
        )
        self._opened = False

    def _ensure_open(self) -> None:
        if not self._opened:
            self._pool.open(wait=False)
            self._opened = True

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection outside any transaction block (autocommit off)."""
        self._ensure_open()
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise Unavailable("PostgreSQL is not reachable") from exc

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One unit of work: commits when the block ends normally, rolls back on any error."""
        with self.connection() as conn:
            with conn.transaction():
                yield conn

    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run ``work(conn)`` in a transaction, retrying it on transient errors (at most max_retries)."""
        attempt = 0
        while True:
            try:
                with self.transaction() as conn:
                    return work(conn)
            except TRANSIENT_ERRORS as exc:
                if isinstance(exc, pg_errors.QueryCanceled):
                    raise Unavailable("PostgreSQL statement timed out") from exc
                if attempt >= self.max_retries:
                    if isinstance(exc, psycopg.OperationalError) and not isinstance(
                            exc, (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)):
                        raise Unavailable("PostgreSQL is not reachable") from exc
                    raise
                attempt += 1
                log.warning("retrying transaction after transient error", extra={
                    "attempt": attempt, "error": type(exc).__name__})
                time.sleep(0.05 * (2 ** attempt))

    def ping(self) -> None:
        with self.connection() as conn:
            conn.execute("SELECT 1")

    def close(self) -> None:
        if self._opened:
            self._pool.close()
            self._opened = False

