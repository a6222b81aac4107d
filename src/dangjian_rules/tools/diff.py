"""What a rule change does, before a committee adopts it: the old and the new ruleset on
the same data, subject by subject.

The report counts the subjects whose grade, stars or tier change, tabulates the
transitions (合格 → 优秀: 37) and lists the largest score changes with the rules
responsible (the rules whose points differ most for that subject).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.api import evaluate
from dangjian_rules.errors import Language
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import SubjectResult, format_decimal
from dangjian_rules.plugins.manager import Registry
from dangjian_rules.ruleset.compiled import Ruleset


@attrs.frozen
class Change:
    subject: str
    name: str
    old_score: Decimal
    new_score: Decimal
    old_grade: str | None
    new_grade: str | None
    #: rule id → new points − old points, largest first
    rules: tuple[tuple[str, Decimal], ...]

    @property
    def delta(self) -> Decimal:
        return self.new_score - self.old_score


@attrs.frozen
class Diff:
    old: Ruleset
    new: Ruleset
    subjects: int
    only_old: tuple[str, ...]
    only_new: tuple[str, ...]
    grades: tuple[tuple[str, str, int], ...]  # (old, new, count), changes only
    stars: tuple[tuple[int, int, int], ...]
    tiers: tuple[tuple[str, str, int], ...]
    changes: tuple[Change, ...]  # largest |score change| first


def _points_by_rule(result: SubjectResult) -> dict[str, Decimal]:
    points: dict[str, Decimal] = {}
    for entry in result.trace:
        if entry.rule is not None and entry.points is not None:
            points[entry.rule] = points.get(entry.rule, Decimal(0)) + entry.points
    for adjustment in result.adjustments:
        points[adjustment.rule] = points.get(adjustment.rule, Decimal(0)) + adjustment.points
    return points


def compare(
    old: Ruleset,
    new: Ruleset,
    dataset: Dataset,
    period: Period,
    others: Sequence[Ruleset] = (),
    registry: Registry | None = None,
    top: int = 10,
) -> Diff:
    """Evaluate both rulesets (each with ``others`` it may read) and compare."""
    old_run = evaluate([old, *others], dataset, period, registry, pinned={old.id: old.version})
    new_run = evaluate([new, *others], dataset, period, registry, pinned={new.id: new.version})
    before = {r.subject.id: r for r in old_run.results if r.ruleset == old.id}
    after = {r.subject.id: r for r in new_run.results if r.ruleset == new.id}
    both = sorted(set(before) & set(after))
    grades: Counter[tuple[str, str]] = Counter()
    stars: Counter[tuple[int, int]] = Counter()
    tiers: Counter[tuple[str, str]] = Counter()
    changes: list[Change] = []
    for subject in both:
        a, b = before[subject], after[subject]
        if a.grade != b.grade:
            grades[(a.grade or "—", b.grade or "—")] += 1
        if a.stars is not None and b.stars is not None and a.stars.count != b.stars.count:
            stars[(a.stars.count, b.stars.count)] += 1
        if a.tier is not None and b.tier is not None and a.tier.tier != b.tier.tier:
            tiers[(a.tier.tier, b.tier.tier)] += 1
        if a.score != b.score:
            old_points, new_points = _points_by_rule(a), _points_by_rule(b)
            deltas = {
                rule: new_points.get(rule, Decimal(0)) - old_points.get(rule, Decimal(0))
                for rule in {*old_points, *new_points}
            }
            responsible = sorted(
                ((rule, d) for rule, d in deltas.items() if d), key=lambda x: (-abs(x[1]), x[0])
            )
            changes.append(
                Change(
                    subject,
                    b.subject.name,
                    a.score,
                    b.score,
                    a.grade,
                    b.grade,
                    tuple(responsible[:3]),
                )
            )
    changes.sort(key=lambda c: (-abs(c.delta), c.subject))
    return Diff(
        old=old,
        new=new,
        subjects=len(both),
        only_old=tuple(sorted(set(before) - set(after))),
        only_new=tuple(sorted(set(after) - set(before))),
        grades=tuple(
            (o, n, c) for (o, n), c in sorted(grades.items(), key=lambda x: (-x[1], x[0]))
        ),
        stars=tuple((o, n, c) for (o, n), c in sorted(stars.items(), key=lambda x: (-x[1], x[0]))),
        tiers=tuple((o, n, c) for (o, n), c in sorted(tiers.items(), key=lambda x: (-x[1], x[0]))),
        changes=tuple(changes[:top]),
    )


def to_json(diff: Diff) -> dict[str, Any]:
    return {
        "old": {"id": diff.old.id, "version": diff.old.version, "sha256": diff.old.sha256},
        "new": {"id": diff.new.id, "version": diff.new.version, "sha256": diff.new.sha256},
        "subjects": diff.subjects,
        "only_old": list(diff.only_old),
        "only_new": list(diff.only_new),
        "grade_changes": [{"from": o, "to": n, "count": c} for o, n, c in diff.grades],
        "star_changes": [{"from": o, "to": n, "count": c} for o, n, c in diff.stars],
        "tier_changes": [{"from": o, "to": n, "count": c} for o, n, c in diff.tiers],
        "largest_changes": [
            {
                "subject": c.subject,
                "name": c.name,
                "old_score": format_decimal(c.old_score),
                "new_score": format_decimal(c.new_score),
                "change": format_decimal(c.delta),
                "old_grade": c.old_grade,
                "new_grade": c.new_grade,
                "rules": [{"rule": r, "change": format_decimal(d)} for r, d in c.rules],
            }
            for c in diff.changes
        ],
    }


def _signed(value: Decimal) -> str:
    return f"+{format_decimal(value)}" if value >= 0 else f"−{format_decimal(-value)}"


def to_text(diff: Diff, lang: Language) -> str:
    zh = lang == "zh"
    lines = [
        f"{diff.old.id} {diff.old.version} → {diff.new.id} {diff.new.version}",
        (f"{diff.subjects} 个考核对象" if zh else f"{diff.subjects} subjects")
        + (
            f"；等次变化 {sum(c for *_, c in diff.grades)} 个"
            if zh
            else f"; {sum(c for *_, c in diff.grades)} change grade"
        ),
    ]
    for title_en, title_zh, rows in (
        ("grade changes", "等次变化", diff.grades),
        ("star changes", "星级变化", diff.stars),
        ("tier changes", "类别变化", diff.tiers),
    ):
        if rows:
            lines.append("")
            lines.append(title_zh if zh else title_en)
            lines.extend(f"  {o} → {n}: {c}" for o, n, c in rows)
    if diff.changes:
        lines.append("")
        lines.append("得分变化最大的对象" if zh else "largest score changes")
        for change in diff.changes:
            rules = ", ".join(f"{r} {_signed(d)}" for r, d in change.rules)
            lines.append(
                f"  {change.subject} {change.name}: {format_decimal(change.old_score)} → "
                f"{format_decimal(change.new_score)} ({_signed(change.delta)})"
                + (
                    f" [{change.old_grade} → {change.new_grade}]"
                    if change.old_grade != change.new_grade
                    else ""
                )
                + (f"; {rules}" if rules else "")
            )
    if diff.only_old or diff.only_new:
        lines.append("")
        if diff.only_old:
            lines.append(
                ("仅旧规则集有结果：" if zh else "only under the old: ") + ", ".join(diff.only_old)
            )
        if diff.only_new:
            lines.append(
                ("仅新规则集有结果：" if zh else "only under the new: ") + ", ".join(diff.only_new)
            )
    return "\n".join(lines) + "\n"
