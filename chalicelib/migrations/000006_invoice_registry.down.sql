DROP INDEX invoicing.invoices_period_idx;
DROP INDEX invoicing.invoices_customer_idx;
DROP INDEX invoicing.invoices_application_idx;
CREATE INDEX invoices_customer_idx ON invoicing.invoices (customer_key, period);
CREATE INDEX invoices_application_idx ON invoicing.invoices (application_key, period);
DROP INDEX invoicing.invoices_number_search_idx;
ALTER TABLE invoicing.invoices DROP COLUMN customer_name;
