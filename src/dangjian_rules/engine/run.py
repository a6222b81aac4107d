"""The engine: evaluate rulesets over a dataset for a period.

For each subject the engine walks its events in (date, id) order, so where a cap
decides which events count, earlier events count first and shuffling the input
changes nothing.  Every event lands in exactly one accounting bucket.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules._version import __version__
from dangjian_rules.engine.verdicts import (
    apply_quotas,
    earn_stars,
    earn_tier,
    facts_for,
    judge_flags,
    limit_stars,
    limit_tier,
    select,
)
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.period import Period, WindowKind, window_key, window_label
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import (
    BUCKETS,
    SCHEMA_VERSION,
    Adjustment,
    CategoryScore,
    DataRef,
    Limit,
    Measured,
    PeriodRef,
    RulesetRef,
    RunResult,
    Subject,
    SubjectResult,
    TraceEntry,
    Veto,
)
from dangjian_rules.plugins.manager import Registry, default_registry
from dangjian_rules.ruleset.compiled import Category, GradeScale, Ruleset
from dangjian_rules.ruleset.files import in_force_versions
from dangjian_rules.ruleset.measures import SubjectContext
from dangjian_rules.ruleset.rules import Cap, EndContext, Rule
from dangjian_rules.ruleset.verdicts import Facts, rank_order

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
    measures: Mapping[str, Measured] | None = None,
    measured_ids: frozenset[str] = frozenset(),
    keep: bool = True,
) -> SubjectResult:
    """One subject's points, grade and accounting; ``events`` must be in (date, id) order.

    ``measures`` are the subject's measure values (computed first, for ``measure`` rules);
    ``measured_ids`` the events given to a measure, accounted as "measured" when no points
    rule claims them.  ``keep`` false leaves the per-event trace out (summary mode); the
    accounting counts are kept either way.
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
        status = event.status
        if status != "approved":
            bucket = "pending" if status == "pending" else "returned"
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
            continue
        if matched is None or amount is None:
            if event.id in measured_ids:
                counts["measured"] += 1
                if keep:
                    trace.append(
                        TraceEntry(event.id, day, event.type, "measured", None, None, None, None)
                    )
                continue
            counts["unmatched"] += 1
            note = "no rule for this event type" if not candidates else "no rule's condition held"
            if keep:
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
            if keep:
                trace.append(
                    TraceEntry(event.id, day, event.type, "veto", rule.id, None, None, None)
                )
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
        if keep:
            trace.append(
                TraceEntry(event.id, day, event.type, bucket, rule.id, signed, amount, limit)
            )

    # Subject-level adjustments (e.g. a resolution rate), applied at the period's end.
    adjustments: list[Adjustment] = []
    for compiled_rule in compiled.finishing:
        finish = compiled_rule.rule.award.finish
        assert finish is not None
        ending = EndContext(period, measures)
        for change in finish(matched_events.get(compiled_rule.index, []), ending):
            category = compiled_rule.category
            applied, limit = _bounded_change(
                change.points,
                cat_totals[category] if category is not None else None,
                categories[category] if category is not None else None,
                total,
                score_min,
                score_max,
            )
            # A gain also counts against the category's caps, in the window of the
            # period's last day, like a record dated then.
            cap_keys: list[tuple[tuple[str, int, int], int]] = []
            if category is not None and applied > ZERO:
                for slot in compiled_rule.slots:
                    if slot.owner_scope != "category":
                        continue
                    key = (slot.counter, slot.window(period.end))
                    cap_keys.append(key)
                    room = slot.cap.max - used.get(key, ZERO)
                    if room < applied:
                        applied = room if room > ZERO else ZERO
                        limit = Limit(
                            "category",
                            slot.owner,
                            slot.cap.per,
                            window_label(slot.cap.per, period.end),
                            "max",
                            slot.cap.max,
                        )
                for key in cap_keys:
                    used[key] = used.get(key, ZERO) + applied
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
        measures=dict(measures),
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
    previous: RunResult | None = None,
    pinned: Mapping[str, str] | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> RunResult:
    """Evaluate one or more rulesets over a dataset for a period.

    Of several versions of one ruleset id, the one in force for the whole period is used,
    unless ``pinned`` names a version (ruleset id → version).

    ``workers > 1`` evaluates slices of whole organization subtrees in that many local
    processes; ``executor`` (any concurrent.futures executor, e.g. a Dask client's
    ``get_executor()``) runs them there instead.  Quotas, selection and the subjects above
    the slices are done in this process, so the result is the same as a single run.
    ``with_trace=False`` (summary mode) leaves out the per-event traces.
    ``progress(ruleset_id, done, total)``, if given, is called as subjects are evaluated
    (every few hundred, and once when a ruleset is done), e.g. for a progress bar.

    Rulesets that read other rulesets' results are evaluated after them.  ``previous`` is
    the result of the period before, for limits on stars and tiers and for conditions on
    ``previous.*``.  Plugins' ``dangjian_rules_process_results`` wrappers see the run
    before it is returned.  Raises :class:`ProblemsFound` if a ruleset is not in force
    for the period, needs a ruleset not given, or the previous result does not fit.
    """
    if isinstance(rulesets, Ruleset):
        rulesets = [rulesets]
    pinned = pinned or {}
    rulesets, problems = in_force_versions(rulesets, period.start, period.end, pinned)
    problems += [  # a pinned version is used on purpose, in force or not (e.g. a what-if)
        _not_in_force(r, period)
        for r in rulesets
        if r.id not in pinned and not r.in_force_on(period.start, period.end)
    ]
    if problems:
        raise ProblemsFound(problems)
    # The engine allocates many small objects and creates no reference cycles; the
    # cyclic collector would only re-scan the whole dataset again and again (≈2× time).
    registry = registry or default_registry()
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Rule kinds from plugins run here: an exception in their code names the plugin.
        with registry.guard("evaluating " + ", ".join(r.id for r in rulesets)):
            if executor is not None:
                run = _evaluate(
                    rulesets,
                    dataset,
                    period,
                    previous,
                    executor,
                    max(workers, 2),
                    with_trace=with_trace,
                )
            elif workers > 1:
                run = _evaluate_forked(rulesets, dataset, period, previous, workers, with_trace)
            else:
                run = _evaluate(
                    rulesets, dataset, period, previous, with_trace=with_trace, progress=progress
                )
    finally:
        if collecting:
            gc.enable()
    processed: RunResult = registry.call("dangjian_rules_process_results", run=run)
    return processed


def _order(rulesets: Sequence[Ruleset]) -> list[Ruleset]:
    """Rulesets in dependency order (a ruleset after those whose results it reads)."""
    by_id = {r.id: r for r in rulesets}
    problems: list[Problem] = []
    for ruleset in rulesets:
        for needed in ruleset.needs:
            if needed not in by_id:
                problems.append(
                    Problem(
                        code="DJ121",
                        message=f'ruleset "{ruleset.id}" reads the results of "{needed}", '
                        "which is not among the rulesets evaluated",
                        message_zh=f"规则集“{ruleset.id}”需要规则集“{needed}”的结果，"
                        "但本次评估未包含该规则集",
                        file=ruleset.source,
                        path="measures",
                        hint=f"add --ruleset for {needed}",
                        hint_zh=f"请同时用 --ruleset 传入 {needed}",
                    )
                )
    if problems:
        raise ProblemsFound(problems)
    ordered: list[Ruleset] = []
    state: dict[str, str] = {}

    def visit(ruleset: Ruleset, chain: list[str]) -> None:
        if state.get(ruleset.id) == "done":
            return
        if state.get(ruleset.id) == "visiting":
            cycle = [*chain[chain.index(ruleset.id) :], ruleset.id]
            raise ProblemsFound([cycle_problem(ruleset, cycle)])
        state[ruleset.id] = "visiting"
        for needed in ruleset.needs:
            visit(by_id[needed], [*chain, ruleset.id])
        state[ruleset.id] = "done"
        ordered.append(ruleset)

    for ruleset in sorted(rulesets, key=lambda r: r.id):
        visit(ruleset, [])
    return ordered


def cycle_problem(ruleset: Ruleset, cycle: Sequence[str]) -> Problem:
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


def _check_previous(previous: RunResult, rulesets: Sequence[Ruleset], period: Period) -> None:
    problems: list[Problem] = []
    if previous.period.end >= period.start:
        problems.append(
            Problem(
                code="DJ123",
                message=f"the previous result is for {previous.period.label} "
                f"({previous.period.start}..{previous.period.end}), which does not end before "
                f"{period.label}",
                message_zh=f"上期结果的考核期为 {previous.period.label}，不早于本期 {period.label}",
                hint="pass the result of the period before this one",
                hint_zh="请传入本期之前一期的结果",
            )
        )
    ids = {r.id for r in previous.rulesets}
    wanted = {r.id for r in rulesets if r.stars or r.tiers or r.selection}
    if wanted and not ids & wanted:
        problems.append(
            Problem(
                code="DJ124",
                message=f"the previous result holds {', '.join(sorted(ids)) or 'no ruleset'}, "
                f"not {', '.join(sorted(wanted))}",
                message_zh=f"上期结果包含的是 {', '.join(sorted(ids)) or '无'}，"
                f"而非 {', '.join(sorted(wanted))}",
                hint="pass the previous result of the same rulesets",
                hint_zh="请传入相同规则集的上期结果",
            )
        )
    if problems:
        raise ProblemsFound(problems)


def _subjects(
    ruleset: Ruleset, dataset: Dataset, period: Period
) -> list[tuple[Subject, Member | None, Organization | None]]:
    subjects: list[tuple[Subject, Member | None, Organization | None]] = []
    if ruleset.subject == "member":
        chosen = ruleset.member_filter
        for member_id in sorted(dataset.members):
            member = dataset.members[member_id]
            if member.active_during(period.start, period.end) and (
                chosen is None
                or chosen(None, member, dataset.organizations.get(member.organization))
            ):
                subjects.append(
                    (
                        Subject(
                            "member", member.id, member.name, member.organization, member.status
                        ),
                        member,
                        dataset.organizations.get(member.organization),
                    )
                )
    else:
        kinds = set(ruleset.organization_kinds)
        for org_id in sorted(dataset.organizations):
            organization = dataset.organizations[org_id]
            if kinds and organization.kind not in kinds:
                continue
            subjects.append(
                (
                    Subject("organization", org_id, organization.name, organization.parent),
                    None,
                    organization,
                )
            )
    return subjects


def _measure(
    ruleset: Ruleset,
    subject: Subject,
    member: Member | None,
    organization: Organization | None,
    events: Sequence[Event],
    period: Period,
    dataset: Dataset,
    results: Mapping[str, Mapping[str, SubjectResult]],
    previous: Mapping[str, SubjectResult],
) -> tuple[dict[str, Measured], frozenset[str]]:
    values: dict[str, Measured] = {}
    given: set[str] = set()
    approved = [
        e for e in events if e.status == "approved" and period.start <= e.date <= period.end
    ]
    for measure in ruleset.measures:
        chosen = [
            e
            for e in approved
            if e.type in measure.on
            and (measure.condition is None or measure.condition(e, member, organization))
        ]
        given.update(e.id for e in chosen)
        context = SubjectContext(
            subject.kind,
            subject.id,
            member,
            organization,
            chosen,
            period,
            dataset,
            results,
            previous,
            values,
        )
        values[measure.id] = measure.compute(context)
    return values, frozenset(given)


#: how often (in subjects) the engine calls ``progress``: rarely enough to cost nothing
_PROGRESS_EVERY = 256


def _subject_phase(
    ruleset: Ruleset,
    subjects: Sequence[tuple[Subject, Member | None, Organization | None]],
    dataset: Dataset,
    period: Period,
    done: Mapping[str, Mapping[str, SubjectResult]],
    before: Mapping[tuple[str, str], SubjectResult],
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, SubjectResult], dict[str, Facts]]:
    """Each subject on its own: measures, points, grade, flags, stars and tier earned."""
    compiled = CompiledRuleset.of(ruleset)
    by_subject = dataset.events_by_subject
    previous_by_subject: dict[str, dict[str, SubjectResult]] = {}
    for (ruleset_id, subject_id), earlier in before.items():
        previous_by_subject.setdefault(subject_id, {})[ruleset_id] = earlier
    mine: dict[str, SubjectResult] = {}
    facts: dict[str, Facts] = {}
    for index, (subject, member, organization) in enumerate(subjects):
        if progress is not None and not index % _PROGRESS_EVERY:
            progress(ruleset.id, index, len(subjects))
        events = by_subject.get((subject.kind, subject.id), ())
        measures: dict[str, Measured] = {}
        given: frozenset[str] = frozenset()
        if ruleset.measures:
            measures, given = _measure(
                ruleset,
                subject,
                member,
                organization,
                events,
                period,
                dataset,
                done,
                previous_by_subject.get(subject.id, {}),
            )
        result = evaluate_subject(
            compiled, subject, member, organization, events, period, measures, given, with_trace
        )
        if ruleset.flags or ruleset.stars or ruleset.tiers or ruleset.selection:
            past = before.get((ruleset.id, subject.id))
            fact = facts_for(result, measures, past)
            flags = judge_flags(ruleset.flags, fact, member, organization)
            result = attrs.evolve(result, flags=flags)
            fact["result"]["flagged"] = bool(flags)
            vetoed = [f"{v.label}（{v.event}）" for v in result.vetoes]
            if ruleset.stars is not None:
                stars = limit_stars(
                    ruleset.stars,
                    earn_stars(ruleset.stars, fact, member, organization, vetoed),
                    past,
                )
                result = attrs.evolve(result, stars=stars)
                fact["result"]["stars"] = Decimal(stars.count)  # tiers and quotas read it
            if ruleset.tiers is not None:
                result = attrs.evolve(
                    result,
                    tier=limit_tier(
                        ruleset.tiers,
                        earn_tier(ruleset.tiers, fact, member, organization),
                        past,
                    ),
                )
                assert result.tier is not None
                fact["result"]["tier"] = result.tier.tier
            facts[subject.id] = fact
        mine[subject.id] = result
    return mine, facts


@attrs.frozen
class _Part:
    """A slice of the data that holds whole organization subtrees (a unit of parallel work)."""

    dataset: Dataset
    organizations: frozenset[str]  # the subtrees' organizations (not their ancestors)


def partition(dataset: Dataset, parts: int) -> tuple[list[_Part], frozenset[str]]:
    """Split the data into at most ``parts`` slices of whole subtrees below the roots,
    balanced by members; also returns the organizations above the slices (the roots),
    whose subjects must be evaluated on the whole data."""
    tops: list[str] = []
    for root in dataset.roots:
        tops.extend(dataset.children.get(root, ()) or (root,))
    weights = {
        top: sum(len(dataset.members_by_organization.get(o, ())) for o in dataset.subtree(top))
        for top in tops
    }
    buckets: list[list[str]] = [[] for _ in range(max(1, min(parts, len(tops))))]
    loads = [0] * len(buckets)
    for top in sorted(tops, key=lambda t: (-weights[t], t)):
        smallest = loads.index(min(loads))
        buckets[smallest].append(top)
        loads[smallest] += weights[top]
    inside: set[str] = set()
    out: list[_Part] = []
    for bucket in buckets:
        orgs = {o for top in bucket for o in dataset.subtree(top)}
        inside |= orgs
        above = {a for o in bucket for a in dataset.ancestors(o)}
        members = {
            m: dataset.members[m] for o in orgs for m in dataset.members_by_organization.get(o, ())
        }
        events = tuple(
            e for e in dataset.events if (e.member in members) or (e.organization in orgs)
        )
        out.append(
            _Part(
                Dataset(
                    {o: dataset.organizations[o] for o in sorted(orgs | above)},
                    dict(sorted(members.items())),
                    events,
                    dataset.source,
                ),
                frozenset(orgs),
            )
        )
    return out, frozenset(set(dataset.organizations) - inside)


#: Slices handed to forked local workers without pickling (they inherit this module's state).
_FORKED_SLICES: list[_Part] = []


def _remote_phase(
    ruleset: Ruleset,
    part: _Part | int,
    period: Period,
    done: Mapping[str, Mapping[str, SubjectResult]],
    before: Mapping[tuple[str, str], SubjectResult],
    with_trace: bool = True,
) -> tuple[dict[str, SubjectResult], dict[str, Facts]]:
    """The subject phase on one slice, in another process or on a Dask worker."""
    gc.disable()  # a worker only builds results; see evaluate()
    if isinstance(part, int):
        part = _FORKED_SLICES[part]
    subjects = [
        (s, m, o)
        for s, m, o in _subjects(ruleset, part.dataset, period)
        if _home(s, m, o) in part.organizations
    ]
    return _subject_phase(ruleset, subjects, part.dataset, period, done, before, with_trace)


def _home(subject: Subject, member: Member | None, organization: Organization | None) -> str:
    if member is not None:
        return member.organization
    assert organization is not None
    return organization.id


def _evaluate_forked(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    previous: RunResult | None,
    workers: int,
    with_trace: bool,
) -> RunResult:
    """Local processes that inherit the data by fork, where the platform has fork."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return _evaluate(
                rulesets, dataset, period, previous, pool, workers, with_trace=with_trace
            )
    context = multiprocessing.get_context("fork")
    # The slices are set by _evaluate before the first task; workers start lazily, at the
    # first submit, so they fork after that and inherit them.
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        try:
            return _evaluate(rulesets, dataset, period, previous, pool, workers, True, with_trace)
        finally:
            _FORKED_SLICES.clear()


def _evaluate(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    previous: RunResult | None = None,
    executor: Executor | None = None,
    parts: int = 1,
    forked: bool = False,
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> RunResult:
    if previous is not None:
        _check_previous(previous, rulesets, period)
    before: dict[tuple[str, str], SubjectResult] = {
        (r.ruleset, r.subject.id): r for r in (previous.results if previous else ())
    }
    done: dict[str, dict[str, SubjectResult]] = {}
    refs: list[RulesetRef] = []
    by_subject = dataset.events_by_subject
    slices: list[_Part] = []
    above: frozenset[str] = frozenset()
    if executor is not None:
        slices, above = partition(dataset, parts)
        if forked:
            _FORKED_SLICES[:] = slices
    for ruleset in _order(rulesets):
        subjects = _subjects(ruleset, dataset, period)
        evaluated = {(s.kind, s.id) for s, _, _ in subjects}
        people = {s.id: (m, o) for s, m, o in subjects}
        if executor is None:
            mine, facts = _subject_phase(
                ruleset, subjects, dataset, period, done, before, with_trace, progress
            )
            if progress is not None:
                progress(ruleset.id, len(subjects), len(subjects))
        else:
            mine, facts = {}, {}
            futures = []
            for number, part in enumerate(slices):
                ids = {m for m in part.dataset.members} | set(part.organizations)
                futures.append(
                    executor.submit(
                        _remote_phase,
                        ruleset,
                        number if forked else part,
                        period,
                        {r: {k: v for k, v in res.items() if k in ids} for r, res in done.items()},
                        {k: v for k, v in before.items() if k[1] in ids},
                        with_trace,
                    )
                )
            central = [(s, m, o) for s, m, o in subjects if _home(s, m, o) in above]
            got, got_facts = _subject_phase(
                ruleset, central, dataset, period, done, before, with_trace
            )
            mine.update(got)
            facts.update(got_facts)
            for future in futures:
                got, got_facts = future.result()
                mine.update(got)
                facts.update(got_facts)
        mine = _across_subjects(ruleset, mine, facts, people, dataset, before)
        done[ruleset.id] = mine
        unassigned: dict[str, int] = {}
        for key, events in by_subject.items():
            if key in evaluated:
                continue
            if key[0] == "member" and ruleset.subject == "member":
                member = dataset.members.get(key[1])
                active = member is not None and member.active_during(period.start, period.end)
                reason = "member_not_rated" if active else "inactive_member"
            elif key[0] == ruleset.subject:
                reason = "organization_not_rated"
            else:
                reason = f"{key[0]}_events"
            unassigned[reason] = unassigned.get(reason, 0) + len(events)
        refs.append(
            RulesetRef(
                ruleset.id,
                ruleset.name,
                ruleset.version,
                ruleset.sha256,
                ruleset.subject,
                dict(sorted(unassigned.items())),
                ruleset.extends,
            )
        )
    counts = dataset.counts()
    return RunResult(
        schema=SCHEMA_VERSION,
        engine=ENGINE,
        period=PeriodRef(period.start, period.end, period.label),
        rulesets=tuple(sorted(refs, key=lambda r: r.id)),
        data=DataRef(
            dataset.fingerprint, counts["organizations"], counts["members"], counts["events"]
        ),
        results=tuple(
            result for ruleset_id in sorted(done) for _, result in sorted(done[ruleset_id].items())
        ),
    )


def _across_subjects(
    ruleset: Ruleset,
    results: dict[str, SubjectResult],
    facts: dict[str, Facts],
    people: Mapping[str, tuple[Member | None, Organization | None]],
    dataset: Dataset,
    before: Mapping[tuple[str, str], SubjectResult],
) -> dict[str, SubjectResult]:
    """Quotas and selection, which compare subjects with each other."""
    spec = ruleset.stars
    if spec is not None and spec.quotas:
        order = {s: rank_order(spec.rank_by, facts[s], s) for s in results}
        stars = {s: r.stars for s, r in results.items() if r.stars is not None}
        for subject_id, limited in apply_quotas(spec, stars, order).items():
            results[subject_id] = attrs.evolve(results[subject_id], stars=limited)
    if ruleset.selection is not None:
        for subject_id, result in results.items():  # selection sees final stars and tiers
            fact = facts[subject_id]
            fact["result"]["stars"] = None if result.stars is None else Decimal(result.stars.count)
            fact["result"]["tier"] = None if result.tier is None else result.tier.tier
        scope_kind = ruleset.selection.scope

        def scope_of(subject_id: str) -> str | None:
            if scope_kind is None:
                return None
            member, organization = people[subject_id]
            start = (
                member.organization
                if member is not None
                else (organization.id if organization is not None else None)
            )
            if start is None or start not in dataset.organizations:
                return None
            for org_id in (start, *dataset.ancestors(start)):
                if dataset.organizations[org_id].kind == scope_kind:
                    return org_id
            return None

        chosen = select(ruleset.selection, sorted(results), facts, people, scope_of)
        for subject_id, selection in chosen.items():
            results[subject_id] = attrs.evolve(results[subject_id], selection=selection)
    return results


def describe_award(rule: Rule) -> dict[str, Any]:
    """A rule's award and caps in words, for explanations."""
    return {
        "summary": rule.award.summary,
        "summary_zh": rule.award.summary_zh,
        "caps": [f"max {c.max} per {c.per}" for c in rule.caps],
    }
