-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): the first answer of a POST that creates
-- something, per user and key. The row is written in the creating transaction, so a retried request finds
-- it (or waits for it) and never creates a second resource.
CREATE TABLE invoicing.idempotency_keys (
    user_id          UUID        NOT NULL,
    idempotency_key  TEXT        NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    operation        TEXT        NOT NULL,
    request_sha256   TEXT        NOT NULL,
    resource_id      UUID,
    response_body    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON invoicing.idempotency_keys (created_at);
