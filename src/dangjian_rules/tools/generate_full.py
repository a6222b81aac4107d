"""The ``full`` profile's extra records: the branches' own records (三会一课 held, venue
inspections, assessments, cases, sanctions on a branch), contact cadres (联系干部) and their
蹲点 stays, and members who stop taking part in organizational life."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.model.records import AttributeValue, Member, Organization
from dangjian_rules.tools.generate_members import (
    MEETINGS,
    Builder,
    Draft,
    below,
    day_between,
    distinct,
    month_day,
    pick,
    workday,
)

VENUE_ITEMS: tuple[str, ...] = (
    "sign",
    "flag",
    "rules_on_wall",
    "books",
    "av_equipment",
    "roster",
    "activity_records",
    "furniture",
    "bulletin_board",
    "keeper",
)
CONTACT_ROLE = "联系干部"
_ACCOUNTABILITY: tuple[tuple[str, float], ...] = (
    ("通报批评", 0.5),
    ("诫勉谈话", 0.8),
    ("责令整改", 1.0),
)
_LIFE = frozenset(MEETINGS)


def _branch_quality(rng: random.Random, number: int, engagement: float) -> float:
    """How well a branch works, 0..1: partly lasting (the same in every year), partly this
    year's, partly its members' mean engagement (about 0.4..0.6)."""
    lasting = random.Random(7919 * number).random()
    keen = min(1.0, max(0.0, (engagement - 0.4) * 5))
    return 0.45 * lasting + 0.3 * rng.random() + 0.25 * keen


def _branch_records(
    b: Builder, number: int, branch: Organization, quality: float, plan: dict[str, list[dt.date]]
) -> None:
    """A branch's own records: meetings held, inspections, assessments, a case."""
    rng, year = b.rng, b.year
    # The branch records the meetings its members attended; weaker branches file fewer.
    filed = 0.6 + 0.4 * quality
    for kind, held in (("branch_meeting", "member_meeting"), ("branch_lecture", "party_lecture")):
        for date in plan[held]:
            if rng.random() < filed:
                b.add_org(number, branch, kind, date)
    for month in range(1, 13):
        if rng.random() < 0.65 + 0.37 * quality:
            b.add_org(number, branch, "committee_meeting", month_day(rng, year, month))
    # Venue inspections: most branches once or twice (the second after rectification).
    if rng.random() < 0.9:
        visits = 1 + (rng.random() < 0.4)
        days = sorted(
            day_between(rng, dt.date(year, 3, 1), dt.date(year, 11, 30)) for _ in range(visits)
        )
        for n, date in enumerate(days):
            good = min(0.99, 0.7 + 0.3 * quality + 0.1 * n)
            found: dict[str, AttributeValue] = {item: rng.random() < good for item in VENUE_ITEMS}
            found["area"] = Decimal(12 + below(rng, 10 + int(50 * quality)))
            b.add_org(number, branch, "venue_inspection", date, attributes=found)
    # 目标责任制: the branch's self-assessment and the superior's, scored out of 100.
    own = 72 + int(20 * quality + 9 * rng.random())
    b.add_org(
        number,
        branch,
        "self_assessment",
        workday(year, 12, 3 + below(rng, 8)),
        quantity=Decimal(own),
    )
    superior = 58 + int(34 * quality + 8 * rng.random())
    b.add_org(
        number,
        branch,
        "superior_assessment",
        workday(year, 12, 14 + below(rng, 10)),
        quantity=Decimal(superior),
    )
    # 一行业一特色、一支部一品牌: a case put forward, with its review score (ties happen).
    if rng.random() < 0.35 + 0.55 * quality:
        kind = "feature_case" if rng.random() < 0.5 else "brand_case"
        date = day_between(rng, dt.date(year, 9, 1), dt.date(year, 11, 20))
        score = 70 + int(20 * quality + 10 * rng.random())
        b.add_org(number, branch, kind, date, quantity=Decimal(score), status="approved")


def _contact_stays(b: Builder, member: Member, diligence: float) -> None:
    """A contact cadre's 蹲点 stays: two a month are asked for, each at least two days."""
    rng, year = b.rng, b.year
    start = max(member.joined or b.first, b.first)
    stop = min(member.left or b.last, b.last)
    for month in range(1, 13):
        u = rng.random()
        stays = 2 if u < 0.78 + 0.2 * diligence else (1 if u < 0.97 else 3)
        for n in range(stays):
            day = 1 + 9 * n + below(rng, 9)
            date = dt.date(year, month, day)
            length = 1 if rng.random() < 0.12 - 0.1 * diligence else 2 + (rng.random() < 0.4)
            end = date + dt.timedelta(days=length - 1)
            if date < start or end > stop:
                continue
            b.add(member, "contact_stay", date, end=end if end > date else None)


def full_records(
    b: Builder,
    branches: Sequence[Organization],
    plans: dict[str, dict[str, list[dt.date]]],
    drafts: Sequence[Draft],
    people: dict[str, Member],
) -> None:
    rng, year = b.rng, b.year
    engagement: dict[str, list[float]] = {}
    for draft in drafts:
        engagement.setdefault(draft.organization, []).append(draft.engagement)
    for number, branch in enumerate(branches, start=1):
        keen = engagement.get(branch.id, [0.5])
        quality = _branch_quality(rng, number, sum(keen) / len(keen))
        _branch_records(b, number, branch, quality, plans[branch.id])
    for index in sorted(distinct(rng, len(branches), 1 + (rng.random() < 0.5))):
        date = day_between(rng, dt.date(year, 3, 1), dt.date(year, 10, 31))
        b.add_org(
            index + 1,
            branches[index],
            "branch_accountability",
            date,
            attributes={"sanction": pick(rng, _ACCOUNTABILITY)},
            status="approved",
        )

    # Contact cadres: one plain, long-standing member in most branches, and one member who
    # joined this year (sent to a village soon after joining).
    first = dt.date(year, 1, 1)
    steady = [
        d
        for d in drafts
        if d.status == "full"
        and d.left is None
        and not d.roles
        and d.joined < first
        and d.crime is None
        and d.sanction is None
    ]
    by_branch: dict[str, list[Draft]] = {}
    for draft in steady:
        by_branch.setdefault(draft.organization, []).append(draft)
    cadres: list[Draft] = []
    for branch in branches:
        pool = by_branch.get(branch.id, [])
        if pool and rng.random() < 0.8:
            cadres.append(pool[below(rng, len(pool))])
    newcomer = next(
        (d for d in drafts if d.joined.year == year and d.joined.month <= 8 and d.left is None),
        None,
    )
    if newcomer is not None:
        cadres.append(newcomer)
    for draft in cadres:
        member = people[draft.id]
        member = attrs.evolve(member, roles=(*member.roles, CONTACT_ROLE))
        people[draft.id] = member
        _contact_stays(b, member, draft.engagement)

    # Two members stop taking part from the spring on (流动、失联): one drops everything, the
    # other still pays dues. Six months in a row without organizational life is flagged.
    chosen = {d.id for d in cadres}
    quiet = [d for d in steady if d.id not in chosen]
    lapsed: dict[str, tuple[dt.date, bool]] = {}
    for n, index in enumerate(distinct(rng, len(quiet), 2)):
        cutoff = dt.date(year, 4 + below(rng, 3), 28)
        lapsed[quiet[index].id] = (cutoff, n == 1)
    if lapsed:
        kept: list[tuple[int, tuple[Any, ...]]] = []
        for row in b.rows:
            type_, date, member_id = row[1][0], row[1][1], row[1][2]
            stop = lapsed.get(member_id) if member_id is not None else None
            if stop is not None and date > stop[0] and (type_ in _LIFE or not stop[1]):
                continue
            kept.append(row)
        b.rows = kept
