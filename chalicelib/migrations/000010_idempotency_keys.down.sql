DROP TABLE invoicing.idempotency_keys;
