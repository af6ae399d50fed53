"""PostgreSQL repository of the billing rule configuration (migration 000003).

Every function takes the connection of the caller's unit of work: the service writes a change and its
``config_changes`` row through the same connection, so they commit or roll back together.
Rows come back as dicts (the pool's ``dict_row`` factory).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.types.json import Jsonb

from .. import jsonutil
from ..domain.errors import ValidationFailed

_RULE_COLUMNS = (
    "id, application_key, account_id, issue_type, priority, rate, multiplier, min_billable_minutes,"
    " rounding_increment_minutes, effective_from, effective_to, note, created_at, updated_at"
)
_RULE_WRITABLE = ("account_id", "issue_type", "priority", "rate", "multiplier", "min_billable_minutes",
                  "rounding_increment_minutes", "effective_from", "effective_to", "note")
_CLASSIFICATION_COLUMNS = "project_key, classification, note, updated_at"
_EXCLUSION_COLUMNS = "id, account_id, application_key, effective_from, effective_to, reason, created_at"
_CHANGE_COLUMNS = "id, entity, entity_id, action, before, after, actor_id, actor_email, created_at"

# Inclusive ranges; a NULL bound is open (since ever, until further notice).
_OVERLAPS = ("(effective_from IS NULL OR effective_from <= %(last)s)"
             " AND (effective_to IS NULL OR effective_to >= %(first)s)")


def _json(value: Any) -> Jsonb:
    return Jsonb(value, dumps=jsonutil.dumps)


def _checked(conn: psycopg.Connection, query: Any, params: Any) -> psycopg.Cursor:
    """Execute, turning a CHECK violation (the schema's last line of defence) into a 422."""
    try:
        return conn.execute(query, params)
    except pg_errors.CheckViolation as exc:
        constraint = exc.diag.constraint_name or "check"
        raise ValidationFailed("the change breaks a rule of the stored configuration",
                               details=[{"field": "(body)", "problem": constraint, "type": "check_violation"}]) from exc


# --- rate rules --------------------------------------------------------------------------------

def rate_rules(conn: psycopg.Connection, application_key: str) -> list[dict[str, Any]]:
    return conn.execute(f"SELECT {_RULE_COLUMNS} FROM invoicing.contract_rate_rules"
                        " WHERE application_key = %s ORDER BY id", (application_key,)).fetchall()


def rate_rules_overlapping(conn: psycopg.Connection, application_keys: list[str], first: date,
                           last: date) -> list[dict[str, Any]]:
    """The rate rules of the applications (one query for many: monthly generation) in force on some day
    of ``first..last``."""
    return conn.execute(
        f"SELECT {_RULE_COLUMNS} FROM invoicing.contract_rate_rules"
        f" WHERE application_key = ANY(%(keys)s) AND {_OVERLAPS} ORDER BY id",
        {"keys": list(application_keys), "first": first, "last": last}).fetchall()


def rate_rule(conn: psycopg.Connection, rule_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {_RULE_COLUMNS} FROM invoicing.contract_rate_rules WHERE id = %s{lock}",
                        (rule_id,)).fetchone()


def insert_rate_rule(conn: psycopg.Connection, application_key: str, fields: Mapping[str, Any],
                     created_by: str | None) -> dict[str, Any]:
    columns = ["application_key", *_RULE_WRITABLE, "created_by"]
    values = [application_key, *(fields.get(name) for name in _RULE_WRITABLE), created_by]
    query = sql.SQL("INSERT INTO invoicing.contract_rate_rules ({}) VALUES ({}) RETURNING {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        sql.SQL(_RULE_COLUMNS))
    return _checked(conn, query, values).fetchone()


def update_rate_rule(conn: psycopg.Connection, rule_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    names = [name for name in _RULE_WRITABLE if name in fields]
    query = sql.SQL("UPDATE invoicing.contract_rate_rules SET {}, updated_at = now() WHERE id = {}"
                    " RETURNING {}").format(
        sql.SQL(", ").join(sql.SQL("{} = {}").format(sql.Identifier(n), sql.Placeholder()) for n in names),
        sql.Placeholder(), sql.SQL(_RULE_COLUMNS))
    return _checked(conn, query, [fields[n] for n in names] + [rule_id]).fetchone()


def delete_rate_rule(conn: psycopg.Connection, rule_id: int) -> dict[str, Any] | None:
    return conn.execute(f"DELETE FROM invoicing.contract_rate_rules WHERE id = %s RETURNING {_RULE_COLUMNS}",
                        (rule_id,)).fetchone()


# --- project classifications -------------------------------------------------------------------

def classifications(conn: psycopg.Connection, classification: str | None = None) -> list[dict[str, Any]]:
    return conn.execute(
        f"SELECT {_CLASSIFICATION_COLUMNS} FROM invoicing.project_classifications"
        " WHERE %(c)s::text IS NULL OR classification = %(c)s ORDER BY project_key",
        {"c": classification}).fetchall()


def classification_map(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT project_key, classification FROM invoicing.project_classifications").fetchall()
    return {row["project_key"]: row["classification"] for row in rows}


def classification(conn: psycopg.Connection, project_key: str, *,
                   for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return conn.execute(f"SELECT {_CLASSIFICATION_COLUMNS} FROM invoicing.project_classifications"
                        f" WHERE project_key = %s{lock}", (project_key,)).fetchone()


def insert_classification(conn: psycopg.Connection, project_key: str, value: str, note: str,
                          updated_by: str | None) -> dict[str, Any] | None:
    """None when another transaction inserted the same project first."""
    return _checked(conn,
                    "INSERT INTO invoicing.project_classifications (project_key, classification, note, updated_by)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (project_key) DO NOTHING"
                    f" RETURNING {_CLASSIFICATION_COLUMNS}",
                    (project_key, value, note, updated_by)).fetchone()


def update_classification(conn: psycopg.Connection, project_key: str, value: str, note: str,
                          updated_by: str | None) -> dict[str, Any]:
    return _checked(conn,
                    "UPDATE invoicing.project_classifications SET classification = %s, note = %s,"
                    " updated_by = %s, updated_at = now() WHERE project_key = %s"
                    f" RETURNING {_CLASSIFICATION_COLUMNS}",
                    (value, note, updated_by, project_key)).fetchone()


def delete_classification(conn: psycopg.Connection, project_key: str) -> dict[str, Any] | None:
    return conn.execute("DELETE FROM invoicing.project_classifications WHERE project_key = %s"
                        f" RETURNING {_CLASSIFICATION_COLUMNS}", (project_key,)).fetchone()


# --- employee exclusions -----------------------------------------------------------------------

def exclusions(conn: psycopg.Connection, *, application_key: str | None = None,
               account_id: str | None = None) -> list[dict[str, Any]]:
    """Filtered by ``application_key``: the exclusions that apply to it, its own and the global ones."""
    return conn.execute(
        f"SELECT {_EXCLUSION_COLUMNS} FROM invoicing.employee_exclusions"
        " WHERE (%(app)s::text IS NULL OR application_key IS NULL OR application_key = %(app)s)"
        " AND (%(account)s::text IS NULL OR account_id = %(account)s) ORDER BY id",
        {"app": application_key, "account": account_id}).fetchall()


def exclusions_overlapping(conn: psycopg.Connection, application_keys: list[str], first: date,
                           last: date) -> list[dict[str, Any]]:
    """The global exclusions and those of the applications in force on some day of ``first..last``."""
    return conn.execute(
        f"SELECT {_EXCLUSION_COLUMNS} FROM invoicing.employee_exclusions"
        f" WHERE (application_key IS NULL OR application_key = ANY(%(keys)s)) AND {_OVERLAPS} ORDER BY id",
        {"keys": list(application_keys), "first": first, "last": last}).fetchall()


def insert_exclusion(conn: psycopg.Connection, fields: Mapping[str, Any], created_by: str | None) -> dict[str, Any]:
    return _checked(conn,
                    "INSERT INTO invoicing.employee_exclusions"
                    " (account_id, application_key, effective_from, effective_to, reason, created_by)"
                    " VALUES (%(account_id)s, %(application_key)s, %(effective_from)s, %(effective_to)s,"
                    f" %(reason)s, %(created_by)s) RETURNING {_EXCLUSION_COLUMNS}",
                    {**fields, "created_by": created_by}).fetchone()


def delete_exclusion(conn: psycopg.Connection, exclusion_id: int) -> dict[str, Any] | None:
    return conn.execute(f"DELETE FROM invoicing.employee_exclusions WHERE id = %s RETURNING {_EXCLUSION_COLUMNS}",
                        (exclusion_id,)).fetchone()


# --- settings ----------------------------------------------------------------------------------

def settings(conn: psycopg.Connection, keys: list[str] | None = None) -> dict[str, Any]:
    rows = conn.execute("SELECT key, value FROM invoicing.app_settings"
                        " WHERE %(keys)s::text[] IS NULL OR key = ANY(%(keys)s) ORDER BY key",
                        {"keys": keys}).fetchall()
    return {row["key"]: row["value"] for row in rows}


def settings_for_update(conn: psycopg.Connection, keys: list[str]) -> dict[str, Any]:
    """The stored values of ``keys``, their rows locked (in key order) until the transaction ends."""
    rows = conn.execute("SELECT key, value FROM invoicing.app_settings WHERE key = ANY(%s) ORDER BY key FOR UPDATE",
                        (keys,)).fetchall()
    return {row["key"]: row["value"] for row in rows}


def insert_setting(conn: psycopg.Connection, key: str, value: Any, updated_by: str | None) -> bool:
    """False when another transaction inserted the same key first."""
    return conn.execute("INSERT INTO invoicing.app_settings (key, value, updated_by) VALUES (%s, %s, %s)"
                        " ON CONFLICT (key) DO NOTHING", (key, _json(value), updated_by)).rowcount == 1


def update_setting(conn: psycopg.Connection, key: str, value: Any, updated_by: str | None) -> None:
    conn.execute("UPDATE invoicing.app_settings SET value = %s, updated_by = %s, updated_at = now() WHERE key = %s",
                 (_json(value), updated_by, key))


# --- the audit ---------------------------------------------------------------------------------

def record_change(conn: psycopg.Connection, *, entity: str, entity_id: str, action: str, before: Any,
                  after: Any, actor_id: str | None, actor_email: str) -> None:
    conn.execute(
        "INSERT INTO invoicing.config_changes (entity, entity_id, action, before, after, actor_id, actor_email)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (entity, entity_id, action, None if before is None else _json(before),
         None if after is None else _json(after), actor_id, actor_email))


def changes(conn: psycopg.Connection, *, entity: str | None = None, entity_id: str | None = None,
            limit: int = 100) -> list[dict[str, Any]]:
    return conn.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM invoicing.config_changes"
        " WHERE (%(entity)s::text IS NULL OR entity = %(entity)s)"
        " AND (%(entity_id)s::text IS NULL OR entity_id = %(entity_id)s)"
        " ORDER BY id DESC LIMIT %(limit)s",
        {"entity": entity, "entity_id": entity_id, "limit": limit}).fetchall()
