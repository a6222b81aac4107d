"""The invariants ``fuzz`` checks on every example: what the engine promises for every
result (bounds, caps, accounting, order, quotas); a failure names the subject and figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from dangjian_rules.convert.results import dumps
from dangjian_rules.model.period import PER_WINDOW_ZH, window_key
from dangjian_rules.model.records import Dataset, Event
from dangjian_rules.model.result import RunResult, SubjectResult, scalar_text
from dangjian_rules.ruleset.compiled import Ruleset

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


class InvariantFailed(AssertionError):
    """An invariant failed on one example (:func:`check_invariants`); ``invariant`` is its
    key in :data:`INVARIANTS`, ``subject`` the subject it failed for, if one."""

    def __init__(self, invariant: str, message: str, message_zh: str, subject: str | None):
        super().__init__(f"{invariant}: {message}")
        self.invariant = invariant
        self.message = message
        self.message_zh = message_zh
        self.subject = subject


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
                f"{who} scores {scalar_text(result.score)}, {side} {scalar_text(bound)}, and is not vetoed",
                f"{who} 得分 {scalar_text(result.score)}，{side_zh} {scalar_text(bound)}，且未被否决",
                who,
            )
    for category in result.categories:
        if (category.min is not None and category.score < category.min) or (
            category.max is not None and category.score > category.max
        ):
            raise InvariantFailed(
                "category-bounds",
                f"category {category.id} of {who} is {scalar_text(category.score)}, outside "
                f"[{scalar_text(category.min)}, {scalar_text(category.max)}]",
                f"{who} 的类别 {category.id} 得分 {scalar_text(category.score)}，超出 "
                f"[{scalar_text(category.min)}, {scalar_text(category.max)}]",
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
                f"{scope} {owner} gave {who} {scalar_text(total)} in one {per}, above its cap "
                f"{scalar_text(limits[(scope, owner, per)])}",
                f"{'规则' if scope == 'rule' else '类别'} {owner} {PER_WINDOW_ZH.get(per, per)}给 {who} "
                f"{scalar_text(total)} 分，超过封顶 {scalar_text(limits[(scope, owner, per)])}",
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
                f"{who} scores {scalar_text(result.score)}, but the base {scalar_text(result.base)} plus what "
                f"counted is {scalar_text(total)}",
                f"{who} 得分 {scalar_text(result.score)}，但基础分 {scalar_text(result.base)} 加计入分为 {scalar_text(total)}",
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
