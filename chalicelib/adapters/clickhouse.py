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

from ..domain.billing import PROCESSING_ORDER, WorklogFact
from ..domain.billing.engine import FEE, FIRST_LINE, PRICED, BucketTotals, PrefillPlan
from ..domain.billing.lines import TRACE_DICTIONARY_COLUMNS, TRACE_PLAIN_COLUMNS
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
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> tuple[tuple[str, ...], Sequence[tuple[Any, ...]]]:
        """Column names and rows as tuples, failing as :meth:`query` does: for large results, where a
        dict per row is a cost of its own. ``settings`` come before the reader's own (readonly last)."""
        from clickhouse_connect.driver.exceptions import ClickHouseError

        try:
            result = self.client.query(sql, parameters=parameters or {},
                                       settings={**(settings or {}), **self.settings()})
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

    def worklog_totals(self, plan: PrefillPlan, first_day: date, last_day: date, *,
                       with_trace: bool = False) -> dict[int, BucketTotals]:
        """The live worklogs of the plan's projects in the period (as :meth:`worklog_facts` finds them),
        priced by the plan and totalled per bucket in ClickHouse; ``with_trace``, each invoice line's
        stored trace too (``BucketTotals.trace``)."""
        return self.engine_totals([plan], first_day, last_day, with_trace=with_trace)[0]

    def engine_totals(self, plans: Sequence[PrefillPlan], first_day: date, last_day: date, *,
                      with_trace: bool = False) -> list[dict[int, BucketTotals]]:
        """:meth:`worklog_totals` for several applications of one period in one query (monthly generation:
        the month's worklogs are read once for all of them, not once per application), one result per plan."""
        if not plans:
            return []
        if with_trace:
            sql, parameters = _engine_query(plans, first_day, last_day, WORKLOG_TOTALS_TRACED_SQL,
                                            WORKLOG_TOTALS_TRACED_CAPPED_SQL)
            parameters = {**parameters, "fee": FEE, "first_line": FIRST_LINE}
        else:
            sql, parameters = _engine_query(plans, first_day, last_day, WORKLOG_TOTALS_SQL, WORKLOG_TOTALS_CAPPED_SQL)
        _, rows = self.query_rows(sql, parameters, settings=_TRACE_SETTINGS if with_trace else _TOTALS_SETTINGS)
        results: list[dict[int, BucketTotals]] = [{} for _ in plans]
        for app, bucket, worklogs, seconds, minutes, ids, zero_time, missing_issue, unmapped_types, latest, *trace in rows:
            results[app - 1][bucket] = BucketTotals(worklogs, seconds, minutes, tuple(ids), zero_time, missing_issue,
                                                    tuple(unmapped_types), latest, trace[0] or None if trace else None)
        return results

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
# The live worklogs and their issues are shared with WORKLOG_TOTALS_SQL, so both count the same worklogs.
_LIVE_WORKLOGS_AND_ISSUES = """
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
)"""

WORKLOG_FACTS_SQL = _LIVE_WORKLOGS_AND_ISSUES + """
SELECT l.worklog_id AS worklog_id, toLowCardinality(l.account_id) AS account_id,
       toLowCardinality(l.author_name) AS author_name, toLowCardinality(l.project_key) AS project_key,
       toLowCardinality(l.issue_key) AS issue_key, l.started_at AS started_at, l.work_date AS work_date,
       l.time_spent_seconds AS time_spent_seconds, l.billable_seconds AS billable_seconds,
       toLowCardinality(if(empty(iss.issue_key), NULL, toString(iss.issue_type))) AS issue_type,
       toLowCardinality(if(empty(iss.issue_key), NULL, iss.priority)) AS priority,
       greatest(l.updated_at, iss.updated_at) AS updated_at
FROM live AS l
LEFT JOIN issues AS iss ON iss.issue_key = l.issue_key
ORDER BY """ + ", ".join(PROCESSING_ORDER) + "\n"

# The prefill's engine (chalicelib.domain.billing.engine explains the plan it applies): every live worklog
# priced by the plan and cut into the portions rule 8 makes, then totalled per bucket (one row per line or
# report bucket) — for a saved draft with each line's portions aggregated into its stored trace in the same
# group. The preview and the saved draft read the one `parts` chain below, so a saved draft's trace and its
# totals cannot disagree with each other or with the preview.
# The rules are decided in Python (billing.engine.plan_prefill, with the rule functions of billing.rules); this SQL
# only applies the plan's tables and the arithmetic of rules 4, 6 and 8, each marked with its rule number
# and the Python function that owns it (the differential test tests/integration/test_engine_differential.py
# holds the two together on random data).
# * Short-circuit evaluation makes ClickHouse evaluate an if() branch apart from the rest, recomputing
#   the case number in every branch that reads it (it tripled the query time). So the per-worklog
#   arithmetic is written without if(): conditions multiply; and it is turned off for the query (nothing
#   in it relies on a branch not running), which saves another ~10%.
# * The cumulative sum behind the cap is taken only when there is a cap (_CAPPED_PORTIONS).
# * ids are sorted by (started_at, worklog_id) in the array: the order of groupArray is not guaranteed.
_PRICED_PARTS = _LIVE_WORKLOGS_AND_ISSUES + """,
facts AS (
    SELECT l.worklog_id AS worklog_id, l.started_at AS started_at,
           -- rule 4 (billing.rules.worklog_seconds): Tempo's billable time when set, even 0
           ifNull(l.billable_seconds, l.time_spent_seconds) AS seconds,
           -- rule 2: a missing issue is NULL here; the plan decides it as type Unknown
           if(empty(iss.issue_key), NULL, toString(iss.issue_type)) AS issue_type,
           if(empty(iss.issue_key), NULL, iss.priority) AS priority,
           greatest(l.updated_at, iss.updated_at) AS updated_at,
           l.project_key AS project_key, l.account_id AS account_id, l.work_date AS work_date,
           l.issue_key AS issue_key, l.author_name AS author_name,
           -- the applications of the batch (1-based) whose projects include the worklog's (usually one), with
           -- the project's position among each one's projects (0-based)
           transform(l.project_key, {projects:Array(String)}, {project_numbers:Array(UInt32)}, 0) AS project_number,
           arrayJoin(arrayZip({project_apps:Array(Array(UInt32))}[project_number],
                              {project_positions:Array(Array(UInt32))}[project_number])) AS app_project,
           tupleElement(app_project, 1) AS app, tupleElement(app_project, 2) AS project_index
    FROM live AS l
    LEFT JOIN issues AS iss ON iss.issue_key = l.issue_key
),
classed AS (
    -- rules 3, 5, 7: the worklog's case (PrefillPlan's numbering, within its application's slice of the
    -- batch's case table) -> its class, decided in Python.
    -- Every look-up is transform() on constant arrays, which ClickHouse turns into a hash table once: an
    -- application's value is found by the key (app * stride + the value's number among the batch's values).
    -- indexOf() on a constant array (the batch's projects) copied the array for every row: 12 s for 400
    -- applications' 2,000,000 worklogs, against about one for the whole query now.
    SELECT app, worklog_id, started_at, seconds, issue_type, updated_at, work_date, issue_key, author_name,
           {case_class:Array(UInt32)}[1 + {case_offset:Array(UInt64)}[app] + (((
               toInt64(project_index) * {n_accounts:Array(UInt32)}[app]
               + transform(app * {stride:UInt64} + transform(account_id, {accounts:Array(String)},
                                                             {account_numbers:Array(UInt64)}, 0),
                           {account_keys:Array(UInt64)}, {account_positions:Array(UInt32)}, 0))
                   * {n_types:Array(UInt32)}[app]
               + (issue_type IS NOT NULL) * transform(app * {stride:UInt64} + transform(ifNull(issue_type, ''),
                                                      {issue_types:Array(String)}, {issue_type_numbers:Array(UInt64)}, 0),
                                                      {issue_type_keys:Array(UInt64)}, {issue_type_positions:Array(UInt32)}, 1))
                   * {n_priorities:Array(UInt32)}[app]
               + (priority IS NOT NULL) * transform(app * {stride:UInt64} + transform(ifNull(priority, ''),
                                                    {priorities:Array(String)}, {priority_numbers:Array(UInt64)}, 0),
                                                    {priority_keys:Array(UInt64)}, {priority_positions:Array(UInt32)}, 0))
                   * {n_segments:Array(UInt32)}[app]
               + {day_segments:Array(UInt32)}[(app - 1) * 31 + toDayOfMonth(work_date)]] AS class
    FROM facts
),
priced AS (
    SELECT app, worklog_id, started_at, seconds, issue_type, updated_at, work_date, issue_key, author_name, class,
           {class_left_out:Array(UInt32)}[class] AS left_out,
           {class_increment:Array(UInt32)}[class] AS increment,
           -- rule 6 (billing.rules.billed_minutes): max(ceil(s / 60 / inc) * inc, minimum); 0 s stays 0;
           -- a left-out worklog bills nothing
           greatest(intDiv(seconds + 60 * increment - 1, 60 * increment) * increment,
                    {class_minimum:Array(UInt32)}[class]) * (seconds != 0) * (left_out = 0) AS minutes
    FROM classed
),
portions AS (
    -- rule 8 (billing.caps.split_at): `take` minutes fall within the cap or allowance, in processing order;
    -- the crossing worklog's raw seconds go to the part within first
    {portions}
),
parts AS (
    SELECT app, worklog_id, started_at, seconds, issue_type, updated_at, work_date, issue_key, author_name, class,
           minutes, tupleElement(part, 1) AS bucket, tupleElement(part, 2) AS part_seconds,
           tupleElement(part, 3) AS part_minutes
    FROM portions
    ARRAY JOIN [
        (toUInt64(left_out + (left_out = 0) * {priced:UInt8}), toUInt64(seconds), toUInt64(minutes)),
        (toUInt64((take > 0) * {class_within:Array(UInt32)}[class]), toUInt64(within_seconds), toUInt64(take)),
        (toUInt64((minutes > take) * {class_beyond:Array(UInt32)}[class]), toUInt64(seconds - within_seconds),
         toUInt64(minutes - take))] AS part
    WHERE bucket != 0
)"""
_TOTALS_COLUMNS = """app, bucket, count() AS worklogs, sum(part_seconds) AS bucket_seconds,
       sum(part_minutes) AS bucket_minutes,
       arrayMap(x -> x.2, arraySort(groupArrayIf(({order}), bucket != {priced:UInt8}))) AS worklog_ids,
       countIf(seconds = 0) AS zero_time, countIf(issue_type IS NULL) AS missing_issue,
       groupUniqArrayIf(assumeNotNull(issue_type), issue_type IS NOT NULL
                        AND NOT transform(app * {stride:UInt64} + transform(assumeNotNull(issue_type), {issue_types:Array(String)},
                                                                   {issue_type_numbers:Array(UInt64)}, 0),
                                      {mapped_keys:Array(UInt64)}, {mapped_flags:Array(UInt8)}, 0)) AS unmapped_types,
       max(updated_at) AS latest"""
_WORKLOG_TOTALS_SQL = _PRICED_PARTS + f"""
SELECT {_TOTALS_COLUMNS}
FROM parts
GROUP BY app, bucket
ORDER BY app, bucket
"""


def _dictionary(array: str) -> str:
    """A stored trace's dictionary column (billing.lines): distinct values in order of first use, and each
    entry's 0-based index into them."""
    return (f"tuple(arrayFilter((x, n) -> n = 1, {array}, arrayEnumerateUniq({array})), "
            f"arrayMap(d -> toUInt32(d - 1), arrayEnumerateDense({array})))")


# The same totals with, for the buckets that are invoice lines (the fee line and the hourly lines), the
# portions behind the line as its stored trace: the JSON object of columns billing.lines describes, in
# processing order, written here so that no entry becomes a Python object on the way to PostgreSQL (the
# saved draft and monthly generation's path). The trace is an aggregate of the very group its line's
# totals are, so the two cannot disagree. e.1 is the processing order, which the entries are sorted by.
_TRACE_TYPE = ("Tuple(" + ", ".join(
    [f"{name} Array(UInt64)" for name in TRACE_PLAIN_COLUMNS]
    + [f"{name} Tuple(values Array({kind}), index Array(UInt32))"
       for name, kind in zip(TRACE_DICTIONARY_COLUMNS, ("String", "String", "Date", "Nullable(Int64)"))]) + ")")
_TRACE_VALUES = {  # the expression of each stored column, over the sorted entries
    "worklog_id": "arrayMap(e -> e.2, entries)",
    "raw_seconds": "arrayMap(e -> e.6, entries)",
    "billed_minutes": "arrayMap(e -> e.7, entries)",
    "worklog_billed_minutes": "arrayMap(e -> e.8, entries)",
    "issue_key": _dictionary("arrayMap(e -> e.3, entries)"),
    "author_name": _dictionary("arrayMap(e -> e.4, entries)"),
    "work_date": _dictionary("arrayMap(e -> e.5, entries)"),
    "rate_rule_id": _dictionary("arrayMap(e -> e.9, entries)"),
}
_WORKLOG_TOTALS_TRACED_SQL = _PRICED_PARTS + f"""
SELECT app, bucket, worklogs, bucket_seconds, bucket_minutes, worklog_ids, zero_time, missing_issue, unmapped_types,
       latest,
       if(empty(entries), '', toJSONString(CAST(tuple(
           {", ".join(_TRACE_VALUES[name] for name in (*TRACE_PLAIN_COLUMNS, *TRACE_DICTIONARY_COLUMNS))}),
           '{_TRACE_TYPE}'))) AS trace
FROM (
    SELECT {_TOTALS_COLUMNS},
           arraySort(groupArrayIf((({{order}}), worklog_id, issue_key, author_name, work_date, part_seconds,
                                   part_minutes, minutes, {{class_rule:Array(Nullable(Int64))}}[class]),
                                  bucket = {{fee:UInt8}} OR bucket >= {{first_line:UInt8}})) AS entries
    FROM parts
    GROUP BY app, bucket)
ORDER BY app, bucket
"""
_TOTALS_SETTINGS = {"short_circuit_function_evaluation": "disable"}
# The trace's JSON: worklog ids as numbers (ids are UInt64), strings checked to be UTF-8.
_TRACE_SETTINGS = {**_TOTALS_SETTINGS, "output_format_json_quote_64bit_integers": 0,
                   "output_format_json_validate_utf8": 1}
_PORTION_COLUMNS = ("worklog_id", "started_at", "seconds", "issue_type", "updated_at", "work_date", "issue_key",
                    "author_name", "class", "left_out", "minutes")
_UNCAPPED_PORTIONS = f"""SELECT app, {", ".join(_PORTION_COLUMNS)}, minutes AS take, least(seconds, take * 60) AS within_seconds
    FROM priced"""
# With a cap, a worklog's `take` depends on the minutes of the application's worklogs before it in processing
# order: a running sum, computed on each application's worklogs as one sorted array (a window function over
# 2,000,000 worklogs took twice as long as everything else in the query).
_CAPPED_PORTIONS = f"""SELECT app, {", ".join(f"w.{i} AS {name}" for i, name in enumerate(_PORTION_COLUMNS, start=1))},
           least(minutes, toUInt64(greatest({{limits:Array(Int64)}}[app] - toInt64(upto - minutes), 0))) AS take,
           least(seconds, take * 60) AS within_seconds
    FROM (SELECT app, arraySort(w -> ({", ".join(f"w.{_PORTION_COLUMNS.index(name) + 1}" for name in PROCESSING_ORDER)}),
                                groupArray(({", ".join(_PORTION_COLUMNS)}))) AS ws
          FROM priced
          GROUP BY app)
    ARRAY JOIN ws AS w, arrayCumSum(arrayMap(w -> w.{_PORTION_COLUMNS.index("minutes") + 1}, ws)) AS upto"""


# No cap: a limit no month of minutes reaches (an application without one in a batch with capped ones).
_NO_LIMIT = 2 ** 62


def _engine_query(plans: Sequence[PrefillPlan], first_day: date, last_day: date, uncapped: str,
                  capped: str) -> tuple[str, dict[str, Any]]:
    """The engine's parameters for a batch of plans of one period: the case and class tables concatenated
    with offsets (application ``app`` is 1-based), and each application's values (accounts, issue types,
    priorities) as look-up keys ``app * stride + the value's number among the batch's values``."""
    projects = list(dict.fromkeys(key for plan in plans for key in plan.projects))
    position = {key: index for index, key in enumerate(projects)}
    project_apps: list[list[int]] = [[] for _ in projects]
    project_positions: list[list[int]] = [[] for _ in projects]
    case_class: list[int] = []
    class_rule: list[int | None] = []
    case_offset: list[int] = []
    tables: dict[str, list[int]] = {"class_left_out": [], "class_increment": [], "class_minimum": [],
                                    "class_within": [], "class_beyond": []}
    day_segments: list[int] = []
    for app, plan in enumerate(plans, start=1):
        for index, key in enumerate(plan.projects):
            project_apps[position[key]].append(app)
            project_positions[position[key]].append(index)
        case_offset.append(len(case_class))
        offset = len(tables["class_left_out"])
        case_class.extend(number + offset for number in plan.case_class)
        for name, column in tables.items():
            column.extend(getattr(plan, name))
        class_rule.extend(plan.class_rule)
        day_segments.extend(plan.day_segments)  # 31 a plan: day of month -> segment
    values = {name: sorted({value for plan in plans for value in getattr(plan, name)})
              for name in ("accounts", "issue_types", "priorities")}
    stride = 1 + max((len(found) for found in values.values()), default=0)
    number = {name: {value: index for index, value in enumerate(found, start=1)} for name, found in values.items()}

    def keyed(name: str, positions) -> tuple[list[int], list[int]]:
        keys, found = [], []
        for app, plan in enumerate(plans, start=1):
            for index, value in enumerate(getattr(plan, name)):
                keys.append(app * stride + number[name][value])
                found.append(positions(index))
        return keys, found

    # PrefillPlan's indices: account 1 + position (0: another), issue type 2 + position (1: another type,
    # 0: a missing issue), priority 1 + position (0: none or another).
    account_keys, account_positions = keyed("accounts", lambda index: index + 1)
    type_keys, type_positions = keyed("issue_types", lambda index: index + 2)
    priority_keys, priority_positions = keyed("priorities", lambda index: index + 1)
    mapped_keys = [app * stride + number["issue_types"][value] for app, plan in enumerate(plans, start=1)
                   for value in plan.mapped_issue_types]
    parameters = {
        "projects": projects, "project_numbers": list(range(1, len(projects) + 1)), "project_apps": project_apps,
        "project_positions": project_positions, "first": first_day, "last": last_day, "stride": stride,
        "accounts": values["accounts"], "account_numbers": list(range(1, len(values["accounts"]) + 1)),
        "account_keys": account_keys, "account_positions": account_positions,
        "issue_types": values["issue_types"], "issue_type_numbers": list(range(1, len(values["issue_types"]) + 1)),
        "issue_type_keys": type_keys, "issue_type_positions": type_positions,
        "priorities": values["priorities"], "priority_numbers": list(range(1, len(values["priorities"]) + 1)),
        "priority_keys": priority_keys, "priority_positions": priority_positions,
        "mapped_keys": mapped_keys, "mapped_flags": [1] * len(mapped_keys),
        "day_segments": day_segments,
        "n_accounts": [plan.dimensions[1] for plan in plans], "n_types": [plan.dimensions[2] for plan in plans],
        "n_priorities": [plan.dimensions[3] for plan in plans], "n_segments": [plan.dimensions[4] for plan in plans],
        "case_class": case_class, "case_offset": case_offset, **tables, "class_rule": class_rule,
        "priced": PRICED,
    }
    if all(plan.limit_minutes is None for plan in plans):
        return uncapped, parameters
    limits = [_NO_LIMIT if plan.limit_minutes is None else plan.limit_minutes for plan in plans]
    return capped, {**parameters, "limits": limits}


def _engine_sql(template: str, portions: str) -> str:
    # Rule 8's order is owned by billing.PROCESSING_ORDER; it is written into the SQL from there.
    return template.replace("{portions}", portions).replace("{order}", ", ".join(PROCESSING_ORDER))


WORKLOG_TOTALS_SQL = _engine_sql(_WORKLOG_TOTALS_SQL, _UNCAPPED_PORTIONS)
WORKLOG_TOTALS_CAPPED_SQL = _engine_sql(_WORKLOG_TOTALS_SQL, _CAPPED_PORTIONS)
WORKLOG_TOTALS_TRACED_SQL = _engine_sql(_WORKLOG_TOTALS_TRACED_SQL, _UNCAPPED_PORTIONS)
WORKLOG_TOTALS_TRACED_CAPPED_SQL = _engine_sql(_WORKLOG_TOTALS_TRACED_SQL, _CAPPED_PORTIONS)


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
