"""Didox document status codes and what each one does to an invoice: the one owner of that mapping.

Codes follow references/integrations.md § Didox, "Document status codes" (Didox's docs and two
independent clients agree; ``mirzaevoff/didox``'s enum differs and loses): 0 draft · 1 waiting for the
partner's (buyer's) signature · 2 waiting for your signature · 3 signed by both · 4 rejected by the partner
· 5 deleted · 6 / 60 waiting for an agent · 8 signed by agent · 40 invalid · 50 annulled by the tax
committee · 55 draft deleted. "Unknown codes must not be treated as a final state": they map to nothing.

The poll (primary) and the callback (secondary) both go through ``decide``, so they cannot disagree, and
both accept only known codes and never move an invoice backwards (issue 16 item 7 is done here, once).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .status import ACCEPTED, AWAITING_SIGNATURE, PAID, SENT

# code -> (our name for the document state, its progress rank: a lower rank never replaces a higher one)
CODES: dict[int, tuple[str, int]] = {
    0: ("draft", 0),                        # created, not signed by us: nothing is delivered
    2: ("awaiting_our_signature", 0),       # waiting for *our* (the seller's) E-IMZO signature
    6: ("awaiting_agent", 1),
    60: ("awaiting_agent", 1),
    1: ("awaiting_buyer_signature", 2),     # we signed: the buyer has it now
    8: ("signed_by_agent", 2),
    3: ("signed", 3),                       # signed by both: accepted
    4: ("rejected", 3),                     # rejected by the buyer
    5: ("deleted", 3),
    55: ("draft_deleted", 3),
    40: ("invalid", 3),
    50: ("annulled", 4),                    # the tax committee may annul even a signed document
}
NAMES = {name for name, _ in CODES.values()}
RANK_BY_NAME = {name: rank for name, rank in CODES.values()}

# Document states that need people to act: recorded on the invoice with an event and a Telegram alert
# saying what happened to the e-invoice.
ALERT_WORDS = {"rejected": "was rejected by the buyer", "annulled": "was annulled by the tax committee",
               "deleted": "was deleted in Didox", "draft_deleted": "was deleted in Didox as a draft",
               "invalid": "was marked invalid by Didox"}
ALERTING = frozenset(ALERT_WORDS)


class UnknownDidoxStatus(ValueError):
    """A code Didox's documentation does not list: logged, never applied."""


def parse_code(raw: Any) -> int:
    """The integer code of a Didox status (``3`` or ``"3"``); anything else is ``UnknownDidoxStatus``."""
    if isinstance(raw, bool):
        raise UnknownDidoxStatus(f"Didox status {raw!r} is not a code")
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or raw not in CODES:
        raise UnknownDidoxStatus(f"Didox status {raw!r} is not one of the documented codes "
                                 f"{', '.join(str(c) for c in sorted(CODES))}")
    return raw


def name_of(code: int) -> str:
    return CODES[code][0]


@dataclass(frozen=True)
class Decision:
    """What a Didox state does to one invoice.

    ``record``: store the new document state on the invoice (``didox_status``); ``to_status``: the invoice
    status to move to (None: stays); ``alert``: tell the finance chat; ``outcome``: a word for the log, the
    receipt and the poll's counts."""

    outcome: str
    record: bool = False
    to_status: str | None = None
    alert: bool = False


def decide(invoice_status: str, recorded: str | None, code: int) -> Decision:
    """The effect of Didox code ``code`` on an invoice in ``invoice_status`` whose last recorded document
    state is ``recorded`` (one of ``NAMES``, or None/legacy text)."""
    name = name_of(code)
    rank = CODES[code][1]
    before = RANK_BY_NAME.get(recorded or "", -1)
    if recorded == name:
        return Decision("unchanged")
    if rank < before or (rank == before and recorded in ALERTING | {"signed"}):
        # A late poll page or a replayed callback telling an older story: never move backwards, and a
        # final state is not replaced by another final state of the same rank.
        return Decision("stale")
    if name == "signed":
        if invoice_status in (AWAITING_SIGNATURE, SENT):
            return Decision("accepted", record=True, to_status=ACCEPTED)
        if invoice_status in (ACCEPTED, PAID):
            return Decision("already_accepted", record=True)
        return Decision("recorded", record=True)
    if name in ("awaiting_buyer_signature", "signed_by_agent", "awaiting_agent"):
        if invoice_status == AWAITING_SIGNATURE:
            return Decision("sent", record=True, to_status=SENT)
        return Decision("recorded", record=True)
    if name in ALERTING:
        # A rejection or an annulment proves the buyer had the document: an invoice still shown as waiting
        # for our signature (the poll missed code 1) is moved to sent first.
        delivered = name in ("rejected", "annulled") and invoice_status == AWAITING_SIGNATURE
        return Decision(name, record=True, alert=True, to_status=SENT if delivered else None)
    # draft / awaiting_our_signature: what ``send`` already shows (awaiting signature)
    return Decision("recorded", record=True)

