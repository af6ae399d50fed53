"""The integrations that perform the job types' external effects: the job runner's one call.

Which integration and action a job type needs is declared once, in ``domain.jobs.JOB_TYPES``; this
module builds the adapters. Build one ``ExternalEffects`` per process and reuse it (the Didox login token
and the PlanFact project look-ups are cached in the adapters). ``perform`` returns the result to store on
the job, or the ``disabled`` result when the integration is not configured, and raises the
``domain.jobs.JobError`` family for the runner to schedule or fail the job.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..config import Settings
from ..domain import jobs as policy
from ..domain.jobs import NotConfigured
from .integration import Integration


class ExternalEffects:
    def __init__(self, settings: Settings, **adapters: Integration):
        self.settings = settings
        self._adapters: dict[str, Integration] = dict(adapters)

    def adapter(self, name: str) -> Integration:
        if name not in self._adapters:
            self._adapters[name] = _FACTORIES[name](self.settings)
        return self._adapters[name]

    @property
    def r2(self) -> Any:
        return self.adapter("r2")

    @property
    def planfact(self) -> Any:
        return self.adapter("planfact")

    @property
    def telegram(self) -> Any:
        return self.adapter("telegram")

    @property
    def didox(self) -> Any:
        return self.adapter("didox")

    @property
    def email(self) -> Any:
        return self.adapter("email")

    def perform(self, job_type: str, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Perform job ``job_type``'s declared effect; ``alert`` takes ``{"text": ...}``, the others the
        frozen invoice."""
        effect = policy.job_type(job_type).effect
        if effect is None:
            raise ValueError(f"job type {job_type!r} has no external effect")
        adapter = self.adapter(effect.integration)
        if not adapter.configured:
            return adapter.disabled_result()
        try:
            return adapter.perform(effect.action, payload, idempotency_key=idempotency_key)
        except NotConfigured:
            return adapter.disabled_result()


def _r2(settings: Settings) -> Integration:
    from .r2 import R2Archive

    return R2Archive(settings)


def _planfact(settings: Settings) -> Integration:
    from .planfact import PlanFactSync

    return PlanFactSync(settings)


def _telegram(settings: Settings) -> Integration:
    from .telegram import TelegramNotifier

    return TelegramNotifier(settings)


def _didox(settings: Settings) -> Integration:
    from .didox import DidoxDelivery

    return DidoxDelivery(settings)


def _email(settings: Settings) -> Integration:
    from .email import SesMailer

    return SesMailer(settings)


_FACTORIES: dict[str, Callable[[Settings], Integration]] = {
    "r2": _r2, "planfact": _planfact, "telegram": _telegram, "didox": _didox, "email": _email}
