"""Adapters: the only code that talks to PostgreSQL, ClickHouse and remote services."""
