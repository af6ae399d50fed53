"""Login, refresh, logout, revocation, throttling and role refusals through the Chalice app."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD


def assert_error(status, data, expected_status, code=None):
    assert status == expected_status, data
    assert set(data) == {"error"} and {"code", "message", "details"} <= set(data["error"])
    if code:
        assert data["error"]["code"] == code


def test_login_returns_the_documented_shape(api, users):
    data = api.login("accountant")
    assert set(data) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert data["token_type"] == "Bearer" and data["expires_in"] == 900


def test_me_tells_who_is_logged_in(api, tokens):
    status, data, _ = api.call("GET", "/api/auth/me", token=tokens["approver"])
    assert status == 200
    assert data["email"] == "approver@test.local" and data["role"] == "approver"


def test_wrong_password_is_401_and_unknown_email_too(api, users):
    status, data, _ = api.call("POST", "/api/auth/login", {"email": "admin@test.local", "password": "nope"})
    assert_error(status, data, 401, "unauthenticated")
    status, data, _ = api.call("POST", "/api/auth/login", {"email": "ghost@test.local", "password": "nope"})
    assert_error(status, data, 401, "unauthenticated")


def test_repeated_failures_are_throttled(api, users):
    for _ in range(5):
        status, _, _ = api.call("POST", "/api/auth/login", {"email": "viewer@test.local", "password": "bad"})
        assert status == 401
    status, data, headers = api.call("POST", "/api/auth/login", {"email": "viewer@test.local", "password": PASSWORD})
    assert_error(status, data, 429, "too_many_attempts")
    assert int(headers["retry-after"]) > 0
    # another account is not affected
    assert api.login("admin")["access_token"]


@pytest.mark.parametrize("body, status", [
    ("{not json", 400),
    ("[]", 400),
    ('{"email": "a@b.c"}', 400),
    ('{"email": "a@b.c", "password": 5}', 400),
    ('{"email": "a@b.c", "password": "x", "remember": true}', 400),
    ("", 400),
])
def test_malformed_login_bodies(api, users, body, status):
    code, data, _ = api.call("POST", "/api/auth/login", raw=body)
    assert_error(code, data, status)


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not.a.jwt"])
def test_missing_or_bad_token_is_401(api, users, header):
    headers = {"Authorization": header} if header else {}
    status, data, _ = api.call("GET", "/api/clients", headers=headers)
    assert_error(status, data, 401, "unauthenticated")


def test_expired_token_is_401(api, users, container):
    import time

    import jwt

    from chalicelib.services.auth import ALGORITHM, ISSUER

    now = time.time()
    token = jwt.encode({"iss": ISSUER, "sub": users["admin"]["id"], "role": "admin", "email": "admin@test.local",
                        "type": "access", "jti": "x" * 32, "iat": now - 1000, "exp": int(now) - 10},
                       container.settings.auth_secret, algorithm=ALGORITHM)
    status, data, _ = api.call("GET", "/api/auth/me", token=token)
    assert_error(status, data, 401)
    assert "expired" in data["error"]["message"]


def test_refresh_rotates_and_the_old_refresh_token_dies(api, users):
    pair = api.login("viewer")
    status, new_pair, _ = api.call("POST", "/api/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert status == 200 and new_pair["refresh_token"] != pair["refresh_token"]
    status, data, _ = api.call("POST", "/api/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert_error(status, data, 401)
    # an access token is not a refresh token
    status, data, _ = api.call("POST", "/api/auth/refresh", {"refresh_token": pair["access_token"]})
    assert_error(status, data, 401)


def test_logout_revokes_access_and_refresh_tokens(api, users):
    pair = api.login("accountant")
    status, _, _ = api.call("POST", "/api/auth/logout", {"refresh_token": pair["refresh_token"]},
                            token=pair["access_token"])
    assert status == 204
    status, data, _ = api.call("GET", "/api/auth/me", token=pair["access_token"])
    assert_error(status, data, 401)
    status, data, _ = api.call("POST", "/api/auth/refresh", {"refresh_token": pair["refresh_token"]})
    assert_error(status, data, 401)


def test_password_change_revokes_older_tokens(api, users):
    old = api.login("admin")
    status, fresh, _ = api.call("POST", "/api/auth/password",
                                {"current_password": PASSWORD, "new_password": "another-long-password"},
                                token=old["access_token"])
    assert status == 200
    status, data, _ = api.call("GET", "/api/auth/me", token=old["access_token"])
    assert_error(status, data, 401)
    status, data, _ = api.call("POST", "/api/auth/refresh", {"refresh_token": old["refresh_token"]})
    assert_error(status, data, 401)
    status, data, _ = api.call("GET", "/api/auth/me", token=fresh["access_token"])
    assert status == 200


def test_disabled_user_is_refused(api, users, container):
    token = api.login("viewer")["access_token"]
    container.db.run(lambda conn: conn.execute("UPDATE auth.users SET is_active = FALSE WHERE email = %s",
                                               ("viewer@test.local",)))
    status, data, _ = api.call("GET", "/api/auth/me", token=token)
    assert_error(status, data, 401)


def test_purge_removes_only_expired_blacklist_rows(container, users):
    from datetime import datetime, timedelta, timezone

    from chalicelib.adapters import auth_store
    from chalicelib.services import auth

    now = datetime.now(timezone.utc)
    uid = users["admin"]["id"]
    container.db.run(lambda conn: (auth_store.blacklist(conn, "old", uid, now - timedelta(days=1)),
                                   auth_store.blacklist(conn, "live", uid, now + timedelta(days=1))))
    assert auth.purge_expired_tokens()["blacklist_rows"] == 1
    assert container.db.run(lambda conn: auth_store.is_blacklisted(conn, "live"))
    assert not container.db.run(lambda conn: auth_store.is_blacklisted(conn, "old"))


@pytest.mark.parametrize("role", ["viewer", "accountant", "approver"])
def test_only_admins_manage_users(api, tokens, role):
    status, data, _ = api.call("GET", "/api/users", token=tokens[role])
    assert_error(status, data, 403, "forbidden")
    status, data, _ = api.call("POST", "/api/users", {"email": "new@test.local", "password": "long-enough-pw",
                                                      "role": "viewer"}, token=tokens[role])
    assert_error(status, data, 403, "forbidden")
    assert data["error"]["details"]["allowed_roles"] == ["admin"]


def test_admin_adds_a_user_who_can_log_in(api, tokens):
    status, data, _ = api.call("POST", "/api/users", {"email": "New@Test.local", "password": "long-enough-pw",
                                                      "role": "approver", "full_name": "New Person"},
                               token=tokens["admin"])
    assert status == 201 and data["email"] == "new@test.local" and data["role"] == "approver"
    status, data, _ = api.call("POST", "/api/users", {"email": "new@test.local", "password": "long-enough-pw",
                                                      "role": "approver"}, token=tokens["admin"])
    assert_error(status, data, 409, "conflict")
    status, data, _ = api.call("POST", "/api/auth/login", {"email": "new@test.local", "password": "long-enough-pw"})
    assert status == 200
    status, listing, _ = api.call("GET", "/api/users", token=tokens["admin"])
    assert "new@test.local" in [u["email"] for u in listing["items"]]
    assert all("password_hash" not in u for u in listing["items"])


@pytest.mark.parametrize("body, status", [
    ({"email": "x@test.local", "password": "short", "role": "viewer"}, 422),
    ({"email": "x@test.local", "password": "long-enough-pw", "role": "root"}, 422),
    ({"email": "not-an-email", "password": "long-enough-pw", "role": "viewer"}, 422),
    ({"email": "x@test.local", "password": "long-enough-pw"}, 400),
    ({"email": "x@test.local", "password": 12345678901, "role": "viewer"}, 400),
])
def test_user_creation_is_validated(api, tokens, body, status):
    code, data, _ = api.call("POST", "/api/users", body, token=tokens["admin"])
    assert_error(code, data, status)


@pytest.mark.parametrize("email", ["\u001e\u001e@0", "a\u001f@b.c", "a@b.c\u007f", " @x"])
def test_an_email_with_control_characters_is_refused_not_stored(api, tokens, email):
    """Found by the fuzzer: str.strip() removes U+001C-U+001F, which the pattern's \\s did not refuse, so
    "\\x1e\\x1e@0" reached the database as "@0" and its CHECK answered with a 500."""
    status, data, _ = api.call("POST", "/api/users", {"email": email, "password": "x" * 12, "role": "viewer"},
                               token=tokens["admin"])
    assert status == 422, data
    assert any(d["field"] == "email" for d in data["error"]["details"])
