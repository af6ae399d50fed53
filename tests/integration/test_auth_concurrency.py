"""The outside probe of issue 16, kept: parallel requests over real HTTP against the real PostgreSQL.

Refresh tokens are spent once however many copies race (and a reused one ends its family); password
guesses are counted before bcrypt runs, so a burst cannot outrun the throttle; a success from one
address does not forgive another address's guesses; a stranger cannot lock the owner out.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import TooManyAttempts, Unauthenticated
from chalicelib.schemas import LoginRequest, PasswordChangeRequest
from chalicelib.services import auth
from chalicelib.services import container as container_module

PASSWORD = "correct-horse-battery"
EMAIL = "target@test.local"


@pytest.fixture
def wide(container):
    """8 pooled connections, and a bcrypt cost that makes each password check take real time (the
    window the probe raced through); the user exists before the server starts."""
    c = container_module.Container(replace(container.settings, pg_pool_max_size=8, bcrypt_rounds=10))
    container_module.use(c)
    auth.create_user(EMAIL, PASSWORD, "accountant", "Target")
    yield c
    container_module.use(container)
    c.close()


@pytest.fixture
def server(wide):
    from infra.local.server import BackgroundServer

    srv = BackgroundServer()
    # http.server listens with a backlog of 5: a burst of 16 connections would be reset by the kernel
    # before reaching the app. API Gateway has no such queue; widen it (listen() again updates it).
    srv.server.server.socket.listen(64)
    srv.start()
    yield srv
    srv.stop()


def post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def burst(calls) -> list:
    """Run every call at once: all threads wait at a barrier, then go."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def login(server, password=PASSWORD) -> tuple[int, dict]:
    return post(f"{server.url}/api/auth/login", {"email": EMAIL, "password": password})


# --- refresh tokens ------------------------------------------------------------------------------

def test_ten_parallel_redemptions_of_one_refresh_token_give_exactly_one_pair(server):
    status, pair = login(server)
    assert status == 200
    results = burst([lambda: post(f"{server.url}/api/auth/refresh", {"refresh_token": pair["refresh_token"]})] * 10)
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 401: 9}, statuses
    # The nine losers presented a spent token: reuse, so the family is revoked, the winner's pair too
    # (OAuth 2.0 Security BCP: the server cannot tell the thief from the client).
    winner = next(body for status, body in results if status == 200)
    assert post(f"{server.url}/api/auth/refresh", {"refresh_token": winner["refresh_token"]})[0] == 401
    assert get(f"{server.url}/api/auth/me", winner["access_token"]) == 401
    # The account itself is fine: a new login starts a new family.
    assert login(server)[0] == 200


def test_reusing_a_rotated_refresh_token_ends_the_whole_family(server):
    _, first = login(server)
    status, second = post(f"{server.url}/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert status == 200
    assert get(f"{server.url}/api/auth/me", second["access_token"]) == 200
    status, body = post(f"{server.url}/api/auth/refresh", {"refresh_token": first["refresh_token"]})  # the thief
    assert status == 401 and "already been used" in body["error"]["message"]
    assert post(f"{server.url}/api/auth/refresh", {"refresh_token": second["refresh_token"]})[0] == 401
    assert get(f"{server.url}/api/auth/me", second["access_token"]) == 401
    # another session of the same user is a different family and lives on
    _, other = login(server)
    assert get(f"{server.url}/api/auth/me", other["access_token"]) == 200


def test_logout_ends_every_token_of_the_session(server):
    _, first = login(server)
    _, second = post(f"{server.url}/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    status, _ = post(f"{server.url}/api/auth/logout", {"refresh_token": second["refresh_token"]},
                     token=second["access_token"])
    assert status == 204
    # The first access token was never presented at logout, but it belongs to the ended session.
    assert get(f"{server.url}/api/auth/me", first["access_token"]) == 401


# --- the login throttle ------------------------------------------------------------------------

def test_sixteen_parallel_wrong_passwords_get_at_most_five_checks(server, wide):
    results = burst([lambda: login(server, "wrong-password")] * 16)
    statuses = Counter(status for status, _ in results)
    limit = wide.settings.login_max_failures
    assert statuses[401] == limit and statuses[429] == 16 - limit, statuses
    assert login(server)[0] == 429  # the right password from the same address is throttled too


def test_a_success_from_another_address_does_not_reset_the_guesses(wide):
    """12 guesses from one address and the owner's login from another, all at once (service level: the
    local HTTP gateway gives every request the same source address)."""
    def guess():
        try:
            auth.login(LoginRequest(email=EMAIL, password="wrong-password"), "10.0.0.66")
            return 200
        except Unauthenticated:
            return 401
        except TooManyAttempts:
            return 429

    def owner():
        # In or briefly delayed (the account's progressive delay), depending on who reached the count first.
        try:
            auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "10.0.0.7")
            return "owner-in"
        except TooManyAttempts as exc:
            assert exc.retry_after <= 60
            return "owner-delayed"

    results = burst([guess] * 12 + [owner])
    guesses = Counter(results[:12])
    limit = wide.settings.login_max_failures
    assert guesses[401] <= limit and guesses[200] == 0, guesses
    assert results[12] in ("owner-in", "owner-delayed")
    # Every wrong guess is still on the books: the owner's success forgave none of them.
    kept = wide.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM auth.login_failures WHERE email = %s AND client_address = '10.0.0.66'",
        (EMAIL,)).fetchone()["n"])
    assert kept == guesses[401]


def _age_attempts(container, seconds: int) -> None:
    """Move every recorded attempt ``seconds`` into the past (time passing, without sleeping)."""
    container.db.run(lambda conn: conn.execute(
        "UPDATE auth.login_failures SET failed_at = failed_at - make_interval(secs => %s)", (seconds,)))


def test_a_stranger_cannot_lock_the_owner_out(wide):
    limit = wide.settings.login_max_failures
    for _ in range(limit):
        with pytest.raises(Unauthenticated):
            auth.login(LoginRequest(email=EMAIL, password="wrong-password"), "203.0.113.9")
    with pytest.raises(TooManyAttempts) as refused:
        auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "203.0.113.9")  # the guessing address: locked
    assert refused.value.retry_after > 60
    # The account waits a short, growing delay, not the lockout: a minute later the owner gets in.
    with pytest.raises(TooManyAttempts) as delayed:
        auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "198.51.100.20")
    assert delayed.value.retry_after <= 60
    _age_attempts(wide, 61)
    assert auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "198.51.100.20")["access_token"]
    # ... while the stranger's address stays locked for the whole window.
    with pytest.raises(TooManyAttempts):
        auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "203.0.113.9")


def test_one_address_spraying_many_accounts_is_throttled(wide):
    from chalicelib.domain.login_throttle import ADDRESS_FACTOR

    limit = wide.settings.login_max_failures
    for n in range(ADDRESS_FACTOR * limit):
        with pytest.raises(Unauthenticated):
            auth.login(LoginRequest(email=f"nobody{n}@test.local", password="wrong-password"), "192.0.2.1")
    with pytest.raises(TooManyAttempts):
        auth.login(LoginRequest(email="someone-else@test.local", password="wrong-password"), "192.0.2.1")
    with pytest.raises(Unauthenticated):  # another address is not affected
        auth.login(LoginRequest(email="someone-else@test.local", password="wrong-password"), "192.0.2.2")


# --- current_password on POST /auth/password ----------------------------------------------------

def test_current_password_guesses_are_throttled(server, wide):
    _, pair = login(server)
    url = f"{server.url}/api/auth/password"
    results = burst([lambda: post(url, {"current_password": "wrong-guess", "new_password": "stolen-account-1"},
                                  token=pair["access_token"])] * 8)
    statuses = Counter(status for status, _ in results)
    limit = wide.settings.login_max_failures
    assert statuses[401] == limit and statuses[429] == 8 - limit, statuses
    # Even the right current password is refused now: the token holder cannot keep guessing.
    status, body = post(url, {"current_password": PASSWORD, "new_password": "stolen-account-1"},
                        token=pair["access_token"])
    assert status == 429, body


def test_a_changed_password_is_checked_through_the_same_throttle(wide):
    principal = Principal(user_id="", email=EMAIL, role="accountant")
    user = auth.login(LoginRequest(email=EMAIL, password=PASSWORD), "10.1.1.1")
    assert user["access_token"]
    with pytest.raises(Unauthenticated):
        auth.change_password(principal, PasswordChangeRequest(current_password="nope", new_password="a-new-password"),
                              "10.1.1.1")
    count = wide.db.run(lambda conn: conn.execute(
        "SELECT count(*) AS n FROM auth.login_failures WHERE email = %s", (EMAIL,)).fetchone()["n"])
    assert count == 1
