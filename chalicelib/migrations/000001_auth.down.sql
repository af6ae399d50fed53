DROP TABLE IF EXISTS auth.login_failures;
DROP TABLE IF EXISTS auth.refresh_token_blacklist;
DROP TABLE IF EXISTS auth.users;
DROP SCHEMA IF EXISTS auth;
