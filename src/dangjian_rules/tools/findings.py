"""The warnings of ``fuzz``: what a ruleset never or always does on the generated data
(grades never reached, rules that never fire, caps that always bind, ties at a quota)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from dangjian_rules.engine.verdicts import facts_for
from dangjian_rules.errors import Language
from dangjian_rules.model.period import PER_WINDOW_ZH
from dangjian_rules.model.result import SubjectResult, scalar_text
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.verdicts import rank_order


@attrs.frozen
class Finding:
    """A warning: something the ruleset never or always does on the generated data."""

    code: str  # grade-never-reached, rule-never-fires, cap-always-binds, quota-tie …
    message: str
    message_zh: str
    subject: str  # what it is about: "grade 优秀", "rule meeting", "cap of rule meeting …"

    def text(self, lang: Language = "en") -> str:
        return self.message_zh if lang == "zh" else self.message


# ------------------------------------------------------------------ observations


@attrs.define
class Tally:
    """What the examples showed, gathered across all of them."""

    examples: int = 0
    subjects: int = 0
    grades: set[tuple[str, str]] = attrs.field(factory=set)
    stars_earned: set[str] = attrs.field(factory=set)
    star_counts: set[int] = attrs.field(factory=set)
    tiers: set[str] = attrs.field(factory=set)
    flags: set[str] = attrs.field(factory=set)
    eligible: int = 0
    fired: set[str] = attrs.field(factory=set)
    #: bound key → [results where its owner counted, results where it bound]
    binding: dict[tuple[str, ...], list[int]] = attrs.field(factory=dict)
    #: "quota 5" / "selection" → [examples with a boundary, examples with a tie]
    ties: dict[str, list[int]] = attrs.field(factory=dict)


def bound_keys(ruleset: Ruleset) -> dict[tuple[str, ...], tuple[str, set[str]]]:
    """Every cap and category bound → (its owner's description, the rules it limits)."""
    keys: dict[tuple[str, ...], tuple[str, set[str]]] = {}
    for rule in ruleset.rules:
        for cap in rule.caps:
            keys[("rule", rule.id, cap.per, "max")] = (rule.id, {rule.id})
    for category in ruleset.categories:
        members = {
            r.id for r in ruleset.rules if r.category == category.id and r.award.effect == "points"
        }
        for cap in category.caps:
            keys[("category", category.id, cap.per, "max")] = (category.id, members)
        if category.max is not None:
            keys[("category", category.id, "", "max")] = (category.id, members)
        if category.min is not None:
            keys[("category", category.id, "", "min")] = (category.id, members)
    return keys


def observe(
    tally: Tally,
    ruleset: Ruleset,
    results: Sequence[SubjectResult],
    bounds: Mapping[tuple[str, ...], tuple[str, set[str]]],
) -> None:
    for result in results:
        tally.subjects += 1
        if result.grade is not None and result.scale is not None:
            tally.grades.add((result.scale, result.grade))
        if result.stars is not None:
            tally.star_counts.add(result.stars.count)
            tally.stars_earned.update(c.id for c in result.stars.criteria if c.held)
        if result.tier is not None:
            tally.tiers.add(result.tier.tier)
        tally.flags.update(f.id for f in result.flags)
        if result.selection is not None and result.selection.eligible:
            tally.eligible += 1
        counted: set[str] = set()
        bound: set[tuple[str, ...]] = set()
        for entry in result.trace:
            if entry.rule is None:
                continue
            if entry.bucket in ("counted", "partial", "capped", "veto"):
                tally.fired.add(entry.rule)
            if entry.bucket in ("counted", "partial", "capped"):
                counted.add(entry.rule)
            limit = entry.limit
            if limit is not None and limit.scope in ("rule", "category"):
                bound.add((limit.scope, limit.owner, limit.per or "", limit.bound))
        tally.fired.update(a.rule for a in result.adjustments)
        for key, (_, limited) in bounds.items():
            if counted & limited:
                seen = tally.binding.setdefault(key, [0, 0])
                seen[0] += 1
                seen[1] += key in bound


def _rank_key(result: SubjectResult, keys: Sequence[Any]) -> tuple[Any, ...]:
    fact = facts_for(
        attrs.evolve(result, stars=None, tier=None, selection=None), result.measures, None
    )
    fact["result"]["flagged"] = bool(result.flags)
    return rank_order(keys, fact, result.subject.id)[:-1]


def observe_ties(
    tally: Tally,
    ruleset: Ruleset,
    results: Sequence[SubjectResult],
    unquoted: Sequence[SubjectResult] | None,
) -> None:
    """Ties across a quota's or a selection's boundary that only the subject id breaks."""
    stars = ruleset.stars
    if stars is not None and stars.quotas and unquoted is not None:
        counts = {r.subject.id: r.stars.count for r in unquoted if r.stars is not None}
        order = {r.subject.id: _rank_key(r, stars.rank_by) for r in unquoted}
        rated = len(counts)
        for quota in sorted(stars.quotas, key=lambda q: -q.stars):
            allowed = math.floor(quota.at_most * rated)
            holders = sorted(
                (s for s, n in counts.items() if n >= quota.stars), key=lambda s: (order[s], s)
            )
            if allowed >= 1 and len(holders) > allowed:
                seen = tally.ties.setdefault(f"quota {quota.stars}", [0, 0])
                seen[0] += 1
                seen[1] += order[holders[allowed - 1]] == order[holders[allowed]]
            for subject in holders[allowed:]:
                counts[subject] = quota.stars - 1
    selection = ruleset.selection
    if selection is not None:
        groups: dict[str | None, list[SubjectResult]] = {}
        for result in results:
            if result.selection is not None and result.selection.rank is not None:
                groups.setdefault(result.selection.scope, []).append(result)
        for members in groups.values():
            ranked = sorted(members, key=lambda r: (r.selection.rank or 0) if r.selection else 0)
            if len(ranked) > selection.count:
                seen = tally.ties.setdefault("selection", [0, 0])
                seen[0] += 1
                last, first_out = ranked[selection.count - 1], ranked[selection.count]
                seen[1] += _rank_key(last, selection.rank_by) == _rank_key(
                    first_out, selection.rank_by
                )


def findings_of(ruleset: Ruleset, tally: Tally) -> list[Finding]:
    """The warnings, in a fixed order: verdicts never reached, rules that never fire, caps
    that always bind, ties at a quota."""
    return [
        *_verdicts_never_reached(ruleset, tally),
        *_rules_never_fire(ruleset, tally),
        *_caps_always_bind(ruleset, tally),
        *_ties(tally),
    ]


def _verdicts_never_reached(ruleset: Ruleset, tally: Tally) -> list[Finding]:
    n = tally.examples
    out: list[Finding] = []
    for scale in ruleset.grades:
        for band in scale.bands:
            if (scale.id, band.grade) not in tally.grades:
                out.append(
                    Finding(
                        "grade-never-reached",
                        f'grade "{band.grade}" (scale {scale.id}, from {scalar_text(band.min)}) was '
                        f"never reached in {n} examples",
                        f"等次“{band.grade}”（等次表 {scale.id}，{scalar_text(band.min)} 分起）在 {n} 个样例中从未出现",
                        f"grade {scale.id}:{band.grade}",
                    )
                )
    if ruleset.stars is not None:
        for criterion in ruleset.stars.criteria:
            if criterion.id not in tally.stars_earned:
                out.append(
                    Finding(
                        "star-never-earned",
                        f'star "{criterion.label}" was never earned in {n} examples: '
                        f"{criterion.when.source}",
                        f"星级“{criterion.label}”在 {n} 个样例中从未达到：{criterion.when.source}",
                        f"star {criterion.id}",
                    )
                )
        for count in range(ruleset.stars.highest + 1):
            if count not in tally.star_counts and tally.subjects:
                out.append(
                    Finding(
                        "stars-never-awarded",
                        f"no subject ended with {count} star(s) in {n} examples",
                        f"在 {n} 个样例中，没有对象最终评为 {count} 星",
                        f"stars {count}",
                    )
                )
    if ruleset.tiers is not None:
        for tier in ruleset.tiers.order:
            if tier not in tally.tiers:
                out.append(
                    Finding(
                        "tier-never-reached",
                        f'tier "{tier}" was never reached in {n} examples',
                        f"类别“{tier}”在 {n} 个样例中从未出现",
                        f"tier {tier}",
                    )
                )
    for flag in ruleset.flags:
        if flag.id not in tally.flags:
            out.append(
                Finding(
                    "flag-never-raised",
                    f'flag "{flag.id}" was never raised in {n} examples: {flag.when.source}',
                    f"标记“{flag.id}”在 {n} 个样例中从未出现：{flag.when.source}",
                    f"flag {flag.id}",
                )
            )
    if (
        ruleset.selection is not None
        and ruleset.selection.eligible is not None
        and not tally.eligible
    ):
        out.append(
            Finding(
                "never-eligible",
                f"no subject was ever eligible for the selection in {n} examples: "
                f"{ruleset.selection.eligible.source}",
                f"在 {n} 个样例中没有任何对象符合评选条件：{ruleset.selection.eligible.source}",
                "selection",
            )
        )
    return out


def _rules_never_fire(ruleset: Ruleset, tally: Tally) -> list[Finding]:
    n = tally.examples
    out: list[Finding] = []
    for rule in ruleset.rules:
        if rule.id not in tally.fired:
            why = f" (when {rule.condition.source})" if rule.condition is not None else ""
            why_zh = f"（条件 {rule.condition.source}）" if rule.condition is not None else ""
            out.append(
                Finding(
                    "rule-never-fires",
                    f'rule "{rule.id}" never fired in {n} examples{why}',
                    f"规则“{rule.id}”在 {n} 个样例中从未生效{why_zh}",
                    f"rule {rule.id}",
                )
            )
    return out


def _caps_always_bind(ruleset: Ruleset, tally: Tally) -> list[Finding]:
    out: list[Finding] = []
    for key, (owner, _) in bound_keys(ruleset).items():
        counted, bound = tally.binding.get(key, [0, 0])
        if counted >= 3 and bound == counted:
            scope, _, per, side = key
            if per:
                what = f"the cap of {scope} {owner} ({_cap_text(ruleset, key)} per {per})"
                what_zh = (
                    f"{'规则' if scope == 'rule' else '类别'} {owner} 的封顶"
                    f"（{PER_WINDOW_ZH.get(per, per)} {_cap_text(ruleset, key)}）"
                )
            else:
                what = f"the {side} of category {owner} ({_cap_text(ruleset, key)})"
                what_zh = f"类别 {owner} 的{'上限' if side == 'max' else '下限'}（{_cap_text(ruleset, key)}）"
            out.append(
                Finding(
                    "cap-always-binds",
                    f"{what} bound in all {counted} results where {owner} counted: check the "
                    "cap against a single award",
                    f"{what_zh}在 {owner} 计分的全部 {counted} 个结果中都起了作用，请对照单次分值检查",
                    f"{scope} {owner} {per or side}",
                )
            )
    return out


def _ties(tally: Tally) -> list[Finding]:
    out: list[Finding] = []
    for where, (boundaries, tied) in sorted(tally.ties.items()):
        if tied:
            if where == "selection":
                what, what_zh = "the selection's last place", "评选名额的最后一名"
            else:
                level = where.split()[1]
                what, what_zh = f"the {level}-star quota's boundary", f"{level} 星名额的边界"
            out.append(
                Finding(
                    "quota-tie" if where != "selection" else "selection-tie",
                    f"ties at {what} in {tied} of {boundaries} examples: the rank_by keys are "
                    "equal and only the subject id decides; add a tie-break to rank_by",
                    f"{what_zh}在 {boundaries} 个样例中有 {tied} 个出现并列：rank_by 的各项相同，"
                    "只能按对象编号决定；请在 rank_by 中增加排序依据",
                    where,
                )
            )
    return out


def _cap_text(ruleset: Ruleset, key: tuple[str, ...]) -> str:
    scope, owner, per, side = key
    if scope == "rule":
        rule = next(r for r in ruleset.rules if r.id == owner)
        return scalar_text(next(c.max for c in rule.caps if c.per == per))
    category = ruleset.category(owner)
    if per:
        return scalar_text(next(c.max for c in category.caps if c.per == per))
    return scalar_text(category.max if side == "max" else category.min)
