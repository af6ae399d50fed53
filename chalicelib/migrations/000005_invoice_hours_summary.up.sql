-- What the prefill reported besides the left-out buckets: hours logged/billable/billed and, for SUP,
-- the hours the retainer covered. Kept so a saved draft explains itself like its preview did.
ALTER TABLE invoicing.invoices ADD COLUMN hours_summary JSONB NOT NULL DEFAULT '{}'::jsonb;
