"""湖滨区 (Hubin district) plugin: the 民生问题台账, an issue ledger of contact cadres.

In 湖滨's 蹲点联户促发展, each cadre keeps a ledger of the livelihood problems
(民生问题) of the households they visit.  This plugin adds:

* the rule kind ``ledger``: per issue resolved by the period's end, points (more if
  resolved quickly); per issue still open at the period's end, a deduction (the
  "加减法"); and at the period's end a bonus or deduction by the resolution rate;
* the condition function ``workdays(start, end)``: working days (Mon–Fri) from one
  date to another, both included;
* the ruleset ``hubin.ledger`` (illustrative), available by id once installed;
* the check ``HB101``: a ledger that deducts more for an open issue than it gives for a
  resolved one rewards cadres for not recording problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from importlib.resources import files
from typing import Any

from dangjian_rules.plugin import (
    DATE,
    DECIMAL,
    Award,
    BuildContext,
    EndContext,
    Event,
    Function,
    Option,
    Period,
    Positions,
    Problem,
    RuleKind,
    RuleOptionError,
    Ruleset,
    SubjectChange,
    hookimpl,
)

__version__ = "0.1.0"

ZERO = Decimal(0)


def workdays(start: dt.date, end: dt.date) -> Decimal:
    """Working days (Monday to Friday) from ``start`` to ``end``, both included."""
    if end < start:
        return ZERO
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    weekday = start.weekday()
    for offset in range(rest):
        if (weekday + offset) % 7 < 5:
            count += 1
    return Decimal(count)


def _resolved_by(event: Event, period: Period) -> bool:
    return event.end is not None and event.end <= period.end


def build_ledger(options: Mapping[str, Any], context: BuildContext) -> Award:
    resolved: Decimal = options["resolved_points"]
    open_points: Decimal = options.get("open_points", ZERO)
    fast_days: Decimal | None = options.get("fast_days")
    fast_points: Decimal = options.get("fast_points", ZERO)
    target: Decimal | None = options.get("rate_target")
    rate_points: Decimal = options.get("rate_points", ZERO)
    if (fast_days is None) != (options.get("fast_points") is None):
        raise RuleOptionError(
            "fast_days and fast_points go together",
            "fast_days 与 fast_points 须同时填写",
            "fast_days",
            "write both, e.g. fast_days = 15 and fast_points = 0.5, or neither",
            "请同时填写，如 fast_days = 15、fast_points = 0.5，或都不写",
        )
    if (target is None) != (options.get("rate_points") is None):
        raise RuleOptionError(
            "rate_target and rate_points go together",
            "rate_target 与 rate_points 须同时填写",
            "rate_target",
            "write both, e.g. rate_target = 0.8 and rate_points = 2, or neither",
            "请同时填写，如 rate_target = 0.8、rate_points = 2，或都不写",
        )
    if target is not None and not ZERO < target <= 1:
        raise RuleOptionError(
            f"rate_target is a share between 0 and 1, got {target}",
            f"rate_target 是 0 到 1 之间的比例，实际为 {target}",
            "rate_target",
            "write 0.8 for 80%",
            "80% 请写作 0.8",
        )

    def amount(event: Event, period: Period) -> Decimal | None:
        if not _resolved_by(event, period):
            return -open_points
        assert event.end is not None
        quick = fast_days is not None and (event.end - event.date).days <= fast_days
        return resolved + (fast_points if quick else ZERO)

    def finish(
        counted: Sequence[tuple[Event, Decimal]], context: EndContext
    ) -> list[SubjectChange]:
        if target is None or not counted:
            return []
        done = sum(1 for event, _ in counted if _resolved_by(event, context.period))
        rate = Decimal(done) / Decimal(len(counted))
        shown = f"{done}/{len(counted)}"
        if rate >= target:
            return [
                SubjectChange(
                    rate_points,
                    f"resolution rate {shown} reaches the target {target:%}",
                    f"办结率 {shown} 达到目标 {target:%}",
                )
            ]
        return [
            SubjectChange(
                -rate_points,
                f"resolution rate {shown} is below the target {target:%}",
                f"办结率 {shown} 低于目标 {target:%}",
            )
        ]

    parts = [f"+{resolved} per issue resolved"]
    parts_zh = [f"每办结一件 +{resolved} 分"]
    if fast_days is not None:
        parts.append(f"+{fast_points} more within {fast_days} days")
        parts_zh.append(f"{fast_days} 天内办结再 +{fast_points} 分")
    if open_points:
        parts.append(f"−{open_points} per issue open at the end")
        parts_zh.append(f"期末未办结每件 −{open_points} 分")
    if target is not None:
        parts.append(f"±{rate_points} by resolution rate (target {target:%})")
        parts_zh.append(f"办结率达 {target:%} 加 {rate_points} 分，否则扣 {rate_points} 分")
    return Award(
        effect="points",
        amount=amount,
        largest=max(resolved + fast_points, open_points),
        summary="; ".join(parts),
        summary_zh="；".join(parts_zh),
        finish=finish if target is not None else None,
    )


LEDGER = RuleKind(
    name="ledger",
    description=(
        "民生问题台账: points per issue resolved by the period's end (more if quick), a "
        "deduction per issue still open, and a bonus or deduction by the resolution rate."
    ),
    options=(
        Option("resolved_points", "positive_decimal", "points per issue resolved", True),
        Option("open_points", "positive_decimal", "deducted per issue open at the end"),
        Option("fast_days", "positive_decimal", "an issue resolved within this many days …"),
        Option("fast_points", "positive_decimal", "… earns this much more"),
        Option("rate_target", "positive_decimal", "target resolution rate, e.g. 0.8"),
        Option("rate_points", "positive_decimal", "added when the target is met, else deducted"),
    ),
    build=build_ledger,
)


@hookimpl
def dangjian_rules_rule_kinds() -> Sequence[RuleKind]:
    return [LEDGER]


@hookimpl
def dangjian_rules_condition_functions() -> Sequence[Function]:
    return [
        Function(
            "workdays",
            (DATE, DATE),
            DECIMAL,
            workdays,
            "working days (Mon–Fri) from the first date to the second, both included",
        )
    ]


@hookimpl
def dangjian_rules_rulesets() -> Sequence[Any]:
    return [files(__package__) / "rulesets"]


@hookimpl
def dangjian_rules_check_ruleset(
    ruleset: Ruleset, document: Mapping[str, Any], positions: Positions
) -> Sequence[Problem]:
    problems: list[Problem] = []
    raw_rules = document.get("rules", [])
    for index, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw, dict) or raw.get("kind") != "ledger":
            continue
        resolved, open_points = raw.get("resolved_points"), raw.get("open_points")
        if resolved is None or open_points is None or open_points <= resolved:
            continue
        line, column = positions.locate(("rules", index, "open_points")) or (None, None)
        problems.append(
            Problem(
                code="HB101",
                severity="warning",
                message=(
                    f"an open issue costs {open_points} but a resolved one earns only "
                    f"{resolved}: cadres gain by not recording problems"
                ),
                message_zh=(
                    f"未办结问题扣 {open_points} 分，而办结仅得 {resolved} 分：不登记问题反而得分更高"
                ),
                line=line,
                column=column,
                path=f"rules[{index}].open_points",
                hint="make open_points no larger than resolved_points",
                hint_zh="open_points 不应大于 resolved_points",
            )
        )
    return problems
