"""JSON with exact numbers: Decimals become decimal strings, never floats."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse JSON keeping every number exact (floats arrive as Decimal)."""
    return json.loads(text, parse_float=Decimal)


# --- request bodies ------------------------------------------------------------------------------
# What a client sends is parsed here, once, for the API edge and the Didox callback alike: too deep a
# nesting, a duplicate key, NaN/Infinity and text no database can store are the client's mistakes (400
# naming the field), never a RecursionError or a driver error later on.

_SPECIAL = re.compile(rb'[\[\]{}"\\]')
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = b"[{", b"]}", 0x22, 0x5C


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def nesting_depth(raw: bytes, stop_above: int | None = None) -> int:
    """How deep ``raw`` JSON nests, scanning only brackets, quotes and backslashes (no recursion).

    Stops counting once the depth passes ``stop_above``: a hostile body costs no more than a limit's worth.
    """
    depth = deepest = 0
    in_string = False
    escaped = -1
    for match in _SPECIAL.finditer(raw):
        at = match.start()
        char = raw[at]
        if in_string:
            if at == escaped:
                continue
            if char == _BACKSLASH:
                escaped = at + 1
            elif char == _QUOTE:
                in_string = False
        elif char == _QUOTE:
            in_string = True
        elif char in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:  # ] or } (a backslash outside a string is a syntax error json.loads reports)
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def unstorable_field(value: Any, path: str = "") -> str | None:
    """Where ``value`` holds text no database can store: a NUL character or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "(body)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(body)"
        return None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        found = unstorable_field(key, name) if isinstance(key, str) else None
        found = found or unstorable_field(item, name)
        if found:
            return found
    return None


def refuse_unstorable_text(value: Any) -> None:
    """400 for text PostgreSQL cannot hold (NUL) or UTF-8 cannot encode, before any service sees it.

    Checked once at the edge rather than in every model: otherwise the driver refuses it mid-transaction
    and the caller gets a 500 for what is plainly a bad request.
    """
    from .domain.errors import BadRequest

    field = unstorable_field(value)
    if field is not None:
        problem = "text may not contain NUL characters or unpaired surrogates"
        raise BadRequest(f"{field}: {problem}",
                         details=[{"field": field, "problem": problem, "type": "string_unstorable"}])


def parse_request(raw: bytes | str) -> Any:
    """A request body as JSON with exact numbers, or the 400 that says what is wrong with it."""
    from .domain.errors import BadRequest
    from .domain.limits import MAX_JSON_DEPTH

    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if nesting_depth(data, stop_above=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        problem = f"nested more than {MAX_JSON_DEPTH} levels deep"
        raise BadRequest(f"the request body is {problem}",
                         details=[{"field": "(body)", "problem": problem, "type": "json_too_deep"}])
    try:
        body = json.loads(data, parse_float=Decimal, parse_constant=_no_constant,
                          object_pairs_hook=_no_duplicates)
    except DuplicateKey as exc:
        raise BadRequest(f"the request body gives {exc.key!r} twice",
                         details=[{"field": exc.key, "problem": "duplicate key", "type": "json_duplicate_key"}]
                         ) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("the request body is not valid JSON", details={"reason": str(exc)}) from None
    refuse_unstorable_text(body)
    return body
