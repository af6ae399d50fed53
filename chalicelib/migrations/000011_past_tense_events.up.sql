-- Issue 14: invoice_events name what happened, in the past tense (chalicelib/domain/events.py RENAMED
-- holds the same pairs; tests/integration/test_migrations.py checks that they agree). A Didox "signed"
-- state that moved the invoice is the API's accept now, so that row becomes `accepted` (its payload keeps
-- didox_code, which the down migration uses); one that only noted the state stays `didox_signed`.
-- The audit table is append-only for everyone else: its row trigger is off only inside this transaction.
ALTER TABLE invoicing.invoice_events DISABLE TRIGGER invoice_events_append_only;

UPDATE invoicing.invoice_events SET event_type = 'accepted'
 WHERE event_type = 'didox_signed' AND from_status IS DISTINCT FROM to_status;

UPDATE invoicing.invoice_events AS e SET event_type = r.new_name
  FROM (VALUES
    ('finalize', 'finalized'),
    ('approve', 'approved'),
    ('reject', 'rejected'),
    ('send', 'sent'),
    ('accept', 'accepted'),
    ('pay', 'paid'),
    ('cancel', 'cancelled'),
    ('credit_note', 'credit_note_created'),
    ('drift_acknowledge', 'drift_acknowledged'),
    ('drift_credit_note', 'drift_credit_proposed'),
    ('drift_supplement', 'drift_supplement_proposed')
  ) AS r (old_name, new_name)
 WHERE e.event_type = r.old_name;

ALTER TABLE invoicing.invoice_events ENABLE TRIGGER invoice_events_append_only;
