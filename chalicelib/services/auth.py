"""Authentication and tokens (DESIGN §5): bcrypt passwords, JWT access + refresh tokens with ``jti``."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

from .. import schemas
from ..domain.access import ROLES, Principal, authorize
from ..domain.errors import BadRequest, TooManyAttempts, Unauthenticated, ValidationFailed
from . import container

ALGORITHM = "HS256"
ISSUER = "proxima-invoice"
# A valid bcrypt hash of a random string: checking it keeps unknown e-mails as slow as known ones.
_DUMMY_HASH = b"$2b$12$WINv..HMrcB5.0CX2RLcsOTgUcpspwJjegRmlLtZQT44i/KbPtxDm"


def hash_password(password: str, rounds: int | None = None) -> str:
    import bcrypt

    rounds = rounds or container.current().settings.bcrypt_rounds
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds)).decode()


def _check_password(password: str, hashed: str | bytes) -> bool:
    import bcrypt

    hashed = hashed.encode() if isinstance(hashed, str) else hashed
    try:
        return bcrypt.checkpw(password.encode()[:72], hashed)
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
    hashed = hash_password(password)
    store = auth_store.upsert_user if replace else auth_store.insert_user
    row = container.current().db.run(lambda conn: store(conn, email, hashed, role, full_name,
                                                        datetime.now(timezone.utc)))
    return {k: row[k] for k in ("id", "email", "role", "full_name")}


# --- tokens ------------------------------------------------------------------------------------

def _issue(user: dict[str, Any], kind: str, ttl: int, now: float) -> tuple[str, str]:
    import jwt

    jti = uuid.uuid4().hex
    claims = {"iss": ISSUER, "sub": user["id"], "role": user["role"], "email": user["email"],
              "type": kind, "jti": jti, "iat": now, "exp": int(now) + ttl}
    return jwt.encode(claims, _secret(), algorithm=ALGORITHM), jti


def _token_pair(user: dict[str, Any]) -> dict[str, Any]:
    settings = container.current().settings
    now = time.time()
    access, _ = _issue(user, "access", settings.access_token_ttl_seconds, now)
    refresh, _ = _issue(user, "refresh", settings.refresh_token_ttl_seconds, now)
    return schemas.TokenPair(access_token=access, refresh_token=refresh,
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
    user = container.current().db.run(lambda conn: auth_store.user_for_token(conn, claims["sub"], claims["jti"]))
    if user is None or not user["is_active"]:
        raise Unauthenticated("the account is disabled or no longer exists")
    if user["token_revoked"]:
        raise Unauthenticated("the token has been revoked")
    revoked_at = user["tokens_revoked_at"]
    if revoked_at is not None and float(claims["iat"]) < revoked_at.timestamp():
        raise Unauthenticated("the token was issued before the account's tokens were revoked")
    return user


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

def login(body: Any) -> dict[str, Any]:
    from ..adapters import auth_store

    request = schemas.parse(schemas.LoginRequest, body)
    email = _normalise_email(request.email)
    c = container.current()
    settings = c.settings

    count, oldest = c.db.run(lambda conn: auth_store.recent_failures(conn, email, settings.login_lockout_seconds))
    if count >= settings.login_max_failures:
        wait = settings.login_lockout_seconds
        if oldest is not None:
            wait = max(1, int(oldest.timestamp() + settings.login_lockout_seconds - time.time()) + 1)
        raise TooManyAttempts("too many failed logins; try again later", retry_after=wait,
                              details={"retry_after_seconds": wait})

    user = c.db.run(lambda conn: auth_store.user_by_email(conn, email))
    valid = _check_password(request.password, user["password_hash"] if user else _DUMMY_HASH)
    if not (user and valid and user["is_active"]):
        c.db.run(lambda conn: auth_store.record_failure(conn, email))
        raise Unauthenticated("wrong e-mail or password")
    c.db.run(lambda conn: auth_store.clear_failures(conn, email))
    return _token_pair(user)


def refresh(body: Any) -> dict[str, Any]:
    """Rotate: the presented refresh token is revoked and a new pair issued."""
    from ..adapters import auth_store

    request = schemas.parse(schemas.RefreshRequest, body)
    claims = _decode(request.refresh_token, "refresh")
    user = _live_user(claims)
    expires = datetime.fromtimestamp(claims["exp"], tz=timezone.utc)
    container.current().db.run(lambda conn: auth_store.blacklist(conn, claims["jti"], user["id"], expires))
    return _token_pair(user)


def logout(principal: Principal, authorization: str | None, body: Any) -> None:
    """Revoke the access token in use and, when given, the refresh token."""
    from ..adapters import auth_store

    request = schemas.parse(schemas.LogoutRequest, body if body is not None else {})
    revoked: list[tuple[str, datetime]] = []
    access = _decode((authorization or "").partition(" ")[2].strip(), "access")
    revoked.append((access["jti"], datetime.fromtimestamp(access["exp"], tz=timezone.utc)))
    if request.refresh_token:
        claims = _decode(request.refresh_token, "refresh")
        if claims["sub"] != principal.user_id:
            raise BadRequest("the refresh token belongs to another user")
        revoked.append((claims["jti"], datetime.fromtimestamp(claims["exp"], tz=timezone.utc)))

    def work(conn):
        for jti, expires in revoked:
            auth_store.blacklist(conn, jti, principal.user_id, expires)

    container.current().db.run(work)


def me(principal: Principal) -> dict[str, Any]:
    from ..adapters import auth_store

    authorize(principal, "read")
    user = container.current().db.run(lambda conn: auth_store.user_by_email(conn, principal.email))
    return schemas.Me(id=user["id"], email=user["email"], role=user["role"], full_name=user["full_name"]).model_dump()


def change_password(principal: Principal, body: Any) -> dict[str, Any]:
    """Set a new password; every token issued before now stops working (a fresh pair is returned)."""
    from ..adapters import auth_store

    request = schemas.parse(schemas.PasswordChangeRequest, body)
    c = container.current()
    user = c.db.run(lambda conn: auth_store.user_by_email(conn, principal.email))
    if not _check_password(request.current_password, user["password_hash"]):
        raise Unauthenticated("the current password is wrong")
    hashed = hash_password(request.new_password)
    revoked_at = datetime.now(timezone.utc)
    c.db.run(lambda conn: auth_store.set_password(conn, user["id"], hashed, revoked_at))
    return _token_pair(user)


def add_user(principal: Principal, body: Any) -> dict[str, Any]:
    authorize(principal, "manage_users")
    request = schemas.parse(schemas.UserCreateRequest, body)
    return create_user(request.email, request.password, request.role, request.full_name)


def list_users(principal: Principal) -> dict[str, Any]:
    from ..adapters import auth_store

    authorize(principal, "manage_users")
    return {"items": container.current().db.run(auth_store.list_users)}


def purge_expired_tokens() -> dict[str, int]:
    """Daily: drop blacklist rows whose tokens have expired anyway, and old failed-login rows."""
    from ..adapters import auth_store

    return container.current().db.run(lambda conn: auth_store.purge_expired(conn, 7 * 24 * 3600))
