-- Issue 12: the category an unmapped issue type is billed as is no longer the bare "Other work" but
-- "Software development services" (domain.billing.inputs.OTHER_WORK; documents.md, "Every invoice").
-- The accountant's MXIK and unit settings are keyed by category: carry a code set for "Other work" over
-- to the new name (unless one is already set for it), so resident invoices keep their codes.
UPDATE invoicing.app_settings
   SET value = (value - 'Other work') || jsonb_build_object('Software development services', value -> 'Other work'),
       updated_at = now()
 WHERE key IN ('mxik_codes', 'unit_codes')
   AND jsonb_typeof(value) = 'object'
   AND value ? 'Other work'
   AND NOT value ? 'Software development services';
