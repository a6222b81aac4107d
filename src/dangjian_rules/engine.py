"""The engine: evaluate rulesets over a dataset for a period.

For each subject the engine walks its events in (date, id) order, so where a cap
decides which events count, earlier events count first and shuffling the input
changes nothing.  Every event lands in exactly one accounting bucket.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from . import __version__
from .errors import Problem, ProblemsFound
from .model import Dataset, Event, Member, Organization
from .period import Period, WindowKind, window_key, window_label
from .plugins import Registry, default_registry
from .result import (
    BUCKETS,
    SCHEMA_VERSION,
    Adjustment,
    CategoryScore,
    DataRef,
    Limit,
    PeriodRef,
    RulesetRef,
    RunResult,
    Subject,
    SubjectResult,
    TraceEntry,
    Veto,
)
from .rules import Cap, Rule
from .ruleset import Category, GradeScale, Ruleset

ENGINE = f"dangjian-rules {__version__}"
ZERO = Decimal(0)


def _window_function(per: WindowKind) -> Callable[[dt.date], int]:
    if per == "month":
        return lambda d: d.year * 12 + d.month
    if per == "year":
        return lambda d: d.year
    if per == "period":
        return lambda d: 0
    return lambda d: window_key(per, d)


@attrs.frozen
class _CapSlot:
    """A cap and the counter key of its owner, compiled for the hot loop."""

    owner_scope: str
    owner: str
    cap: Cap
    window: Callable[[dt.date], int]
    #: names the counter: a rule's caps count per rule, a category's across its rules
    counter: tuple[str, int, int]


@attrs.frozen
class _CompiledRule:
    rule: Rule
    index: int
    effect: str
    slots: tuple[_CapSlot, ...]
    category: int | None
    finishes: bool


def _bounded_change(
    change: Decimal,
    category_total: Decimal | None,
    category: Category | None,
    total: Decimal,
    score_min: Decimal | None,
    score_max: Decimal | None,
) -> tuple[Decimal, Limit | None]:
    """How much of a subject-level change fits the category and score bounds."""
    applied, limit = change, None
    if change >= ZERO:
        if category is not None and category.max is not None and category_total is not None:
            room = max(category.max - category_total, ZERO)
            if room < applied:
                applied, limit = (
                    room,
                    Limit("category", category.id, None, None, "max", category.max),
                )
        if score_max is not None and max(score_max - total, ZERO) < applied:
            applied = max(score_max - total, ZERO)
            limit = Limit("score", "score", None, None, "max", score_max)
    else:
        if category is not None and category.min is not None and category_total is not None:
            room = max(category_total - category.min, ZERO)
            if room < -applied:
                applied, limit = (
                    -room,
                    Limit("category", category.id, None, None, "min", category.min),
                )
        if score_min is not None and max(total - score_min, ZERO) < -applied:
            applied = -max(total - score_min, ZERO)
            limit = Limit("score", "score", None, None, "min", score_min)
    return applied, limit


@attrs.frozen
class CompiledRuleset:
    """A ruleset prepared for fast evaluation: rules dispatched by event type."""

    ruleset: Ruleset
    by_type: Mapping[str, tuple[_CompiledRule, ...]]
    #: rules with subject-level adjustments, in ruleset order
    finishing: tuple[_CompiledRule, ...]

    @classmethod
    def of(cls, ruleset: Ruleset) -> CompiledRuleset:
        category_index = {c.id: i for i, c in enumerate(ruleset.categories)}
        by_type: dict[str, list[_CompiledRule]] = {}
        everything: list[_CompiledRule] = []
        for index, rule in enumerate(ruleset.rules):
            slots = [
                _CapSlot("rule", rule.id, cap, _window_function(cap.per), ("rule", index, i))
                for i, cap in enumerate(rule.caps)
            ]
            category = category_index.get(rule.category) if rule.category else None
            if category is not None and rule.award.effect == "points":
                slots.extend(
                    _CapSlot(
                        "category",
                        rule.category or "",
                        cap,
                        _window_function(cap.per),
                        ("category", category, i),
                    )
                    for i, cap in enumerate(ruleset.categories[category].caps)
                )
            compiled = _CompiledRule(
                rule,
                index,
                rule.award.effect,
                tuple(slots),
                category,
                rule.award.finish is not None,
            )
            everything.append(compiled)
            for type_id in rule.on:
                by_type.setdefault(type_id, []).append(compiled)
        # Veto wins: veto rules claim an event before any points rule, whatever the order.
        return cls(
            ruleset,
            {
                k: tuple(sorted(v, key=lambda c: (c.effect != "veto", c.index)))
                for k, v in by_type.items()
            },
            tuple(c for c in everything if c.finishes),
        )


def _pick_scale(
    scales: Sequence[GradeScale], member: Member | None, organization: Organization | None
) -> GradeScale | None:
    for scale in scales:
        if scale.applies is None or scale.applies(None, member, organization):
            return scale
    return None


def evaluate_subject(
    compiled: CompiledRuleset,
    subject: Subject,
    member: Member | None,
    organization: Organization | None,
    events: Sequence[Event],
    period: Period,
) -> SubjectResult:
    """One subject's result; ``events`` must be in (date, id) order."""
    ruleset = compiled.ruleset
    by_type = compiled.by_type
    categories = ruleset.categories
    cat_totals = [ZERO] * len(categories)
    cat_max = [c.max for c in categories]
    cat_min = [c.min for c in categories]
    score_max, score_min = ruleset.max, ruleset.min
    total = ruleset.base
    used: dict[tuple[tuple[str, int, int], int], Decimal] = {}
    matched_events: dict[int, list[tuple[Event, Decimal]]] = {}
    counts = dict.fromkeys(BUCKETS, 0)
    trace: list[TraceEntry] = []
    vetoes: list[Veto] = []
    start, end = period.start, period.end

    for event in events:
        day = event.date
        if day < start or day > end:
            counts["outside_period"] += 1
            trace.append(
                TraceEntry(event.id, day, event.type, "outside_period", None, None, None, None)
            )
            continue
        candidates = by_type.get(event.type, ())
        matched: _CompiledRule | None = None
        amount: Decimal | None = None
        for candidate in candidates:
            condition = candidate.rule.condition
            if condition is None or condition.evaluate(event, member, organization):
                amount = candidate.rule.award.amount(event, period)
                if amount is not None:
                    matched = candidate
                    break
        status = event.status
        if status != "approved":
            bucket = "pending" if status == "pending" else "returned"
            counts[bucket] += 1
            trace.append(
                TraceEntry(
                    event.id,
                    day,
                    event.type,
                    bucket,
                    matched.rule.id if matched else None,
                    None,
                    amount if matched is not None and matched.effect != "veto" else None,
                    None,
                )
            )
            continue
        if matched is None or amount is None:
            counts["unmatched"] += 1
            note = "no rule for this event type" if not candidates else "no rule's condition held"
            trace.append(
                TraceEntry(event.id, day, event.type, "unmatched", None, None, None, None, note)
            )
            continue
        rule = matched.rule
        if matched.effect == "veto":
            award = rule.award
            counts["veto"] += 1
            vetoes.append(
                Veto(rule.id, rule.label, event.id, day, award.veto_grade, award.veto_score)
            )
            trace.append(TraceEntry(event.id, day, event.type, "veto", rule.id, None, None, None))
            continue

        # How much of the award fits under every cap and bound; the tightest one bites.
        # Caps limit the size of awards and deductions alike; bounds depend on direction.
        adding = amount >= ZERO
        allowed = amount if adding else -amount
        limit: Limit | None = None
        keys: list[tuple[tuple[str, int, int], int]] = []
        for slot in matched.slots:
            if slot.owner_scope == "category" and not adding:
                continue  # a category's caps limit what it gains, not what it loses
            key = (slot.counter, slot.window(day))
            keys.append(key)
            room = slot.cap.max - used.get(key, ZERO)
            if room < allowed:
                allowed = room if room > ZERO else ZERO
                limit = Limit(
                    slot.owner_scope,
                    slot.owner,
                    slot.cap.per,
                    window_label(slot.cap.per, day),
                    "max",
                    slot.cap.max,
                )
        category = matched.category
        if adding:
            if category is not None:
                bound = cat_max[category]
                if bound is not None:
                    room = bound - cat_totals[category]
                    if room < allowed:
                        allowed = room if room > ZERO else ZERO
                        limit = Limit("category", categories[category].id, None, None, "max", bound)
            if score_max is not None:
                room = score_max - total
                if room < allowed:
                    allowed = room if room > ZERO else ZERO
                    limit = Limit("score", "score", None, None, "max", score_max)
            signed = allowed
        else:
            if category is not None:
                bound = cat_min[category]
                if bound is not None:
                    room = cat_totals[category] - bound
                    if room < allowed:
                        allowed = room if room > ZERO else ZERO
                        limit = Limit("category", categories[category].id, None, None, "min", bound)
            if score_min is not None:
                room = total - score_min
                if room < allowed:
                    allowed = room if room > ZERO else ZERO
                    limit = Limit("score", "score", None, None, "min", score_min)
            signed = -allowed
        if allowed > ZERO:
            for key in keys:
                used[key] = used.get(key, ZERO) + allowed
            if category is not None:
                cat_totals[category] += signed
            total += signed
        if limit is None:
            bucket = "counted"
        elif allowed > ZERO:
            bucket = "partial"
        else:
            bucket = "capped"
        counts[bucket] += 1
        if matched.finishes:
            matched_events.setdefault(matched.index, []).append((event, signed))
        trace.append(TraceEntry(event.id, day, event.type, bucket, rule.id, signed, amount, limit))

    # Subject-level adjustments (e.g. a resolution rate), applied at the period's end.
    adjustments: list[Adjustment] = []
    for compiled_rule in compiled.finishing:
        finish = compiled_rule.rule.award.finish
        assert finish is not None
        for change in finish(matched_events.get(compiled_rule.index, []), period):
            category = compiled_rule.category
            applied, limit = _bounded_change(
                change.points,
                cat_totals[category] if category is not None else None,
                categories[category] if category is not None else None,
                total,
                score_min,
                score_max,
            )
            if category is not None:
                cat_totals[category] += applied
            total += applied
            adjustments.append(
                Adjustment(
                    compiled_rule.rule.id,
                    applied,
                    change.points,
                    change.reason,
                    change.reason_zh,
                    limit,
                )
            )

    scale = _pick_scale(ruleset.grades, member, organization)
    score = total
    grade: str | None = None
    if vetoes:
        first = vetoes[0]
        if first.score is not None:
            score = first.score
        grade = first.grade or (scale.veto if scale is not None else None)
        if grade is None and scale is not None and scale.bands:
            grade = scale.bands[-1].grade
    elif scale is not None:
        grade = scale.grade_for(score)
    return SubjectResult(
        subject=subject,
        ruleset=ruleset.id,
        score=score,
        base=ruleset.base,
        grade=grade,
        scale=scale.id if scale is not None else None,
        categories=tuple(
            CategoryScore(c.id, c.label, cat_totals[i], c.min, c.max)
            for i, c in enumerate(categories)
        ),
        vetoes=tuple(vetoes),
        adjustments=tuple(adjustments),
        events=counts,
        trace=tuple(trace),
    )


def _not_in_force(ruleset: Ruleset, period: Period) -> Problem:
    since = ruleset.in_force_from.isoformat() if ruleset.in_force_from else "…"
    until = ruleset.in_force_until.isoformat() if ruleset.in_force_until else "…"
    return Problem(
        code="DJ120",
        message=(
            f'ruleset "{ruleset.id}" version {ruleset.version} is in force {since}..{until}, '
            f"which does not cover the period {period.label}"
        ),
        message_zh=(
            f"规则集“{ruleset.id}”（版本 {ruleset.version}）的生效期为 {since}..{until}，"
            f"不覆盖考核期 {period.label}"
        ),
        file=ruleset.source,
        path="ruleset.in_force",
        hint="evaluate a period inside the in-force dates, or use the version in force then",
        hint_zh="请选择生效期内的考核期，或使用当时生效的规则集版本",
    )


def evaluate(
    rulesets: Sequence[Ruleset] | Ruleset,
    dataset: Dataset,
    period: Period,
    registry: Registry | None = None,
) -> RunResult:
    """Evaluate one or more rulesets over a dataset for a period.

    Plugins' ``dangjian_rules_process_results`` wrappers see the run before it is
    returned.  Raises :class:`ProblemsFound` if a ruleset is not in force for the period.
    """
    if isinstance(rulesets, Ruleset):
        rulesets = [rulesets]
    # The engine allocates many small objects and creates no reference cycles; the
    # cyclic collector would only re-scan the whole dataset again and again (≈2× time).
    registry = registry or default_registry()
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Rule kinds from plugins run here: an exception in their code names the plugin.
        with registry.guard("evaluating " + ", ".join(r.id for r in rulesets)):
            run = _evaluate(rulesets, dataset, period)
    finally:
        if collecting:
            gc.enable()
    processed: RunResult = registry.call("dangjian_rules_process_results", run=run)
    return processed


def _evaluate(rulesets: Sequence[Ruleset], dataset: Dataset, period: Period) -> RunResult:
    problems = [
        _not_in_force(r, period) for r in rulesets if not r.in_force_on(period.start, period.end)
    ]
    if problems:
        raise ProblemsFound(problems)
    results: list[SubjectResult] = []
    refs: list[RulesetRef] = []
    by_subject = dataset.events_by_subject
    for ruleset in sorted(rulesets, key=lambda r: r.id):
        compiled = CompiledRuleset.of(ruleset)
        unassigned: dict[str, int] = {}
        evaluated: set[tuple[str, str]] = set()
        if ruleset.subject == "member":
            for member_id in sorted(dataset.members):
                member = dataset.members[member_id]
                if not member.active_during(period.start, period.end):
                    continue
                key = ("member", member_id)
                evaluated.add(key)
                organization = dataset.organizations.get(member.organization)
                subject = Subject(
                    "member", member.id, member.name, member.organization, member.status
                )
                results.append(
                    evaluate_subject(
                        compiled, subject, member, organization, by_subject.get(key, ()), period
                    )
                )
        else:
            for org_id in sorted(dataset.organizations):
                organization = dataset.organizations[org_id]
                key = ("organization", org_id)
                evaluated.add(key)
                subject = Subject("organization", org_id, organization.name, organization.parent)
                results.append(
                    evaluate_subject(
                        compiled, subject, None, organization, by_subject.get(key, ()), period
                    )
                )
        for key, events in by_subject.items():
            if key in evaluated:
                continue
            reason = (
                "inactive_member"
                if key[0] == "member" and ruleset.subject == "member"
                else f"{key[0]}_events"
            )
            unassigned[reason] = unassigned.get(reason, 0) + len(events)
        refs.append(
            RulesetRef(
                ruleset.id,
                ruleset.name,
                ruleset.version,
                ruleset.sha256,
                ruleset.subject,
                dict(sorted(unassigned.items())),
            )
        )
    counts = dataset.counts()
    return RunResult(
        schema=SCHEMA_VERSION,
        engine=ENGINE,
        period=PeriodRef(period.start, period.end, period.label),
        rulesets=tuple(refs),
        data=DataRef(
            dataset.fingerprint, counts["organizations"], counts["members"], counts["events"]
        ),
        results=tuple(results),
    )


def describe_award(rule: Rule) -> dict[str, Any]:
    """A rule's award and caps in words, for explanations."""
    return {
        "summary": rule.award.summary,
        "summary_zh": rule.award.summary_zh,
        "caps": [f"max {c.max} per {c.per}" for c in rule.caps],
    }
