DROP TABLE invoicing.draft_baselines;
DROP TABLE invoicing.invoice_drifts;
DROP INDEX invoicing.invoices_supplements_idx;
DROP INDEX invoicing.invoices_one_live_per_period;
CREATE UNIQUE INDEX invoices_one_live_per_period
    ON invoicing.invoices (application_key, period) WHERE kind = 'invoice' AND status <> 'cancelled';
ALTER TABLE invoicing.invoices DROP CONSTRAINT invoices_supplements_check;
ALTER TABLE invoicing.invoices DROP CONSTRAINT invoices_source_check;
ALTER TABLE invoicing.invoices ADD CONSTRAINT invoices_source_check
    CHECK (source IN ('prefill', 'manual', 'credit_note'));
ALTER TABLE invoicing.invoices DROP COLUMN supplements_id;
