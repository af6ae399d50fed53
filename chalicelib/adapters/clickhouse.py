"""ClickHouse, read-only: one driver (clickhouse-connect) for HTTPS in production and chdb locally.

Every query carries ``readonly=1`` and ``max_execution_time``; values travel as server-side
``{name:Type}`` parameters; readers keep only the latest version of each row (FINAL / argMax).
"""
from __future__ import annotations

import logging
import re
from dataclasses import fields
from datetime import date
from typing import Any, Iterable, Sequence
from urllib.parse import urlparse

from ..domain.billing import WorklogFact
from ..domain.cdm import Application, Contact, Customer
from ..domain.errors import Unavailable

log = logging.getLogger(__name__)

# ClickHouse error codes that mean "the query was fine, the engine was not" -> 503, retry later.
_UNAVAILABLE_CODES = {159, 160, 209, 210, 241, 394}  # timeout, slow, socket timeout, network, memory, cancelled


class ClickHouseReader:
    """Read-only access to the CDM/Jira/Tempo tables."""

    def __init__(self, url: str, *, max_execution_time: int = 15, client: Any = None):
        self.url = url
        self.max_execution_time = max_execution_time
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connect(self.url)
        return self._client

    def settings(self) -> dict[str, Any]:
        # Order matters: once readonly=1 applies, no later setting may change.
        return {"max_execution_time": self.max_execution_time, "readonly": 1}

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows as dicts; driver failures become ``Unavailable`` (or ``PermissionError`` for writes)."""
        names, rows = self.query_rows(sql, parameters)
        return [dict(zip(names, row)) for row in rows]

    def query_rows(
        self, sql: str, parameters: dict[str, Any] | None = None
    ) -> tuple[tuple[str, ...], Sequence[tuple[Any, ...]]]:
        """Column names and rows as tuples, failing as :meth:`query` does: for large results, where a
        dict per row is a cost of its own."""
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:
            result = self.client.query(sql, parameters=parameters or {}, settings=self.settings())
        except ClickHouseError as exc:
            message = str(exc)
            code = _error_code(message)
            if code == 164:
                raise PermissionError("ClickHouse is read-only for this application") from exc
            log.error("clickhouse query failed", extra={"error": message[:500], "code": code})
            if code is None or code in _UNAVAILABLE_CODES:
                raise Unavailable("ClickHouse is unavailable or timed out; nothing was saved") from exc
            raise
        except OSError as exc:
            raise Unavailable("ClickHouse is unavailable; nothing was saved") from exc
        return tuple(result.column_names), result.result_rows

    def ping(self) -> None:
        self.query("SELECT 1")

    # --- readers -----------------------------------------------------------------------------

    def applications(self, keys: Sequence[str] | None = None) -> list[Application]:
        where = "WHERE application_key IN {keys:Array(String)}" if keys is not None else ""
        rows = self.query(
            f"SELECT {_columns(Application)} FROM cdm.jira_applications FINAL {where} "
            "ORDER BY application_key",
            {"keys": list(keys)} if keys is not None else None,
        )
        return [_application(row) for row in rows]

    def application(self, key: str) -> Application | None:
        found = self.applications([key])
        return found[0] if found else None

    def customers(self, keys: Iterable[str] | None = None) -> dict[str, Customer]:
        where = "WHERE customer_key IN {keys:Array(String)}" if keys is not None else ""
        rows = self.query(
            f"SELECT {_columns(Customer)} FROM cdm.jira_customers FINAL {where} ORDER BY customer_key",
            {"keys": sorted(set(keys))} if keys is not None else None,
        )
        return {row["customer_key"]: Customer(**_strip_country(row)) for row in rows}

    def customer(self, key: str) -> Customer | None:
        return self.customers([key]).get(key)

    def worklog_facts(
        self, project_keys: Sequence[str], first_day: date, last_day: date, *, as_facts: bool = False
    ) -> list[dict[str, Any]] | list[WorklogFact]:
        """One row per live worklog of the projects in the period, joined with its issue, in billing order.

        Latest version per worklog over *all* its versions (a worklog moved out of the period or project
        by a re-sync no longer counts), deleted ones dropped; issues at their latest version, a missing
        issue gives NULL type and priority. Rows are dicts, or with ``as_facts`` ``WorklogFact`` objects
        built straight from the result tuples: the prefill's path, where tens of thousands of dicts would
        cost more than the query.
        """
        if not project_keys:
            return []
        names, rows = self.query_rows(
            WORKLOG_FACTS_SQL, {"projects": list(project_keys), "first": first_day, "last": last_day}
        )
        if not as_facts:
            return [dict(zip(names, row)) for row in rows]
        # (An empty result may come without column names, so only rows are checked.)
        if rows and names != WORKLOG_FACT_COLUMNS:  # the query and the read model drifted apart
            raise RuntimeError(f"worklog facts query returns {names}, expected {WORKLOG_FACT_COLUMNS}")
        return [WorklogFact(*row) for row in rows]

    def contacts(self, customer_key: str) -> list[Contact]:
        rows = self.query(
            f"SELECT {_columns(Contact)} FROM cdm.jira_contacts FINAL "
            "WHERE customer_key = {customer_key:String} ORDER BY is_primary DESC, role, name",
            {"customer_key": customer_key},
        )
        return [Contact(**{**row, "is_primary": bool(row["is_primary"])}) for row in rows]


# The columns of WORKLOG_FACTS_SQL, in order: WorklogFact's fields, so that a row is its arguments.
WORKLOG_FACT_COLUMNS = (
    "worklog_id", "account_id", "author_name", "project_key", "issue_key", "started_at", "work_date",
    "time_spent_seconds", "billable_seconds", "issue_type", "priority", "updated_at",
)

# Why it is written this way (it is the prefill's one big query; ~45,000 rows in the largest month):
# * Latest version: sort each worklog's versions newest first and keep one (LIMIT 1 BY). That keeps the
#   whole newest row, NULLs included, and costs a fraction of argMax over a tuple of every column.
#   Reading only the worklog ids that have some version in the projects and period uses the primary key.
# * Issues: only those of worklog versions in the projects and period. Every live worklog's own latest
#   version is one of them, so the set covers the join without computing `live` a second time.
# * LowCardinality on the columns that repeat (authors, projects, issues, types, priorities): the driver
#   then decodes each distinct string once instead of once per row.
WORKLOG_FACTS_SQL = """
WITH live AS (
    SELECT worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
           time_spent_seconds, billable_seconds, updated_at
    FROM (
        SELECT worklog_id, issue_key, project_key, account_id, author_name, started_at, work_date,
               time_spent_seconds, billable_seconds, is_deleted, updated_at
        FROM tempo.worklogs_flat
        WHERE worklog_id IN (
            SELECT worklog_id FROM tempo.worklogs_flat
            WHERE project_key IN {projects:Array(String)} AND work_date BETWEEN {first:Date} AND {last:Date})
        ORDER BY worklog_id, updated_at DESC
        LIMIT 1 BY worklog_id)
    WHERE is_deleted = 0 AND project_key IN {projects:Array(String)}
      AND work_date BETWEEN {first:Date} AND {last:Date}
),
issues AS (
    SELECT issue_key, issue_type, priority, updated_at
    FROM jira.jira_issues
    WHERE issue_key IN (
        SELECT issue_key FROM tempo.worklogs_flat
        WHERE project_key IN {projects:Array(String)} AND work_date BETWEEN {first:Date} AND {last:Date})
    ORDER BY issue_key, updated_at DESC
    LIMIT 1 BY issue_key
)
SELECT l.worklog_id AS worklog_id, toLowCardinality(l.account_id) AS account_id,
       toLowCardinality(l.author_name) AS author_name, toLowCardinality(l.project_key) AS project_key,
       toLowCardinality(l.issue_key) AS issue_key, l.started_at AS started_at, l.work_date AS work_date,
       l.time_spent_seconds AS time_spent_seconds, l.billable_seconds AS billable_seconds,
       toLowCardinality(if(empty(iss.issue_key), NULL, toString(iss.issue_type))) AS issue_type,
       toLowCardinality(if(empty(iss.issue_key), NULL, iss.priority)) AS priority,
       greatest(l.updated_at, iss.updated_at) AS updated_at
FROM live AS l
LEFT JOIN issues AS iss ON iss.issue_key = l.issue_key
ORDER BY started_at, worklog_id
"""


def connect(url: str) -> Any:
    """A clickhouse-connect client: ``chdb:///abs/path`` (embedded) or ``https://user:pw@host:port/db``."""
    import clickhouse_connect

    if not url:
        raise Unavailable("CLICKHOUSE_URL is not configured")
    if url.startswith("chdb:"):
        return clickhouse_connect.get_client(dsn=url)
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http"):
        raise ValueError(f"unsupported CLICKHOUSE_URL scheme {parsed.scheme!r}")
    return clickhouse_connect.get_client(
        dsn=url,
        secure=parsed.scheme == "https",
        connect_timeout=5,
        send_receive_timeout=20,
        autogenerate_session_id=False,
    )


def _error_code(message: str) -> int | None:
    match = re.search(r"Code: (\d+)", message)
    return int(match.group(1)) if match else None


def _columns(model: type) -> str:
    return ", ".join(f.name for f in fields(model))


def _application(row: dict[str, Any]) -> Application:
    return Application(**{**row, "jira_project_keys": tuple(row["jira_project_keys"])})


def _strip_country(row: dict[str, Any]) -> dict[str, Any]:
    # FixedString(2) arrives as bytes or a padded string depending on the transport.
    country = row["country"]
    if isinstance(country, bytes):
        country = country.decode()
    return {**row, "country": country.rstrip("\x00").strip()}
