"""Verdicts over a subject's points and measures: flags, stars, tiers, and selection.

Per subject: flags, the stars earned (cumulative levels or independent named stars) and
the tier earned.  Across subjects, in this order: limits against the previous period's
result, star quotas (deterministic ranking), and top-N selection.  Every step that
changes a verdict leaves a :class:`~dangjian_rules.model.result.Note` saying why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.model.records import Dataset, Member, Organization
from dangjian_rules.model.result import (
    Criterion,
    Flag,
    Note,
    Scalar,
    Selection,
    Stars,
    SubjectResult,
    Tier,
    scalar_text,
)
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.verdicts import (
    CriterionSpec,
    Facts,
    FlagSpec,
    SelectionSpec,
    StarsSpec,
    TierSpec,
    rank_order,
)

# ---------------------------------------------------------------- per subject


def judge_subject(
    ruleset: Ruleset,
    result: SubjectResult,
    measures: Mapping[str, Any],
    past: SubjectResult | None,
    member: Member | None,
    organization: Organization | None,
) -> tuple[SubjectResult, Facts | None]:
    """A subject's own verdicts, in order: flags, stars, tier — each step sees the ones
    before it (``result.flagged``, ``result.stars``).  Returns the judged result and the
    facts the verdicts across subjects read (None when the ruleset has no verdicts)."""
    if not (ruleset.flags or ruleset.stars or ruleset.tiers or ruleset.selection):
        return result, None
    fact = facts_for(result, measures, past)
    flags = judge_flags(ruleset.flags, fact, member, organization)
    result = attrs.evolve(result, flags=flags)
    fact["result"]["flagged"] = bool(flags)
    if ruleset.stars is not None:
        vetoed = [f"{v.label}（{v.event}）" for v in result.vetoes]
        earned = earn_stars(ruleset.stars, fact, member, organization, vetoed)
        stars = limit_stars(ruleset.stars, earned, past)
        result = attrs.evolve(result, stars=stars)
        fact["result"]["stars"] = Decimal(stars.count)  # tiers and quotas read it
    if ruleset.tiers is not None:
        tier = limit_tier(ruleset.tiers, earn_tier(ruleset.tiers, fact, member, organization), past)
        result = attrs.evolve(result, tier=tier)
        fact["result"]["tier"] = tier.tier
    return result, fact


def judge_flags(
    flags: Sequence[FlagSpec], facts: Facts, member: Any, organization: Any
) -> tuple[Flag, ...]:
    raised: list[Flag] = []
    for spec in flags:
        criterion = CriterionSpec(spec.id, spec.label, spec.when).judge(facts, member, organization)
        if criterion.held:
            raised.append(Flag(spec.id, spec.label, (criterion,)))
    return tuple(raised)


def earn_stars(
    spec: StarsSpec, facts: Facts, member: Any, organization: Any, vetoed: Sequence[str]
) -> Stars:
    """Stars earned by this subject alone: criteria, prerequisite and veto."""
    criteria = tuple(c.judge(facts, member, organization) for c in spec.criteria)
    if spec.mode == "named":
        earned = sum(1 for c in criteria if c.held)
    else:
        earned = 0
        for level, criterion in zip(spec.criteria, criteria, strict=True):
            if not criterion.held:
                break
            earned = level.stars
    count = earned
    notes: list[Note] = []
    if spec.requires is not None and count and not spec.requires(facts, member, organization):
        notes.append(
            Note(
                "requires",
                f"no stars: the prerequisite {spec.requires.source} does not hold",
                f"不具备评星前提（{spec.requires.source}），不评星",
            )
        )
        count = 0
    if vetoed and spec.strip_on_veto and count:
        notes.append(
            Note(
                "veto",
                f"{count} star(s) stripped by one-vote veto: {', '.join(vetoed)}",
                f"一票否决（{'、'.join(vetoed)}），摘除 {count} 颗星",
            )
        )
        count = 0
    return Stars(count, earned, criteria, tuple(notes))


def earn_tier(spec: TierSpec, facts: Facts, member: Any, organization: Any) -> Tier:
    criteria: list[Criterion] = []
    chosen = spec.default
    for rule in spec.rules:
        criterion = rule.judge(facts, member, organization)
        criteria.append(criterion)
        if criterion.held:
            chosen = rule.id
            break
    return Tier(chosen, chosen, tuple(criteria), ())


# ---------------------------------------------------------------- across subjects


def across_subjects(
    ruleset: Ruleset,
    results: dict[str, SubjectResult],
    facts: dict[str, Facts],
    people: Mapping[str, tuple[Member | None, Organization | None]],
    dataset: Dataset,
) -> dict[str, SubjectResult]:
    """Quotas, then selection: the verdicts that compare subjects with each other.
    ``facts`` are those :func:`judge_subject` returned, by subject id."""
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
        scope_of = _scope_finder(ruleset.selection.scope, people, dataset)
        chosen = select(ruleset.selection, sorted(results), facts, people, scope_of)
        for subject_id, selection in chosen.items():
            results[subject_id] = attrs.evolve(results[subject_id], selection=selection)
    return results


def _scope_finder(
    scope_kind: str | None,
    people: Mapping[str, tuple[Member | None, Organization | None]],
    dataset: Dataset,
) -> Callable[[str], str | None]:
    """The organization of kind ``scope_kind`` a subject is ranked within."""

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

    return scope_of


def limit_stars(spec: StarsSpec, stars: Stars, previous: SubjectResult | None) -> Stars:
    """At most ``max_up`` more (``max_down`` fewer) stars than the previous period's."""
    if previous is None or previous.stars is None:
        return stars
    if any(n.code in ("veto", "requires") for n in stars.notes):
        return stars  # a veto or a failed prerequisite is not softened by max_down
    before = previous.stars.count
    count, notes = stars.count, list(stars.notes)
    if spec.max_up is not None and count > before + spec.max_up:
        count = before + spec.max_up
        notes.append(
            Note(
                "previous_limit",
                f"limited to {count}: at most {spec.max_up} more than last period's {before}",
                f"较上期（{before} 星）最多增加 {spec.max_up} 颗星，定为 {count} 星",
            )
        )
    if spec.max_down is not None and count < before - spec.max_down:
        count = before - spec.max_down
        notes.append(
            Note(
                "previous_limit",
                f"kept at {count}: at most {spec.max_down} fewer than last period's {before}",
                f"较上期（{before} 星）最多减少 {spec.max_down} 颗星，定为 {count} 星",
            )
        )
    return attrs.evolve(stars, count=count, notes=tuple(notes))


def apply_quotas(
    spec: StarsSpec, stars: dict[str, Stars], order: Mapping[str, tuple[Any, ...]]
) -> dict[str, Stars]:
    """Demote the lowest-ranked subjects beyond each quota, highest level first."""
    rated = len(stars)
    result = dict(stars)
    for quota in sorted(spec.quotas, key=lambda q: -q.stars):
        allowed = math.floor(quota.at_most * rated)
        holders = sorted(
            (s for s, v in result.items() if v.count >= quota.stars), key=lambda s: order[s]
        )
        for rank, subject in enumerate(holders, start=1):
            if rank <= allowed:
                continue
            current = result[subject]
            demoted = quota.stars - 1
            note = Note(
                "quota",
                f"{current.count} → {demoted} star(s): {quota.stars}-star quota is "
                f"{quota.at_most:%} of {rated} = {allowed}, and this ranks {rank} of "
                f"{len(holders)}",
                f"{quota.stars} 星名额为 {rated} 的 {quota.at_most:%}，即 {allowed} 个；"
                f"本单位排第 {rank}/{len(holders)}，由 {current.count} 星降为 {demoted} 星",
            )
            result[subject] = attrs.evolve(current, count=demoted, notes=(*current.notes, note))
    return result


def limit_tier(spec: TierSpec, tier: Tier, previous: SubjectResult | None) -> Tier:
    """Move at most ``max_up`` tiers up (``max_down`` down) from the previous period's."""
    if previous is None or previous.tier is None or previous.tier.tier not in spec.order:
        return tier
    before = spec.order.index(previous.tier.tier)
    now = spec.order.index(tier.tier)
    notes = list(tier.notes)
    if spec.max_up is not None and before - now > spec.max_up:  # smaller index is better
        now = before - spec.max_up
        notes.append(
            Note(
                "previous_limit",
                f"promoted only to {spec.order[now]}: at most {spec.max_up} tier(s) up from "
                f"{previous.tier.tier}",
                f"较上期（{previous.tier.tier}）最多晋升 {spec.max_up} 级，定为{spec.order[now]}",
            )
        )
    if spec.max_down is not None and now - before > spec.max_down:
        now = before + spec.max_down
        notes.append(
            Note(
                "previous_limit",
                f"kept at {spec.order[now]}: at most {spec.max_down} tier(s) down from "
                f"{previous.tier.tier}",
                f"较上期（{previous.tier.tier}）最多下降 {spec.max_down} 级，定为{spec.order[now]}",
            )
        )
    return attrs.evolve(tier, tier=spec.order[now], notes=tuple(notes))


def select(
    spec: SelectionSpec,
    subjects: Sequence[str],
    facts: Mapping[str, Facts],
    people: Mapping[str, tuple[Any, Any]],
    scope_of: Callable[[str], str | None],
) -> dict[str, Selection]:
    """Rank the eligible subjects in each scope and select the first ``count``."""
    out: dict[str, Selection] = {}
    groups: dict[str | None, list[str]] = {}
    for subject in subjects:
        member, organization = people[subject]
        eligible = spec.eligible is None or bool(
            spec.eligible(facts[subject], member, organization)
        )
        keys = {k.source: scalar_text(k.value(facts[subject])) for k in spec.rank_by}
        if not eligible:
            assert spec.eligible is not None
            out[subject] = Selection(
                False,
                None,
                False,
                scope_of(subject),
                keys,
                (
                    Note(
                        "eligible",
                        f"not eligible: {spec.eligible.source} does not hold",
                        f"不符合参评条件（{spec.eligible.source}）",
                    ),
                ),
            )
            continue
        groups.setdefault(scope_of(subject), []).append(subject)
    for scope, members in groups.items():
        ranked = sorted(members, key=lambda s: rank_order(spec.rank_by, facts[s], s))
        for rank, subject in enumerate(ranked, start=1):
            chosen = rank <= spec.count
            keys = {k.source: scalar_text(k.value(facts[subject])) for k in spec.rank_by}
            where = f" in {scope}" if scope else ""
            where_zh = f"（{scope}范围内）" if scope else ""
            out[subject] = Selection(
                True,
                rank,
                chosen,
                scope,
                keys,
                (
                    Note(
                        "rank",
                        f"ranked {rank} of {len(ranked)}{where}; the first {spec.count} are "
                        f"selected" + ("" if chosen else ", so not selected"),
                        f"排名第 {rank}/{len(ranked)}{where_zh}，前 {spec.count} 名入选"
                        + ("" if chosen else "，未入选"),
                    ),
                ),
            )
    return out


def facts_for(
    result: SubjectResult,
    measures: Mapping[str, Any],
    previous: SubjectResult | None,
) -> Facts:
    """The values verdict conditions read: measure.*, result.*, previous.*, subject.*."""
    measure_facts: dict[str, Scalar] = {}
    for measure_id, measured in measures.items():
        measure_facts[measure_id] = measured.value
        for part, value in measured.parts.items():
            measure_facts[f"{measure_id}.{part}"] = value
    facts: Facts = {
        "measure": measure_facts,
        "result": {
            "score": result.score,
            "grade": result.grade,
            "vetoed": bool(result.vetoes),
            "stars": None if result.stars is None else Decimal(result.stars.count),
            "tier": None if result.tier is None else result.tier.tier,
            "flagged": bool(result.flags),
        },
        "subject": {
            "id": result.subject.id,
            "name": result.subject.name,
            "kind": result.subject.kind,
        },
        "previous": {},
    }
    if previous is not None:
        facts["previous"] = {
            "score": previous.score,
            "grade": previous.grade,
            "stars": None if previous.stars is None else Decimal(previous.stars.count),
            "tier": None if previous.tier is None else previous.tier.tier,
            "rank": (
                None
                if previous.selection is None or previous.selection.rank is None
                else Decimal(previous.selection.rank)
            ),
            "selected": None if previous.selection is None else previous.selection.selected,
        }
    return facts
