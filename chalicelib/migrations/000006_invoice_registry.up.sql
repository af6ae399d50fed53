-- The registry (DESIGN §4): search by customer name without a ClickHouse round trip, and indexes that
-- serve each filter in the registry's keyset order (created_at DESC, id DESC).
ALTER TABLE invoicing.invoices ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';
CREATE INDEX invoices_number_search_idx ON invoicing.invoices (number text_pattern_ops) WHERE number IS NOT NULL;
DROP INDEX invoicing.invoices_application_idx;
DROP INDEX invoicing.invoices_customer_idx;
CREATE INDEX invoices_application_idx ON invoicing.invoices (application_key, created_at DESC, id DESC);
CREATE INDEX invoices_customer_idx ON invoicing.invoices (customer_key, created_at DESC, id DESC);
CREATE INDEX invoices_period_idx ON invoicing.invoices (period, created_at DESC, id DESC);
