ALTER TABLE invoicing.invoices DROP COLUMN warning_codes;
