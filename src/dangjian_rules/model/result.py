"""Results: what an evaluation returns (documented in docs/results.md).

Their JSON form (``dumps``, ``loads``, ``read_result``) is made by the one converter, in
``dangjian_rules.convert.results``; here are only the classes and how a value reads as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

SCHEMA_VERSION = "dangjian-rules/result/1"

#: The accounting buckets every event of a subject falls into; they add up to the total.
BUCKETS: tuple[str, ...] = (
    "counted",  # fully counted
    "partial",  # counted in part: a cap, category bound or score bound bit
    "capped",  # not counted at all: a cap or bound was already reached
    "veto",  # matched a one-vote veto rule
    "measured",  # no points rule claimed it, but a measure (cadence, checklist …) used it
    "unmatched",  # approved and in the period, but no rule or measure used it
    "pending",  # not yet approved (待审核)
    "returned",  # returned by the reviewer (退回)
    "outside_period",  # dated outside the evaluated period
)

BUCKET_ZH: Mapping[str, str] = {
    "counted": "计分",
    "partial": "部分计分",
    "capped": "超出封顶未计",
    "veto": "一票否决",
    "measured": "用于指标",
    "unmatched": "无对应规则",
    "pending": "待审核",
    "returned": "已退回",
    "outside_period": "不在考核期内",
}


class Limit(NamedTuple):
    """The bound that cut an award: a rule or category cap, or a category/score bound."""

    scope: str  # "rule" | "category" | "score"
    owner: str  # the rule or category id ("score" for the overall bounds)
    per: str | None  # window kind for caps; None for category/score bounds
    window: str | None  # window label, e.g. "2015-03"
    bound: str  # "max" or "min"
    value: Decimal


class TraceEntry(NamedTuple):
    """What happened to one event."""

    event: str
    date: dt.date
    type: str
    bucket: str
    rule: str | None
    points: Decimal | None  # what counted (signed); None when nothing was applied
    nominal: Decimal | None  # what the rule would give before caps (signed)
    limit: Limit | None
    note: str | None = None


@attrs.frozen
class Subject:
    kind: str
    id: str
    name: str
    organization: str | None
    status: str | None = None


@attrs.frozen
class CategoryScore:
    id: str
    label: str
    score: Decimal
    min: Decimal | None
    max: Decimal | None


@attrs.frozen
class Veto:
    rule: str
    label: str
    event: str
    date: dt.date
    grade: str | None
    score: Decimal | None


@attrs.frozen
class Adjustment:
    """A subject-level change a rule made at the period's end (not tied to one event)."""

    rule: str
    points: Decimal  # what counted (signed)
    nominal: Decimal  # what the rule asked for
    reason: str
    reason_zh: str
    limit: Limit | None


#: A measure value in JSON: {"type": "decimal"|"boolean"|"string"|"none", "value": …}
Scalar = Decimal | bool | str | None


@attrs.frozen
class Measured:
    """A measure's value for the subject, with its explanation (see measures.py)."""

    value: Scalar
    #: named parts, readable in conditions as measure.<id>.<part>
    parts: Mapping[str, Scalar] = attrs.field(factory=dict)
    #: one line a person reads, in English and Chinese
    explanation: str = ""
    explanation_zh: str = ""
    #: the records the value was computed from
    events: tuple[str, ...] = ()
    #: JSON-ready details: windows met or missed, checklist items, members counted …
    details: tuple[Mapping[str, Any], ...] = ()


@attrs.frozen
class Note:
    """One step of a verdict, in words: why a star was limited, stripped, demoted …"""

    code: str  # e.g. "veto", "previous_limit", "quota", "requires"
    text: str
    text_zh: str


@attrs.frozen
class Criterion:
    """A star level or a named star: whether it held, with the figures it looked at."""

    id: str
    label: str
    when: str
    held: bool
    values: Mapping[str, str]  # "measure.life" → "0.75"


@attrs.frozen
class Stars:
    count: int
    earned: int  # before veto, previous-period limits and quota
    criteria: tuple[Criterion, ...]
    notes: tuple[Note, ...]


@attrs.frozen
class Tier:
    tier: str
    earned: str  # before limits against the previous period
    criteria: tuple[Criterion, ...]
    notes: tuple[Note, ...]


@attrs.frozen
class Selection:
    eligible: bool
    rank: int | None  # among the eligible of its scope; None if not eligible
    selected: bool
    scope: str | None  # the organization whose subtree it was ranked in (None: all)
    keys: Mapping[str, str]  # the rank_by values, as text
    notes: tuple[Note, ...]


@attrs.frozen
class Flag:
    id: str
    label: str
    criteria: tuple[Criterion, ...]


@attrs.frozen
class SubjectResult:
    """One subject's result under one ruleset, with its full explanation."""

    subject: Subject
    ruleset: str
    score: Decimal
    base: Decimal
    grade: str | None
    scale: str | None
    categories: tuple[CategoryScore, ...]
    vetoes: tuple[Veto, ...]
    adjustments: tuple[Adjustment, ...]
    events: Mapping[str, int]
    trace: tuple[TraceEntry, ...] = ()  # empty in a summary (``--summary``)
    measures: Mapping[str, Measured] = attrs.field(factory=dict)
    flags: tuple[Flag, ...] = ()
    stars: Stars | None = None
    tier: Tier | None = None
    selection: Selection | None = None


@attrs.frozen
class RulesetRef:
    id: str
    name: str
    version: str
    sha256: str
    subject: str
    #: events not in any result of this ruleset: reason → count
    unassigned: Mapping[str, int]
    #: the baselines it extends, nearest first (sha256 covers their sources too)
    extends: tuple[str, ...] = ()


@attrs.frozen
class DataRef:
    sha256: str
    organizations: int
    members: int
    events: int


@attrs.frozen
class PeriodRef:
    start: dt.date
    end: dt.date
    label: str


@attrs.frozen
class RunResult:
    """Everything one evaluation produced, with its provenance."""

    schema: str
    engine: str
    period: PeriodRef
    rulesets: tuple[RulesetRef, ...]
    data: DataRef
    results: tuple[SubjectResult, ...]

    def for_subject(self, subject_id: str, ruleset: str | None = None) -> SubjectResult:
        for result in self.results:
            if result.subject.id == subject_id and (ruleset is None or result.ruleset == ruleset):
                return result
        raise KeyError(subject_id)


# ------------------------------------------------------------------------ as text


_FORMATTED: dict[Decimal, str] = {}


def format_decimal(value: Decimal) -> str:
    """A decimal as plain text: no exponent, no needless trailing zeros ("1.50" → "1.5")."""
    # Equal decimals print the same, so a small cache by value is safe; a card has few
    # distinct point values and this runs once per traced event.
    text = _FORMATTED.get(value)
    if text is None:
        if value == value.to_integral_value():
            text = str(value.quantize(Decimal(1)))
        else:
            text = format(value.normalize(), "f")
        if len(_FORMATTED) < 10_000:
            _FORMATTED[value] = text
    return text


def scalar_text(value: Scalar) -> str:
    """A value as a person reads it: 0.75, true, 达标, — for not assessed."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return value
