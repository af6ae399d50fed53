-- Back to jsonb (compressed). Traces saved in the columnar form stay in it: they are JSON objects, which
-- jsonb holds, and billing.lines.trace_rows reads both forms.
ALTER TABLE invoicing.invoice_line_items
    ALTER COLUMN trace DROP DEFAULT,
    ALTER COLUMN trace TYPE jsonb USING trace::jsonb,
    ALTER COLUMN trace SET DEFAULT '[]'::jsonb,
    ALTER COLUMN trace SET STORAGE EXTENDED;
