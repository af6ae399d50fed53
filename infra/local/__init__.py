"""The embedded local stack: PostgreSQL (pgserver), ClickHouse (chdb), demo data, doubles.

Never imported by the Lambda code path: only the CLI (when DATABASE_URL/CLICKHOUSE_URL are unset),
the local server and the tests use it.
"""
