-- Hardening of authentication (issue 16): refresh-token families for reuse detection, and the login
-- throttle's per-client-address dimension with attempts counted before the password is checked.

-- A row is now written when an attempt starts (settled = FALSE while its password is being checked)
-- and kept as a failure (settled = TRUE) unless the attempt succeeds.
ALTER TABLE auth.login_failures
    ADD COLUMN client_address TEXT    NOT NULL DEFAULT '',
    ADD COLUMN settled        BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX login_failures_address_idx ON auth.login_failures (client_address, failed_at DESC);

-- Which family (the chain of rotations from one login) a redeemed refresh token belonged to.
ALTER TABLE auth.refresh_token_blacklist ADD COLUMN family TEXT;

-- A revoked family: every token of the chain (access and refresh) is refused until it expires.
CREATE TABLE auth.revoked_token_families (
    family     TEXT PRIMARY KEY,
    user_id    UUID        NOT NULL,
    reason     TEXT        NOT NULL CHECK (reason IN ('reuse', 'logout')),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX revoked_token_families_expires_idx ON auth.revoked_token_families (expires_at);
