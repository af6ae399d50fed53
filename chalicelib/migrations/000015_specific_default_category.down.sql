UPDATE invoicing.app_settings
   SET value = (value - 'Software development services') || jsonb_build_object('Other work', value -> 'Software development services'),
       updated_at = now()
 WHERE key IN ('mxik_codes', 'unit_codes')
   AND jsonb_typeof(value) = 'object'
   AND value ? 'Software development services'
   AND NOT value ? 'Other work';
