-- Rule configuration that prefill reads: rate rules, project classifications, employee exclusions,
-- settings, and the append-only log of who changed which of them.
CREATE TABLE invoicing.contract_rate_rules (
    id                         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_key            TEXT          NOT NULL,
    account_id                 TEXT,
    issue_type                 TEXT,
    priority                   TEXT,
    rate                       NUMERIC(18,2) CHECK (rate >= 0),
    multiplier                 NUMERIC(8,4)  CHECK (multiplier > 0),
    min_billable_minutes       INTEGER       CHECK (min_billable_minutes >= 0),
    rounding_increment_minutes INTEGER       CHECK (rounding_increment_minutes >= 1),
    effective_from             DATE,
    effective_to               DATE,
    note                       TEXT          NOT NULL DEFAULT '',
    created_by                 UUID,
    created_at                 TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CHECK (effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from)
);
CREATE INDEX contract_rate_rules_application_idx ON invoicing.contract_rate_rules (application_key);

CREATE TABLE invoicing.project_classifications (
    project_key    TEXT PRIMARY KEY,
    classification TEXT        NOT NULL CHECK (classification IN ('billable', 'internal', 'overhead')),
    note           TEXT        NOT NULL DEFAULT '',
    updated_by     UUID,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE invoicing.employee_exclusions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      TEXT        NOT NULL,
    application_key TEXT,
    effective_from  DATE,
    effective_to    DATE,
    reason          TEXT        NOT NULL DEFAULT '',
    created_by      UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from)
);
CREATE INDEX employee_exclusions_account_idx ON invoicing.employee_exclusions (account_id);

CREATE TABLE invoicing.app_settings (
    key        TEXT PRIMARY KEY,
    value      JSONB       NOT NULL,
    updated_by UUID,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE invoicing.config_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity      TEXT        NOT NULL,
    entity_id   TEXT        NOT NULL,
    action      TEXT        NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before      JSONB,
    after       JSONB,
    actor_id    UUID,
    actor_email TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER config_changes_append_only
    BEFORE UPDATE OR DELETE ON invoicing.config_changes
    FOR EACH ROW EXECUTE FUNCTION invoicing.reject_audit_change();

-- The settings the billing rules need, as shipped.
INSERT INTO invoicing.app_settings (key, value) VALUES
    ('rounding_increment_minutes', '1'),
    ('category_map', '{"Bug": "Bug fixing", "Incident": "Incident response", "Support": "Support requests",
                       "Task": "Development", "Story": "Development", "Consulting": "Consulting"}'),
    ('invoice_prefix', '"PRX"'),
    ('credit_note_prefix', '"CN"'),
    ('payment_terms_days', '10'),
    ('separation_of_duties', 'true');
