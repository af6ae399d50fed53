-- Back to the command names of before issue 14; an `accepted` row that came from Didox (its payload has
-- didox_code) was `didox_signed`.
ALTER TABLE invoicing.invoice_events DISABLE TRIGGER invoice_events_append_only;

UPDATE invoicing.invoice_events SET event_type = 'didox_signed'
 WHERE event_type = 'accepted' AND payload ? 'didox_code';

UPDATE invoicing.invoice_events AS e SET event_type = r.old_name
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
 WHERE e.event_type = r.new_name;

ALTER TABLE invoicing.invoice_events ENABLE TRIGGER invoice_events_append_only;
