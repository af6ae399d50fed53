-- Source drift after finalize, supplementary invoices, the base of a regenerated draft (issue 15).
-- Its settings (drift_*, margin_*, application_cost_rates) are not shipped rows: their defaults live in
-- chalicelib/services/drift.py until an admin sets them.

-- A supplementary invoice bills what the source added after an invoice was finalized: an invoice of its
-- own (own number from the invoice series) linked to the one it supplements, beside it in the same
-- application-month, so it is left out of the one-live-invoice-per-month rule.
ALTER TABLE invoicing.invoices ADD COLUMN supplements_id UUID REFERENCES invoicing.invoices (id);
ALTER TABLE invoicing.invoices DROP CONSTRAINT invoices_source_check;
ALTER TABLE invoicing.invoices ADD CONSTRAINT invoices_source_check
    CHECK (source IN ('prefill', 'manual', 'credit_note', 'supplementary'));
ALTER TABLE invoicing.invoices ADD CONSTRAINT invoices_supplements_check
    CHECK ((supplements_id IS NOT NULL) = (source = 'supplementary') AND (supplements_id IS NULL OR kind = 'invoice'));
DROP INDEX invoicing.invoices_one_live_per_period;
CREATE UNIQUE INDEX invoices_one_live_per_period
    ON invoicing.invoices (application_key, period)
    WHERE kind = 'invoice' AND status <> 'cancelled' AND supplements_id IS NULL;
CREATE INDEX invoices_supplements_idx ON invoicing.invoices (supplements_id) WHERE supplements_id IS NOT NULL;

-- One row per drift found: open until acknowledged (with a reason) or answered by a proposed correction;
-- cleared when the source comes back to what was billed. The same worklog changes (fingerprint) are
-- recorded once.
CREATE TABLE invoicing.invoice_drifts (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id           UUID          NOT NULL REFERENCES invoicing.invoices (id),
    status               TEXT          NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'acknowledged', 'credit_proposed', 'supplement_proposed', 'cleared')),
    fingerprint          TEXT          NOT NULL,
    currency             TEXT          NOT NULL,
    subtotal_delta       NUMERIC(18,2) NOT NULL,
    total_delta          NUMERIC(18,2) NOT NULL,
    minutes_changed      INTEGER       NOT NULL CHECK (minutes_changed >= 0),
    report               JSONB         NOT NULL,
    resolution_reason    TEXT,
    correction_id        UUID REFERENCES invoicing.invoices (id),
    resolved_by          UUID,
    resolved_by_email    TEXT,
    resolved_at          TIMESTAMPTZ,
    detected_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CHECK ((status = 'acknowledged') = (resolution_reason IS NOT NULL AND resolution_reason <> '')),
    CHECK ((status IN ('credit_proposed', 'supplement_proposed')) = (correction_id IS NOT NULL))
);
CREATE UNIQUE INDEX invoice_drifts_one_open ON invoicing.invoice_drifts (invoice_id) WHERE status = 'open';
CREATE INDEX invoice_drifts_status_idx ON invoicing.invoice_drifts (status, detected_at DESC, id DESC);
CREATE INDEX invoice_drifts_invoice_idx ON invoicing.invoice_drifts (invoice_id, id DESC);

-- The draft as last generated (or regenerated): the base of the next three-way merge.
CREATE TABLE invoicing.draft_baselines (
    invoice_id   UUID PRIMARY KEY REFERENCES invoicing.invoices (id) ON DELETE CASCADE,
    base         JSONB       NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
