-- Outbox + job status for side effects, webhook replay protection, calculator snapshots.
CREATE TABLE invoicing.integration_jobs (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_id      UUID REFERENCES invoicing.invoices (id),
    job_type        TEXT        NOT NULL CHECK (job_type IN ('render_pdf', 'archive_r2', 'planfact_sync',
                                'telegram_notify', 'deliver_didox', 'deliver_email', 'alert')),
    status          TEXT        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    idempotency_key TEXT        NOT NULL UNIQUE,
    payload         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    attempts        INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    INTEGER     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_until    TIMESTAMPTZ,
    published_at    TIMESTAMPTZ,
    error           TEXT,
    result          JSONB,
    completed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('completed', 'failed') OR completed_at IS NOT NULL),
    CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX integration_jobs_due_idx ON invoicing.integration_jobs (next_attempt_at) WHERE status = 'pending';
CREATE INDEX integration_jobs_running_idx ON invoicing.integration_jobs (locked_until) WHERE status = 'running';
CREATE INDEX integration_jobs_invoice_idx ON invoicing.integration_jobs (invoice_id, created_at);

CREATE TABLE invoicing.webhook_receipts (
    source      TEXT        NOT NULL,
    event_id    TEXT        NOT NULL,
    invoice_id  UUID,
    outcome     TEXT        NOT NULL DEFAULT '',
    payload     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);

CREATE TABLE invoicing.calculator_snapshots (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    quote_number    TEXT        NOT NULL UNIQUE,
    application_key TEXT,
    currency        TEXT        NOT NULL CHECK (currency IN ('USD', 'EUR', 'UZS')),
    inputs          JSONB       NOT NULL,
    results         JSONB       NOT NULL,
    created_by      UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX calculator_snapshots_created_idx ON invoicing.calculator_snapshots (created_at DESC, id DESC);
