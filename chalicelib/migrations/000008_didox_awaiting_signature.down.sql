-- Invoices waiting for a signature go back to 'approved' (nothing reached the buyer).
UPDATE invoicing.invoices SET status = 'approved' WHERE status = 'awaiting_signature';
ALTER TABLE invoicing.invoices DROP CONSTRAINT IF EXISTS invoices_status_check;
ALTER TABLE invoicing.invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('draft', 'needs_review', 'approved', 'sent', 'accepted', 'paid', 'cancelled'));
