DROP TABLE IF EXISTS invoicing.number_sequences;
DROP TABLE IF EXISTS invoicing.invoice_edit_history;
DROP TABLE IF EXISTS invoicing.invoice_events;
DROP FUNCTION IF EXISTS invoicing.reject_audit_change();
DROP TABLE IF EXISTS invoicing.invoice_line_items;
DROP TABLE IF EXISTS invoicing.invoices;
DROP SCHEMA IF EXISTS invoicing;
