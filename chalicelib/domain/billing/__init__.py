"""Prefill billing rules (DESIGN §3): from worklog facts to a priced draft, with nothing but arithmetic.

Everything here is pure (standard library only). The package follows the rules' seams:

* ``period`` — the billing month (rule 1);
* ``inputs`` — deal types and names, the read models the services hand in, the settings;
* ``rules`` — rules 1-7, one function each, and their per-case memo for a month;
* ``caps`` — rule 8, an HR hours limit or a SUP allowance consumed in processing order;
* ``lines`` — rules 9-10, printed lines with their trace, prices and totals;
* ``results`` — rules 10-11, the draft, its hours, left-out report and warnings;
* ``engine`` — the one path every invoice takes: rules decided per case in Python, applied to every
  worklog by ClickHouse (adapters/clickhouse.py), priced by ``lines`` and ``results``;
* ``reference`` — :func:`compute_draft`, the same rules worklog by worklog in Python: the reference the
  engine is tested against, on no service path.

Each rule of §3 is a small function so that it can be tested on its own and reused
(``recompute_totals`` and ``line_amount`` are also what invoice editing uses, so an edited draft is
rounded exactly like a prefilled one). Modules use each other's public names only; this ``__init__``
re-exports them, so ``from chalicelib.domain.billing import X`` keeps working.

Decisions where DESIGN §3 is silent (also described where they are coded):

* Time is kept as whole seconds and whole billed minutes; hours and money are derived from them with
  a single ``ROUND_HALF_UP`` to 2 places, so nothing depends on float or on summation order.
* A worklog whose billable time is 0 (Tempo's explicit "not billable", ``billable_seconds = 0``, or an
  empty worklog) is billed 0 minutes: ``min_billable_minutes`` does not lift it. They are counted in a
  warning.
* Left out (rule 3): project classification is checked before employee exclusion, so a worklog is
  counted once. Their hours are the rule-4 time (``s``), not billed minutes: no rate rule applies to
  work that is not billed. ``over_limit`` hours are billed minutes (the cap is on billed minutes).
* The HR cap and the SUP allowance are measured in billed minutes (after rule 6). A worklog that
  crosses the line is split; its raw time is attributed to the billed part first, so the part beyond
  the line carries only the rounding of the crossing worklog when the raw time fits within the line.
* ``included_hours`` may be fractional (``10.33`` h = 619.8 min): the allowance is rounded *up* to
  whole minutes, in the customer's favour. A SUP contract with no ``included_hours`` includes nothing.
* ``hours_limit`` caps HR contracts only, as DESIGN places it under HR.
* SUP without ``monthly_fee`` or FP without ``fixed_amount`` cannot be billed: 422.
* The time covered by the SUP retainer is reported in ``included_hours`` ({count, hours}) and in the
  trace of the retainer line; the FP fixed line's trace holds every counted worklog and ``hours``
  reports logged/billable/billed hours for every deal type. Neither is mixed into ``left_out``, whose
  three keys keep the §8 shape.
* Line ``raw_minutes`` is a whole number (the database column is INTEGER): Σ raw seconds / 60 rounded
  half up. The per-worklog trace keeps raw minutes to 2 places (and the raw seconds they come from,
  which is what a saved line stores: ``lines.Trace``).
* Facts outside the contract's projects or the period are ignored and counted in a warning (the reader
  should not send them); a repeated ``worklog_id`` is a reader bug and raises ``ValueError``.
"""
from __future__ import annotations

from .period import (  # noqa: F401
    Period,
)
from .inputs import (  # noqa: F401
    BILLABLE, BillingSettings, CLASSIFICATIONS, CLASSIFIED_PROJECTS, DEFAULT_CATEGORY_MAP, EXCLUDED_EMPLOYEES,
    EmployeeExclusion, FIXED_PRICE, FP, HR, INTERNAL, LEFT_OUT_KEYS, MULTIPLIER_PLACES, ONE, OTHER_WORK,
    OVERHEAD, OVER_LIMIT, RETAINER, RateRule, SUP, UNIT_FIXED, UNIT_HOUR, UNIT_MONTH, UNKNOWN_ISSUE_TYPE,
    WorklogFact,
)
from .rules import (  # noqa: F401
    BillingTerms, PROCESSING_ORDER, PeriodRules, billed_minutes, category_for, classification_of,
    ensure_billable_contract, in_scope, is_excluded, issue_type_of, left_out_reason, processing_order,
    resolve_terms, rule_matches, select_rate_rule, worklog_seconds,
)
from .caps import (  # noqa: F401
    Portion, PricedWorklog, allowance_minutes, split_at,
)
from .lines import (  # noqa: F401
    DraftLine, LineSummary, TRACE_DICTIONARY_COLUMNS, TRACE_PLAIN_COLUMNS, Totals, Trace, TraceEntry, decode_trace,
    describe_hourly_line, encode_trace, fee_line, fixed_price_description, hourly_lines, hours_from_minutes,
    hours_from_seconds, line_amount, number_lines, price_fee_line, price_hourly_lines, raw_minutes_of,
    recompute_totals, trace_rows, unit_price_for, whole_minutes,
)
from .results import (  # noqa: F401
    DraftResult, HoursSummary, HoursTally, WorkNotes, assemble_draft,
)
from .reference import (  # noqa: F401
    compute_draft,
)

