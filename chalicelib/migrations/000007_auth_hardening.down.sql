DROP TABLE auth.revoked_token_families;
ALTER TABLE auth.refresh_token_blacklist DROP COLUMN family;
DROP INDEX auth.login_failures_address_idx;
ALTER TABLE auth.login_failures DROP COLUMN settled, DROP COLUMN client_address;
