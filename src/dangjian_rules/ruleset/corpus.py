"""Checks across rulesets: duplicate ids and versions, unknown references, cycles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from dangjian_rules.errors import Problem, ProblemsFound, suggestion
from dangjian_rules.ruleset import tomlpos
from dangjian_rules.ruleset.compiled import (
    Ruleset,
)
from dangjian_rules.ruleset.extends import RulesetIndex


def _overlaps(a: Ruleset, b: Ruleset) -> bool:
    low = max(a.in_force_from or dt.date.min, b.in_force_from or dt.date.min)
    high = min(a.in_force_until or dt.date.max, b.in_force_until or dt.date.max)
    return low <= high


def duplicate_ids(rulesets: Sequence[Ruleset]) -> list[Problem]:
    """Versions of one id must differ and be in force on different dates."""
    problems: list[Problem] = []
    by_id: dict[str, list[Ruleset]] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, []).append(ruleset)
    for ruleset_id, versions in sorted(by_id.items()):
        for later_index, later in enumerate(versions):
            for earlier in versions[:later_index]:
                if earlier.version == later.version:
                    problems.append(
                        Problem(
                            code="DJ105",
                            message=f'ruleset "{ruleset_id}" version {later.version} is also '
                            f"in {earlier.source}",
                            message_zh=f"规则集“{ruleset_id}”版本 {later.version} 与 "
                            f"{earlier.source} 重复",
                            file=later.source,
                            path="ruleset.version",
                            hint="give each version its own version and in-force dates, or "
                            "pass only one of them",
                            hint_zh="每个版本须有不同的版本号和生效期，或只传入其中一个",
                        )
                    )
                elif _overlaps(earlier, later):
                    problems.append(
                        Problem(
                            code="DJ128",
                            message=f"versions {earlier.version} ({earlier.source}) and "
                            f'{later.version} of ruleset "{ruleset_id}" are in force on the '
                            "same dates",
                            message_zh=f"规则集“{ruleset_id}”的版本 {earlier.version}"
                            f"（{earlier.source}）与 {later.version} 生效期重叠",
                            file=later.source,
                            path="ruleset.in_force",
                            hint="end the older version the day before the newer one starts",
                            hint_zh="请让旧版本在新版本生效的前一天失效",
                        )
                    )
    return problems


def unknown_references(rulesets: Sequence[Ruleset], index: RulesetIndex) -> list[Problem]:
    """Measures that read a ruleset no file checked, nor any nearby or installed, defines."""
    known = {r.id for r in rulesets} | set(index.ids())
    problems: list[Problem] = []
    for ruleset in rulesets:
        positions = None
        for number, measure in enumerate(ruleset.measures):
            for needed in measure.needs:
                if needed in known:
                    continue
                if positions is None:
                    try:
                        text = Path(ruleset.source).read_text(encoding="utf-8-sig")
                    except (OSError, UnicodeDecodeError):
                        text = ""
                    positions = tomlpos.scan(text)
                place = positions.locate_value(("measures", number, "ruleset"))
                hint, hint_zh = suggestion(
                    needed,
                    known,
                    (
                        "check the id, or check it together with that ruleset",
                        "请检查 id，或与该规则集一起检查",
                    ),
                )
                problems.append(
                    Problem(
                        code="DJ121",
                        message=f'measure "{measure.id}" reads ruleset "{needed}", which none of '
                        "the rulesets checked or found nearby defines",
                        message_zh=f"指标“{measure.id}”引用的规则集“{needed}”不存在",
                        file=ruleset.source,
                        line=place[0] if place else None,
                        column=place[1] if place else None,
                        path=f"measures[{number}].ruleset",
                        hint=hint,
                        hint_zh=hint_zh,
                    )
                )
    return problems


def reference_cycles(rulesets: Sequence[Ruleset]) -> list[Problem]:
    """Rulesets that read each other's results in a circle (DJ122), found by ``check``."""
    by_id: dict[str, Ruleset] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, ruleset)
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()

    def walk(ruleset_id: str, chain: list[str]) -> None:
        if ruleset_id in chain:
            cycle = [*chain[chain.index(ruleset_id) :], ruleset_id]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                problems.append(_cycle_problem(by_id[ruleset_id], cycle))
            return
        ruleset = by_id.get(ruleset_id)
        if ruleset is None:
            return
        for needed in ruleset.needs:
            walk(needed, [*chain, ruleset_id])

    for ruleset_id in sorted(by_id):
        walk(ruleset_id, [])
    return problems


def dependency_order(rulesets: Sequence[Ruleset]) -> list[Ruleset]:
    """The rulesets to evaluate together, each after those whose results it reads.

    Raises :class:`ProblemsFound`: DJ121 for a ruleset read but not given, DJ122 for
    rulesets that read each other in a circle.
    """
    by_id = {r.id: r for r in rulesets}
    missing = [
        _not_evaluated(ruleset, needed)
        for ruleset in rulesets
        for needed in ruleset.needs
        if needed not in by_id
    ]
    if missing:
        raise ProblemsFound(missing)
    ordered: list[Ruleset] = []
    state: dict[str, str] = {}

    def visit(ruleset: Ruleset, chain: list[str]) -> None:
        if state.get(ruleset.id) == "done":
            return
        if state.get(ruleset.id) == "visiting":
            cycle = [*chain[chain.index(ruleset.id) :], ruleset.id]
            raise ProblemsFound([_cycle_problem(ruleset, cycle)])
        state[ruleset.id] = "visiting"
        for needed in ruleset.needs:
            visit(by_id[needed], [*chain, ruleset.id])
        state[ruleset.id] = "done"
        ordered.append(ruleset)

    for ruleset in sorted(rulesets, key=lambda r: r.id):
        visit(ruleset, [])
    return ordered


def _not_evaluated(ruleset: Ruleset, needed: str) -> Problem:
    return Problem(
        code="DJ121",
        message=f'ruleset "{ruleset.id}" reads the results of "{needed}", '
        "which is not among the rulesets evaluated",
        message_zh=f"规则集“{ruleset.id}”需要规则集“{needed}”的结果，但本次评估未包含该规则集",
        file=ruleset.source,
        path="measures",
        hint=f"add --ruleset for {needed}",
        hint_zh=f"请同时用 --ruleset 传入 {needed}",
    )


def _cycle_problem(ruleset: Ruleset, cycle: Sequence[str]) -> Problem:
    shown = " → ".join(cycle)
    return Problem(
        code="DJ122",
        message=f"rulesets read each other's results in a circle: {shown}",
        message_zh=f"规则集之间循环引用结果：{shown}",
        file=ruleset.source,
        path="measures",
        hint="one of them must not read the other",
        hint_zh="请去掉其中一个引用",
    )
