"""Source drift (issue 15): what an invoice billed against what the source says now, per line and per worklog.

Pure: the service gives the billed lines (the invoice's, plus those of its live corrections) with their
traces, and the lines the billing engine computes today from the current worklogs with the same rules;
this module compares them.

How the money moves, per line (lines are matched by :func:`line_key`, what the engine groups a line by):

* an hourly line present on both sides: the change of billed minutes, priced at the price the invoice
  printed (``line_amount(Δhours, unit_price)``). A price edited by hand before finalizing is kept, and a
  quantity edited by hand is not mistaken for drift: only what the source changed moves money;
* a fee line (unit ``month`` or ``fixed``) on both sides: no money — a retainer or fixed fee does not
  follow the minutes (its minutes are reported);
* a line only in the recomputation (new work in a new category, or a new overage line): its amount;
* a line only on the invoice, with worklogs behind it, that the source no longer supports: minus the
  amount of its traced minutes (hourly) or minus its amount (fee). Lines added by hand (no worklogs) are
  not the source's to drift and are left out.

VAT is charged once on the net delta (rule 10), as on any invoice.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from .billing import hours_from_minutes, line_amount
from .money import ZERO, percent_of, round_money, to_decimal

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
UNIT_HOUR = "hour"


def line_key(line: Mapping[str, Any]) -> str:
    """What identifies a generated line across recomputations: the engine groups hourly lines by
    (category, rate, multiplier) and prints rate × multiplier as the unit price; fee lines by category
    and unit. The same key is used by the three-way merge of a regenerated draft."""
    multiplier = to_decimal(line.get("multiplier") or 1).normalize()
    price = to_decimal(line.get("unit_price") or 0).normalize()
    if line.get("unit") != UNIT_HOUR:
        price = Decimal(0)  # a fee line is the contract's one fee line of its category, whatever the fee
    return f"{line.get('category', '')}|{line.get('unit', '')}|{multiplier:f}|{price:f}"


@dataclass(frozen=True)
class DriftThresholds:
    """When the daily check records a drift: ``|money| >= money`` or changed minutes ``>= minutes``."""

    money: Decimal = Decimal("1.00")
    minutes: int = 15


@dataclass
class _Side:
    """One side of a line: its printed values and the minutes per worklog behind it."""

    line: Mapping[str, Any] | None = None
    amount: Decimal = ZERO
    minutes: dict[int, int] = field(default_factory=dict)
    raw: dict[int, Decimal] = field(default_factory=dict)
    info: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    sources: int = 0  # worklogs or traced entries behind it (0 = a line added by hand)

    def add(self, line: Mapping[str, Any], *, primary: bool) -> None:
        if primary or self.line is None:
            self.line = line
        self.amount += to_decimal(line.get("amount") or 0)
        self.sources += len(line.get("worklog_ids") or []) + len(line.get("trace") or [])
        for entry in line.get("trace") or []:
            wid = int(entry["worklog_id"])
            self.minutes[wid] = self.minutes.get(wid, 0) + int(entry["billed_minutes"])
            self.raw[wid] = self.raw.get(wid, Decimal(0)) + to_decimal(entry.get("raw_minutes") or 0)
            self.info.setdefault(wid, entry)

    @property
    def billed_minutes(self) -> int:
        return sum(self.minutes.values())


def _sides(lines: Iterable[Mapping[str, Any]], corrections: Iterable[Mapping[str, Any]] = ()) -> dict[str, _Side]:
    sides: dict[str, _Side] = defaultdict(_Side)
    for line in lines:
        sides[line_key(line)].add(line, primary=True)
    for line in corrections:
        sides[line_key(line)].add(line, primary=False)
    return sides


def _line_delta(before: _Side | None, after: _Side | None) -> Decimal:
    """The money a line moved (see the module docstring)."""
    line = (before or after).line
    hourly = line.get("unit") == UNIT_HOUR
    if before is None:
        return round_money(after.amount)
    if after is None:
        if hourly:
            return -line_amount(hours_from_minutes(before.billed_minutes), to_decimal(line["unit_price"]))
        return -round_money(before.amount)
    if not hourly:
        return ZERO
    delta_hours = hours_from_minutes(after.billed_minutes) - hours_from_minutes(before.billed_minutes)
    return line_amount(delta_hours, to_decimal(before.line["unit_price"]))


def compare(billed_lines: Sequence[Mapping[str, Any]], current_lines: Sequence[Mapping[str, Any]], *,
            vat_rate: Decimal, currency: str, correction_lines: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The drift report: ``lines`` (per line key, minutes and money before → after), ``worklogs``
    (added / removed / changed, minutes before → after, on which line), and the totals.

    ``billed_lines`` and ``correction_lines`` carry ``trace`` entries (``worklog_id``, ``billed_minutes``,
    ``raw_minutes``); a correction's trace minutes are signed (a credit note's are negative)."""
    before = _sides(billed_lines, correction_lines)
    after = _sides(current_lines)
    lines_out = []
    for key in sorted(set(before) | set(after), key=lambda k: _order(k, before, after)):
        b, a = before.get(key), after.get(key)
        if a is None and b is not None and b.sources == 0:
            continue  # added by hand: not the source's
        delta = _line_delta(b, a)
        minutes_before = b.billed_minutes if b else 0
        minutes_after = a.billed_minutes if a else 0
        if delta == ZERO and _nonzero(b) == _nonzero(a):
            continue
        line = (b or a).line
        lines_out.append({
            "key": key, "kind": ADDED if b is None else REMOVED if a is None else CHANGED,
            "line_id": (b.line.get("id") if b else None),
            "category": line.get("category"), "description": line.get("description"), "unit": line.get("unit"),
            "unit_price": to_decimal((b or a).line.get("unit_price") or 0),
            "multiplier": to_decimal(line.get("multiplier") or 1),
            "billed_minutes_before": minutes_before, "billed_minutes_after": minutes_after,
            "quantity_before": hours_from_minutes(minutes_before), "quantity_after": hours_from_minutes(minutes_after),
            "amount_before": round_money(b.amount) if b else ZERO,
            "amount_after": round_money(a.amount) if a else ZERO,
            "money_delta": delta,
        })
    worklogs = _worklog_changes(before, after)
    subtotal_delta = round_money(sum((line["money_delta"] for line in lines_out), ZERO)) + ZERO
    vat_delta = percent_of(subtotal_delta, to_decimal(vat_rate)) + ZERO  # + ZERO: never "-0.00"
    minutes_changed = sum(abs(w["billed_minutes_after"] - w["billed_minutes_before"]) for w in worklogs)
    return {
        "currency": currency,
        "lines": lines_out,
        "worklogs": worklogs,
        "counts": {kind: sum(1 for w in worklogs if w["kind"] == kind) for kind in (ADDED, REMOVED, CHANGED)},
        "billed_minutes_before": sum(s.billed_minutes for s in before.values()),
        "billed_minutes_after": sum(s.billed_minutes for s in after.values()),
        "minutes_changed": minutes_changed,
        "subtotal_delta": subtotal_delta,
        "vat_delta": vat_delta,
        "total_delta": subtotal_delta + vat_delta,
        "direction": direction(subtotal_delta),
    }


def _nonzero(side: _Side | None) -> dict[int, int]:
    """The minutes per worklog, a worklog credited back to zero counting as absent."""
    return {} if side is None else {wid: m for wid, m in side.minutes.items() if m}


def _order(key: str, before: Mapping[str, _Side], after: Mapping[str, _Side]) -> tuple:
    line = (before.get(key) or after.get(key)).line
    return (0 if key in before else 1, int(line.get("position") or 0), key)


def _worklog_changes(before: Mapping[str, _Side], after: Mapping[str, _Side]) -> list[dict[str, Any]]:
    """Per worklog: the minutes billed for it before and after, summed over lines, and where it sits."""
    def per_worklog(sides: Mapping[str, _Side]):
        minutes: dict[int, int] = defaultdict(int)
        raw: dict[int, Decimal] = defaultdict(Decimal)
        lines: dict[int, list[str]] = defaultdict(list)
        info: dict[int, Mapping[str, Any]] = {}
        for key, side in sides.items():
            for wid, value in side.minutes.items():
                minutes[wid] += value
                raw[wid] += side.raw.get(wid, Decimal(0))
                if value:
                    lines[wid].append(key)
                info.setdefault(wid, side.info[wid])
        return minutes, raw, lines, info

    b_min, b_raw, b_lines, b_info = per_worklog(before)
    a_min, a_raw, a_lines, a_info = per_worklog(after)
    out = []
    for wid in sorted(set(b_min) | set(a_min)):
        was, now = b_min.get(wid, 0), a_min.get(wid, 0)
        present_before, present_after = wid in b_min and was != 0, wid in a_min and now != 0
        if not present_before and not present_after:
            continue
        if present_before and present_after and was == now and sorted(b_lines[wid]) == sorted(a_lines[wid]):
            continue
        kind = ADDED if not present_before else REMOVED if not present_after else CHANGED
        entry = a_info.get(wid) or b_info[wid]
        out.append({
            "worklog_id": wid, "kind": kind, "issue_key": entry.get("issue_key"),
            "author_name": entry.get("author_name"), "work_date": entry.get("work_date"),
            "billed_minutes_before": was, "billed_minutes_after": now,
            "raw_minutes_before": b_raw.get(wid, Decimal(0)), "raw_minutes_after": a_raw.get(wid, Decimal(0)),
            "lines_before": sorted(b_lines.get(wid, [])), "lines_after": sorted(a_lines.get(wid, [])),
        })
    return out


def direction(delta: Decimal) -> str:
    """``over_billed`` (the invoice asked too much: credit note), ``under_billed`` (supplement) or ``none``."""
    return "under_billed" if delta > 0 else "over_billed" if delta < 0 else "none"


def exceeds(report: Mapping[str, Any], thresholds: DriftThresholds) -> bool:
    """Whether the daily check records this drift."""
    money = abs(to_decimal(report["subtotal_delta"]))
    return (money > 0 and money >= thresholds.money) or (
        report["minutes_changed"] > 0 and report["minutes_changed"] >= thresholds.minutes)


def fingerprint(report: Mapping[str, Any]) -> str:
    """The same worklog changes give the same fingerprint: the daily check records a drift once, and an
    acknowledged one stays acknowledged until the source moves again."""
    import hashlib

    parts = sorted(f"{w['worklog_id']}:{w['billed_minutes_before']}>{w['billed_minutes_after']}"
                   for w in report["worklogs"])
    parts.append(f"money:{report['subtotal_delta']}")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:32]


# --- corrections ---------------------------------------------------------------------------------

def correction_lines(report: Mapping[str, Any], *, credit: bool) -> list[dict[str, Any]]:
    """The lines of the correction a drift proposes: for a credit note the over-billed lines
    (negative quantity at the printed price), for a supplementary invoice the under-billed ones.
    Each carries the worklogs that moved, their minutes signed (a credit note's are negative), so the
    next drift check counts the correction as billed."""
    lines = []
    for line in report["lines"]:
        delta = to_decimal(line["money_delta"])
        if (credit and delta >= 0) or (not credit and delta <= 0):
            continue
        moved = [w for w in report["worklogs"] if line["key"] in w["lines_before"] or line["key"] in w["lines_after"]]
        minutes = line["billed_minutes_after"] - line["billed_minutes_before"]
        hourly = line["unit"] == UNIT_HOUR
        if hourly:
            quantity = hours_from_minutes(minutes)
            price = to_decimal(line["unit_price"])
        else:  # a fee line added or dropped: the whole fee
            quantity = Decimal("1.00") if delta > 0 else Decimal("-1.00")
            price = abs(delta)
        trace = [{"worklog_id": w["worklog_id"], "issue_key": w["issue_key"], "author_name": w["author_name"],
                  "work_date": w["work_date"],
                  "raw_minutes": str(to_decimal(w["raw_minutes_after"]) - to_decimal(w["raw_minutes_before"])),
                  "billed_minutes": w["billed_minutes_after"] - w["billed_minutes_before"],
                  "worklog_billed_minutes": w["billed_minutes_after"], "split": False, "rate_rule_id": None}
                 for w in moved if w["billed_minutes_after"] != w["billed_minutes_before"]]
        lines.append({
            "position": len(lines) + 1, "category": line["category"],
            "description": f"{line['description']} — {'hours credited' if credit else 'additional hours'}"
                           if hourly else line["description"],
            "quantity": quantity, "unit": line["unit"], "unit_price": price,
            "multiplier": to_decimal(line["multiplier"]), "amount": line_amount(quantity, price),
            "raw_minutes": abs(minutes), "billed_minutes": abs(minutes),
            "worklog_ids": [t["worklog_id"] for t in trace], "trace": trace,
        })
    return lines


# --- the margin guardrail -----------------------------------------------------------------------

@dataclass(frozen=True)
class MarginCheck:
    revenue: Decimal
    cost: Decimal
    cost_rate: Decimal
    hours: Decimal
    margin: Decimal
    margin_pct: Decimal | None
    floor_pct: Decimal
    below_floor: bool

    def to_dict(self) -> dict[str, Any]:
        return {"revenue": self.revenue, "cost": self.cost, "cost_rate": self.cost_rate, "hours": self.hours,
                "margin": self.margin, "margin_pct": self.margin_pct, "floor_pct": self.floor_pct,
                "below_floor": self.below_floor}


def blended_cost_rate(roles: Iterable[Mapping[str, Any]], overhead_pct: Any = 0) -> Decimal | None:
    """The cost of an hour from a quote's roles (calculator lines ``hours``, ``cost_rate``), overhead
    included, weighted by hours (DESIGN §6: cost = Σ hours · cost_rate · (1 + o/100))."""
    hours = cost = Decimal(0)
    for role in roles:
        h = to_decimal(role.get("hours") or 0)
        hours += h
        cost += h * to_decimal(role.get("cost_rate") or 0)
    if hours <= 0:
        return None
    return round_money(cost / hours * (1 + to_decimal(overhead_pct or 0) / 100))


def margin_check(subtotal: Any, billed_minutes: int, cost_rate: Decimal, floor_pct: Decimal) -> MarginCheck:
    """The invoice's margin: revenue is its net subtotal, cost the worked hours behind its lines at the
    contract's cost rate; below the floor when the margin percentage is under it (or revenue is nil)."""
    revenue = round_money(to_decimal(subtotal))
    hours = hours_from_minutes(billed_minutes)
    cost = round_money(hours * cost_rate)
    margin = revenue - cost
    pct = round_money(margin / revenue * 100) if revenue > 0 else None
    below = pct is None or pct < floor_pct
    return MarginCheck(revenue, cost, cost_rate, hours, margin, pct, floor_pct, below)
