"""The composition root: settings, the PostgreSQL pool and the ClickHouse reader, built on first use.

Warm Lambda invocations reuse them; tests install their own with ``use(Container(...))``.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..config import Settings, get_settings

if TYPE_CHECKING:
    from ..adapters.clickhouse import ClickHouseReader
    from ..adapters.postgres import Database


class Container:
    def __init__(self, settings: Settings | None = None, *, db: "Database | None" = None,
                 clickhouse: "ClickHouseReader | None" = None, **extra: Any):
        self.settings = settings or get_settings()
        self._db = db
        self._clickhouse = clickhouse
        self._lock = threading.Lock()
        self.extra = extra

    @property
    def db(self) -> "Database":
        if self._db is None:
            with self._lock:
                if self._db is None:
                    from ..adapters.postgres import Database
                    from ..domain.errors import Unavailable

                    if not self.settings.database_url:
                        raise Unavailable("DATABASE_URL is not configured")
                    self._db = Database(
                        self.settings.database_url,
                        statement_timeout_ms=self.settings.pg_statement_timeout_ms,
                        max_retries=self.settings.pg_max_retries,
                        max_size=self.settings.pg_pool_max_size,
                    )
        return self._db

    @property
    def clickhouse(self) -> "ClickHouseReader":
        if self._clickhouse is None:
            with self._lock:
                if self._clickhouse is None:
                    from ..adapters.clickhouse import ClickHouseReader

                    self._clickhouse = ClickHouseReader(
                        self.settings.clickhouse_url,
                        max_execution_time=self.settings.clickhouse_max_execution_time,
                    )
        return self._clickhouse

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


_current: Container | None = None
_current_lock = threading.Lock()


_built_here = False


def current() -> Container:
    """The container services use. One built here follows the settings: when they change (a rotated secret
    read again after its cache expired) the next call builds a new one and closes the old pools."""
    global _current, _built_here
    if _current is not None and not _built_here:
        return _current  # installed with use(): its settings are the installer's
    settings = get_settings()
    if _current is None or (_current.settings is not settings and _current.settings != settings):
        with _current_lock:
            if _current is None or _current.settings != settings:
                previous, _current, _built_here = _current, Container(settings), True
                if previous is not None:
                    previous.close()
    return _current


def use(container: Container | None) -> None:
    """Install ``container`` as the one services use (tests, local server); None resets."""
    global _current, _built_here
    _current, _built_here = container, False
