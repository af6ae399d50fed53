"""Shared fixtures: the real embedded PostgreSQL and the real ClickHouse engine (chdb).

- PostgreSQL: ``DATABASE_URL`` when set, else the project's embedded server (pgserver). A template
  database is migrated once per session; each test that asks for ``database`` gets a fresh copy.
- ClickHouse: one chdb directory per pytest process (chdb allows one engine path per process),
  with the DESIGN §2 tables and a small hand-written dataset (``tests/fixtures_cdm.py``).
"""
from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

import psycopg
import pytest

from chalicelib.config import Settings
from chalicelib.services import container as container_module

ROOT = Path(__file__).resolve().parents[1]
# Tests never reach real AWS: fake credentials, a fixed region (moto serves S3/SQS/SES).
for _key, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "eu-central-1", "AWS_SESSION_TOKEN": "testing"}.items():
    os.environ[_key] = _value
TEMPLATE_DB = "proxima_test_template"
AUTH_SECRET = "test-secret-" + "x" * 40
_counter = itertools.count(1)


def _admin_dsn() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from infra.local.stack import LOCAL_DIR, embedded_postgres

    return embedded_postgres(LOCAL_DIR / "pg", "postgres")


def _with_db(dsn: str, database: str) -> str:
    return psycopg.conninfo.make_conninfo(dsn, dbname=database)


@pytest.fixture(scope="session")
def admin_dsn() -> str:
    return _admin_dsn()


def recreate_database(admin_dsn: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return _with_db(admin_dsn, name)


def drop_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template_dsn(admin_dsn: str) -> str:
    """A migrated database that each test's database is copied from."""
    from chalicelib.adapters.migrations import migrate_up

    dsn = recreate_database(admin_dsn, TEMPLATE_DB)
    migrate_up(dsn)
    return dsn


@pytest.fixture(scope="session")
def clickhouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from infra.local.clickhouse_admin import admin_client, create_tables
    from infra.local.stack import embedded_clickhouse_url

    from tests import fixtures_cdm

    url = embedded_clickhouse_url(tmp_path_factory.getbasetemp() / "clickhouse")
    client = admin_client(url)
    create_tables(client)
    fixtures_cdm.load(client)
    return url


@pytest.fixture(scope="session")
def clickhouse_admin(clickhouse_url: str):
    from infra.local.clickhouse_admin import admin_client

    return admin_client(clickhouse_url)


def make_settings(database_url: str, clickhouse_url: str, **overrides) -> Settings:
    values = dict(database_url=database_url, clickhouse_url=clickhouse_url, auth_secret=AUTH_SECRET,
                  bcrypt_rounds=4, stage="test")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def database(admin_dsn: str, template_dsn: str):
    """A fresh, migrated database for this test (copied from the template)."""
    name = f"proxima_t_{os.getpid()}_{next(_counter)}"
    dsn = recreate_database(admin_dsn, name, template=TEMPLATE_DB)
    yield dsn
    drop_database(admin_dsn, name)


@pytest.fixture
def container(database: str, clickhouse_url: str):
    """Services wired to this test's database and the session's ClickHouse."""
    c = container_module.Container(make_settings(database, clickhouse_url))
    container_module.use(c)
    yield c
    container_module.use(None)
    c.close()


@pytest.fixture(scope="module")
def moto_url():
    """moto in server mode (real HTTP, as boto3 talks to AWS), one per test module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# What a document needs before finalize gives it a number (domain.invoice.check_documentable): an account
# in each invoice currency and, for resident customers, MXIK and unit codes. Not shipped by the migrations
# (an accountant sets them), so tests that finalize ask for this fixture.
DOCUMENT_SETTINGS = {
    "company": {"name": "Proxima Ops LLC", "legal_name": "\"PROXIMA OPS\" MChJ", "tin": "309512874",
                "bank_name": "Turon Kapital Bank", "bank_account": "20208000805123456001", "bank_code": "01071",
                "swift": "TKBKUZ22",
                "currency_accounts": {"USD": {"account": "20208840905123456001"},
                                      "EUR": {"account": "20208978505123456001"}}},
    "mxik_codes": {category: {"code": "10305001001000000", "name": "IT services (test code)"}
                   for category in ("Development", "Bug fixing", "Incident response", "Support requests",
                                    "Consulting", "Software development services", "Support retainer", "Fixed price", "Manual")},
    "unit_codes": {unit: {"code": "1", "name": unit} for unit in ("hour", "month", "fixed")},
}


@pytest.fixture
def document_settings(container):
    """The settings every printed document needs, written into this test's database."""
    from psycopg.types.json import Jsonb

    def work(conn):
        for key, value in DOCUMENT_SETTINGS.items():
            conn.execute("INSERT INTO invoicing.app_settings (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                         "DO UPDATE SET value = EXCLUDED.value", (key, Jsonb(value)))

    container.db.run(work)
    return DOCUMENT_SETTINGS


@contextlib.contextmanager
def local_stack(container):
    """What ``make run`` starts around the API (moto, the SaaS doubles, the local Lambda Invoke API, the worker
    and schedule threads) and the API on a real socket, wired to this test's ``container``: (effects, server)."""
    from dataclasses import replace

    from infra.local.server import BackgroundServer
    from infra.local.side_effects import LocalSideEffects

    effects = LocalSideEffects().start()
    server = BackgroundServer()
    wired = container_module.Container(replace(container.settings, **effects.settings_values(server.url)))
    container_module.use(wired)
    server.start()
    effects.start_workers(wait_seconds=1)
    try:
        yield effects, server
    finally:
        server.stop()
        effects.stop()
        container_module.use(container)
        wired.close()
