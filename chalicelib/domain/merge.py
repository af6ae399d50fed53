"""Regenerating a hand-edited draft (issue 15): a three-way merge of its lines and header fields.

* **base** — the draft as it was generated (kept when it is generated; for a draft made before that was
  kept, rebuilt from the current lines by undoing the edit history: :func:`reconstruct_base`);
* **ours** — the draft as the user edited it (the current lines, by line id);
* **theirs** — the draft the engine computes now from the current source.

Base and ours are matched by line id; base and theirs by :func:`~chalicelib.domain.drift.line_key`
(what the engine groups a line by). Per field, as in any three-way merge: a field only the source
changed takes the source's value, a field only the user changed keeps the edit, a field both changed
to different values is a **conflict**, returned for the user to resolve and never overwritten. A line
the user deleted whose source changed, and a line the user edited that the source no longer produces,
are conflicts too (field ``line``). Untouched lines follow the source, including being removed; new
source lines are added; lines the user added stay. What a line was computed from (minutes, worklogs,
trace) always follows the source, and the amount is always quantity × unit price.

Pure: the service loads the three, calls :func:`merge`, and writes what it returns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from .drift import line_key
from .errors import ValidationFailed
from .invoice import LINE_FIELDS, price_line
from .money import to_decimal

HEADER_FIELDS = ("vat_rate", "contract_number", "contract_date")  # the header fields the source sets
SOURCE_FIELDS = ("raw_minutes", "billed_minutes", "worklog_ids", "trace")  # what a line was computed from
_NUMERIC = {"quantity", "unit_price", "multiplier", "vat_rate", "amount"}
_DATES = {"contract_date", "issue_date", "due_date"}
OURS, THEIRS = "ours", "theirs"


def normalize(name: str, value: Any) -> Any:
    """Values as comparable: 40 == 40.00 == "40.00"; dates from their ISO text (the history stores JSON)."""
    if value is None:
        return None
    if name in _NUMERIC:
        return to_decimal(value).normalize()
    if name in _DATES and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _same(name: str, a: Any, b: Any) -> bool:
    return normalize(name, a) == normalize(name, b)


@dataclass(frozen=True)
class Conflict:
    """An edited value the source also changed. ``id`` is what a resolution names."""

    id: str
    line_id: str | None
    key: str | None
    field: str
    base: Any
    ours: Any
    theirs: Any
    line: str | None = None  # the line's description as the user sees it, to tell which one

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "line_id": self.line_id, "key": self.key, "line": self.line, "field": self.field,
                "base": self.base, "ours": self.ours, "theirs": self.theirs}


@dataclass
class MergeResult:
    """What to write: lines to update (by id, with the changed values), add, delete; header values;
    what each change was (``changes``: field, before, after, line_id, why); and the open conflicts."""

    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    additions: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    # line id (or "new:<index of additions>") -> the key of the source line it now follows (the new base)
    follows: dict[str, str] = field(default_factory=dict)
    updated_lines: int = 0

    def summary(self) -> dict[str, Any]:
        return {"updated_lines": self.updated_lines, "added_lines": len(self.additions),
                "deleted_lines": len(self.deletions), "header_fields": sorted(self.header),
                "kept_edits": sum(1 for c in self.changes if c["why"] == "kept_edit"),
                "resolved_conflicts": len(self.resolved), "conflicts": [c.to_dict() for c in self.conflicts]}


def _keyed(lines: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Theirs by key; a (pathological) repeated key gets an occurrence suffix so nothing is lost."""
    out: dict[str, Mapping[str, Any]] = {}
    for line in lines:
        key = line_key(line)
        unique, n = key, 1
        while unique in out:
            n += 1
            unique = f"{key}#{n}"
        out[unique] = line
    return out


def merge(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any],
          resolutions: Mapping[str, str] | None = None) -> MergeResult:
    """``base``: ``{"header": {...}, "lines": [{"id", "key", fields...}]}`` (base lines carry the id of the
    draft line they became and the key of the source line they came from); ``ours``: ``{"header",
    "lines": [{"id", fields...}]}``; ``theirs``: ``{"header", "lines": [engine lines]}``.
    ``resolutions`` maps conflict ids to ``"ours"`` or ``"theirs"``."""
    resolutions = dict(resolutions or {})
    result = MergeResult()
    _merge_header(base["header"], ours["header"], theirs["header"], resolutions, result)

    their_lines = _keyed(theirs["lines"])
    our_lines = {line["id"]: line for line in ours["lines"]}
    claimed: set[str] = set()

    for b in base["lines"]:
        key = b["key"]
        line_id = b.get("id")  # None: a source line the user deleted before (the deletion is their edit)
        t = their_lines.get(key)
        o = our_lines.get(line_id) if line_id else None
        if t is not None:
            claimed.add(key)
        source_changed = t is None or any(not _same(f, b.get(f), t.get(f)) for f in LINE_FIELDS)
        if o is None:  # the user deleted it
            if t is not None and source_changed:
                _line_conflict(result, resolutions, line_id, key, b, None, t, on_theirs=lambda: _add(result, t, key))
            continue
        user_changed = any(not _same(f, b.get(f), o.get(f)) for f in LINE_FIELDS)
        if t is None:  # the source no longer produces it
            if user_changed:
                _line_conflict(result, resolutions, line_id, key, b, o, None,
                               on_theirs=lambda: _delete(result, line_id, o))
            else:
                _delete(result, line_id, o)
            continue
        _merge_line(result, resolutions, line_id, key, b, o, t)

    for key, t in their_lines.items():
        if key not in claimed:
            _add(result, t, key)
    unknown = set(resolutions) - {c["conflict"] for c in result.resolved}
    if unknown:
        raise ValidationFailed("a resolution names no conflict of this regeneration",
                               details=[{"field": "resolutions", "problem": f"unknown conflict {c}"}
                                        for c in sorted(unknown)])
    return result


def _resolve(resolutions: Mapping[str, str], conflict: Conflict, result: MergeResult) -> str | None:
    choice = resolutions.get(conflict.id)
    if choice is None:
        result.conflicts.append(conflict)
        return None
    result.resolved.append({"conflict": conflict.id, "take": choice, "line_id": conflict.line_id,
                            "field": conflict.field, "ours": conflict.ours, "theirs": conflict.theirs})
    return choice


def _merge_header(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any],
                  resolutions: Mapping[str, str], result: MergeResult) -> None:
    for name in HEADER_FIELDS:
        b, o, t = base.get(name), ours.get(name), theirs.get(name)
        if _same(name, b, t) or _same(name, o, t):
            continue  # the source did not move, or the user already has its value
        if _same(name, b, o):
            result.header[name] = t
            result.changes.append({"field": name, "before": o, "after": t, "line_id": None, "why": "source"})
            continue
        conflict = Conflict(f"header:{name}", None, None, name, b, o, t, "invoice header")
        if _resolve(resolutions, conflict, result) == THEIRS:
            result.header[name] = t
            result.changes.append({"field": name, "before": o, "after": t, "line_id": None, "why": "resolved"})


def _merge_line(result: MergeResult, resolutions: Mapping[str, str], line_id: str, key: str,
                b: Mapping[str, Any], o: Mapping[str, Any], t: Mapping[str, Any]) -> None:
    values: dict[str, Any] = {}
    for name in LINE_FIELDS:
        bv, ov, tv = b.get(name), o.get(name), t.get(name)
        if _same(name, bv, tv):
            if not _same(name, bv, ov):
                result.changes.append({"field": name, "before": ov, "after": ov, "line_id": line_id,
                                       "why": "kept_edit"})
            continue
        if _same(name, ov, tv):
            continue
        if _same(name, bv, ov):
            values[name] = tv
            continue
        conflict = Conflict(f"{line_id}:{name}", line_id, key, name, bv, ov, tv, o.get("description"))
        if _resolve(resolutions, conflict, result) == THEIRS:
            values[name] = tv
    # Unit price follows an explicit value; price_line would otherwise rescale it by a multiplier change.
    if "multiplier" in values and "unit_price" not in values:
        values["unit_price"] = o.get("unit_price")
    priced = price_line(values, o) if values else dict(o)
    for name in SOURCE_FIELDS:
        if name in t:
            priced[name] = t[name]
    update = {name: priced[name] for name in (*LINE_FIELDS, "amount") if not _same(name, o.get(name), priced[name])}
    for name, value in update.items():
        result.changes.append({"field": name, "before": o.get(name), "after": value, "line_id": line_id,
                               "why": "source"})
    if update:
        result.updated_lines += 1
    update.update({name: priced[name] for name in SOURCE_FIELDS if name in t})
    result.updates[line_id] = update
    result.follows[line_id] = key


def _line_conflict(result: MergeResult, resolutions: Mapping[str, str], line_id: str, key: str,
                   b: Mapping[str, Any], o: Mapping[str, Any] | None, t: Mapping[str, Any] | None,
                   on_theirs) -> None:
    view = lambda line: None if line is None else {f: line.get(f) for f in (*LINE_FIELDS, "amount")}  # noqa: E731
    conflict = Conflict(f"{line_id or key}:line", line_id, key, "line", view(b), view(o), view(t),
                        (o or b).get("description"))
    choice = _resolve(resolutions, conflict, result)
    if choice == THEIRS:
        on_theirs()
    elif choice == OURS and o is not None:
        result.follows[line_id] = key  # kept as edited; still the same source line


def _add(result: MergeResult, line: Mapping[str, Any], key: str) -> None:
    added = {f: line[f] for f in (*LINE_FIELDS, "amount", *SOURCE_FIELDS) if f in line}
    result.follows[f"new:{len(result.additions)}"] = key
    result.additions.append(added)
    result.changes.append({"field": "line", "before": None,
                           "after": {f: line.get(f) for f in (*LINE_FIELDS, "amount")}, "line_id": None,
                           "why": "source"})


def _delete(result: MergeResult, line_id: str, line: Mapping[str, Any]) -> None:
    result.deletions.append(line_id)
    result.changes.append({"field": "line", "before": {f: line.get(f) for f in (*LINE_FIELDS, "amount")},
                           "after": None, "line_id": line_id, "why": "source"})


def reconstruct_base(lines: Sequence[Mapping[str, Any]], header: Mapping[str, Any],
                     history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The draft as generated, from the current one and its edit history (oldest first): each field
    takes the ``before`` of its first edit; a line whose first record is its addition was not generated;
    a deleted line comes back from the ``before`` of its deletion."""
    first: dict[tuple[str | None, str], Any] = {}
    added: set[str] = set()
    deleted: dict[str, Mapping[str, Any]] = {}
    for row in history:
        line_id, name = row.get("line_id"), row["field"]
        if name == "line":
            if row.get("before") is None and line_id not in deleted and (line_id, "line") not in first:
                added.add(line_id)
            elif row.get("after") is None:
                deleted[line_id] = row["before"]
        first.setdefault((line_id, name), row.get("before"))
    base_lines = []
    for line in [*lines, *({"id": i, **v} for i, v in deleted.items())]:
        if line["id"] in added:
            continue
        restored = dict(line)
        for name in LINE_FIELDS:
            if (line["id"], name) in first:
                restored[name] = first[(line["id"], name)]
        restored["key"] = line_key(restored)
        base_lines.append(restored)
    base_header = {name: first.get((None, name), header.get(name)) for name in HEADER_FIELDS}
    return {"header": base_header, "lines": base_lines}


def new_base(theirs: Mapping[str, Any], follows: Mapping[str, str], added_ids: Sequence[str]) -> dict[str, Any]:
    """The base of the next regeneration: the source's lines, each under the draft line id that now
    follows it (``follows`` from :func:`merge`, its ``new:<n>`` entries resolved with ``added_ids``)."""
    by_key = _keyed(theirs["lines"])
    lines = []
    for ref, key in follows.items():
        line_id = added_ids[int(ref[4:])] if ref.startswith("new:") else ref
        if key in by_key:
            lines.append({"id": line_id, "key": key,
                          **{f: by_key[key].get(f) for f in (*LINE_FIELDS, "amount")}})
    for key in set(by_key) - set(follows.values()):  # deleted by the user and left deleted
        lines.append({"id": None, "key": key, **{f: by_key[key].get(f) for f in (*LINE_FIELDS, "amount")}})
    return {"header": {name: theirs["header"].get(name) for name in HEADER_FIELDS}, "lines": lines}
