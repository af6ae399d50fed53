"""The job registry (domain/jobs.py ``JOB_TYPES``) is the one declaration of the job types: what lifecycle
queues, what the runner can run, which effects may not be repeated and what the console labels all
derive from it or are checked against it here. (The database's CHECK is checked in
tests/integration/test_jobs.py, against the real migrated schema.)"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain import jobs as policy

ROOT = Path(__file__).resolve().parents[2]


def test_names_are_unique_and_key_the_registry():
    declared = [value for value in vars(policy).values() if isinstance(value, policy.JobType)]
    assert len({job.name for job in declared}) == len(declared)
    assert sorted(policy.JOB_TYPES) == sorted(job.name for job in declared)
    assert all(policy.JOB_TYPES[job.name] is job for job in declared)


def test_what_approve_and_send_queue_is_the_contract():
    # DESIGN §4: "On approve: jobs archive_r2, planfact_sync, telegram_notify. On send: deliver_didox
    # (resident) or deliver_email."
    assert policy.APPROVAL_JOBS == ("archive_r2", "planfact_sync", "telegram_notify")
    assert dict(policy.DELIVERY_JOBS) == {"didox": "deliver_didox", "email": "deliver_email"}
    assert [job.name for job in policy.JOB_TYPES.values() if job.queued_on == policy.FINALIZE] == ["render_pdf"]


def test_only_effects_that_cannot_be_looked_up_are_not_repeatable():
    # DESIGN §4: R2 has a deterministic key, PlanFact and Didox a look-up before create; a Telegram message
    # and an e-mail have none, so a lost answer must not be followed by a second send.
    assert policy.NOT_REPEATABLE == {"telegram_notify", "deliver_email", "alert"}
    assert policy.NOT_REPEATABLE == {name for name, job in policy.JOB_TYPES.items() if not job.repeatable}
    assert {job.effect.integration for job in policy.JOB_TYPES.values()
            if job.name in policy.NOT_REPEATABLE} == {"telegram", "email"}


def test_an_undeclared_type_is_a_permanent_failure():
    with pytest.raises(policy.UnknownJobType) as caught:
        policy.job_type("fax_invoice")
    assert isinstance(caught.value, policy.PermanentError)
    failure = policy.classify(caught.value)
    assert failure.permanent and "fax_invoice" in failure.message
    assert policy.job_type("alert") is policy.ALERT


def test_bind_refuses_a_table_that_misses_or_invents_a_type():
    table = {job: job.name.upper() for job in policy.JOB_TYPES.values()}
    assert policy.bind(table) == {name: name.upper() for name in policy.JOB_TYPES}
    missing = {job: h for job, h in table.items() if job is not policy.ALERT}
    with pytest.raises(ValueError, match="missing \\['alert'\\]"):
        policy.bind(missing)
    with pytest.raises(ValueError, match="unknown \\['fax_invoice'\\]"):
        policy.bind({**table, policy.JobType("fax_invoice"): "FAX"})
    with pytest.raises(ValueError, match="unknown \\['alert'\\]"):  # a look-alike, not the declared one
        policy.bind({**missing, policy.JobType("alert"): "ALERT"})


def test_the_runner_has_a_handler_for_every_declared_type():
    from chalicelib.services import jobs

    handlers = jobs.handlers()
    assert sorted(handlers) == sorted(policy.JOB_TYPES)
    assert all(callable(handler) for handler in handlers.values())


@pytest.mark.parametrize("exc, permanent, retry_after", [
    (policy.TransientError("HTTP 503", retry_after=7), False, 7),
    (policy.OutcomeUnknown("read timeout"), False, None),
    (policy.PermanentError("HTTP 400", 400), True, None),
    (policy.NotConfigured("didox", ["DIDOX_TIN"]), True, None),
    (KeyError("number"), False, None),  # a bug or a database error: retried, then failed with an alert
])
def test_one_error_family_classified_once(exc, permanent, retry_after):
    failure = policy.classify(exc)
    assert (failure.permanent, failure.retry_after) == (permanent, retry_after)
    assert failure.message


def test_the_error_family_is_one_tree():
    assert issubclass(policy.OutcomeUnknown, policy.TransientError)
    assert issubclass(policy.NotConfigured, policy.PermanentError)
    assert issubclass(policy.UnknownJobType, policy.PermanentError)
    assert {cls.__base__ for cls in (policy.TransientError, policy.PermanentError)} == {policy.JobError}
    from chalicelib.adapters import integration

    # the adapters' contract module has no error classes of its own any more
    own = [name for name, value in vars(integration).items() if isinstance(value, type)
           and issubclass(value, Exception) and value.__module__ == integration.__name__]
    assert own == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_console_labels_every_job_type(language):
    catalog = json.loads((ROOT / "frontend" / "src" / "i18n" / f"{language}.json").read_text(encoding="utf-8"))
    labels = catalog["jobs"]
    assert [name for name in policy.JOB_TYPES if not labels.get(name)] == []
