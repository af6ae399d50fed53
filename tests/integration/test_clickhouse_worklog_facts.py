"""The prefill's read of worklogs as read models (``as_facts``) against the real engine (chdb)."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.adapters.clickhouse import ClickHouseReader
from chalicelib.domain.billing import WorklogFact


@pytest.fixture(scope="module")
def reader(clickhouse_url):
    return ClickHouseReader(clickhouse_url)


@pytest.mark.parametrize("projects, first, last", [
    (["THR", "THR2"], date(2026, 10, 1), date(2026, 10, 31)),
    (["TSUP"], date(2026, 10, 1), date(2026, 10, 31)),  # a missing issue: NULL type and priority
    (["THR"], date(2026, 11, 1), date(2026, 11, 30)),
    (["THR"], date(2031, 1, 1), date(2031, 1, 31)),  # nothing
])
def test_facts_are_the_rows_as_read_models(reader, projects, first, last):
    rows = reader.worklog_facts(projects, first, last)
    facts = reader.worklog_facts(projects, first, last, as_facts=True)
    assert facts == [WorklogFact(**row) for row in rows]
    assert all(type(fact) is WorklogFact for fact in facts)


def test_no_projects_reads_nothing(reader):
    assert reader.worklog_facts([], date(2026, 10, 1), date(2026, 10, 31), as_facts=True) == []
