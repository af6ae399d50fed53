"""A small, hand-written CDM/Jira/Tempo dataset whose figures the tests can compute by hand.

Keys start with ``T`` so they never collide with the demo data.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

T0 = datetime(2026, 9, 1, 0, 0, 0)   # first sync
T1 = datetime(2026, 10, 20, 0, 0, 0)  # a re-sync with newer versions

CUSTOMER_COLUMNS = ["customer_key", "name", "legal_name", "tin", "country", "address", "bank_name",
                    "bank_account", "bank_code", "swift", "signer_name", "signer_position", "email", "updated_at"]
CUSTOMERS = [
    ["TCUST-UZ", "Oltin Yo'l", "Oltin Yo'l MChJ", "301234567", "UZ", "Tashkent, Amir Temur 1",
     "Kapitalbank", "20208000900123456001", "01088", "KACHUZ22", "Aziz Rahimov", "Director",
     "info@oltinyol.uz", T0],
    # an older name, replaced by the re-sync below: readers must show the newer one
    ["TCUST-DE", "Nordlicht (old)", "Nordlicht GmbH", "DE811234567", "DE", "Berlin", "Deutsche Bank",
     "DE89370400440532013000", "37040044", "DEUTDEDB", "Anna Weber", "CFO", "billing@nordlicht.de", T0],
    ["TCUST-DE", "Nordlicht", "Nordlicht GmbH", "DE811234567", "DE", "Berlin, Friedrichstr. 10", "Deutsche Bank",
     "DE89370400440532013000", "37040044", "DEUTDEDB", "Anna Weber", "CFO", "billing@nordlicht.de", T1],
]

CONTACT_COLUMNS = ["contact_id", "customer_key", "name", "email", "phone", "role", "is_primary", "updated_at"]
CONTACTS = [
    ["TC1", "TCUST-UZ", "Malika Tursunova", "buh@oltinyol.uz", "+998901234567", "billing", 1, T0],
    ["TC2", "TCUST-UZ", "Aziz Rahimov", "aziz@oltinyol.uz", "+998901112233", "signer", 0, T0],
    ["TC3", "TCUST-DE", "Anna Weber", "billing@nordlicht.de", "+4930123456", "billing", 1, T0],
]

APPLICATION_COLUMNS = ["application_key", "customer_key", "title", "deal_type", "status", "currency",
                       "hourly_rate", "monthly_fee", "included_hours", "fixed_amount", "hours_limit",
                       "min_billable_minutes", "vat_rate", "jira_project_keys", "contract_number",
                       "contract_date", "start_date", "end_date", "updated_at"]
APPLICATIONS = [
    ["TAPP-SUP", "TCUST-UZ", "Oltin Yo'l support", "SUP", "active", "UZS", D("250000.00"), D("12000000.00"),
     D("10.50"), None, None, None, D("12.00"), ["TSUP"], "PRX-C-2025/001", date(2025, 1, 10),
     date(2025, 2, 1), None, T0],
    ["TAPP-HR", "TCUST-DE", "Nordlicht team extension", "HR", "active", "EUR", D("45.00"), None, None, None, 100,
     15, D("0.00"), ["THR", "THR2"], "PRX-C-2025/002", date(2025, 3, 1), date(2025, 3, 1), None, T0],
    ["TAPP-FP", "TCUST-DE", "Nordlicht portal", "FP", "active", "EUR", D("50.00"), None, None, D("18000.00"),
     None, None, D("0.00"), ["TFP"], "PRX-C-2026/003", date(2026, 6, 1), date(2026, 6, 1),
     date(2026, 12, 31), T0],
    ["TAPP-OLD", "TCUST-UZ", "Finished project", "HR", "closed", "UZS", D("200000.00"), None, None, None, None,
     None, D("12.00"), ["TOLD"], "PRX-C-2024/009", date(2024, 1, 1), date(2024, 1, 1), date(2024, 12, 31), T0],
]

WORKLOG_COLUMNS = ["worklog_id", "issue_key", "project_key", "account_id", "author_name", "started_at",
                   "work_date", "time_spent_seconds", "billable_seconds", "description", "is_deleted", "updated_at"]


def _wl(wid, issue, project, account, started, spent, billable, deleted=0, updated=T0):
    return [wid, issue, project, account, account.title(), started, started.date(), spent, billable,
            f"work {wid}", deleted, updated]


WORKLOGS = [
    _wl(900001, "THR-1", "THR", "alice", datetime(2026, 10, 1, 9, 0), 3600, None),
    _wl(900002, "THR-2", "THR", "bob", datetime(2026, 10, 2, 10, 0), 5400, 3600),
    # re-synced: the newer version (7200 s) replaces the first (1800 s)
    _wl(900003, "THR-1", "THR", "alice", datetime(2026, 10, 3, 9, 0), 1800, None),
    _wl(900003, "THR-1", "THR", "alice", datetime(2026, 10, 3, 9, 0), 7200, None, updated=T1),
    # deleted in the re-sync: must not count
    _wl(900004, "THR-2", "THR", "bob", datetime(2026, 10, 4, 9, 0), 3600, None),
    _wl(900004, "THR-2", "THR", "bob", datetime(2026, 10, 4, 9, 0), 3600, None, deleted=1, updated=T1),
    # other month, other project: must not count for October THR
    _wl(900005, "THR-1", "THR", "alice", datetime(2026, 9, 30, 9, 0), 3600, None),
    _wl(900006, "TX-1", "TX", "alice", datetime(2026, 10, 5, 9, 0), 3600, None),
    # re-synced with billable_seconds cleared: the newer NULL wins (so the full 3600 s count)
    _wl(900009, "THR-1", "THR", "bob", datetime(2026, 10, 8, 9, 0), 3600, 1800),
    _wl(900009, "THR-1", "THR", "bob", datetime(2026, 10, 8, 9, 0), 3600, None, updated=T1),
    # moved to November by the re-sync: no longer October's
    _wl(900010, "THR-1", "THR", "alice", datetime(2026, 10, 9, 9, 0), 3600, None),
    _wl(900010, "THR-1", "THR", "alice", datetime(2026, 11, 2, 9, 0), 3600, None, updated=T1),
    _wl(900007, "TSUP-1", "TSUP", "carol", datetime(2026, 10, 6, 9, 0), 36000, None),
    _wl(900008, "TSUP-9", "TSUP", "carol", datetime(2026, 10, 7, 9, 0), 7200, 0),
]

ISSUE_COLUMNS = ["issue_key", "project_key", "issue_type", "priority", "summary", "status", "epic_key",
                 "labels", "updated_at"]
ISSUES = [
    ["THR-1", "THR", "Task", "Medium", "Build the importer", "Done", None, [], T0],
    ["THR-2", "THR", "Story", None, "Old summary", "Done", None, [], T0],
    ["THR-2", "THR", "Bug", "High", "Fix the importer", "Done", None, ["hotfix"], T1],
    ["TSUP-1", "TSUP", "Incident", "Highest", "Payments down", "Done", None, [], T0],
]


def load(client) -> None:
    """Insert the first sync, then the re-sync as a separate batch, as n8n does.

    (ClickHouse collapses duplicate keys inside one insert block, so one batch would hide them.)
    """
    tables = [("cdm.jira_customers", CUSTOMERS, CUSTOMER_COLUMNS),
              ("cdm.jira_contacts", CONTACTS, CONTACT_COLUMNS),
              ("cdm.jira_applications", APPLICATIONS, APPLICATION_COLUMNS),
              ("tempo.worklogs_flat", WORKLOGS, WORKLOG_COLUMNS),
              ("jira.jira_issues", ISSUES, ISSUE_COLUMNS)]
    for sync in (T0, T1):
        for table, rows, columns in tables:
            batch = [row for row in rows if row[-1] == sync]
            if batch:
                client.insert(table, batch, column_names=columns)
