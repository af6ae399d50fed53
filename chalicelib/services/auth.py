"""Authentication and tokens (DESIGN §5): bcrypt passwords, JWT access + refresh tokens with ``jti``."""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..domain import limits, login_throttle
from ..domain.access import ROLES, Principal, authorize
from ..domain.errors import BadRequest, TooManyAttempts, Unauthenticated, ValidationFailed
from . import container

if TYPE_CHECKING:  # the request models load on first use, not at cold start
    from ..schemas import LoginRequest, LogoutRequest, PasswordChangeRequest, RefreshRequest, UserCreateRequest

log = logging.getLogger(__name__)


def _schemas():
    """The response models, loaded on first use (pydantic stays off the cold start: ``chalicelib.parsing``)."""
    from .. import schemas

    return schemas

ALGORITHM = "HS256"
ISSUER = "proxima-invoice"
# A valid bcrypt hash of a random string: checking it keeps unknown e-mails as slow as known ones.
_DUMMY_HASH = b"$2b$12$WINv..HMrcB5.0CX2RLcsOTgUcpspwJjegRmlLtZQT44i/KbPtxDm"


def hash_password(password: str, rounds: int | None = None) -> str:
    import bcrypt

    limits.check_password_length(password, "password")
    rounds = rounds or container.current().settings.bcrypt_rounds
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def _check_password(password: str, hashed: str | bytes) -> bool:
    """Never truncated: a password longer than bcrypt reads cannot be the one that was set."""
    import bcrypt

    hashed = hashed.encode() if isinstance(hashed, str) else hashed
    if len(password.encode()) > limits.PASSWORD_MAX_BYTES:
        bcrypt.checkpw(b"", _DUMMY_HASH)  # the same time as a real check
        return False
    try:
        return bcrypt.checkpw(password.encode(), hashed)
    except ValueError:
        return False


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, role: str, full_name: str = "", *, replace: bool = False) -> dict:
    from ..adapters import auth_store

    email = _normalise_email(email)
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}", details={"field": "role", "allowed": list(ROLES)})
    if "@" not in email:
        raise ValidationFailed("not an e-mail address", details={"field": "email"})
    if len(password) < 10:
        raise ValidationFailed("passwords have at least 10 characters", details={"field": "password"})
    limits.check_password_length(password, "password")
    hashed = hash_password(password)
    store = auth_store.upsert_user if replace else auth_store.insert_user
    row = container.current().db.run(lambda conn: store(conn, email, hashed, role, full_name,
                                                        datetime.now(timezone.utc)))
    return {k: row[k] for k in ("id", "email", "role", "full_name")}


# --- tokens ------------------------------------------------------------------------------------

def _issue(user: dict[str, Any], kind: str, ttl: int, now: float, family: str) -> tuple[str, str]:
    import jwt

    jti = uuid.uuid4().hex
    claims = {"iss": ISSUER, "sub": user["id"], "role": user["role"], "email": user["email"],
              "type": kind, "jti": jti, "fam": family, "iat": now, "exp": int(now) + ttl}
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), jti


def _token_pair(user: dict[str, Any], family: str | None = None) -> dict[str, Any]:
    """A new access + refresh pair. A login starts a token family; a refresh continues its family, so
    that a stolen refresh token, once reused, takes every token of the chain down with it."""
    settings = container.current().settings
    now = time.time()
    family = family or uuid.uuid4().hex
    access, _ = _issue(user, "access", settings.access_token_ttl_seconds, now, family)
    refresh, _ = _issue(user, "refresh", settings.refresh_token_ttl_seconds, now, family)
    return _schemas().TokenPair(access_token=access, refresh_token=refresh,
                             expires_in=settings.access_token_ttl_seconds).model_dump()


def _secret() -> str:
    secret = container.current().settings.auth_secret
    if len(secret) < 32:
        raise RuntimeError("AUTH_SECRET must be set to at least 32 characters")
    return secret


def _decode(token: str, kind: str) -> dict[str, Any]:
    import jwt

    try:
        claims = jwt.decode(token, _secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "jti", "type"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated("the token is not valid") from exc
    if claims.get("type") != kind:
        raise Unauthenticated(f"an {kind} token is required")
    return claims


def _live_user(claims: dict[str, Any]) -> dict[str, Any]:
    """The token's user, refusing inactive users, revoked tokens and tokens older than a revocation."""
    from ..adapters import auth_store

    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthenticated("the token is not valid") from exc
    user = container.current().db.run(lambda conn: _token_user(conn, claims))
    _refuse_dead(user, claims)
    return user


def _token_user(conn, claims: dict[str, Any]) -> dict[str, Any] | None:
    from ..adapters import auth_store

    return auth_store.user_for_token(conn, claims["sub"], claims["jti"], _family(claims))


def _family(claims: dict[str, Any]) -> str | None:
    family = claims.get("fam")
    return family if isinstance(family, str) and family else None


def _refuse_dead(user: dict[str, Any] | None, claims: dict[str, Any], *, spent_ok: bool = False) -> None:
    if user is None or not user["is_active"]:
        raise Unauthenticated("the account is disabled or no longer exists")
    if user["family_revoked"]:
        raise Unauthenticated("the token has been revoked (its session was ended)")
    if user["token_revoked"] and not spent_ok:
        raise Unauthenticated("the token has been revoked")
    revoked_at = user["tokens_revoked_at"]
    if revoked_at is not None and float(claims["iat"]) < revoked_at.timestamp():
        raise Unauthenticated("the token was issued before the account's tokens were revoked")


def authenticate(authorization: str | None) -> Principal:
    """The guard of every protected route: a valid, unrevoked Bearer access token."""
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer token is required")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <access_token>'")
    claims = _decode(token.strip(), "access")
    user = _live_user(claims)
    return Principal(user_id=user["id"], email=user["email"], role=user["role"])


# --- use cases ---------------------------------------------------------------------------------

def _password_attempt(email: str, client_address: str) -> int:
    """Count this guess before its password is checked (DESIGN §5 throttle; ``domain.login_throttle``).

    Count and record happen in one transaction under the account's and the address's advisory locks,
    so N parallel guesses are N counted guesses: past the limit they are refused (429) without bcrypt.
    """
    from ..adapters import auth_store

    settings = container.current().settings

    def work(conn) -> tuple[int | None, int | None]:
        auth_store.lock_attempts(conn, email, client_address)
        row = auth_store.recent_attempts(conn, email, client_address, settings.login_lockout_seconds)
        attempts = login_throttle.RecentAttempts(**row)
        wait = login_throttle.retry_after(attempts, settings.login_max_failures, settings.login_lockout_seconds)
        if wait is not None:
            return wait, None
        return None, auth_store.start_attempt(conn, email, client_address)

    wait, attempt_id = container.current().db.run(work)
    if wait is not None:
        raise TooManyAttempts("too many failed password attempts; try again later", retry_after=wait,
                              details={"retry_after_seconds": wait})
    return attempt_id


def _settle_attempt(attempt_id: int, succeeded: bool) -> None:
    from ..adapters import auth_store

    settle = auth_store.attempt_succeeded if succeeded else auth_store.attempt_failed
    container.current().db.run(lambda conn: settle(conn, attempt_id))


def login(request: LoginRequest, client_address: str = "") -> dict[str, Any]:
    from ..adapters import auth_store

    email = _normalise_email(request.email)
    c = container.current()
    attempt = _password_attempt(email, client_address)
    user = c.db.run(lambda conn: auth_store.user_by_email(conn, email))
    valid = _check_password(request.password, user["password_hash"] if user else _DUMMY_HASH)
    ok = bool(user and valid and user["is_active"])
    _settle_attempt(attempt, ok)
    if not ok:
        raise Unauthenticated("wrong e-mail or password")
    return _token_pair(user)


def refresh(request: RefreshRequest) -> dict[str, Any]:
    """Rotate: the presented refresh token is spent and a new pair of the same family issued.

    Spending is one conditional INSERT (``auth_store.redeem``), so of N parallel redemptions exactly one
    gets a pair. Presenting a token already spent is reuse (OAuth 2.0 Security BCP, refresh token
    rotation): either the client or a thief holds a copy, so the whole family is revoked.
    """
    from ..adapters import auth_store

    claims = _decode(request.refresh_token, "refresh")
    try:
        uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthenticated("the token is not valid") from exc
    family = _family(claims)
    settings = container.current().settings
    expires = datetime.fromtimestamp(claims["exp"], tz=timezone.utc)

    def work(conn) -> tuple[dict[str, Any] | None, bool]:
        spent_now = auth_store.redeem(conn, claims["jti"], claims["sub"], expires, family)
        user = _token_user(conn, claims)
        if not spent_now and family and user is not None and not user["family_revoked"]:
            family_expires = datetime.fromtimestamp(time.time() + settings.refresh_token_ttl_seconds, tz=timezone.utc)
            auth_store.revoke_family(conn, family, claims["sub"], family_expires, "reuse")
            log.warning("refresh token reused: token family revoked",
                        extra={"user_id": claims["sub"], "token_family": family})
        return user, spent_now

    user, spent_now = container.current().db.run(work)
    if not spent_now:
        raise Unauthenticated("the refresh token has already been used or revoked; the session it belongs to "
                              "is ended")
    _refuse_dead(user, claims, spent_ok=True)
    return _token_pair(user, family)


def logout(principal: Principal, authorization: str | None, request: LogoutRequest) -> None:
    """Revoke the access token in use and, when given, the refresh token."""
    from ..adapters import auth_store

    revoked: list[tuple[str, datetime, str | None]] = []
    access = _decode((authorization or "").partition(" ")[2].strip(), "access")
    revoked.append((access["jti"], datetime.fromtimestamp(access["exp"], tz=timezone.utc), _family(access)))
    if request.refresh_token:
        claims = _decode(request.refresh_token, "refresh")
        if claims["sub"] != principal.user_id:
            raise BadRequest("the refresh token belongs to another user")
        revoked.append((claims["jti"], datetime.fromtimestamp(claims["exp"], tz=timezone.utc), _family(claims)))
    family_expires = datetime.fromtimestamp(time.time() + container.current().settings.refresh_token_ttl_seconds,
                                            tz=timezone.utc)

    def work(conn):
        for jti, expires, family in revoked:
            auth_store.blacklist(conn, jti, principal.user_id, expires, family)
            if family:
                # The whole session ends: any pair rotated from it (even one forked before the fix) too.
                auth_store.revoke_family(conn, family, principal.user_id, family_expires, "logout")

    container.current().db.run(work)


def me(principal: Principal) -> dict[str, Any]:
    from ..adapters import auth_store

    authorize(principal, "read")
    user = container.current().db.run(lambda conn: auth_store.user_by_email(conn, principal.email))
    return _schemas().Me(id=user["id"], email=user["email"], role=user["role"], full_name=user["full_name"]).model_dump()


def change_password(principal: Principal, request: PasswordChangeRequest, client_address: str = "") -> dict[str, Any]:
    """Set a new password; every token issued before now stops working (a fresh pair is returned).

    ``current_password`` is a password guess like a login: counted by the same throttle, so a stolen
    access token cannot be used to find the password (and keep the account).
    """
    from ..adapters import auth_store

    limits.check_password_length(request.new_password, "new_password")
    c = container.current()
    attempt = _password_attempt(principal.email, client_address)
    user = c.db.run(lambda conn: auth_store.user_by_email(conn, principal.email))
    valid = _check_password(request.current_password, user["password_hash"])
    _settle_attempt(attempt, valid)
    if not valid:
        raise Unauthenticated("the current password is wrong")
    hashed = hash_password(request.new_password)
    revoked_at = datetime.now(timezone.utc)
    c.db.run(lambda conn: auth_store.set_password(conn, user["id"], hashed, revoked_at))
    return _token_pair(user)


def add_user(principal: Principal, request: UserCreateRequest) -> dict[str, Any]:
    authorize(principal, "manage_users")
    return create_user(request.email, request.password, request.role, request.full_name)


def list_users(principal: Principal) -> dict[str, Any]:
    from ..adapters import auth_store

    authorize(principal, "manage_users")
    return {"items": container.current().db.run(auth_store.list_users)}


def purge_expired_tokens() -> dict[str, int]:
    """Daily: drop blacklist rows whose tokens have expired anyway, and old failed-login rows."""
    from ..adapters import auth_store

    return container.current().db.run(lambda conn: auth_store.purge_expired(conn, 7 * 24 * 3600))
