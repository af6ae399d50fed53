"""Start (or reuse) the embedded PostgreSQL and point the app at the embedded ClickHouse."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = Path(os.environ.get("PROXIMA_LOCAL_DIR", ROOT / ".local"))
DEFAULT_DATABASE = "proxima"

_servers: dict[Path, object] = {}
# pgserver asks platformdirs for a runtime dir; give it one inside the local folder instead of a warning.
os.environ.setdefault("XDG_RUNTIME_DIR", str(LOCAL_DIR / "run"))


def embedded_postgres(data_dir: Path | None = None, database: str = DEFAULT_DATABASE) -> str:
    """DSN of a database on the project's own PostgreSQL 16 (pgserver), started on first use.

    Data lives in a git-ignored folder and is reused across runs; the server stops when the last
    process using it exits.
    """
    import pgserver

    data_dir = Path(data_dir or LOCAL_DIR / "pg").resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(os.environ["XDG_RUNTIME_DIR"], 0o700)
    server = _servers.get(data_dir)
    if server is None:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        _servers[data_dir] = server
    ensure_database(server.get_uri(), database)
    return server.get_uri(database)


def ensure_database(admin_dsn: str, database: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def embedded_clickhouse_url(data_dir: Path | None = None) -> str:
    data_dir = Path(data_dir or LOCAL_DIR / "clickhouse").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"chdb://{data_dir}"


def is_embedded_clickhouse(url: str) -> bool:
    return url.startswith("chdb:")


def _local_secret() -> str:
    """A per-checkout signing secret for local runs, kept next to the local data."""
    path = LOCAL_DIR / "auth_secret"
    if not path.exists():
        LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def prepare_environment() -> dict[str, str]:
    """Fill DATABASE_URL, CLICKHOUSE_URL and AUTH_SECRET for a local run when they are unset."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = embedded_postgres()
    if not os.environ.get("CLICKHOUSE_URL"):
        os.environ["CLICKHOUSE_URL"] = embedded_clickhouse_url()
    if not os.environ.get("AUTH_SECRET"):
        os.environ["AUTH_SECRET"] = _local_secret()
    return {k: os.environ[k] for k in ("DATABASE_URL", "CLICKHOUSE_URL")}


def clear_invoices(db, *, quotes: bool = False) -> None:
    """A scratch start for a local or benchmark database: every invoice with its lines, jobs, corrections and
    audit rows (the audit tables' no-delete triggers switched off meanwhile); with ``quotes`` also the saved
    quotes and the number series. CASCADE takes the tables that reference invoices (drifts, baselines…)."""
    audit = ("invoicing.invoice_events", "invoicing.invoice_edit_history")

    def work(conn):
        for table in audit:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        conn.execute("TRUNCATE invoicing.invoice_events, invoicing.invoice_edit_history, "
                     "invoicing.invoice_line_items, invoicing.integration_jobs, invoicing.invoices CASCADE")
        if quotes:
            conn.execute("DELETE FROM invoicing.calculator_snapshots")
            conn.execute("DELETE FROM invoicing.number_sequences")
        for table in audit:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    db.run(work)
