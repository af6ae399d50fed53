-- The draft's warnings as codes with their values, index for index with the English sentences in
-- `warnings` (DESIGN §8), so the console can say them in the reader's language. Rows saved before this
-- have none: the console shows their sentences as written.
ALTER TABLE invoicing.invoices ADD COLUMN warning_codes JSONB NOT NULL DEFAULT '[]'::jsonb;
