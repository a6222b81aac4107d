"""Results: what an evaluation returns, and its JSON form (documented in docs/results.md).

The JSON is deterministic: the same rulesets and data give byte-identical output.
Decimals are written as strings ("88.5"), dates as ISO strings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
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
    trace: tuple[TraceEntry, ...]
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


# ------------------------------------------------------------------------ to JSON


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


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


def _limit_json(limit: Limit | None) -> dict[str, Any] | None:
    if limit is None:
        return None
    return {
        "scope": limit.scope,
        "owner": limit.owner,
        "per": limit.per,
        "window": limit.window,
        "bound": limit.bound,
        "value": format_decimal(limit.value),
    }


def trace_json(entry: TraceEntry) -> dict[str, Any]:
    points, nominal, limit = entry.points, entry.nominal, entry.limit
    return {
        "event": entry.event,
        "date": entry.date.isoformat(),
        "type": entry.type,
        "bucket": entry.bucket,
        "rule": entry.rule,
        "points": None if points is None else format_decimal(points),
        "nominal": None if nominal is None else format_decimal(nominal),
        "limit": None if limit is None else _limit_json(limit),
        "note": entry.note,
    }


def subject_result_json(result: SubjectResult, with_trace: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "subject": attrs.asdict(result.subject),
        "ruleset": result.ruleset,
        "score": format_decimal(result.score),
        "base": format_decimal(result.base),
        "grade": result.grade,
        "scale": result.scale,
        "categories": [
            {
                "id": c.id,
                "label": c.label,
                "score": format_decimal(c.score),
                "min": _num(c.min),
                "max": _num(c.max),
            }
            for c in result.categories
        ],
        "vetoes": [
            {
                "rule": v.rule,
                "label": v.label,
                "event": v.event,
                "date": v.date.isoformat(),
                "grade": v.grade,
                "score": _num(v.score),
            }
            for v in result.vetoes
        ],
        "adjustments": [
            {
                "rule": a.rule,
                "points": format_decimal(a.points),
                "nominal": format_decimal(a.nominal),
                "reason": a.reason,
                "reason_zh": a.reason_zh,
                "limit": _limit_json(a.limit),
            }
            for a in result.adjustments
        ],
        "events": dict(result.events),
    }
    out["measures"] = {k: _measured_json(v) for k, v in result.measures.items()}
    out["flags"] = [
        {"id": f.id, "label": f.label, "criteria": [_criterion_json(c) for c in f.criteria]}
        for f in result.flags
    ]
    out["stars"] = (
        None
        if result.stars is None
        else {
            "count": result.stars.count,
            "earned": result.stars.earned,
            "criteria": [_criterion_json(c) for c in result.stars.criteria],
            "notes": [attrs.asdict(n) for n in result.stars.notes],
        }
    )
    out["tier"] = (
        None
        if result.tier is None
        else {
            "tier": result.tier.tier,
            "earned": result.tier.earned,
            "criteria": [_criterion_json(c) for c in result.tier.criteria],
            "notes": [attrs.asdict(n) for n in result.tier.notes],
        }
    )
    out["selection"] = (
        None
        if result.selection is None
        else {
            "eligible": result.selection.eligible,
            "rank": result.selection.rank,
            "selected": result.selection.selected,
            "scope": result.selection.scope,
            "keys": dict(result.selection.keys),
            "notes": [attrs.asdict(n) for n in result.selection.notes],
        }
    )
    if with_trace:
        out["trace"] = [trace_json(t) for t in result.trace]
    return out


def scalar_json(value: Scalar) -> dict[str, Any]:
    if value is None:
        return {"type": "none", "value": None}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": format_decimal(value)}
    return {"type": "string", "value": value}


def scalar_text(value: Scalar) -> str:
    """A value as a person reads it: 0.75, true, 达标, — for not assessed."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return value


def _measured_json(m: Measured) -> dict[str, Any]:
    return {
        **scalar_json(m.value),
        "parts": {k: scalar_json(v) for k, v in m.parts.items()},
        "explanation": m.explanation,
        "explanation_zh": m.explanation_zh,
        "events": list(m.events),
        "details": [dict(d) for d in m.details],
    }


def _criterion_json(c: Criterion) -> dict[str, Any]:
    return {"id": c.id, "label": c.label, "when": c.when, "held": c.held, "values": dict(c.values)}


def run_result_json(run: RunResult, with_trace: bool = True) -> dict[str, Any]:
    return {
        "schema": run.schema,
        "engine": run.engine,
        "period": {
            "start": run.period.start.isoformat(),
            "end": run.period.end.isoformat(),
            "label": run.period.label,
        },
        "rulesets": [
            {
                "id": r.id,
                "name": r.name,
                "version": r.version,
                "sha256": r.sha256,
                "subject": r.subject,
                "extends": list(r.extends),
                "unassigned": dict(r.unassigned),
            }
            for r in run.rulesets
        ],
        "data": attrs.asdict(run.data),
        "results": [subject_result_json(r, with_trace) for r in run.results],
    }


def dumps(run: RunResult, with_trace: bool = True) -> str:
    """The run as deterministic, compact JSON text (UTF-8, Chinese kept as is)."""
    return json.dumps(run_result_json(run, with_trace), ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------------ from JSON


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _limit(raw: Mapping[str, Any] | None) -> Limit | None:
    if raw is None:
        return None
    return Limit(
        raw["scope"], raw["owner"], raw["per"], raw["window"], raw["bound"], Decimal(raw["value"])
    )


def scalar(raw: Mapping[str, Any]) -> Scalar:
    kind, value = raw["type"], raw["value"]
    if kind == "decimal":
        return Decimal(value)
    if kind == "none":
        return None
    return value  # type: ignore[no-any-return]


def _measured(raw: Mapping[str, Any]) -> Measured:
    return Measured(
        scalar(raw),
        {k: scalar(v) for k, v in raw["parts"].items()},
        raw["explanation"],
        raw["explanation_zh"],
        tuple(raw["events"]),
        tuple(raw["details"]),
    )


def _criterion(raw: Mapping[str, Any]) -> Criterion:
    return Criterion(raw["id"], raw["label"], raw["when"], raw["held"], dict(raw["values"]))


def _subject_result(raw: Mapping[str, Any]) -> SubjectResult:
    return SubjectResult(
        subject=Subject(**raw["subject"]),
        ruleset=raw["ruleset"],
        score=Decimal(raw["score"]),
        base=Decimal(raw["base"]),
        grade=raw["grade"],
        scale=raw["scale"],
        categories=tuple(
            CategoryScore(c["id"], c["label"], Decimal(c["score"]), _dec(c["min"]), _dec(c["max"]))
            for c in raw["categories"]
        ),
        vetoes=tuple(
            Veto(v["rule"], v["label"], v["event"], _date(v["date"]), v["grade"], _dec(v["score"]))
            for v in raw["vetoes"]
        ),
        adjustments=tuple(
            Adjustment(
                a["rule"],
                Decimal(a["points"]),
                Decimal(a["nominal"]),
                a["reason"],
                a["reason_zh"],
                _limit(a["limit"]),
            )
            for a in raw["adjustments"]
        ),
        events=dict(raw["events"]),
        measures={k: _measured(v) for k, v in raw.get("measures", {}).items()},
        flags=tuple(
            Flag(f["id"], f["label"], tuple(_criterion(c) for c in f["criteria"]))
            for f in raw.get("flags", ())
        ),
        stars=None
        if raw.get("stars") is None
        else Stars(
            raw["stars"]["count"],
            raw["stars"]["earned"],
            tuple(_criterion(c) for c in raw["stars"]["criteria"]),
            tuple(Note(**n) for n in raw["stars"]["notes"]),
        ),
        tier=None
        if raw.get("tier") is None
        else Tier(
            raw["tier"]["tier"],
            raw["tier"]["earned"],
            tuple(_criterion(c) for c in raw["tier"]["criteria"]),
            tuple(Note(**n) for n in raw["tier"]["notes"]),
        ),
        selection=None
        if raw.get("selection") is None
        else Selection(
            raw["selection"]["eligible"],
            raw["selection"]["rank"],
            raw["selection"]["selected"],
            raw["selection"]["scope"],
            dict(raw["selection"]["keys"]),
            tuple(Note(**n) for n in raw["selection"]["notes"]),
        ),
        trace=tuple(
            TraceEntry(
                t["event"],
                _date(t["date"]),
                t["type"],
                t["bucket"],
                t["rule"],
                _dec(t["points"]),
                _dec(t["nominal"]),
                _limit(t["limit"]),
                t["note"],
            )
            for t in raw.get("trace", ())
        ),
    )


def loads(text: str) -> RunResult:
    """Read a run back from its JSON text (the inverse of :func:`dumps`)."""
    raw = json.loads(text)
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA_VERSION:
        raise ValueError(f"not a dangjian-rules result (schema {SCHEMA_VERSION})")
    period = raw["period"]
    return RunResult(
        schema=raw["schema"],
        engine=raw["engine"],
        period=PeriodRef(_date(period["start"]), _date(period["end"]), period["label"]),
        rulesets=tuple(
            RulesetRef(
                r["id"],
                r["name"],
                r["version"],
                r["sha256"],
                r["subject"],
                dict(r["unassigned"]),
                tuple(r.get("extends", ())),
            )
            for r in raw["rulesets"]
        ),
        data=DataRef(**raw["data"]),
        results=tuple(_subject_result(r) for r in raw["results"]),
    )


def read_result(path: str | os.PathLike[str]) -> RunResult:
    """Read a result file written by ``evaluate --format json`` (e.g. last year's).

    Raises :class:`~dangjian_rules.errors.ProblemsFound` (DJ125) when it cannot be read or
    is not such a result.
    """
    from dangjian_rules.errors import Problem, ProblemsFound

    file = os.fspath(path)
    try:
        return loads(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        reason, reason_zh = f"cannot read it: {exc.strerror or exc}", "无法读取"
    except UnicodeDecodeError:
        reason, reason_zh = "it is not UTF-8 text", "不是 UTF-8 文本"
    except (ValueError, KeyError, TypeError) as exc:
        reason, reason_zh = (
            f"it is not a dangjian-rules result ({exc})",
            "不是 dangjian-rules 的结果文件",
        )
    raise ProblemsFound(
        [
            Problem(
                code="DJ125",
                message=f"the previous result {reason}",
                message_zh=f"上期结果文件{reason_zh}",
                file=file,
                hint="pass a file written by `dangjian-rules evaluate --format json`",
                hint_zh="请传入由 `dangjian-rules evaluate --format json` 生成的结果文件",
            )
        ]
    )
