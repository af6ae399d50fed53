-- People and access: users, revoked refresh tokens, failed logins (for throttling).
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.users (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email             TEXT        NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    password_hash     TEXT        NOT NULL,
    role              TEXT        NOT NULL CHECK (role IN ('viewer', 'accountant', 'approver', 'admin')),
    full_name         TEXT        NOT NULL DEFAULT '',
    is_active         BOOLEAN     NOT NULL DEFAULT TRUE,
    tokens_revoked_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON auth.users (email);

CREATE TABLE auth.refresh_token_blacklist (
    jti        TEXT PRIMARY KEY,
    user_id    UUID        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_token_blacklist_expires_idx ON auth.refresh_token_blacklist (expires_at);

-- One row per failed login; the throttle counts recent rows per e-mail (known or not).
CREATE TABLE auth.login_failures (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     TEXT        NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON auth.login_failures (email, failed_at DESC);
