"""Built-in rule kinds of a point card: ``points``, ``deduction`` and ``veto``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Event
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.rules import (
    Award,
    BuildContext,
    EndContext,
    Option,
    RuleKind,
    RuleOptionError,
    SubjectChange,
)

_AMOUNT_OPTIONS = (
    Option("points", "positive_decimal", "points for each matching event"),
    Option(
        "points_per_unit",
        "positive_decimal",
        "points for each unit of the event's quantity (hour, day …)",
    ),
)


_UNIT_ZH = {"hours": "小时", "days": "天", "times": "次", "yuan": "元", "units": "单位"}


def _per_unit(rate: Decimal, uses_days: bool) -> Callable[[Event, Period], Decimal | None]:
    def amount(event: Event, period: Period) -> Decimal | None:
        if event.quantity is not None:
            return rate * event.quantity
        if uses_days:
            return rate * event.days
        return None

    return amount


def _amount_award(deducts: bool) -> Callable[[Mapping[str, Any], BuildContext], Award]:
    sign = "−" if deducts else "+"

    def build(options: Mapping[str, Any], context: BuildContext) -> Award:
        fixed: Decimal | None = options.get("points")
        rate: Decimal | None = options.get("points_per_unit")
        if (fixed is None) == (rate is None):
            raise RuleOptionError(
                f'rule "{context.rule_id}" needs exactly one of points and points_per_unit',
                f"规则“{context.rule_id}”须且只能写 points 或 points_per_unit 之一",
                None,
                "write points = 1 for a fixed award, or points_per_unit = 0.5 per hour",
                "固定分值写 points = 1；按时长计分写 points_per_unit = 0.5",
            )
        if fixed is not None:
            value = -fixed if deducts else fixed
            return Award(
                effect="points",
                amount=lambda event, period: value,
                largest=fixed,
                summary=f"{sign}{fixed} each",
                summary_zh=f"每次 {sign}{fixed} 分",
            )
        units = {context.quantity_units.get(t) for t in context.quantity_units}
        if None in units:
            missing = sorted(t for t, u in context.quantity_units.items() if u is None)
            raise RuleOptionError(
                "points_per_unit needs event types with a quantity; no quantity is "
                f"declared for {', '.join(missing)}",
                f"points_per_unit 要求活动类型声明数量单位，{', '.join(missing)} 未声明",
                "points_per_unit",
                'add quantity = "hours" (or "days", …) to the event type',
                '在活动类型中加 quantity = "hours"（或 "days" 等）',
            )
        assert rate is not None
        unit = "/".join(sorted(u for u in units if u is not None))
        unit_zh = "/".join(_UNIT_ZH.get(u, u) for u in sorted(u for u in units if u is not None))
        uses_days = units == {"days"}
        return Award(
            effect="points",
            amount=_per_unit(-rate if deducts else rate, uses_days),
            largest=None,
            summary=f"{sign}{rate} per {unit.rstrip('s')}",
            summary_zh=f"每{unit_zh} {sign}{rate} 分",
        )

    return build


def _build_veto(options: Mapping[str, Any], context: BuildContext) -> Award:
    score = options.get("score")
    grade = options.get("grade")
    parts = ["one-vote veto"]
    parts_zh = ["一票否决"]
    if grade is not None:
        parts.append(f"grade {grade}")
        parts_zh.append(f"等次定为{grade}")
    if score is not None:
        parts.append(f"score {score}")
        parts_zh.append(f"得分记为 {score}")
    return Award(
        effect="veto",
        amount=lambda event, period: Decimal(0),
        largest=Decimal(0),
        summary=", ".join(parts),
        summary_zh="，".join(parts_zh),
        veto_score=score,
        veto_grade=grade,
    )


POINTS = RuleKind(
    name="points",
    description="Adds points for each matching event (fixed, or per hour/day/unit).",
    options=_AMOUNT_OPTIONS,
    build=_amount_award(deducts=False),
)
DEDUCTION = RuleKind(
    name="deduction",
    description="Deducts points for each matching event (fixed, or per unit).",
    options=_AMOUNT_OPTIONS,
    build=_amount_award(deducts=True),
)
VETO = RuleKind(
    name="veto",
    description=(
        "One-vote veto: a matching event sets the grade to the scale's veto grade "
        "(or this rule's grade) and, if given, the score."
    ),
    options=(
        Option("score", "decimal", "the score a vetoed subject gets (default: unchanged)"),
        Option("grade", "string", "the grade a vetoed subject gets (default: the scale's)"),
    ),
    build=_build_veto,
)


def _build_from_measure(options: Mapping[str, Any], context: BuildContext) -> Award:
    name = options["measure"]
    kind = context.measures.get(name)
    table: dict[str, Decimal] = {}
    for entry in options.get("values") or ():
        if set(entry) != {"value", "points"}:
            raise RuleOptionError(
                'values needs entries like { value = "达标", points = 10 }',
                'values 的每项应写成 { value = "达标", points = 10 }',
                "values",
            )
        table[str(entry["value"])] = Decimal(entry["points"])
    if table and kind in ("decimal", "boolean"):
        raise RuleOptionError(
            f'values maps texts to points, but measure "{name}" is a number or true/false; '
            "use multiplier instead",
            f"values 用于把文本换算为分值，而指标“{name}”是数值或是/否，请改用 multiplier",
            "values",
        )
    if kind == "string" and not table:
        raise RuleOptionError(
            f'measure "{name}" is text; say how many points each value gives',
            f"指标“{name}”是文本，请写明每个取值对应的分值",
            "measure",
            'add values = [{ value = "达标", points = 10 }, …]',
            '请补充 values = [{ value = "达标", points = 10 }, …]',
        )
    if kind not in ("decimal", "boolean", "string"):
        raise RuleOptionError(
            f'measure "{name}" is not a measure of this ruleset',
            f"“{name}”不是本规则集的指标",
            "measure",
            "declare it under [[measures]] first",
            "请先在 [[measures]] 中声明",
        )
    multiplier: Decimal = options.get("multiplier", Decimal(1))

    measure_id, _, part = name.partition(".")

    def finish(
        counted: Sequence[tuple[Event, Decimal]], context: EndContext
    ) -> list[SubjectChange]:
        measured = context.measures[measure_id]
        value = measured.parts.get(part) if part else measured.value
        if value is None:
            return []
        if isinstance(value, str):
            if value not in table:
                return []
            points = table[value]
        else:
            points = (Decimal(1) if value else Decimal(0)) if isinstance(value, bool) else value
        points *= multiplier
        if not points:
            return []
        return [
            SubjectChange(
                points,
                f"{name} = {measured.explanation}",
                f"{name}：{measured.explanation_zh}",
            )
        ]

    return Award(
        effect="points",
        amount=lambda event, period: None,
        largest=None,
        summary=f"{multiplier} × measure {name}",
        summary_zh=f"指标 {name} × {multiplier}",
        finish=finish,
    )


FROM_MEASURE = RuleKind(
    name="measure",
    description=(
        "Points from a measure at the period's end: its value × multiplier (a true/false "
        "measure counts 1 when true)."
    ),
    options=(
        Option("measure", "string", "the id of a number or true/false measure", required=True),
        Option("multiplier", "decimal", "points per unit of the measure (1)"),
        Option("values", "tables", 'for a text measure: [{ value = "达标", points = 10 }]'),
    ),
    build=_build_from_measure,
    uses_events=False,
)


@hookimpl
def dangjian_rules_rule_kinds() -> Sequence[RuleKind]:
    return (POINTS, DEDUCTION, VETO, FROM_MEASURE)
