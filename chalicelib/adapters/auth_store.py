"""PostgreSQL repository of the ``auth`` schema."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from ..domain.errors import Conflict

_USER_COLUMNS = "id::text AS id, email, password_hash, role, full_name, is_active, tokens_revoked_at"


def insert_user(conn: psycopg.Connection, email: str, password_hash: str, role: str,
                full_name: str = "", now: datetime | None = None) -> dict[str, Any]:
    try:
        with conn.transaction():
            return conn.execute(
                f"INSERT INTO auth.users (email, password_hash, role, full_name) VALUES (%s, %s, %s, %s)"
                f" RETURNING {_USER_COLUMNS}", (email, password_hash, role, full_name)).fetchone()
    except pg_errors.UniqueViolation as exc:
        raise Conflict(f"a user with e-mail {email} already exists") from exc


def upsert_user(conn: psycopg.Connection, email: str, password_hash: str, role: str,
                full_name: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Create or reset a user; resetting revokes every token issued before ``now`` (the app's clock)."""
    return conn.execute(
        "INSERT INTO auth.users (email, password_hash, role, full_name) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,"
        " full_name = EXCLUDED.full_name, is_active = TRUE, tokens_revoked_at = %s, updated_at = now()"
        f" RETURNING {_USER_COLUMNS}", (email, password_hash, role, full_name, now)).fetchone()


def user_by_email(conn: psycopg.Connection, email: str) -> dict[str, Any] | None:
    return conn.execute(f"SELECT {_USER_COLUMNS} FROM auth.users WHERE email = %s", (email,)).fetchone()


def user_for_token(conn: psycopg.Connection, user_id: str, jti: str) -> dict[str, Any] | None:
    """The user behind a token, with whether the token's ``jti`` has been revoked."""
    return conn.execute(
        f"SELECT {_USER_COLUMNS}, EXISTS (SELECT 1 FROM auth.refresh_token_blacklist b WHERE b.jti = %s)"
        " AS token_revoked FROM auth.users WHERE id = %s::uuid", (jti, user_id)).fetchone()


def blacklist(conn: psycopg.Connection, jti: str, user_id: str, expires_at: datetime) -> None:
    conn.execute("INSERT INTO auth.refresh_token_blacklist (jti, user_id, expires_at) VALUES (%s, %s, %s)"
                 " ON CONFLICT (jti) DO NOTHING", (jti, user_id, expires_at))


def is_blacklisted(conn: psycopg.Connection, jti: str) -> bool:
    return conn.execute("SELECT 1 FROM auth.refresh_token_blacklist WHERE jti = %s", (jti,)).fetchone() is not None


def recent_failures(conn: psycopg.Connection, email: str, window_seconds: int) -> tuple[int, datetime | None]:
    row = conn.execute(
        "SELECT count(*) AS n, min(failed_at) AS oldest FROM auth.login_failures"
        " WHERE email = %s AND failed_at > now() - make_interval(secs => %s)", (email, window_seconds)).fetchone()
    return row["n"], row["oldest"]


def record_failure(conn: psycopg.Connection, email: str) -> None:
    conn.execute("INSERT INTO auth.login_failures (email) VALUES (%s)", (email,))


def clear_failures(conn: psycopg.Connection, email: str) -> None:
    conn.execute("DELETE FROM auth.login_failures WHERE email = %s", (email,))


def set_password(conn: psycopg.Connection, user_id: str, password_hash: str, revoked_at: datetime) -> None:
    # revoked_at comes from the app's clock, the same clock that stamps the tokens' iat.
    conn.execute("UPDATE auth.users SET password_hash = %s, tokens_revoked_at = %s, updated_at = now()"
                 " WHERE id = %s::uuid", (password_hash, revoked_at, user_id))


def purge_expired(conn: psycopg.Connection, failures_older_than_seconds: int) -> dict[str, int]:
    tokens = conn.execute("DELETE FROM auth.refresh_token_blacklist WHERE expires_at < now()").rowcount
    failures = conn.execute("DELETE FROM auth.login_failures WHERE failed_at < now() - make_interval(secs => %s)",
                            (failures_older_than_seconds,)).rowcount
    return {"blacklist_rows": tokens, "login_failures": failures}


def list_users(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT id::text AS id, email, role, full_name, is_active, created_at FROM auth.users"
                        " ORDER BY email").fetchall()
