-- Issue 11: a resident's e-invoice is a Didox draft until the seller signs it with an E-IMZO key
-- (references/integrations.md § Didox), so `send` leads to 'awaiting_signature', not 'sent'.
-- didox_status now holds domain.didox's names for the documented codes.
ALTER TABLE invoicing.invoices DROP CONSTRAINT IF EXISTS invoices_status_check;
ALTER TABLE invoicing.invoices ADD CONSTRAINT invoices_status_check
    CHECK (status IN ('draft', 'needs_review', 'approved', 'awaiting_signature', 'sent', 'accepted', 'paid',
                      'cancelled'));
