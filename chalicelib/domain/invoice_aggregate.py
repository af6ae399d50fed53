"""The invoice aggregate: the one place an invoice changes status (DESIGN §4).

Modelled on cosmicpython's ``domain/model.py`` (``Product.allocate`` checks its rule, changes its state and
appends to ``self.events``): each transition method checks the status machine (``domain.status``) and the
rules of ``domain.invoice``, changes the invoice, and records the ``invoice_events`` rows and the outbox
jobs it causes. It does no I/O: ``adapters.invoice_store.get`` loads it under the row lock and
``invoice_store.save`` writes what it recorded, in the transaction of the command (the unit of work).
The API's commands (``services.lifecycle``) and Didox's document states (``services.webhooks``, the
callback and the poll) go through the same methods.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from . import didox
from . import events
from . import invoice as rules
from .access import SYSTEM, Principal
from .drift import MarginCheck
from .errors import Conflict, ValidationFailed
from .events import Event
from .jobs import ALERT, APPROVAL_JOBS, DELIVERY_JOBS, RENDER_PDF
from .status import ACCEPTED, DRAFT, SENT, check_action, next_status

# The column each transition stamps with the time it happened.
STAMPS = {"approve": "approved_at", "send": "sent_at", "accept": "accepted_at", "pay": "paid_at",
          "cancel": "cancelled_at", "didox_signed": "accepted_at", "didox_delivered": "sent_at"}

DEFAULT_INVOICE_PREFIX, DEFAULT_CREDIT_NOTE_PREFIX = "PRX", "CN"  # DESIGN §4


@dataclass(frozen=True)
class OutboxJob:
    """One ``integration_jobs`` row to insert with the change that causes it (its key makes it once only)."""

    job_type: str
    idempotency_key: str
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class NewInvoice:
    """An invoice to insert: header, lines and its ``created`` event."""

    header: dict[str, Any]
    lines: list[dict[str, Any]]
    created: Event


@dataclass
class Invoice:
    """An invoice as stored (``row``, with its ``lines``) plus what a transition changed and recorded.

    ``changes`` are the columns to write; ``bumps_version`` is whether they move the ETag (a status or
    content change does; a note of Didox's document state does not); ``events`` and ``jobs`` are written
    with them, in order."""

    row: Mapping[str, Any]
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    jobs: list[OutboxJob] = field(default_factory=list)
    bumps_version: bool = False

    # --- reading ------------------------------------------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        return self.changes[name] if name in self.changes else self.row[name]

    @property
    def id(self) -> str:
        return self.row["id"]

    @property
    def status(self) -> str:
        return self["status"]

    @property
    def kind(self) -> str:
        return self.row["kind"]

    @property
    def number(self) -> str | None:
        return self["number"]

    @property
    def lines(self) -> Sequence[Mapping[str, Any]]:
        return self.row["lines"]

    @property
    def version(self) -> int:
        """The version the invoice has once the recorded changes are saved."""
        return self.row["version"] + (1 if self.bumps_version else 0)

    def as_dict(self) -> dict[str, Any]:
        """The invoice as it stands with the changes applied (for rules that read a mapping)."""
        return {**self.row, **self.changes}

    def check_version(self, expected: int | None) -> None:
        """``If-Match``: the caller acts on the version it read (when it named one)."""
        if expected is not None:
            rules.check_version(self.row["version"], expected)

    # --- the API's transitions ----------------------------------------------------------------------

    def finalize(self, actor: Principal, at: datetime, *, customer: Mapping[str, Any],
                 settings: Mapping[str, Any], credit_room: Decimal | None,
                 e_invoice_problems: Callable[[Mapping[str, Any]], list[dict[str, Any]]],
                 take_number: Callable[[str, int], int]) -> None:
        """draft → needs_review: the content must be complete and printable, a resident's e-invoice
        buildable (``e_invoice_problems``, asked only once the rules before it hold); then the next number
        of the yearly series (``take_number(series, year)``, the repository's gapless series under its
        lock, asked last so a refused finalize holds no series lock) unless a rejected invoice keeps the
        one it was given; the customer as billed is frozen; the PDF is queued for the new version."""
        check_action(self.status, "finalize")
        view = self.as_dict()
        rules.check_finalizable(self.kind, view, self.lines, credit_room=credit_room)
        rules.check_documentable(view, self.lines, customer, settings.get("company"),
                                 settings.get("mxik_codes"), settings.get("unit_codes"))
        problems = e_invoice_problems(view)
        if problems:
            raise ValidationFailed("the e-invoice for Didox cannot be built from this invoice: "
                                   + "; ".join(f"{p['field']}: {p['problem']}" for p in problems),
                                   details=problems)
        number = self.number
        if number is None:
            series = rules.series_for(self.kind, settings.get("invoice_prefix", DEFAULT_INVOICE_PREFIX),
                                      settings.get("credit_note_prefix", DEFAULT_CREDIT_NOTE_PREFIX))
            year = self["issue_date"].year
            sequence = take_number(series, year)
            number = rules.format_number(series, year, sequence)
            self._change(number=number, number_year=year, number_seq=sequence)
        before = self.status
        after = next_status(before, "finalize")
        self._change(status=after, customer_snapshot=dict(customer), customer_name=customer["name"],
                     finalized_by=actor.user_id or None, finalized_at=at, status_reason=None, pdf_data=None,
                     pdf_sha256=None)
        self._record(events.FINALIZED, actor, before, after, number=number, total=self["total"],
                     currency=self["currency"])
        self.jobs.append(OutboxJob(RENDER_PDF.name, f"{RENDER_PDF.name}:{self.id}:{self.version}"))

    def approve(self, actor: Principal, at: datetime, *, reason: str, separation_of_duties: bool,
                margin: MarginCheck | None, margin_reason_required: bool) -> None:
        """needs_review → approved: the PDF exists, four eyes (when the setting is on), and under the margin
        floor a ``margin_below_floor`` event (with the reason given; required when the setting says so,
        issue 15); queues the archive, accounting and chat jobs (DESIGN §4)."""
        check_action(self.status, "approve")
        if self["pdf_sha256"] is None:
            raise Conflict("the PDF of this invoice is not rendered yet; approve it once the PDF exists",
                           details={"reason": "pdf_missing"})
        rules.check_separation_of_duties(separation_of_duties, self["finalized_by"], actor.user_id)
        if margin is not None and margin.below_floor:
            if margin_reason_required and not reason:
                raise ValidationFailed(
                    f"the margin of this invoice ({margin.margin_pct}%) is below the floor of {margin.floor_pct}%: "
                    "give a reason to approve it",
                    details=[{"field": "reason", "problem": "required below the margin floor",
                              "margin": margin.to_dict()}])
            self._record(events.MARGIN_BELOW_FLOOR, actor, self.status, self.status, **margin.to_dict(),
                         reason=reason)
        self._move("approve", actor, at, approved_by=actor.user_id or None)
        self.jobs.extend(OutboxJob(job_type, f"{job_type}:{self.id}") for job_type in APPROVAL_JOBS)

    def reject(self, actor: Principal, at: datetime, *, reason: str) -> None:
        """needs_review → draft with a reason; the number stays, the PDF and snapshot go (re-made on
        finalize)."""
        check_action(self.status, "reject")
        self._move("reject", actor, at, payload={"reason": reason}, status_reason=reason, pdf_data=None,
                   pdf_sha256=None, customer_snapshot=None, finalized_by=None, finalized_at=None)

    def send(self, actor: Principal, at: datetime) -> None:
        """approved → sent by e-mail; a resident's → awaiting_signature: the Didox e-invoice is a draft
        until the seller signs it (references/integrations.md § Didox, "Creating makes a draft")."""
        check_action(self.status, "send")
        channel = "didox" if (self["customer_snapshot"] or {}).get("is_resident") else "email"
        self._move("send", actor, at, channel=channel)
        delivery = DELIVERY_JOBS[channel]
        self.jobs.append(OutboxJob(delivery, f"{delivery}:{self.id}"))

    def accept(self, actor: Principal, at: datetime, *, didox_state: Mapping[str, Any] | None = None) -> None:
        """sent → accepted, by hand; or by Didox's "signed by both" (code 3) with ``didox_state`` (what
        Didox reported), then also from awaiting_signature: the buyer may sign before a poll saw code 1."""
        action = "didox_signed" if didox_state is not None else "accept"
        check_action(self.status, action)
        self._move(action, actor, at, payload=didox_state)

    def pay(self, actor: Principal, at: datetime, *, paid_on: date, reference: str | None,
            reason: str | None) -> None:
        """accepted → paid, on a date not before the invoice's."""
        check_action(self.status, "pay")
        rules.check_paid_on(paid_on, self["issue_date"])
        self._move("pay", actor, at, payload={"paid_on": paid_on, "reference": reference, "reason": reason})

    def cancel(self, actor: Principal, at: datetime, *, reason: str) -> None:
        """draft | needs_review → cancelled with a reason; a number already given stays used (gapless)."""
        check_action(self.status, "cancel")
        self._move("cancel", actor, at, payload={"reason": reason}, status_reason=reason)

    def credit(self, actor: Principal, *, reason: str, today: date) -> NewInvoice:
        """A draft credit note for this invoice: its lines negated, dated ``today`` (approved and later;
        a credit note is not credited itself). Once it is stored, ``credit_note_created`` records it here."""
        check_action(self.status, "credit-note")
        if self.kind != rules.INVOICE:
            raise Conflict("a credit note cannot itself be credited; correct the original invoice",
                           details={"kind": self.kind})
        lines = rules.credit_note_lines(self.lines)
        totals = rules.totals_for(lines, self["vat_rate"])
        header = {
            "kind": rules.CREDIT_NOTE, "corrects_id": self.id, "source": "credit_note", "status": DRAFT,
            **{k: self[k] for k in ("application_key", "customer_key", "customer_name", "period", "deal_type",
                                    "currency", "payment_terms", "contract_number", "contract_date",
                                    "vat_rate", "data_as_of")},
            "issue_date": today, "due_date": today,
            "notes": f"Corrects invoice {self.number}. {reason}",
            "subtotal": totals.subtotal, "vat_amount": totals.vat_amount, "total": totals.total,
            "created_by": actor.user_id or None,
        }
        created = Event(events.CREATED, actor.user_id, actor.email, None, DRAFT,
                        {"source": "credit_note", "corrects": self.number, "reason": reason, "total": totals.total})
        return NewInvoice(header, lines, created)

    def credit_note_created(self, actor: Principal, credit_note_id: str, *, reason: str, total: Decimal) -> None:
        self._record(events.CREDIT_NOTE_CREATED, actor, self.status, self.status, credit_note_id=credit_note_id,
                     reason=reason, total=total)

    # --- Didox's document states --------------------------------------------------------------------

    def apply_didox_state(self, code: int, *, origin: Mapping[str, Any], at: datetime) -> str:
        """React to Didox's documented status ``code`` of this invoice's e-invoice (``domain.didox.decide``:
        never backwards). "Signed by both" is the same ``accept`` as the API's; a document the buyer has
        moves awaiting_signature → sent; a state that needs people is recorded with an event, a status
        reason and an alert job. Returns the outcome word (``domain.didox.Decision.outcome``)."""
        decision = didox.decide(self.status, self["didox_status"], code)
        if not decision.record:
            return decision.outcome
        name = didox.name_of(code)
        state = {"didox_code": code, "didox_status": name, "previous": self["didox_status"], **origin}
        self._note(didox_status=name)
        if decision.to_status == ACCEPTED:
            self.accept(SYSTEM, at, didox_state=state)
        elif decision.to_status == SENT:
            self._move("didox_delivered", SYSTEM, at, payload=state)
        elif decision.to_status is not None:
            raise ValueError(f"no transition to {decision.to_status} from a Didox state")
        if decision.alert:
            self._record(events.didox_document(name), SYSTEM, self.status, self.status, **state)
            self._note(status_reason=f"Didox: document {name} (code {code})")
            text = (f"Didox: e-invoice {self.number} ({self['customer_name'] or self['customer_key']}, "
                    f"{self['total']} {self['currency']}) {didox.ALERT_WORDS[name]}. "
                    "It needs a credit note or a corrected invoice.")
            self.jobs.append(OutboxJob(ALERT.name, f"alert:didox:{self['didox_document_id']}:{code}", {"text": text}))
        elif decision.to_status is None:
            self._record(events.didox_document(name), SYSTEM, self.status, self.status, **state)
        return decision.outcome

    # --- recording ----------------------------------------------------------------------------------

    def _move(self, action: str, actor: Principal, at: datetime, *, channel: str | None = None,
              payload: Mapping[str, Any] | None = None, **values: Any) -> None:
        """A status change with its stamp, other ``values`` and its event (the number first in the payload)."""
        before = self.status
        after = next_status(before, action, channel=channel)
        if action in STAMPS:
            values[STAMPS[action]] = at
        self._change(status=after, **values)
        self._record(events.BY_ACTION[action], actor, before, after, number=self.number, **(payload or {}))

    def _change(self, **values: Any) -> None:
        self.changes.update(values)
        self.bumps_version = True

    def _note(self, **values: Any) -> None:
        """Bookkeeping that does not change the invoice a reader holds (its ETag stays)."""
        self.changes.update(values)

    def _record(self, name: str, actor: Principal, before: str | None, after: str | None, **payload: Any) -> None:
        self.events.append(Event(name, actor.user_id or None, actor.email, before, after, payload))

