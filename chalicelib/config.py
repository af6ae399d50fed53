"""Typed settings, read once from the environment.

Nothing below this module reads ``os.environ``: services and adapters receive a
``Settings`` object (tests build their own with ``Settings.from_env(env)``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any, Mapping


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    database_url: str = ""
    clickhouse_url: str = ""
    auth_secret: str = ""
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    login_max_failures: int = 5
    bcrypt_rounds: int = 12
    login_lockout_seconds: int = 300
    pg_statement_timeout_ms: int = 5000
    pg_max_retries: int = 2
    pg_pool_max_size: int = 4
    clickhouse_max_execution_time: int = 15
    # Integrations: an empty value means "not configured" -> jobs report `disabled`.
    planfact_api_key: str = ""
    planfact_base_url: str = "https://api.planfact.io"
    planfact_accounts: str = ""  # JSON {"USD": "<accountId>", ...}: the account an accrual is booked on
    planfact_projects: str = ""  # JSON {"<application_key>": "<projectId>"}; else a project titled by the key
    planfact_income_category_id: str = ""
    telegram_bot_token: str = ""
    telegram_chat_id: str = ""
    telegram_base_url: str = "https://api.telegram.org"
    r2_endpoint_url: str = ""
    r2_access_key_id: str = ""
    r2_secret_access_key: str = ""
    r2_bucket: str = ""
    didox_base_url: str = "https://api-partners.didox.uz"
    didox_partner_token: str = ""
    didox_user_key: str = ""  # a long-lived user key; used when no login (TIN + password) is configured
    didox_tin: str = ""  # the seller's TIN: the Didox login and the invoices' SellerTin
    didox_password: str = ""
    didox_locale: str = "ru"
    didox_token_ttl_seconds: int = 5 * 3600  # Didox tokens live 6 h; renew before
    didox_webhook_secret: str = ""
    # Where a person signs the e-invoice draft with the company's E-IMZO key (the link form is not in the
    # public references: check it against the live cabinet).
    didox_cabinet_url: str = "https://app.didox.uz/document/{document_id}"
    ses_sender: str = ""
    gotenberg_url: str = ""
    pdf_renderer: str = "weasyprint"
    pdf_renderer_function: str = ""  # PDF_RENDERER=lambda: the renderer function's name or ARN
    pdf_renderer_endpoint_url: str = ""  # a local Lambda endpoint (make run); empty in AWS
    # Deployed stages: the Secrets Manager secret holding the secret settings as a JSON object
    # ({"DATABASE_URL": ..., "AUTH_SECRET": ...}), read at run time and re-read after this many seconds.
    secrets_id: str = ""
    secrets_max_age_seconds: int = 300
    jobs_queue_url: str = ""
    jobs_queue_name: str = "proxima-invoice-jobs"
    aws_endpoint_url: str = ""
    public_base_url: str = "http://localhost:8000"
    integration_timeout_seconds: int = 15
    log_level: str = "INFO"
    # Registry export: a file whose body takes at most this much inside the Lambda response (base64 for
    # XLSX, escaped JSON text for CSV) is the response itself; a larger one goes to R2 and the response is
    # a short-lived link. Lambda's response payload limit is 6,291,456 bytes: this leaves room for headers.
    export_inline_max_bytes: int = 5_000_000
    export_link_ttl_seconds: int = 900

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(**_typed(cls, env))

    def overlaid(self, values: Mapping[str, Any]) -> "Settings":
        """These settings with ``values`` (upper-case setting names, as in the environment) on top."""
        unknown = sorted(set(values) - {f.name.upper() for f in fields(self)})
        if unknown:  # a misspelt key would silently leave a default in place
            raise ValueError(f"the settings secret has keys that are no setting: {unknown}")
        return replace(self, **_typed(type(self), {k: str(v) for k, v in values.items()}))


def _typed(cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields(cls):
        raw = env.get(f.name.upper())
        if raw is None:
            continue
        values[f.name] = int(raw) if f.type == "int" else raw
    return values


@lru_cache(maxsize=1)
def _environment_settings() -> Settings:
    return Settings.from_env()


def get_settings() -> Settings:
    """The environment's settings, with the secret ones from Secrets Manager when ``SECRETS_ID`` names a
    secret. Powertools Parameters caches the secret for ``secrets_max_age_seconds``; after that the next call
    reads it again, so a rotated secret is picked up without a redeploy (``container.current`` rebuilds
    its pools when the settings changed)."""
    base = _environment_settings()
    if not base.secrets_id:
        return base
    from aws_lambda_powertools.utilities import parameters

    secret = parameters.get_secret(base.secrets_id, transform="json", max_age=base.secrets_max_age_seconds)
    # Called on every container.current(): while Powertools hands back the same cached object, so do we
    # (no new Settings per call, and container.current compares by identity first).
    cached = _overlaid.get(base.secrets_id)
    if cached is None or cached[0] is not secret:
        cached = _overlaid[base.secrets_id] = (secret, base.overlaid(secret))
    return cached[1]


_overlaid: dict[str, tuple[Any, Settings]] = {}


get_settings.cache_clear = _environment_settings.cache_clear  # type: ignore[attr-defined]  # CLI, make run
