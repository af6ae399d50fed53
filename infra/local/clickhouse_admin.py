"""Write access to the *embedded* ClickHouse, for the local stack and tests only."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .stack import is_embedded_clickhouse

SCHEMA = Path(__file__).with_name("clickhouse_schema.sql")
TABLES = ("cdm.jira_applications", "cdm.jira_customers", "cdm.jira_contacts",
          "tempo.worklogs_flat", "jira.jira_issues")


class NotEmbedded(RuntimeError):
    pass


def admin_client(url: str) -> Any:
    """A writable client, refused for anything but the embedded chdb engine."""
    if not is_embedded_clickhouse(url):
        raise NotEmbedded(f"refusing to write to a ClickHouse that is not the embedded one: {url.split('@')[-1]}")
    from chalicelib.adapters.clickhouse import connect

    return connect(url)


def create_tables(client: Any) -> None:
    statements = [s.strip() for s in SCHEMA.read_text().split(";")]
    for statement in statements:
        body = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
        if body.strip():
            client.command(body)


def truncate_tables(client: Any) -> None:
    for table in TABLES:
        client.command(f"TRUNCATE TABLE IF EXISTS {table}")
