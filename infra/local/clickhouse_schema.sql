-- The shape of the tables the n8n/CDM sync owns (DESIGN §2). Only the local stack and tests create them.
CREATE DATABASE IF NOT EXISTS cdm;
CREATE DATABASE IF NOT EXISTS tempo;
CREATE DATABASE IF NOT EXISTS jira;

CREATE TABLE IF NOT EXISTS cdm.jira_applications (
    application_key String, customer_key String, title String,
    deal_type LowCardinality(String), status LowCardinality(String), currency LowCardinality(String),
    hourly_rate Decimal(18,2), monthly_fee Nullable(Decimal(18,2)), included_hours Nullable(Decimal(10,2)),
    fixed_amount Nullable(Decimal(18,2)), hours_limit Nullable(UInt32), min_billable_minutes Nullable(UInt32),
    vat_rate Decimal(5,2), jira_project_keys Array(String), contract_number String, contract_date Date,
    start_date Date, end_date Nullable(Date), updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY application_key;

CREATE TABLE IF NOT EXISTS cdm.jira_customers (
    customer_key String, name String, legal_name String, tin String, country FixedString(2), address String,
    bank_name String, bank_account String, bank_code String, swift String, signer_name String,
    signer_position String, email String, updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY customer_key;

CREATE TABLE IF NOT EXISTS cdm.jira_contacts (
    contact_id String, customer_key String, name String, email String, phone String,
    role LowCardinality(String), is_primary UInt8, updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (customer_key, contact_id);

CREATE TABLE IF NOT EXISTS tempo.worklogs_flat (
    worklog_id UInt64, issue_key String, project_key String, account_id String, author_name String,
    started_at DateTime, work_date Date, time_spent_seconds UInt32, billable_seconds Nullable(UInt32),
    description String, is_deleted UInt8, updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY worklog_id;

CREATE TABLE IF NOT EXISTS jira.jira_issues (
    issue_key String, project_key String, issue_type LowCardinality(String), priority Nullable(String),
    summary String, status String, epic_key Nullable(String), labels Array(String), updated_at DateTime
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY issue_key;
