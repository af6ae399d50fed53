-- Invoices, their lines, the append-only audit trail and the gapless number series.
CREATE SCHEMA IF NOT EXISTS invoicing;

CREATE TABLE invoicing.invoices (
    id                    UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                  TEXT          NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note')),
    corrects_id           UUID REFERENCES invoicing.invoices (id),
    application_key       TEXT          NOT NULL,
    customer_key          TEXT          NOT NULL,
    period                TEXT          NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    deal_type             TEXT          NOT NULL CHECK (deal_type IN ('SUP', 'HR', 'FP')),
    currency              TEXT          NOT NULL CHECK (currency IN ('USD', 'EUR', 'UZS')),
    status                TEXT          NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft', 'needs_review', 'approved', 'sent', 'accepted', 'paid', 'cancelled')),
    source                TEXT          NOT NULL DEFAULT 'prefill' CHECK (source IN ('prefill', 'manual', 'credit_note')),
    number                TEXT UNIQUE,
    number_year           INTEGER,
    number_seq            INTEGER,
    version               INTEGER       NOT NULL DEFAULT 1 CHECK (version >= 1),
    issue_date            DATE,
    due_date              DATE,
    payment_terms         TEXT          NOT NULL DEFAULT '',
    notes                 TEXT          NOT NULL DEFAULT '',
    billing_contact       JSONB,
    contract_number       TEXT          NOT NULL DEFAULT '',
    contract_date         DATE,
    subtotal              NUMERIC(18,2) NOT NULL DEFAULT 0,
    vat_rate              NUMERIC(5,2)  NOT NULL DEFAULT 0 CHECK (vat_rate >= 0 AND vat_rate < 100),
    vat_amount            NUMERIC(18,2) NOT NULL DEFAULT 0,
    total                 NUMERIC(18,2) NOT NULL DEFAULT 0,
    left_out              JSONB         NOT NULL DEFAULT '{}'::jsonb,
    warnings              JSONB         NOT NULL DEFAULT '[]'::jsonb,
    data_as_of            TIMESTAMPTZ,
    customer_snapshot     JSONB,
    pdf_data              BYTEA,
    pdf_sha256            TEXT,
    finalized_by          UUID,
    finalized_at          TIMESTAMPTZ,
    approved_by           UUID,
    approved_at           TIMESTAMPTZ,
    sent_at               TIMESTAMPTZ,
    accepted_at           TIMESTAMPTZ,
    paid_at               TIMESTAMPTZ,
    cancelled_at          TIMESTAMPTZ,
    status_reason         TEXT,
    planfact_operation_id TEXT,
    didox_document_id     TEXT,
    didox_status          TEXT,
    created_by            UUID,
    created_at            TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CHECK ((kind = 'credit_note') = (corrects_id IS NOT NULL)),
    CHECK (total = subtotal + vat_amount),
    CHECK ((number IS NULL) = (number_seq IS NULL)),
    CHECK (due_date IS NULL OR issue_date IS NULL OR due_date >= issue_date),
    CHECK ((pdf_data IS NULL) = (pdf_sha256 IS NULL))
);
-- One live invoice per application and period: generation is idempotent, a cancelled one frees the slot.
CREATE UNIQUE INDEX invoices_one_live_per_period
    ON invoicing.invoices (application_key, period) WHERE kind = 'invoice' AND status <> 'cancelled';
CREATE INDEX invoices_registry_idx ON invoicing.invoices (created_at DESC, id DESC);
CREATE INDEX invoices_status_idx ON invoicing.invoices (status, created_at DESC, id DESC);
CREATE INDEX invoices_application_idx ON invoicing.invoices (application_key, period);
CREATE INDEX invoices_customer_idx ON invoicing.invoices (customer_key, period);
CREATE INDEX invoices_corrects_idx ON invoicing.invoices (corrects_id) WHERE corrects_id IS NOT NULL;

CREATE TABLE invoicing.invoice_line_items (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_id     UUID          NOT NULL REFERENCES invoicing.invoices (id) ON DELETE CASCADE,
    position       INTEGER       NOT NULL CHECK (position >= 1),
    category       TEXT          NOT NULL DEFAULT '',
    description    TEXT          NOT NULL DEFAULT '',
    quantity       NUMERIC(18,2) NOT NULL,
    unit           TEXT          NOT NULL CHECK (unit IN ('hour', 'month', 'fixed')),
    unit_price     NUMERIC(18,2) NOT NULL,
    multiplier     NUMERIC(8,4)  NOT NULL DEFAULT 1 CHECK (multiplier > 0),
    amount         NUMERIC(18,2) NOT NULL,
    raw_minutes    INTEGER       NOT NULL DEFAULT 0 CHECK (raw_minutes >= 0),
    billed_minutes INTEGER       NOT NULL DEFAULT 0 CHECK (billed_minutes >= 0),
    worklog_ids    BIGINT[]      NOT NULL DEFAULT '{}',
    trace          JSONB         NOT NULL DEFAULT '[]'::jsonb,
    created_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    UNIQUE (invoice_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- Append-only: status changes and actions.
CREATE TABLE invoicing.invoice_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  UUID        NOT NULL REFERENCES invoicing.invoices (id),
    event_type  TEXT        NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    actor_id    UUID,
    actor_email TEXT        NOT NULL DEFAULT 'system',
    payload     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invoice_events_invoice_idx ON invoicing.invoice_events (invoice_id, id);

-- Append-only: every user edit of a draft.
CREATE TABLE invoicing.invoice_edit_history (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  UUID        NOT NULL REFERENCES invoicing.invoices (id),
    line_id     UUID,
    field       TEXT        NOT NULL,
    before      JSONB,
    after       JSONB,
    actor_id    UUID,
    actor_email TEXT        NOT NULL,
    reason      TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invoice_edit_history_invoice_idx ON invoicing.invoice_edit_history (invoice_id, id);

CREATE FUNCTION invoicing.reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER invoice_events_append_only
    BEFORE UPDATE OR DELETE ON invoicing.invoice_events
    FOR EACH ROW EXECUTE FUNCTION invoicing.reject_audit_change();
CREATE TRIGGER invoice_events_no_truncate
    BEFORE TRUNCATE ON invoicing.invoice_events
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing.reject_audit_change();
CREATE TRIGGER invoice_edit_history_append_only
    BEFORE UPDATE OR DELETE ON invoicing.invoice_edit_history
    FOR EACH ROW EXECUTE FUNCTION invoicing.reject_audit_change();
CREATE TRIGGER invoice_edit_history_no_truncate
    BEFORE TRUNCATE ON invoicing.invoice_edit_history
    FOR EACH STATEMENT EXECUTE FUNCTION invoicing.reject_audit_change();

-- Gapless yearly series: the finalize transaction takes the row lock, so a rollback returns the number.
CREATE TABLE invoicing.number_sequences (
    series     TEXT    NOT NULL,
    year       INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    last_value INTEGER NOT NULL DEFAULT 0 CHECK (last_value >= 0),
    PRIMARY KEY (series, year)
);
