-- Issue 14: a saved line's trace is one JSON object of columns (chalicelib/domain/billing/lines.py), its
-- text written by the billing engine in ClickHouse and stored as it arrives. `json` keeps that text
-- (checked to be JSON) where `jsonb` would parse every value of ~45,000 entries into its binary form,
-- and EXTERNAL stores it uncompressed: those two steps (jsonb input and pglz) were most of the time the
-- largest draft took to save. Nothing queries inside a trace; the readers decode it in Python
-- (billing.lines.trace_rows), older rows (a list of entry objects) included.
ALTER TABLE invoicing.invoice_line_items
    ALTER COLUMN trace DROP DEFAULT,
    ALTER COLUMN trace TYPE json USING trace::json,
    ALTER COLUMN trace SET DEFAULT '[]'::json,
    ALTER COLUMN trace SET STORAGE EXTERNAL;
