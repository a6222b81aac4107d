"""Hypothesis strategies for small valid rulesets (as TOML documents or text): event
types, categories with bounds and caps, points, deduction and veto rules, grade scales."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from dangjian_rules.ruleset.canon import render as _render_toml

#: (id, label, quantity unit, fields) of the event types a generated ruleset draws from.
_EVENT_TYPE_POOL: tuple[tuple[str, str, str | None, dict[str, Any]], ...] = (
    ("meeting", "三会一课", None, {}),
    ("theme_day", "主题党日", None, {"online": {"type": "boolean"}}),
    ("volunteer", "志愿服务", "hours", {}),
    ("study", "学习教育", "hours", {"online": {"type": "boolean"}}),
    ("dues", "交纳党费", None, {"late": {"type": "boolean"}}),
    (
        "pioneer",
        "亮身份践承诺",
        None,
        {"level": {"type": "string", "values": ["branch", "county", "city"]}},
    ),
    ("training", "集中培训", "days", {"hours": {"type": "decimal"}}),
    (
        "sanction",
        "党纪处分",
        None,
        {"severity": {"type": "string", "values": ["警告", "严重警告"]}},
    ),
)
_GRADE_POOL = ("优秀", "良好", "合格", "基本合格", "不合格")
_PROBATION_POOL = ("按期转正", "延期转正", "取消预备党员资格")
_WINDOWS = ("week", "month", "quarter", "half", "year", "period")


def _number(value: Decimal) -> int | Decimal:
    """Whole numbers as TOML integers, others as decimals (TOML floats)."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def _amounts(low: str, high: str) -> st.SearchStrategy[int | Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=1).map(_number)


@st.composite
def _condition(
    draw: st.DrawFn, fields: Mapping[str, Mapping[str, Any]], subject: str, year: int
) -> str:
    choices: list[str] = ["event.days > 1", f"event.date >= {year}-07-01", "event.quantity >= 2"]
    for name, spec in fields.items():
        kind = spec["type"]
        if kind == "boolean":
            choices += [f"event.{name}", f"not event.{name}"]
        elif kind == "decimal":
            choices.append(f"event.{name} >= 2")
        elif kind == "string" and spec.get("values"):
            values = spec["values"]
            choices.append(f'event.{name} == "{values[-1]}"')
            choices.append(
                "event." + name + " in [" + ", ".join(f'"{v}"' for v in values[1:]) + "]"
            )
    if subject == "member":
        choices += ['member.status == "probationary"', '"支部书记" in member.roles']
    else:
        choices.append('organization.kind == "branch"')
    first = draw(st.sampled_from(choices))
    if draw(st.integers(0, 3)) == 3:
        return f"{first} and {draw(st.sampled_from(choices))}"
    return first


@st.composite
def _caps(draw: st.DrawFn, least: Decimal) -> list[dict[str, Any]]:
    pers = draw(st.lists(st.sampled_from(_WINDOWS), max_size=2, unique=True))
    return [
        {"per": per, "max": _number(draw(st.decimals(least, least + 20, places=1)))} for per in pers
    ]


def _header_and_score(
    draw: st.DrawFn, subject: str, year: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    header: dict[str, Any] = {
        "id": "generated.card",
        "name": "生成的积分卡",
        "version": "1",
        "subject": subject,
    }
    if draw(st.booleans()):
        header["in_force"] = {"from": dt.date(year, 1, 1)}
    if subject == "organization" and draw(st.booleans()):
        header["organizations"] = ["branch"]
    base = draw(st.sampled_from([60, 0, 80, 100]))
    score: dict[str, Any] = {"base": base}
    if draw(st.booleans()):
        score["min"] = draw(st.sampled_from([0, base]))
    if draw(st.booleans()):
        score["max"] = draw(st.sampled_from([100, base, base + 20]))
    return header, score


def _event_types(draw: st.DrawFn) -> dict[str, Any]:
    picked = draw(
        st.lists(st.integers(0, len(_EVENT_TYPE_POOL) - 1), min_size=2, max_size=5, unique=True)
    )
    event_types: dict[str, Any] = {}
    for type_id, label, unit, fields in (_EVENT_TYPE_POOL[i] for i in sorted(picked)):
        declared: dict[str, Any] = {"label": label}
        if unit is not None:
            declared["quantity"] = unit
        if fields:
            declared["fields"] = fields
        event_types[type_id] = declared
    return event_types


def _categories(draw: st.DrawFn) -> list[dict[str, Any]]:
    categories: list[dict[str, Any]] = []
    for index in range(1, draw(st.integers(0, 3)) + 1):
        category: dict[str, Any] = {"id": f"c{index}", "label": f"类别{index}"}
        if draw(st.booleans()):
            category["max"] = draw(st.integers(1, 30))
        if draw(st.booleans()):
            category["min"] = -draw(st.integers(0, 20))
        caps = draw(_caps(Decimal(1)))
        if caps:
            category["caps"] = caps
        categories.append(category)
    return categories


def _grade_scales(draw: st.DrawFn, subject: str, floor: int) -> list[dict[str, Any]]:
    """One or two scales; every subject gets a grade (the lowest band starts at ``floor``,
    the lowest score possible) and all but the last scale say whom they apply to."""
    scales: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 2))):
        probation = index == 0 and draw(st.booleans())
        names = list(_PROBATION_POOL if probation else _GRADE_POOL)
        count = draw(st.integers(1, len(names)))
        chosen = sorted(
            draw(st.lists(st.sampled_from(names), min_size=count, max_size=count, unique=True)),
            key=names.index,
        )
        mins = sorted(
            draw(st.lists(st.integers(0, 100), min_size=count, max_size=count, unique=True)),
            reverse=True,
        )
        mins[-1] = min(mins[-1], floor)
        scale: dict[str, Any] = {
            "id": f"s{index + 1}",
            "bands": [{"grade": g, "min": m} for g, m in zip(chosen, mins, strict=True)],
        }
        if draw(st.booleans()):
            scale["veto"] = chosen[-1]
        scales.append(scale)
    for scale in scales[:-1]:
        scale["applies"] = (
            'member.status == "probationary"'
            if subject == "member"
            else 'organization.kind == "branch"'
        )
    return scales


def _rule(
    draw: st.DrawFn,
    index: int,
    kind: str,
    document: dict[str, Any],
    grade_names: list[str],
    year: int,
) -> dict[str, Any]:
    """Rule ``r<index>`` of ``kind`` on one or two of the document's event types."""
    event_types, categories = document["event_types"], document.get("categories", [])
    on = sorted(
        draw(st.lists(st.sampled_from(list(event_types)), min_size=1, max_size=2, unique=True))
    )
    rule: dict[str, Any] = {
        "id": f"r{index}",
        "label": f"规则{index}",
        "kind": kind,
        "on": on[0] if len(on) == 1 else on,
    }
    if categories and kind != "veto" and draw(st.booleans()):
        rule["category"] = draw(st.sampled_from([c["id"] for c in categories]))
    shared = dict(event_types[on[0]].get("fields", {}))
    for other in on[1:]:
        theirs = event_types[other].get("fields", {})
        shared = {k: v for k, v in shared.items() if theirs.get(k) == v}
    if draw(st.integers(0, 2)) == 2:
        rule["when"] = draw(_condition(shared, document["ruleset"]["subject"], year))
    if kind == "veto":
        if draw(st.booleans()):
            rule["score"] = draw(st.sampled_from([0, document["score"]["base"]]))
        if draw(st.booleans()) and grade_names:
            rule["grade"] = draw(st.sampled_from(grade_names))
        return rule
    units = {event_types[t].get("quantity") for t in on}
    largest = Decimal(0)
    if None not in units and draw(st.booleans()):
        rule["points_per_unit"] = draw(_amounts("0.1", "2"))
    else:
        rule["points"] = draw(_amounts("0.5", "10"))
        largest = Decimal(rule["points"])
    caps = draw(_caps(max(largest, Decimal("0.5"))))
    if caps:
        rule["caps"] = caps
    return rule


@st.composite
def ruleset_documents(
    draw: st.DrawFn, subject: str | None = None, year: int = 2015, veto: bool = False
) -> dict[str, Any]:
    """A small valid ruleset as a TOML document (a dict): a base score and bounds, two to
    five event types (some with a quantity, some with fields), categories with bounds and
    caps, points, deduction and veto rules (fixed or per unit, some with a condition and
    caps), and one or two grade scales; ``subject`` "member", "organization" or either;
    with ``veto``, at least one veto rule.  It loads with no problem at all (no warning
    either).  :func:`valid_rulesets` gives its TOML text."""
    subject = subject or draw(st.sampled_from(["member", "organization"]))
    header, score = _header_and_score(draw, subject, year)
    document: dict[str, Any] = {"ruleset": header, "score": score}
    document["event_types"] = _event_types(draw)
    categories = _categories(draw)
    if categories:
        document["categories"] = categories
    floor = score.get("min", score["base"] + sum(min(c.get("min", 0), 0) for c in categories))
    scales = _grade_scales(draw, subject, floor)
    grade_names = [band["grade"] for scale in scales for band in scale["bands"]]
    rules: list[dict[str, Any]] = []
    count = draw(st.integers(1, 6))
    for index in range(1, count + 1):
        kind = draw(st.sampled_from(["points", "points", "deduction", "veto"]))
        if veto and index == count and all(r["kind"] != "veto" for r in rules):
            kind = "veto"
        rules.append(_rule(draw, index, kind, document, grade_names, year))
    document["rules"] = rules
    if scales:
        document["grades"] = scales
    return document


def valid_rulesets(
    subject: str | None = None, year: int = 2015, veto: bool = False
) -> st.SearchStrategy[str]:
    """The TOML text (canonical form) of :func:`ruleset_documents`."""
    return ruleset_documents(subject, year, veto).map(_render_toml)
