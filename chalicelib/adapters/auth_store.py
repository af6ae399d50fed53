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


def user_for_token(conn: psycopg.Connection, user_id: str, jti: str, family: str | None = None) -> dict[str, Any] | None:
    """The user behind a token, with whether the token's ``jti`` or its family has been revoked."""
    return conn.execute(
        f"SELECT {_USER_COLUMNS}, EXISTS (SELECT 1 FROM auth.refresh_token_blacklist b WHERE b.jti = %s)"
        " AS token_revoked,"
        " EXISTS (SELECT 1 FROM auth.revoked_token_families f WHERE f.family = %s) AS family_revoked"
        " FROM auth.users WHERE id = %s::uuid", (jti, family, user_id)).fetchone()


def blacklist(conn: psycopg.Connection, jti: str, user_id: str, expires_at: datetime,
              family: str | None = None) -> None:
    conn.execute("INSERT INTO auth.refresh_token_blacklist (jti, user_id, expires_at, family) VALUES (%s, %s, %s, %s)"
                 " ON CONFLICT (jti) DO NOTHING", (jti, user_id, expires_at, family))


def redeem(conn: psycopg.Connection, jti: str, user_id: str, expires_at: datetime, family: str | None) -> bool:
    """Spend a refresh token: True for the one caller that spends it, False when it was already spent.

    One conditional INSERT on the primary key: a parallel redemption of the same ``jti`` waits for the
    first to commit, then inserts nothing, so exactly one caller sees True.
    """
    return conn.execute(
        "INSERT INTO auth.refresh_token_blacklist (jti, user_id, expires_at, family) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (jti) DO NOTHING RETURNING jti", (jti, user_id, expires_at, family)).fetchone() is not None


def revoke_family(conn: psycopg.Connection, family: str, user_id: str, expires_at: datetime, reason: str) -> None:
    conn.execute(
        "INSERT INTO auth.revoked_token_families (family, user_id, reason, expires_at) VALUES (%s, %s::uuid, %s, %s)"
        " ON CONFLICT (family) DO UPDATE SET expires_at = GREATEST(auth.revoked_token_families.expires_at,"
        " EXCLUDED.expires_at)", (family, user_id, reason, expires_at))


def is_blacklisted(conn: psycopg.Connection, jti: str) -> bool:
    return conn.execute("SELECT 1 FROM auth.refresh_token_blacklist WHERE jti = %s", (jti,)).fetchone() is not None


# --- password attempts (the login throttle) ---------------------------------------------------------

def lock_attempts(conn: psycopg.Connection, email: str, client_address: str) -> None:
    """Serialise the throttle's count-and-record for this account and this address until commit.

    Always the account first, then the address: two attempts never wait on each other in a cycle.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('login-account:' || %s, 0)),"
                 " pg_advisory_xact_lock(hashtextextended('login-address:' || %s, 0))", (email, client_address))


def recent_attempts(conn: psycopg.Connection, email: str, client_address: str,
                    window_seconds: int) -> dict[str, Any]:
    """Failed and running attempts inside the window: this pair, this address, this account."""
    return conn.execute(
        "WITH recent AS (SELECT email, client_address, failed_at FROM auth.login_failures"
        "                WHERE failed_at > clock_timestamp() - make_interval(secs => %(window)s)"
        "                  AND (email = %(email)s OR client_address = %(address)s))"
        " SELECT clock_timestamp() AS now,"
        "  count(*) FILTER (WHERE email = %(email)s AND client_address = %(address)s) AS pair,"
        "  min(failed_at) FILTER (WHERE email = %(email)s AND client_address = %(address)s) AS pair_oldest,"
        "  count(*) FILTER (WHERE client_address = %(address)s) AS address,"
        "  min(failed_at) FILTER (WHERE client_address = %(address)s) AS address_oldest,"
        "  count(*) FILTER (WHERE email = %(email)s) AS account,"
        "  max(failed_at) FILTER (WHERE email = %(email)s) AS account_latest"
        " FROM recent", {"window": window_seconds, "email": email, "address": client_address}).fetchone()


def start_attempt(conn: psycopg.Connection, email: str, client_address: str) -> int:
    """Record an attempt as running (it counts as a failure until it succeeds); its id."""
    return conn.execute(
        "INSERT INTO auth.login_failures (email, client_address, failed_at, settled)"
        " VALUES (%s, %s, clock_timestamp(), FALSE) RETURNING id", (email, client_address)).fetchone()["id"]


def attempt_failed(conn: psycopg.Connection, attempt_id: int) -> None:
    conn.execute("UPDATE auth.login_failures SET settled = TRUE WHERE id = %s", (attempt_id,))


def attempt_succeeded(conn: psycopg.Connection, attempt_id: int) -> None:
    """Drop this attempt and the earlier, finished failures of the same account from the same address.

    Attempts still running are left alone (each settles itself), and other addresses' failures stay:
    a stranger's guesses are not forgiven because the real user got in.
    """
    conn.execute(
        "DELETE FROM auth.login_failures f USING auth.login_failures mine WHERE mine.id = %(id)s"
        " AND f.email = mine.email AND f.client_address = mine.client_address"
        " AND (f.id = mine.id OR (f.settled AND f.id < mine.id))", {"id": attempt_id})


def set_password(conn: psycopg.Connection, user_id: str, password_hash: str, revoked_at: datetime) -> None:
    # revoked_at comes from the app's clock, the same clock that stamps the tokens' iat.
    conn.execute("UPDATE auth.users SET password_hash = %s, tokens_revoked_at = %s, updated_at = now()"
                 " WHERE id = %s::uuid", (password_hash, revoked_at, user_id))


def purge_expired(conn: psycopg.Connection, failures_older_than_seconds: int) -> dict[str, int]:
    tokens = conn.execute("DELETE FROM auth.refresh_token_blacklist WHERE expires_at < now()").rowcount
    tokens += conn.execute("DELETE FROM auth.revoked_token_families WHERE expires_at < now()").rowcount
    failures = conn.execute("DELETE FROM auth.login_failures WHERE failed_at < now() - make_interval(secs => %s)",
                            (failures_older_than_seconds,)).rowcount
    return {"blacklist_rows": tokens, "login_failures": failures}


def list_users(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT id::text AS id, email, role, full_name, is_active, created_at FROM auth.users"
                        " ORDER BY email").fetchall()
