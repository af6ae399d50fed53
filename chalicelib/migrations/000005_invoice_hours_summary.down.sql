ALTER TABLE invoicing.invoices DROP COLUMN IF EXISTS hours_summary;
