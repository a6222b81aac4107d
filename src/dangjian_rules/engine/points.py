"""One subject's points: the compiled ruleset and the per-event loop (the hot path).

The engine walks a subject's events in (date, id) order, so where a cap decides which
events count, earlier events count first and shuffling the input changes nothing.  Every
event lands in exactly one accounting bucket.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal

import attrs

from dangjian_rules.convert import computed_exactly
from dangjian_rules.model.period import Period, WindowKind, window_key, window_label
from dangjian_rules.model.records import Event, Member, Organization
from dangjian_rules.model.result import (
    BUCKETS,
    Adjustment,
    CategoryScore,
    Limit,
    Measured,
    Subject,
    SubjectResult,
    TraceEntry,
    Veto,
)
from dangjian_rules.ruleset.compiled import Category, GradeScale, Ruleset
from dangjian_rules.ruleset.rules import Cap, EndContext, Rule

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


@computed_exactly  # points × quantities summed: 28 digits would round them
def score_subject(
    compiled: CompiledRuleset,
    subject: Subject,
    member: Member | None,
    organization: Organization | None,
    events: Sequence[Event],
    period: Period,
    measures: Mapping[str, Measured] | None = None,
    measured_ids: frozenset[str] = frozenset(),
    keep: bool = True,
) -> SubjectResult:
    """One subject's points, grade and accounting; ``events`` must be in (date, id) order.

    ``measures`` are the subject's measure values (computed first, for ``measure`` rules);
    ``measured_ids`` the events given to a measure, accounted as "measured" when no points
    rule claims them.  ``keep`` false leaves the per-event trace out (summary mode); the
    accounting counts are kept either way.  The per-event loop is one function on purpose:
    it is the hot path, and a call per event would cost a tenth of its time.
    """
    measures = measures or {}
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
            if keep:
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
        if (
            event.status != "approved"
            or matched is None
            or amount is None
            or matched.effect == "veto"
        ):
            _account_unscored(
                event, matched, amount, not candidates, measured_ids, counts, trace, vetoes, keep
            )
            continue
        rule = matched.rule

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
        if keep:
            trace.append(
                TraceEntry(event.id, day, event.type, bucket, rule.id, signed, amount, limit)
            )

    adjustments, total = _adjust_at_end(
        compiled, matched_events, measures, period, cat_totals, total, used
    )
    scale, score, grade = _grade(ruleset.grades, vetoes, total, member, organization)
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
        measures=dict(measures),
    )


def _account_unscored(
    event: Event,
    matched: _CompiledRule | None,
    amount: Decimal | None,
    no_rule: bool,
    measured_ids: frozenset[str],
    counts: dict[str, int],
    trace: list[TraceEntry],
    vetoes: list[Veto],
    keep: bool,
) -> None:
    """Account an event in the period that adds no points: pending or returned, claimed by
    no rule (given to a measure, or unmatched), or claimed by a veto rule."""
    day = event.date
    if event.status != "approved":
        bucket = "pending" if event.status == "pending" else "returned"
        counts[bucket] += 1
        if keep:
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
        return
    if matched is None or amount is None:
        if event.id in measured_ids:
            counts["measured"] += 1
            if keep:
                trace.append(
                    TraceEntry(event.id, day, event.type, "measured", None, None, None, None)
                )
            return
        counts["unmatched"] += 1
        note = "no rule for this event type" if no_rule else "no rule's condition held"
        if keep:
            trace.append(
                TraceEntry(event.id, day, event.type, "unmatched", None, None, None, None, note)
            )
        return
    rule = matched.rule
    award = rule.award
    counts["veto"] += 1
    vetoes.append(Veto(rule.id, rule.label, event.id, day, award.veto_grade, award.veto_score))
    if keep:
        trace.append(TraceEntry(event.id, day, event.type, "veto", rule.id, None, None, None))


def _adjust_at_end(
    compiled: CompiledRuleset,
    matched_events: Mapping[int, list[tuple[Event, Decimal]]],
    measures: Mapping[str, Measured],
    period: Period,
    cat_totals: list[Decimal],
    total: Decimal,
    used: dict[tuple[tuple[str, int, int], int], Decimal],
) -> tuple[list[Adjustment], Decimal]:
    """Subject-level adjustments (e.g. a resolution rate), applied at the period's end;
    updates ``cat_totals`` and ``used`` and returns the adjustments and the new total."""
    ruleset = compiled.ruleset
    categories = ruleset.categories
    adjustments: list[Adjustment] = []
    ending = EndContext(period, measures)
    for compiled_rule in compiled.finishing:
        finish = compiled_rule.rule.award.finish
        assert finish is not None
        for change in finish(matched_events.get(compiled_rule.index, []), ending):
            category = compiled_rule.category
            applied, limit = _bounded_change(
                change.points,
                cat_totals[category] if category is not None else None,
                categories[category] if category is not None else None,
                total,
                ruleset.min,
                ruleset.max,
            )
            if category is not None and applied > ZERO:
                applied, limit = _within_category_caps(
                    compiled_rule, applied, limit, period.end, used
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
    return adjustments, total


def _within_category_caps(
    compiled_rule: _CompiledRule,
    applied: Decimal,
    limit: Limit | None,
    day: dt.date,
    used: dict[tuple[tuple[str, int, int], int], Decimal],
) -> tuple[Decimal, Limit | None]:
    """A gain at the period's end also counts against the category's caps, in the window
    of the period's last day (``day``), like a record dated then."""
    cap_keys: list[tuple[tuple[str, int, int], int]] = []
    for slot in compiled_rule.slots:
        if slot.owner_scope != "category":
            continue
        key = (slot.counter, slot.window(day))
        cap_keys.append(key)
        room = slot.cap.max - used.get(key, ZERO)
        if room < applied:
            applied = room if room > ZERO else ZERO
            limit = Limit(
                "category",
                slot.owner,
                slot.cap.per,
                window_label(slot.cap.per, day),
                "max",
                slot.cap.max,
            )
    for key in cap_keys:
        used[key] = used.get(key, ZERO) + applied
    return applied, limit


def _grade(
    scales: Sequence[GradeScale],
    vetoes: Sequence[Veto],
    total: Decimal,
    member: Member | None,
    organization: Organization | None,
) -> tuple[GradeScale | None, Decimal, str | None]:
    """The scale that applies, the score and the grade: the first veto decides if any."""
    scale = _pick_scale(scales, member, organization)
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
    return scale, score, grade
