-- Month generation runs (issue 13): one row per start of a month's drafts (the console, the monthly
-- schedule), one item per application with its outcome. The counters on the run are kept in the same
-- transaction as the item that moves out of `pending`, so progress reads are one row.
CREATE TABLE invoicing.generation_runs (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    period      TEXT        NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    trigger     TEXT        NOT NULL CHECK (trigger IN ('api', 'schedule')),
    mode        TEXT        NOT NULL CHECK (mode IN ('queued', 'inline')),
    status      TEXT        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'completed_with_failures')),
    started_by  UUID REFERENCES auth.users (id),
    total       INTEGER     NOT NULL CHECK (total >= 0),
    created     INTEGER     NOT NULL DEFAULT 0 CHECK (created >= 0),
    existing    INTEGER     NOT NULL DEFAULT 0 CHECK (existing >= 0),
    skipped     INTEGER     NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    failed      INTEGER     NOT NULL DEFAULT 0 CHECK (failed >= 0),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    CHECK (created + existing + skipped + failed <= total),
    CHECK ((status = 'running') = (finished_at IS NULL))
);
-- One running run per month: a second start while one runs is a 409 naming it.
CREATE UNIQUE INDEX generation_runs_one_running ON invoicing.generation_runs (period) WHERE status = 'running';
CREATE INDEX generation_runs_recent_idx ON invoicing.generation_runs (created_at DESC, id DESC);

CREATE TABLE invoicing.generation_run_items (
    run_id          UUID        NOT NULL REFERENCES invoicing.generation_runs (id) ON DELETE CASCADE,
    application_key TEXT        NOT NULL,
    status          TEXT        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'created', 'existing', 'skipped', 'failed')),
    invoice_id      UUID,
    reason          TEXT,
    attempts        INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, application_key),
    CHECK (status <> 'failed' OR reason IS NOT NULL)
);
