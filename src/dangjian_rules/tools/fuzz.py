"""``dangjian-rules fuzz``: what a ruleset does on many generated datasets.

Before a county adopts a ruleset it wants to know what the ruleset does on data nobody has
written yet.  :func:`fuzz` evaluates it on datasets that hypothesis generates for it
(:func:`~dangjian_rules.testing.strategies.county_datasets`: an organization tree, members
joining and leaving, events of the ruleset's declared types with the values its conditions
test) and reports:

* **invariants** the engine promises for every result, checked on every example: a score not
  vetoed stays within ``score.min``/``score.max``, categories within their bounds, no rule
  or category cap exceeded in any window, the accounting adds up (every event in one
  bucket, the score equal to the base plus what counted), shuffling the input changes
  nothing, star quotas and selection counts are kept.  A failed invariant is a bug in the
  ruleset (e.g. a base above the maximum) or in the engine; hypothesis shrinks the data to
  a minimal example, given as a ``[[tests]]`` case ready to paste into the ruleset;
* **warnings**, things a county may not have meant: grades, star levels, tiers or flags
  never reached; rules that never fire; caps (and category bounds) that bind every time
  their rule counts; ties at a star quota's or a selection's boundary that only the
  subject id decides.

Runs are deterministic: the same ruleset, seed and number of examples give the same
report.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.engine.verdicts import facts_for
from dangjian_rules.errors import Language, ProblemsFound
from dangjian_rules.model.period import PER_WINDOW_ZH, Period, window_key
from dangjian_rules.model.records import Dataset, Event
from dangjian_rules.model.result import RunResult, SubjectResult, dumps, format_decimal
from dangjian_rules.plugins.manager import Registry, default_registry
from dangjian_rules.ruleset.canon import render_value
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.verdicts import rank_order

__all__ = [
    "INVARIANTS",
    "Failure",
    "Finding",
    "FuzzReport",
    "InvariantFailed",
    "as_test_case",
    "check_invariants",
    "fuzz",
    "needed_rulesets",
    "to_json",
    "to_text",
]

#: The invariants checked on every example: id → (English, Chinese).
INVARIANTS: Mapping[str, tuple[str, str]] = {
    "no-crash": ("the engine raises no error", "引擎不报错"),
    "score-bounds": (
        "a score not vetoed stays within score.min and score.max",
        "未被否决的得分不超出 score.min 与 score.max",
    ),
    "category-bounds": ("category scores stay within their min and max", "类别得分不超出其上下限"),
    "caps": (
        "no rule or category cap is exceeded in any window",
        "任何周期内都不超过规则或类别的封顶",
    ),
    "accounting": (
        "every event is in one bucket and the score is the base plus what counted",
        "每条记录恰在一个去向中，得分等于基础分加计入的分",
    ),
    "order": ("shuffling the input changes nothing", "打乱输入顺序不改变结果"),
    "quotas": ("star quotas and selection counts are kept", "星级名额与评选名额不被突破"),
}


@attrs.frozen
class Finding:
    """A warning: something the ruleset never or always does on the generated data."""

    code: str  # grade-never-reached, rule-never-fires, cap-always-binds, quota-tie …
    message: str
    message_zh: str
    subject: str  # what it is about: "grade 优秀", "rule meeting", "cap of rule meeting …"

    def text(self, lang: Language = "en") -> str:
        return self.message_zh if lang == "zh" else self.message


@attrs.frozen
class Failure:
    """A failed invariant, on the minimal example hypothesis found."""

    invariant: str
    message: str
    message_zh: str
    subject: str | None
    #: the minimal example as a ``[[tests]]`` case, ready to paste into the ruleset
    case: str
    #: the same case with its name and comments in Chinese
    case_zh: str

    def text(self, lang: Language = "en") -> str:
        title, title_zh = INVARIANTS[self.invariant]
        if lang == "zh":
            return f"{title_zh}：{self.message_zh}"
        return f"{title}: {self.message}"

    def case_text(self, lang: Language = "en") -> str:
        return self.case_zh if lang == "zh" else self.case


@attrs.frozen
class FuzzReport:
    ruleset: str
    version: str
    source: str
    period: str
    seed: int
    examples: int  # examples evaluated (those hypothesis generated, and shrank if one failed)
    subjects: int  # subject results looked at, over all examples
    findings: tuple[Finding, ...]
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


class InvariantFailed(AssertionError):
    """An invariant failed on one example (:func:`check_invariants`); ``invariant`` is its
    key in :data:`INVARIANTS`, ``subject`` the subject it failed for, if one."""

    def __init__(self, invariant: str, message: str, message_zh: str, subject: str | None):
        super().__init__(f"{invariant}: {message}")
        self.invariant = invariant
        self.message = message
        self.message_zh = message_zh
        self.subject = subject


def _num(value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value)


# ------------------------------------------------------------------ invariants


def _check_result(ruleset: Ruleset, result: SubjectResult, events: Sequence[Event]) -> None:
    who = result.subject.id
    if not result.vetoes:
        low, high = ruleset.min, ruleset.max
        side = side_zh = ""
        bound: Decimal | None = None
        if low is not None and result.score < low:
            side, side_zh, bound = "below score.min", "低于 score.min", low
        elif high is not None and result.score > high:
            side, side_zh, bound = "above score.max", "高于 score.max", high
        if side:
            raise InvariantFailed(
                "score-bounds",
                f"{who} scores {_num(result.score)}, {side} {_num(bound)}, and is not vetoed",
                f"{who} 得分 {_num(result.score)}，{side_zh} {_num(bound)}，且未被否决",
                who,
            )
    for category in result.categories:
        if (category.min is not None and category.score < category.min) or (
            category.max is not None and category.score > category.max
        ):
            raise InvariantFailed(
                "category-bounds",
                f"category {category.id} of {who} is {_num(category.score)}, outside "
                f"[{_num(category.min)}, {_num(category.max)}]",
                f"{who} 的类别 {category.id} 得分 {_num(category.score)}，超出 "
                f"[{_num(category.min)}, {_num(category.max)}]",
                who,
            )
    rules = {rule.id: rule for rule in ruleset.rules}
    used: dict[tuple[str, str, str, int], Decimal] = {}
    for entry in result.trace:
        if entry.points is None or entry.rule not in rules:
            continue
        rule = rules[entry.rule]
        for cap in rule.caps:
            key = ("rule", rule.id, cap.per, window_key(cap.per, entry.date))
            used[key] = used.get(key, Decimal(0)) + abs(entry.points)
        if rule.category is not None and entry.points > 0 and rule.award.effect == "points":
            for cap in ruleset.category(rule.category).caps:
                key = ("category", rule.category, cap.per, window_key(cap.per, entry.date))
                used[key] = used.get(key, Decimal(0)) + entry.points
    limits: dict[tuple[str, str, str], Decimal] = {
        ("rule", r.id, c.per): c.max for r in ruleset.rules for c in r.caps
    }
    limits.update(
        {("category", c.id, cap.per): cap.max for c in ruleset.categories for cap in c.caps}
    )
    for (scope, owner, per, _), total in sorted(used.items()):
        if total > limits[(scope, owner, per)]:
            raise InvariantFailed(
                "caps",
                f"{scope} {owner} gave {who} {_num(total)} in one {per}, above its cap "
                f"{_num(limits[(scope, owner, per)])}",
                f"{'规则' if scope == 'rule' else '类别'} {owner} {PER_WINDOW_ZH.get(per, per)}给 {who} "
                f"{_num(total)} 分，超过封顶 {_num(limits[(scope, owner, per)])}",
                who,
            )
    counted = sum(result.events.values())
    if counted != len(events) or len(result.trace) != len(events):
        raise InvariantFailed(
            "accounting",
            f"{who} has {len(events)} events, but its buckets hold {counted} and its trace "
            f"{len(result.trace)}",
            f"{who} 有 {len(events)} 条记录，但各去向合计 {counted} 条、明细 {len(result.trace)} 条",
            who,
        )
    if not result.vetoes:
        total = result.base + sum(
            (t.points for t in result.trace if t.points is not None), Decimal(0)
        )
        total += sum((a.points for a in result.adjustments), Decimal(0))
        if total != result.score:
            raise InvariantFailed(
                "accounting",
                f"{who} scores {_num(result.score)}, but the base {_num(result.base)} plus what "
                f"counted is {_num(total)}",
                f"{who} 得分 {_num(result.score)}，但基础分 {_num(result.base)} 加计入分为 {_num(total)}",
                who,
            )


def _check_across(ruleset: Ruleset, results: Sequence[SubjectResult]) -> None:
    stars = ruleset.stars
    if stars is not None and stars.quotas:
        rated = [r for r in results if r.stars is not None]
        for quota in stars.quotas:
            allowed = math.floor(quota.at_most * len(rated))
            holders = [
                r.subject.id for r in rated if r.stars is not None and r.stars.count >= quota.stars
            ]
            if len(holders) > allowed:
                raise InvariantFailed(
                    "quotas",
                    f"{len(holders)} subjects have {quota.stars}+ stars, but the quota allows "
                    f"{allowed} of {len(rated)}",
                    f"{len(holders)} 个对象评为 {quota.stars} 星及以上，但名额只有 {len(rated)} 的 "
                    f"{allowed} 个",
                    holders[-1],
                )
    selection = ruleset.selection
    if selection is not None:
        chosen: dict[str | None, list[str]] = {}
        for result in results:
            if result.selection is not None and result.selection.selected:
                chosen.setdefault(result.selection.scope, []).append(result.subject.id)
        for scope, ids in sorted(chosen.items(), key=lambda item: str(item[0])):
            if len(ids) > selection.count:
                where = f" in {scope}" if scope else ""
                raise InvariantFailed(
                    "quotas",
                    f"{len(ids)} subjects selected{where}, but the count is {selection.count}",
                    f"{scope or '全部'}范围内评选出 {len(ids)} 个，但名额为 {selection.count}",
                    ids[-1],
                )


def check_invariants(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    run: RunResult,
    again: RunResult,
) -> None:
    """Check every invariant of :data:`INVARIANTS` (but ``no-crash``) on one run of
    ``rulesets`` over ``dataset``; ``again`` is the run over the same records in another
    order.  Raises :class:`InvariantFailed`."""
    used = {(ref.id, ref.version) for ref in run.rulesets}
    by_id = {r.id: r for r in rulesets if (r.id, r.version) in used}
    by_subject: dict[tuple[str, str], list[Event]] = {}
    for event in dataset.events:
        by_subject.setdefault((event.subject_kind, event.subject), []).append(event)
    for ruleset_id in sorted(by_id):
        ruleset = by_id[ruleset_id]
        mine = [r for r in run.results if r.ruleset == ruleset_id]
        for result in mine:
            _check_result(
                ruleset, result, by_subject.get((result.subject.kind, result.subject.id), [])
            )
        ref = next(r for r in run.rulesets if r.id == ruleset_id)
        total = sum(sum(r.events.values()) for r in mine) + sum(ref.unassigned.values())
        if total != len(dataset.events):
            raise InvariantFailed(
                "accounting",
                f"{len(dataset.events)} events in the data, but {ruleset_id} accounts for {total}",
                f"数据中有 {len(dataset.events)} 条记录，但 {ruleset_id} 只交代了 {total} 条",
                None,
            )
        _check_across(ruleset, mine)
    if dumps(run) != dumps(again):
        first = next(
            (a.subject.id for a, b in zip(run.results, again.results, strict=False) if a != b),
            None,
        )
        raise InvariantFailed(
            "order",
            "the same records in another order give a different result"
            + (f" (first for {first})" if first else ""),
            "同样的记录换一种顺序，结果不同" + (f"（首先是 {first}）" if first else ""),
            first,
        )


# ------------------------------------------------------------------ observations


@attrs.define
class _Tally:
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


def _bound_keys(ruleset: Ruleset) -> dict[tuple[str, ...], tuple[str, set[str]]]:
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


def _observe(
    tally: _Tally,
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


def _observe_ties(
    tally: _Tally,
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


def _findings(ruleset: Ruleset, tally: _Tally) -> list[Finding]:
    n = tally.examples
    out: list[Finding] = []
    for scale in ruleset.grades:
        for band in scale.bands:
            if (scale.id, band.grade) not in tally.grades:
                out.append(
                    Finding(
                        "grade-never-reached",
                        f'grade "{band.grade}" (scale {scale.id}, from {_num(band.min)}) was '
                        f"never reached in {n} examples",
                        f"等次“{band.grade}”（等次表 {scale.id}，{_num(band.min)} 分起）在 {n} 个样例中从未出现",
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
    for key, (owner, _) in _bound_keys(ruleset).items():
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
        return _num(next(c.max for c in rule.caps if c.per == per))
    category = ruleset.category(owner)
    if per:
        return _num(next(c.max for c in category.caps if c.per == per))
    return _num(category.max if side == "max" else category.min)


# ------------------------------------------------------------------ the minimal example


def _value(value: object) -> str:
    if isinstance(value, Decimal):
        return format_decimal(value)
    return render_value(value)


def _inline(pairs: Sequence[tuple[str, object]]) -> str:
    return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in pairs) + " }"


def _list(key: str, items: Sequence[str]) -> list[str]:
    if not items:
        return [f"{key} = []"]
    if len(items) == 1 and len(items[0]) < 80:
        return [f"{key} = [{items[0]}]"]
    return [f"{key} = [", *(f"  {item}," for item in items), "]"]


def _default_tree(dataset: Dataset) -> bool:
    shape = {(o.id, o.kind, o.parent) for o in dataset.organizations.values()}
    attributes = any(o.attributes or o.region for o in dataset.organizations.values())
    return shape == {("ROOT", "work_committee", None), ("B1", "branch", "ROOT")} and not attributes


def as_test_case(
    ruleset: Ruleset,
    dataset: Dataset,
    result: SubjectResult | None,
    subject: str | None,
    period: Period,
    name: str,
    comment: Sequence[str] = (),
) -> str:
    """A ``[[tests]]`` case of ``dataset``, expecting what ``result`` says (the engine's
    output), with ``comment`` lines above it; field names are the ruleset's."""
    lines = [f"# {line}" for line in comment]
    lines += ["[[tests]]", f"name = {render_value(name)}", f"period = {render_value(period.label)}"]
    if subject is not None:
        lines.append(f"subject = {render_value(subject)}")
    default_org = "B1"
    if not _default_tree(dataset):
        orgs = []
        for org in sorted(
            dataset.organizations.values(), key=lambda o: (o.kind != "work_committee", o.id)
        ):
            pairs: list[tuple[str, object]] = [("id", org.id), ("kind", org.kind)]
            if org.parent is not None:
                pairs.append(("parent", org.parent))
            if org.region is not None:
                pairs.append(("region", org.region))
            pairs += sorted(org.attributes.items())
            orgs.append(_inline(pairs))
        lines += _list("given.organizations", orgs)
        listed = sorted(
            dataset.organizations.values(), key=lambda o: (o.kind != "work_committee", o.id)
        )
        default_org = next((o.id for o in listed if o.kind == "branch"), listed[-1].id)
    members = []
    for member in sorted(dataset.members.values(), key=lambda m: m.id):
        pairs = [("id", member.id)]
        if member.organization != default_org:
            pairs.append(("organization", member.organization))
        if member.status != "full":
            pairs.append(("status", member.status))
        if member.joined is not None:
            pairs.append(("joined", member.joined))
        if member.left is not None:
            pairs.append(("left", member.left))
        if member.roles:
            pairs.append(("roles", list(member.roles)))
        pairs += sorted(member.attributes.items())
        members.append(_inline(pairs))
    if members:
        lines += _list("given.members", members)
    own = ("member" if ruleset.subject == "member" else "organization", subject)
    events = []
    for event in sorted(dataset.events, key=lambda e: (e.date, e.id)):
        pairs = [("type", event.type), ("date", event.date)]
        if (event.subject_kind, event.subject) != own:
            pairs.append((event.subject_kind, event.subject))
        if event.end is not None:
            pairs.append(("end", event.end))
        if event.quantity is not None:
            pairs.append(("quantity", event.quantity))
        if event.status != "approved":
            pairs.append(("status", event.status))
        pairs += sorted(event.attributes.items())
        events.append(_inline(pairs))
    lines += _list("given.events", events)
    if result is not None:
        expect: list[tuple[str, object]] = [("score", result.score)]
        if result.grade is not None:
            expect.append(("grade", result.grade))
        if result.vetoes:
            expect.append(("vetoed", True))
        if result.stars is not None:
            expect.append(("stars", result.stars.count))
        if result.tier is not None:
            expect.append(("tier", result.tier.tier))
        if result.selection is not None:
            expect.append(("selected", result.selection.selected))
        buckets = {k: v for k, v in result.events.items() if v}
        if buckets:
            expect.append(("events", buckets))
        lines.append("expect = " + _inline(expect))
    else:
        lines.append("expect = {}  # no result: evaluating these records fails")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the run


@contextlib.contextmanager
def _only_hypothesis_constants() -> Iterator[None]:
    """Generate from hypothesis's own constants only, while fuzzing.

    Hypothesis (6.131 and later) also draws now and then on constants it finds in the
    source of the local modules a process has loaded; which modules happened to be loaded
    (another command run before, a plugin, an edit anywhere in this package) would then
    change a fuzz report.  Its internals may move: if they have, nothing is changed and a
    report is reproducible within one kind of process only.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original = getattr(providers, "_get_local_constants")  # noqa: B009
        cache = getattr(providers, "CONSTANTS_CACHE").cache  # noqa: B009
        empty = getattr(providers, "Constants")()  # noqa: B009
    except (ImportError, AttributeError, TypeError):
        yield
        return
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
    cache.clear()  # constants chosen before may include local ones
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        cache.clear()


def needed_rulesets(
    ruleset: Ruleset, given: Sequence[Ruleset] = (), registry: Registry | None = None
) -> list[Ruleset]:
    """The rulesets ``ruleset`` reads (and those they read), every version of each: those
    ``given``, else found by id beside its file (its folder and the one above, as for
    ``extends``) or among installed plugins' rulesets.  Raises :class:`ProblemsFound`
    when one cannot be found or loaded."""
    from dangjian_rules.errors import Problem
    from dangjian_rules.ruleset.loader import index_for, load_ruleset

    registry = registry or default_registry()
    index = index_for([ruleset.source], registry)
    found: list[Ruleset] = [r for r in given if r.id != ruleset.id]
    queue = list(ruleset.needs)
    problems: list[Problem] = []
    while queue:
        wanted = queue.pop(0)
        if wanted == ruleset.id or any(r.id == wanted for r in found):
            continue
        paths = index.find(wanted)
        if not paths:
            problems.append(
                Problem(
                    code="DJ121",
                    message=f'ruleset "{ruleset.id}" reads the results of "{wanted}", which '
                    "was not found beside it",
                    message_zh=f"规则集“{ruleset.id}”需要规则集“{wanted}”的结果，但在其旁边找不到",
                    file=ruleset.source,
                    path="measures",
                    hint=f"pass it with --ruleset (the file of {wanted})",
                    hint_zh=f"请用 --ruleset 传入 {wanted} 的文件",
                )
            )
            continue
        for path in paths:
            loaded = load_ruleset(path, registry, index)
            found.append(loaded)
            queue.extend(loaded.needs)
    if problems:
        raise ProblemsFound(problems)
    return found


def _period_for(ruleset: Ruleset, everything: Sequence[Ruleset], registry: Registry) -> Period:
    """A year all the rulesets can be evaluated for: the first, from the ruleset's own
    start (2015 if it gives none), in which it and a version of each ruleset it reads are
    in force."""
    from dangjian_rules.api import evaluate

    first = ruleset.in_force_from.year if ruleset.in_force_from is not None else 2015
    if ruleset.in_force_until is not None:
        first = min(first, ruleset.in_force_until.year)
    starts = {r.in_force_from.year for r in everything if r.in_force_from is not None}
    candidates = sorted({first, *(y for y in starts if y > first)})
    empty = Dataset({}, {}, ())
    for year in candidates:
        period = Period.parse(str(year))
        try:
            evaluate(everything, empty, period, registry)
        except ProblemsFound:
            continue
        return period
    return Period.parse(str(first))  # evaluate reports why it cannot run


def fuzz(
    ruleset: Ruleset,
    others: Sequence[Ruleset] = (),
    examples: int = 100,
    seed: int = 0,
    period: Period | None = None,
    registry: Registry | None = None,
) -> FuzzReport:
    """Evaluate ``ruleset`` (with ``others``, the rulesets it reads) on ``examples``
    generated datasets and report what it never or always does and any invariant that
    failed (see the module docstring).  Raises :class:`ProblemsFound` when the rulesets
    cannot be evaluated for the period at all (not in force, a ruleset they read missing).
    """
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as use_seed
    from hypothesis import strategies as st

    from dangjian_rules.api import evaluate
    from dangjian_rules.testing.strategies import county_datasets

    registry = registry or default_registry()
    everything = [ruleset, *(o for o in others if o.id != ruleset.id)]
    period = period or _period_for(ruleset, everything, registry)
    empty = Dataset({}, {}, ())
    evaluate(everything, empty, period, registry)  # ProblemsFound: not evaluable at all
    quotas = ruleset.stars is not None and bool(ruleset.stars.quotas)
    unquoted = [
        attrs.evolve(r, stars=attrs.evolve(r.stars, quotas=())) if r is ruleset and r.stars else r
        for r in everything
    ]
    branches = 12 if quotas or ruleset.selection is not None else 6
    strategy = county_datasets(*everything, year=period.start.year, max_branches=branches)
    tally = _Tally()
    bounds = _bound_keys(ruleset)
    failure: dict[str, Any] = {}

    def example(dataset: Dataset, shuffle: Callable[[list[Any]], None]) -> None:
        tally.examples += 1
        events = list(dataset.events)
        shuffle(events)
        mixed = Dataset(
            dict(reversed(list(dataset.organizations.items()))),
            dict(reversed(list(dataset.members.items()))),
            tuple(events),
        )
        try:
            try:
                run = evaluate(everything, dataset, period, registry)
                again = evaluate(everything, mixed, period, registry)
            except ProblemsFound:
                raise
            except Exception as exc:
                raise InvariantFailed(
                    "no-crash",
                    f"evaluating raised {type(exc).__name__}: {exc}",
                    f"评估时出错：{type(exc).__name__}: {exc}",
                    None,
                ) from exc
            check_invariants(everything, dataset, run, again)
        except InvariantFailed as broken:
            failure.update(broken=broken, dataset=dataset)
            raise
        mine = [r for r in run.results if r.ruleset == ruleset.id]
        _observe(tally, ruleset, mine, bounds)
        before = None
        if quotas:
            plain = evaluate(unquoted, dataset, period, registry)
            before = [r for r in plain.results if r.ruleset == ruleset.id]
        _observe_ties(tally, ruleset, mine, before)

    test = given(strategy, st.randoms(use_true_random=False).map(lambda r: r.shuffle))(example)
    test = settings(
        max_examples=examples,
        derandomize=False,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )(test)
    test = use_seed(seed)(test)
    with warnings.catch_warnings(), _only_hypothesis_constants():
        warnings.simplefilter("ignore")
        try:
            test()
        except Exception:
            if not failure:  # not an invariant: hypothesis or the rulesets could not run
                raise
    found: Failure | None = None
    if failure:
        broken: InvariantFailed = failure["broken"]
        dataset: Dataset = failure["dataset"]
        found = _failure(ruleset, everything, dataset, broken, period, registry, seed)
    return FuzzReport(
        ruleset=ruleset.id,
        version=ruleset.version,
        source=ruleset.source,
        period=period.label,
        seed=seed,
        examples=tally.examples,
        subjects=tally.subjects,
        # After a failed invariant the examples are mostly hypothesis shrinking it: what
        # they never or always did says nothing about the ruleset.
        findings=() if found is not None else tuple(_findings(ruleset, tally)),
        failure=found,
    )


def _failure(
    ruleset: Ruleset,
    everything: Sequence[Ruleset],
    dataset: Dataset,
    broken: InvariantFailed,
    period: Period,
    registry: Registry,
    seed: int,
) -> Failure:
    from dangjian_rules.api import evaluate

    result: SubjectResult | None = None
    target = broken.subject
    try:
        run = evaluate(everything, dataset, period, registry)
        mine = [r for r in run.results if r.ruleset == ruleset.id]
        result = next((r for r in mine if r.subject.id == target), None)
        if result is None and mine:
            result = mine[0]
            target = result.subject.id
    except Exception:  # the failure is the crash itself: no result to expect
        result = None
    title, title_zh = INVARIANTS[broken.invariant]
    comment = [
        f"dangjian-rules fuzz (seed {seed}): invariant failed: {title}",
        f"  {broken.message}",
        "The expect line is what the engine produced; change it to what the rules should give."
        if result is not None
        else "Evaluating these records fails; once it does not, write the result expected.",
    ]
    comment_zh = [
        f"dangjian-rules fuzz（种子 {seed}）：不变量不成立：{title_zh}",
        f"  {broken.message_zh}",
        "expect 一行是引擎实际给出的结果；请改为按规则应得的结果。"
        if result is not None
        else "评估这些记录时出错；修复后请写出应得的结果。",
    ]
    return Failure(
        broken.invariant,
        broken.message,
        broken.message_zh,
        target,
        as_test_case(ruleset, dataset, result, target, period, f"fuzz: {title}", comment),
        as_test_case(ruleset, dataset, result, target, period, f"fuzz：{title_zh}", comment_zh),
    )


# ------------------------------------------------------------------ reports


def to_json(report: FuzzReport) -> dict[str, Any]:
    return {
        "ruleset": report.ruleset,
        "version": report.version,
        "source": report.source,
        "period": report.period,
        "seed": report.seed,
        "examples": report.examples,
        "subjects": report.subjects,
        "invariants": {
            key: ("failed" if report.failure and report.failure.invariant == key else "held")
            for key in INVARIANTS
        },
        "failure": None
        if report.failure is None
        else {
            "invariant": report.failure.invariant,
            "message": report.failure.message,
            "message_zh": report.failure.message_zh,
            "subject": report.failure.subject,
            "case": report.failure.case,
            "case_zh": report.failure.case_zh,
        },
        "warnings": [attrs.asdict(f) for f in report.findings],
    }


def to_text(report: FuzzReport, lang: Language = "en") -> str:
    zh = lang == "zh"
    lines = [
        (
            f"{report.source}（{report.ruleset} {report.version}）：考核期 {report.period}，"
            f"{report.examples} 个样例，{report.subjects} 个考核结果，种子 {report.seed}"
        )
        if zh
        else (
            f"{report.source} ({report.ruleset} {report.version}): period {report.period}, "
            f"{report.examples} examples, {report.subjects} results, seed {report.seed}"
        )
    ]
    failed = report.failure.invariant if report.failure else None
    for key, (title, title_zh) in INVARIANTS.items():
        mark = "✗" if key == failed else "✓"
        lines.append(f"  {mark} {title_zh if zh else title}")
    for finding in report.findings:
        lines.append(("警告：" if zh else "warning: ") + finding.text(lang))
    if report.failure is not None:
        lines.append("")
        lines.append(("不变量不成立：" if zh else "invariant failed: ") + report.failure.text(lang))
        lines.append(
            "最小样例（可粘贴到规则集中的测试用例）："
            if zh
            else "minimal example, as a test case to paste into the ruleset:"
        )
        lines.append("")
        lines.append(report.failure.case_text(lang).rstrip("\n"))
        lines.append("")
    failures = 0 if report.failure is None else 1
    warnings_count = len(report.findings)
    lines.append(
        f"{failures} 个不变量不成立，{warnings_count} 个警告"
        if zh
        else f"{failures} invariant failure(s), {warnings_count} warning(s)"
    )
    return "\n".join(lines) + "\n"
