"""Numbered SQL migrations (``000001_name.up.sql`` / ``.down.sql``), applied in order and recorded.

A session advisory lock serialises concurrent runners: the second one waits, then finds nothing to do.
Each migration runs in its own transaction together with its bookkeeping row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LOCK_KEY = 7_146_500_417  # any constant shared by every runner of this project
_NAME = re.compile(r"^(\d{6})_([a-z0-9_]+)\.up\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    up: Path
    down: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.up.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"badly named migration {path.name}")
        down = path.with_name(path.name.replace(".up.sql", ".down.sql"))
        if not down.exists():
            raise ValueError(f"migration {path.name} has no down file")
        found.append(Migration(match.group(1), match.group(2), path, down))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a version number")
    return found


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
        " version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )


def applied_versions(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("SELECT version FROM public.schema_migrations ORDER BY version").fetchall()
    return [row["version"] if isinstance(row, dict) else row[0] for row in rows]


def _locked(dsn: str):
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    return conn


def migrate_up(dsn: str, target: str | None = None, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration up to ``target`` (all by default); returns the versions applied."""
    migrations = discover(directory)
    done: list[str] = []
    conn = _locked(dsn)
    try:
        _ensure_table(conn)
        applied = set(applied_versions(conn))
        for migration in migrations:
            if target is not None and migration.version > target:
                break
            if migration.version in applied:
                continue
            with conn.transaction():
                conn.execute(migration.up.read_text())
                conn.execute("INSERT INTO public.schema_migrations (version, name) VALUES (%s, %s)",
                             (migration.version, migration.name))
            done.append(migration.version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        conn.close()
    return done


def migrate_down(dsn: str, target: str = "000000", directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Revert applied migrations newer than ``target`` (everything by default), newest first."""
    by_version = {m.version: m for m in discover(directory)}
    undone: list[str] = []
    conn = _locked(dsn)
    try:
        _ensure_table(conn)
        for version in reversed(applied_versions(conn)):
            if version <= target:
                break
            migration = by_version[version]
            with conn.transaction():
                conn.execute(migration.down.read_text())
                conn.execute("DELETE FROM public.schema_migrations WHERE version = %s", (version,))
            undone.append(version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        conn.close()
    return undone
