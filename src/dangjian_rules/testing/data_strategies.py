"""Hypothesis strategies for datasets: attribute values of declared fields, random
datasets for a ruleset, organization trees and datasets on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization
from dangjian_rules.ruleset.compiled import Ruleset

#: Names a generated member may have.
PERSON_NAMES = st.sampled_from(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"])


def field_values(spec: FieldSpec) -> st.SearchStrategy[AttributeValue]:
    """Values of one declared field (``None`` stands for "not given")."""
    if spec.type == "boolean":
        inner: st.SearchStrategy[Any] = st.booleans()
    elif spec.type == "decimal":
        inner = st.decimals(min_value=0, max_value=100, places=1)
    elif spec.type == "integer":
        inner = st.integers(min_value=0, max_value=100)
    elif spec.type == "date":
        inner = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
    elif spec.values:
        inner = st.sampled_from(spec.values)
    else:
        inner = st.text(min_size=1, max_size=8).filter(lambda t: t.strip() == t)
    return st.one_of(st.none(), inner)


def attributes(fields: Mapping[str, FieldSpec]) -> st.SearchStrategy[dict[str, AttributeValue]]:
    """An attributes mapping holding some of the declared fields."""
    if not fields:
        return st.just({})
    return st.fixed_dictionaries({name: field_values(spec) for name, spec in fields.items()}).map(
        lambda values: {k: v for k, v in values.items() if v is not None}
    )


@st.composite
def datasets(
    draw: st.DrawFn,
    ruleset: Ruleset,
    year: int = 2015,
    max_members: int = 4,
    max_events: int = 40,
    statuses: tuple[str, ...] = ("approved", "approved", "approved", "pending", "returned"),
) -> Dataset:
    """A small dataset: one committee, a branch or two, members and events of the
    ruleset's declared types, some dated just outside the year."""
    root = Organization("ROOT", "县直机关工委", "work_committee")
    branches = [
        Organization(f"B{i}", f"第{i}党支部", "branch", parent="ROOT")
        for i in range(1, draw(st.integers(1, 2)) + 1)
    ]
    organizations = {o.id: o for o in [root, *branches]}
    member_count = draw(st.integers(1, max_members))
    members: dict[str, Member] = {}
    for index in range(1, member_count + 1):
        member_id = f"M{index:03d}"
        members[member_id] = Member(
            id=member_id,
            name=draw(PERSON_NAMES),
            organization=draw(st.sampled_from(branches)).id,
            status=draw(st.sampled_from(["full", "full", "probationary"])),
            attributes=draw(attributes(ruleset.member_fields)),
        )
    types = sorted(ruleset.event_types)
    events: list[Event] = []
    if types:
        count = draw(st.integers(0, max_events))
        for index in range(count):
            type_id = draw(st.sampled_from(types))
            declared = ruleset.event_types[type_id]
            day = draw(
                st.dates(min_value=dt.date(year - 1, 12, 1), max_value=dt.date(year + 1, 1, 31))
            )
            quantity = None
            if declared.quantity is not None:
                quantity = draw(
                    st.one_of(
                        st.decimals(min_value=Decimal("0.5"), max_value=8, places=1),
                        st.none(),
                    )
                )
            events.append(
                Event(
                    id=f"E{index:05d}",
                    type=type_id,
                    date=day,
                    member=draw(st.sampled_from(sorted(members))),
                    quantity=quantity,
                    status=draw(st.sampled_from(statuses)),
                    attributes=draw(attributes(declared.fields)),
                )
            )
    return Dataset(organizations, members, tuple(events), source="hypothesis")


@st.composite
def organization_trees(
    draw: st.DrawFn, max_committees: int = 2, max_branches: int = 6
) -> dict[str, Organization]:
    """An organization tree: a work committee ``ROOT``; committees ``C1``… under it;
    general branches ``G1``… under the root or a committee; branches ``B1``… (at least
    one) under any of those; now and then a party group ``P1``… under a branch."""
    root = Organization("ROOT", "县直机关工委", "work_committee")
    organizations: dict[str, Organization] = {root.id: root}
    committees = [
        Organization(f"C{i}", f"第{i}党委", "committee", parent="ROOT")
        for i in range(1, draw(st.integers(0, max_committees)) + 1)
    ]
    organizations.update((o.id, o) for o in committees)
    upper = ["ROOT", *(o.id for o in committees)]
    for i in range(1, draw(st.integers(0, 1)) + 1):
        general = Organization(
            f"G{i}", f"第{i}党总支", "general_branch", parent=draw(st.sampled_from(upper))
        )
        organizations[general.id] = general
    parents = sorted(organizations)
    branches = [
        Organization(f"B{i}", f"第{i}党支部", "branch", parent=draw(st.sampled_from(parents)))
        for i in range(1, draw(st.integers(1, max_branches)) + 1)
    ]
    organizations.update((o.id, o) for o in branches)
    if draw(st.booleans()):
        group = Organization(
            "P1", "第一党小组", "group", parent=draw(st.sampled_from([b.id for b in branches]))
        )
        organizations[group.id] = group
    return organizations


def _tree_members(
    draw: st.DrawFn,
    count: int,
    homes: Sequence[str],
    fields: Mapping[str, FieldSpec],
    year: int,
    memberships: bool,
) -> dict[str, Member]:
    members: dict[str, Member] = {}
    in_year = st.dates(min_value=dt.date(year, 1, 1), max_value=dt.date(year, 12, 31))
    for index in range(1, count + 1):
        joined = left = None
        if memberships:
            joined = draw(st.one_of(st.none(), in_year))
            left = draw(st.one_of(st.none(), in_year))
            if joined is not None and left is not None and left < joined:
                joined, left = left, joined
        member_id = f"M{index:03d}"
        members[member_id] = Member(
            id=member_id,
            name=draw(PERSON_NAMES),
            organization=draw(st.sampled_from(homes)),
            status=draw(st.sampled_from(["full", "full", "probationary"])),
            joined=joined,
            left=left,
            attributes=draw(attributes(fields)),
        )
    return members


def _tree_event(
    draw: st.DrawFn,
    event_id: str,
    types: Mapping[str, Any],
    subjects: Sequence[tuple[str, str]],
    year: int,
    statuses: Sequence[str],
) -> Event:
    type_id = draw(st.sampled_from(sorted(types)))
    declared = types[type_id]
    day = draw(st.dates(min_value=dt.date(year - 1, 12, 1), max_value=dt.date(year + 1, 1, 31)))
    length = draw(st.sampled_from([0, 0, 0, 1, 2]))
    quantity = None
    if declared.quantity is not None:
        quantity = draw(
            st.one_of(st.decimals(min_value=Decimal("0.5"), max_value=8, places=1), st.none())
        )
    kind, subject = draw(st.sampled_from(subjects))
    return Event(
        id=event_id,
        type=type_id,
        date=day,
        member=subject if kind == "member" else None,
        organization=subject if kind == "organization" else None,
        end=day + dt.timedelta(days=length) if length else None,
        quantity=quantity,
        status=draw(st.sampled_from(statuses)),
        attributes=draw(attributes(declared.fields)),
    )


@st.composite
def tree_datasets(
    draw: st.DrawFn,
    *rulesets: Ruleset,
    year: int = 2015,
    max_committees: int = 2,
    max_branches: int = 6,
    max_members: int = 8,
    max_events: int = 40,
    statuses: tuple[str, ...] = ("approved", "approved", "approved", "pending", "returned"),
    min_events: int = 0,
    organization_events: bool = True,
    member_events: bool = True,
    memberships: bool = True,
    event_organizations: tuple[str, ...] | None = None,
) -> Dataset:
    """A dataset over an :func:`organization_trees` tree for one or more rulesets.

    Members belong to branches or groups, some joining or leaving during ``year`` (when
    ``memberships``); events are of the rulesets' declared types, dated in the year or a
    month either side, some lasting several days, each about a member or an organization
    (``member_events`` / ``organization_events``; ``event_organizations`` limits the
    latter to those kinds of organization).  Event ids are unique and sort in the order
    drawn."""
    assert member_events or organization_events, "events need a subject kind"
    organizations = draw(organization_trees(max_committees, max_branches))
    homes = sorted(o.id for o in organizations.values() if o.kind in ("branch", "group"))
    member_fields: dict[str, FieldSpec] = {}
    types: dict[str, Any] = {}
    for ruleset in rulesets:
        member_fields.update(ruleset.member_fields)
        types.update(ruleset.event_types)
    count = draw(st.integers(0 if organization_events else 1, max_members))
    members = _tree_members(draw, count, homes, member_fields, year, memberships)
    subjects: list[tuple[str, str]] = []
    if member_events:
        subjects += [("member", m) for m in sorted(members)]
    if organization_events:
        subjects += [
            ("organization", o)
            for o in sorted(organizations)
            if event_organizations is None or organizations[o].kind in event_organizations
        ]
    events: list[Event] = []
    if types and subjects:
        for index in range(draw(st.integers(min_events, max(min_events, max_events)))):
            events.append(_tree_event(draw, f"E{index:05d}", types, subjects, year, statuses))
    return Dataset(organizations, members, tuple(events), source="hypothesis")
