"""Hypothesis strategies for datasets that fit a ruleset's declared event types and fields.

A county can property-test its own ruleset::

    from hypothesis import given
    from dangjian_rules import load_ruleset, evaluate, Period
    from dangjian_rules.testing.strategies import datasets

    card = load_ruleset("rulesets/mianchi/member-points.toml")

    @given(datasets(card, year=2015))
    def test_scores_stay_in_bounds(dataset):
        for result in evaluate(card, dataset, Period.parse("2015")).results:
            assert 0 <= result.score <= 100
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization
from dangjian_rules.ruleset.compiled import Ruleset

_NAMES = st.sampled_from(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"])


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
            name=draw(_NAMES),
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
    members: dict[str, Member] = {}
    in_year = st.dates(min_value=dt.date(year, 1, 1), max_value=dt.date(year, 12, 31))
    for index in range(1, draw(st.integers(0 if organization_events else 1, max_members)) + 1):
        joined = left = None
        if memberships:
            joined = draw(st.one_of(st.none(), in_year))
            left = draw(st.one_of(st.none(), in_year))
            if joined is not None and left is not None and left < joined:
                joined, left = left, joined
        member_id = f"M{index:03d}"
        members[member_id] = Member(
            id=member_id,
            name=draw(_NAMES),
            organization=draw(st.sampled_from(homes)),
            status=draw(st.sampled_from(["full", "full", "probationary"])),
            joined=joined,
            left=left,
            attributes=draw(attributes(member_fields)),
        )
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
            type_id = draw(st.sampled_from(sorted(types)))
            declared = types[type_id]
            day = draw(
                st.dates(min_value=dt.date(year - 1, 12, 1), max_value=dt.date(year + 1, 1, 31))
            )
            length = draw(st.sampled_from([0, 0, 0, 1, 2]))
            quantity = None
            if declared.quantity is not None:
                quantity = draw(
                    st.one_of(
                        st.decimals(min_value=Decimal("0.5"), max_value=8, places=1), st.none()
                    )
                )
            kind, subject = draw(st.sampled_from(subjects))
            events.append(
                Event(
                    id=f"E{index:05d}",
                    type=type_id,
                    date=day,
                    member=subject if kind == "member" else None,
                    organization=subject if kind == "organization" else None,
                    end=day + dt.timedelta(days=length) if length else None,
                    quantity=quantity,
                    status=draw(st.sampled_from(statuses)),
                    attributes=draw(attributes(declared.fields)),
                )
            )
    return Dataset(organizations, members, tuple(events), source="hypothesis")


# ----------------------------------------------------------------------------------------
# County data for one or more rulesets (members with posts, mid-year joins and leaves;
# events of the rulesets' types on the subjects they rate, with values their conditions
# test), small valid rulesets, and arbitrary TOML documents.  Used by ``dangjian-rules
# fuzz`` and by the engine's own property tests.

from collections.abc import Iterator, Sequence  # noqa: E402

import attrs  # noqa: E402

from dangjian_rules.ruleset.canon import render as _render_toml  # noqa: E402
from dangjian_rules.ruleset.expr import Condition, Node  # noqa: E402

#: Posts a generated member may hold, beside those the rulesets' conditions name.
ROLES: tuple[str, ...] = ("支部书记", "支部委员", "党小组长")

Hints = Mapping[tuple[str, str], tuple[AttributeValue, ...]]


def ruleset_conditions(ruleset: Ruleset) -> Iterator[Condition]:
    """Every condition of a ruleset: rules, measures, grade scales, flags, stars, tiers and
    selection."""
    for rule in ruleset.rules:
        if rule.condition is not None:
            yield rule.condition
    for measure in ruleset.measures:
        if measure.condition is not None:
            yield measure.condition
    for scale in ruleset.grades:
        if scale.applies is not None:
            yield scale.applies
    for flag in ruleset.flags:
        yield flag.when
    if ruleset.stars is not None:
        yield from (c.when for c in ruleset.stars.criteria)
        if ruleset.stars.requires is not None:
            yield ruleset.stars.requires
    if ruleset.tiers is not None:
        yield from (c.when for c in ruleset.tiers.rules)
    if ruleset.selection is not None and ruleset.selection.eligible is not None:
        yield ruleset.selection.eligible


def _literals(node: Node) -> list[Any]:
    if node.op == "literal":
        return [node.value]
    if node.op == "neg" and node.children and node.children[0].op == "literal":
        value = node.children[0].value
        return [-value] if isinstance(value, Decimal) else []
    if node.op == "list":
        return [value for child in node.children for value in _literals(child)]
    return []


def _near(value: Any) -> list[Any]:
    """A value a condition compares with, and its neighbours on either side."""
    if isinstance(value, (bool, str)):
        return [value]
    if isinstance(value, Decimal):
        return [value - 1, value, value + 1]
    if isinstance(value, dt.date):
        one = dt.timedelta(days=1)
        return [value - one, value, value + one]
    return []


def condition_values(*rulesets: Ruleset) -> dict[tuple[str, str], tuple[AttributeValue, ...]]:
    """(root, field) → the values the rulesets' conditions compare that field with (and
    their neighbours), e.g. ``("event", "level") → ("county", "city")``, so generated
    records take both sides of every test a condition makes."""
    found: dict[tuple[str, str], list[AttributeValue]] = {}

    def add(key: tuple[str, str], value: AttributeValue) -> None:
        values = found.setdefault(key, [])
        if not any(type(v) is type(value) and v == value for v in values):
            values.append(value)  # (True == 1: compare types too)

    for ruleset in rulesets:
        for condition in ruleset_conditions(ruleset):
            stack = [condition.tree]
            while stack:
                node = stack.pop()
                stack.extend(node.children)
                if node.op == "field":  # a true/false field read as it is: both values
                    add((str(node.value[0]), str(node.value[1])), True)
                    add((str(node.value[0]), str(node.value[1])), False)
                if node.op != "compare" or len(node.children) != 2:
                    continue
                left, right = node.children
                for field, other in ((left, right), (right, left)):
                    if field.op == "field":
                        key = (str(field.value[0]), str(field.value[1]))
                        for literal in _literals(other):
                            for value in _near(literal):
                                add(key, value)
    return {key: tuple(values) for key, values in sorted(found.items()) if values}


def _fits(spec: FieldSpec, value: AttributeValue) -> AttributeValue:
    """The hinted value in the field's type, or None when it does not fit."""
    if spec.type == "boolean" and isinstance(value, bool):
        return value
    if spec.type == "string" and isinstance(value, str):
        return value if spec.values is None or value in spec.values else None
    if spec.type == "decimal" and isinstance(value, Decimal) and value >= 0:
        return value
    if spec.type == "integer" and isinstance(value, Decimal) and value >= 0:
        return int(value) if value == value.to_integral_value() else None
    if spec.type == "date" and isinstance(value, dt.date):
        return value
    return None


def hinted_values(
    spec: FieldSpec, hints: Sequence[AttributeValue] = ()
) -> st.SearchStrategy[AttributeValue]:
    """Values of a declared field, half of the time one that a condition tests for."""
    usable = [v for v in (_fits(spec, h) for h in hints) if v is not None]
    if not usable:
        return field_values(spec)
    return st.one_of(field_values(spec), st.sampled_from(usable))


def hinted_attributes(
    fields: Mapping[str, FieldSpec],
    root: str,
    hints: Hints | None = None,
    full: bool = False,
) -> st.SearchStrategy[dict[str, AttributeValue]]:
    """Some of the declared fields of ``root`` ("event", "member", "organization"), with
    values the conditions test for; ``full`` sets every true/false field to true (an
    inspection that finds everything in place)."""
    hints = hints or {}
    if not fields:
        return st.just({})
    parts: dict[str, st.SearchStrategy[AttributeValue]] = {
        name: st.just(True)
        if full and spec.type == "boolean"
        else hinted_values(spec, hints.get((root, name), ()))
        for name, spec in fields.items()
    }
    return st.fixed_dictionaries(parts).map(
        lambda values: {k: v for k, v in values.items() if v is not None}
    )


def memberships(year: int = 2015) -> st.SearchStrategy[tuple[dt.date | None, dt.date | None]]:
    """(joined, left): a member of long standing, one who joined or left (or both) during
    ``year``, or one who joined after it or left before it (no result for ``year``)."""
    in_year = st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return st.one_of(
        st.just((None, None)),
        st.tuples(st.dates(dt.date(1970, 1, 1), dt.date(year - 1, 12, 31)), st.none()),
        st.tuples(in_year, st.none()),
        st.tuples(st.none(), in_year),
        st.tuples(in_year, in_year).map(lambda pair: (min(pair), max(pair))),
        st.tuples(st.dates(dt.date(year + 1, 1, 1), dt.date(year + 1, 6, 30)), st.none()),
        st.tuples(st.none(), st.dates(dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31))),
    )


def _merged(rulesets: Sequence[Ruleset], which: str) -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}
    for ruleset in rulesets:
        fields.update(ruleset.member_fields if which == "member" else ruleset.organization_fields)
    return fields


@st.composite
def county_members(
    draw: st.DrawFn,
    organizations: Mapping[str, Organization],
    *rulesets: Ruleset,
    year: int = 2015,
    min_members: int = 1,
    max_members: int = 8,
    joins_and_leaves: bool = True,
) -> dict[str, Member]:
    """Members ``M001``… of the branches and groups of ``organizations``: full or
    probationary, some joining or leaving during ``year`` (when ``joins_and_leaves``), with
    posts (``roles``) among :data:`ROLES` and those the rulesets' conditions name, and the
    member fields the rulesets declare."""
    homes = sorted(o.id for o in organizations.values() if o.kind in ("branch", "group"))
    hints = condition_values(*rulesets)
    named = [str(v) for v in hints.get(("member", "roles"), ()) if isinstance(v, str)]
    roles = tuple(dict.fromkeys([*ROLES, *named]))
    home = st.sampled_from(homes or sorted(organizations))
    status = st.sampled_from(["full", "full", "probationary"])
    joined_left = memberships(year) if joins_and_leaves else st.just((None, None))
    posts = st.lists(st.sampled_from(roles), max_size=2, unique=True).map(tuple)
    extra = hinted_attributes(_merged(rulesets, "member"), "member", hints)
    members: dict[str, Member] = {}
    for index in range(1, draw(st.integers(min_members, max_members)) + 1):
        joined, left = draw(joined_left)
        member_id = f"M{index:03d}"
        members[member_id] = Member(
            id=member_id,
            name=draw(_NAMES),
            organization=draw(home),
            status=draw(status),
            joined=joined,
            left=left,
            roles=draw(posts),
            attributes=draw(extra),
        )
    return members


def _quantities(
    unit: str, hints: Sequence[AttributeValue], generous: bool = False
) -> st.SearchStrategy[Decimal]:
    """Quantities in a unit: hours, days, points (out of 100) or anything else; the upper
    part of the range when ``generous``."""
    low, high, places = {
        "days": (Decimal(1), Decimal(5), 0),
        "points": (Decimal(0), Decimal(100), 1),
        "hours": (Decimal("0.5"), Decimal(8), 1),
    }.get(unit, (Decimal("0.5"), Decimal(10), 1))
    if generous:
        low = (low + high * 3) / 4
    plain = st.decimals(min_value=low, max_value=high, places=places)
    usable = [h for h in hints if isinstance(h, Decimal) and h >= 0]
    return st.one_of(plain, st.sampled_from(usable)) if usable else plain


def _type_weights(
    rulesets: Sequence[Ruleset], types: Sequence[str]
) -> tuple[list[str], list[str], list[str]]:
    """Event types weighted for drawing (points types more often than others), the same
    without deductions (for a diligent subject), and the types only veto rules use (drawn
    rarely, apart)."""
    kinds: dict[str, set[str]] = {t: set() for t in types}
    for ruleset in rulesets:
        for rule in ruleset.rules:
            for type_id in rule.on:
                if type_id in kinds:
                    kinds[type_id].add(rule.award.effect if rule.kind != "deduction" else "minus")
    weighted: list[str] = []
    diligent: list[str] = []
    vetoes: list[str] = []
    for type_id in types:
        effects = kinds[type_id]
        if effects == {"veto"}:
            vetoes.append(type_id)
            continue
        weight = 3 if "points" in effects and "minus" not in effects else 2
        weighted.extend([type_id] * weight)
        if "minus" not in effects:
            diligent.extend([type_id] * weight)
    return weighted, diligent or weighted, vetoes


@attrs.frozen
class _EventParts:
    """The strategies for the parts of an event of one type."""

    quantity: st.SearchStrategy[Decimal] | None
    generous: st.SearchStrategy[Decimal] | None
    attributes: st.SearchStrategy[dict[str, AttributeValue]]
    inspected: st.SearchStrategy[dict[str, AttributeValue]] | None


@st.composite
def county_events(
    draw: st.DrawFn,
    organizations: Mapping[str, Organization],
    members: Mapping[str, Member],
    *rulesets: Ruleset,
    year: int = 2015,
    max_per_subject: int = 12,
    max_events: int = 240,
    statuses: tuple[str, ...] = ("approved", "approved", "approved", "pending", "returned"),
    stray: bool = True,
) -> tuple[Event, ...]:
    """Events for the subjects the rulesets rate: of a member ruleset's types about
    members, of an organization ruleset's types about the kinds of organization it rates.

    Each subject gets up to ``max_per_subject`` activities (``max_events`` records in
    all): a record dated in ``year`` or a month either side, some lasting several days,
    or a habit, the same record every month or quarter to the year's end.  Types that
    score points come more often than others; one subject in four is a model (no
    deductions, every record approved, its habits kept from January, generous
    quantities); one in four has a record of a type only a veto uses (mostly approved).
    Fields take the values the conditions test for (true/false fields both values), and
    an inspection now and then has every true/false item true.  With ``stray``, a record
    may concern a subject no ruleset rates (it is accounted as unassigned).  Ids
    ``E00000``… sort in the order drawn."""
    hints = condition_values(*rulesets)
    declared: dict[str, Any] = {}
    plan: dict[tuple[str, str], set[str]] = {}
    for ruleset in rulesets:
        declared.update(ruleset.event_types)
        if ruleset.subject == "member":
            subjects = [("member", m) for m in sorted(members)]
        else:
            kinds = set(ruleset.organization_kinds)
            subjects = [
                ("organization", o)
                for o in sorted(organizations)
                if not kinds or organizations[o].kind in kinds
            ]
        for key in subjects:
            plan.setdefault(key, set()).update(ruleset.event_types)
    quantity_hints = hints.get(("event", "quantity"), ())
    parts = {
        type_id: _EventParts(
            None if spec.quantity is None else _quantities(spec.quantity, quantity_hints),
            None if spec.quantity is None else _quantities(spec.quantity, (), generous=True),
            hinted_attributes(spec.fields, "event", hints),
            hinted_attributes(spec.fields, "event", hints, full=True)
            if any(f.type == "boolean" for f in spec.fields.values())
            else None,
        )
        for type_id, spec in declared.items()
    }
    first_day = dt.date(year - 1, 12, 1)
    span = (dt.date(year + 1, 1, 31) - first_day).days
    inside = (dt.date(year, 1, 1) - first_day).days
    days = st.one_of(  # mostly in the year, now and then a month either side
        st.integers(inside, inside + (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days),
        st.integers(0, span),
    ).map(lambda offset: first_day + dt.timedelta(days=offset))
    in_january = st.integers(0, 27).map(lambda offset: dt.date(year, 1, 1 + offset))
    lengths = st.sampled_from([0, 0, 0, 1, 2, 6])
    repeats = st.sampled_from(["once", "monthly", "once", "quarterly", "monthly"])
    status = st.sampled_from(statuses)
    one_in = {n: st.integers(0, n - 1) for n in (4, 5, 10)}
    events: list[Event] = []

    def add(
        kind: str,
        subject: str,
        type_id: str,
        repeat: str = "once",
        model: bool = False,
        approved: bool = False,
    ) -> None:
        """One record, or a habit: the same record every month or quarter from its date
        to the end of the year.  A model subject's records are approved, its habits start
        in January, its quantities are generous and its inspections find everything in
        place."""
        made = parts[type_id]
        day = draw(in_january if model and repeat != "once" else days)
        length = draw(lengths)
        quantity = None
        if made.quantity is not None and draw(one_in[10]) < 9:
            plenty = made.generous if model else None
            quantity = draw(plenty if plenty is not None else made.quantity)
        extra = made.attributes
        if made.inspected is not None and (model or draw(one_in[4]) == 3):
            extra = made.inspected
        record = Event(
            id="",
            type=type_id,
            date=day,
            member=subject if kind == "member" else None,
            organization=subject if kind == "organization" else None,
            end=day + dt.timedelta(days=length) if length else None,
            quantity=quantity,
            status="approved" if model or approved else draw(status),
            attributes=draw(extra),
        )
        step = {"once": 0, "monthly": 1, "quarterly": 3}[repeat]
        month = day.year * 12 + day.month - 1
        while len(events) < max_events:
            start = dt.date(month // 12, month % 12 + 1, min(day.day, 28))
            end = start + dt.timedelta(days=length) if length else None
            events.append(attrs.evolve(record, id=f"E{len(events):05d}", date=start, end=end))
            month += step
            if not step or month // 12 > year:
                break

    per_subject = st.integers(0, max_per_subject)
    per_model = st.integers(max_per_subject // 2, max_per_subject)
    model_repeats = st.sampled_from(["monthly", "quarterly", "monthly", "once"])
    Choice = st.SearchStrategy[str] | None
    choices: dict[frozenset[str], tuple[Choice, Choice, Choice]] = {}
    for (kind, who), type_ids in sorted(plan.items()):
        mix = frozenset(type_ids)
        if mix not in choices:
            weighted, diligent, vetoes = _type_weights(rulesets, sorted(type_ids))
            choices[mix] = (
                st.sampled_from(weighted) if weighted else None,
                st.sampled_from(diligent) if diligent else None,
                st.sampled_from(vetoes) if vetoes else None,
            )
        mixed, good, rare = choices[mix]
        # One subject in four is a model: no deductions, every record approved, habits
        # from January.
        model = draw(one_in[4]) == 3
        common = good if model else mixed
        if common is not None:
            for _ in range(draw(per_model if model else per_subject)):
                if len(events) >= max_events:
                    break
                add(kind, who, draw(common), draw(model_repeats if model else repeats), model)
        if rare is not None and len(events) < max_events and draw(one_in[4]) == 3:
            add(kind, who, draw(rare), approved=draw(one_in[4]) != 3)
    if stray and declared and draw(one_in[5]) == 4:
        others = [("organization", o) for o in sorted(organizations)]
        others += [("member", m) for m in sorted(members)]
        unrated = [s for s in others if s not in plan]
        if unrated:
            kind, who = draw(st.sampled_from(unrated))
            add(kind, who, draw(st.sampled_from(sorted(declared))))
    return tuple(events)


@st.composite
def county_datasets(
    draw: st.DrawFn,
    *rulesets: Ruleset,
    year: int = 2015,
    max_committees: int = 2,
    max_branches: int = 6,
    min_members: int = 1,
    max_members: int = 6,
    joins_and_leaves: bool = True,
    max_per_subject: int = 12,
    max_events: int = 240,
    statuses: tuple[str, ...] = ("approved", "approved", "approved", "pending", "returned"),
    stray: bool = True,
) -> Dataset:
    """A county's data for one or more rulesets: an :func:`organization_trees` tree (work
    committee → committees → general branches → branches → groups) with the organization
    fields the rulesets declare, :func:`county_members` and :func:`county_events`.

    A county can property-test its own ruleset (or a plugin) with it::

        @given(county_datasets(card))
        def test_never_above_100(dataset):
            for result in evaluate(card, dataset, Period.parse("2015")).results:
                assert result.vetoes or result.score <= 100
    """
    tree = draw(organization_trees(max_committees, max_branches))
    hints = condition_values(*rulesets)
    org_fields = _merged(rulesets, "organization")
    extra = hinted_attributes(org_fields, "organization", hints)
    organizations = {
        oid: attrs.evolve(org, attributes=draw(extra)) if org_fields else org
        for oid, org in tree.items()
    }
    members = draw(
        county_members(
            organizations,
            *rulesets,
            year=year,
            min_members=min_members,
            max_members=max_members,
            joins_and_leaves=joins_and_leaves,
        )
    )
    events = draw(
        county_events(
            organizations,
            members,
            *rulesets,
            year=year,
            max_per_subject=max_per_subject,
            max_events=max_events,
            statuses=statuses,
            stray=stray,
        )
    )
    return Dataset(organizations, members, events, source="hypothesis")


# ---------------------------------------------------------------- small valid rulesets

#: (id, label, quantity unit, fields) of the event types a generated ruleset draws from.
_EVENT_TYPE_POOL: tuple[tuple[str, str, str | None, dict[str, Any]], ...] = (
    ("meeting", "三会一课", None, {}),
    ("theme_day", "主题党日", None, {"online": {"type": "boolean"}}),
    ("volunteer", "志愿服务", "hours", {}),
    ("study", "学习教育", "hours", {"online": {"type": "boolean"}}),
    ("dues", "交纳党费", None, {"late": {"type": "boolean"}}),
    (
        "pioneer",
        "亮身份践承诺",
        None,
        {"level": {"type": "string", "values": ["branch", "county", "city"]}},
    ),
    ("training", "集中培训", "days", {"hours": {"type": "decimal"}}),
    (
        "sanction",
        "党纪处分",
        None,
        {"severity": {"type": "string", "values": ["警告", "严重警告"]}},
    ),
)
_GRADE_POOL = ("优秀", "良好", "合格", "基本合格", "不合格")
_PROBATION_POOL = ("按期转正", "延期转正", "取消预备党员资格")
_WINDOWS = ("week", "month", "quarter", "half", "year", "period")


def _number(value: Decimal) -> int | Decimal:
    """Whole numbers as TOML integers, others as decimals (TOML floats)."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def _amounts(low: str, high: str) -> st.SearchStrategy[int | Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=1).map(_number)


@st.composite
def _condition(
    draw: st.DrawFn, fields: Mapping[str, Mapping[str, Any]], subject: str, year: int
) -> str:
    choices: list[str] = ["event.days > 1", f"event.date >= {year}-07-01", "event.quantity >= 2"]
    for name, spec in fields.items():
        kind = spec["type"]
        if kind == "boolean":
            choices += [f"event.{name}", f"not event.{name}"]
        elif kind == "decimal":
            choices.append(f"event.{name} >= 2")
        elif kind == "string" and spec.get("values"):
            values = spec["values"]
            choices.append(f'event.{name} == "{values[-1]}"')
            choices.append(
                "event." + name + " in [" + ", ".join(f'"{v}"' for v in values[1:]) + "]"
            )
    if subject == "member":
        choices += ['member.status == "probationary"', '"支部书记" in member.roles']
    else:
        choices.append('organization.kind == "branch"')
    first = draw(st.sampled_from(choices))
    if draw(st.integers(0, 3)) == 3:
        return f"{first} and {draw(st.sampled_from(choices))}"
    return first


@st.composite
def _caps(draw: st.DrawFn, least: Decimal) -> list[dict[str, Any]]:
    pers = draw(st.lists(st.sampled_from(_WINDOWS), max_size=2, unique=True))
    return [
        {"per": per, "max": _number(draw(st.decimals(least, least + 20, places=1)))} for per in pers
    ]


@st.composite
def ruleset_documents(
    draw: st.DrawFn, subject: str | None = None, year: int = 2015, veto: bool = False
) -> dict[str, Any]:
    """A small valid ruleset as a TOML document (a dict): a base score and bounds, two to
    five event types (some with a quantity, some with fields), categories with bounds and
    caps, points, deduction and veto rules (fixed or per unit, some with a condition and
    caps), and one or two grade scales; ``subject`` "member", "organization" or either;
    with ``veto``, at least one veto rule.  It loads with no problem at all (no warning
    either).  :func:`valid_rulesets` gives its TOML text."""
    subject = subject or draw(st.sampled_from(["member", "organization"]))
    header: dict[str, Any] = {
        "id": "generated.card",
        "name": "生成的积分卡",
        "version": "1",
        "subject": subject,
    }
    if draw(st.booleans()):
        header["in_force"] = {"from": dt.date(year, 1, 1)}
    if subject == "organization" and draw(st.booleans()):
        header["organizations"] = ["branch"]
    base = draw(st.sampled_from([60, 0, 80, 100]))
    score: dict[str, Any] = {"base": base}
    if draw(st.booleans()):
        score["min"] = draw(st.sampled_from([0, base]))
    if draw(st.booleans()):
        score["max"] = draw(st.sampled_from([100, base, base + 20]))
    picked = draw(
        st.lists(st.integers(0, len(_EVENT_TYPE_POOL) - 1), min_size=2, max_size=5, unique=True)
    )
    pool = [_EVENT_TYPE_POOL[i] for i in sorted(picked)]
    event_types: dict[str, Any] = {}
    for type_id, label, unit, fields in pool:
        declared: dict[str, Any] = {"label": label}
        if unit is not None:
            declared["quantity"] = unit
        if fields:
            declared["fields"] = fields
        event_types[type_id] = declared
    categories: list[dict[str, Any]] = []
    for index in range(1, draw(st.integers(0, 3)) + 1):
        category: dict[str, Any] = {"id": f"c{index}", "label": f"类别{index}"}
        if draw(st.booleans()):
            category["max"] = draw(st.integers(1, 30))
        if draw(st.booleans()):
            category["min"] = -draw(st.integers(0, 20))
        caps = draw(_caps(Decimal(1)))
        if caps:
            category["caps"] = caps
        categories.append(category)
    floor = score.get("min", base + sum(min(c.get("min", 0), 0) for c in categories))
    scales: list[dict[str, Any]] = []
    grade_names: list[str] = []
    for index in range(draw(st.integers(0, 2))):
        probation = index == 0 and draw(st.booleans())
        names = list(_PROBATION_POOL if probation else _GRADE_POOL)
        count = draw(st.integers(1, len(names)))
        chosen = sorted(
            draw(st.lists(st.sampled_from(names), min_size=count, max_size=count, unique=True)),
            key=names.index,
        )
        mins = sorted(
            draw(st.lists(st.integers(0, 100), min_size=count, max_size=count, unique=True)),
            reverse=True,
        )
        # The lowest band takes the lowest score possible, so every subject gets a grade.
        mins[-1] = min(mins[-1], floor)
        scale: dict[str, Any] = {
            "id": f"s{index + 1}",
            "bands": [{"grade": g, "min": m} for g, m in zip(chosen, mins, strict=True)],
        }
        if draw(st.booleans()):
            scale["veto"] = chosen[-1]
        scales.append(scale)
        grade_names.extend(chosen)
    for index, scale in enumerate(scales[:-1]):  # all but the last scale say whom they apply to
        scale["applies"] = (
            'member.status == "probationary"'
            if subject == "member"
            else 'organization.kind == "branch"'
        )
        scales[index] = scale
    rules: list[dict[str, Any]] = []
    type_ids = [t[0] for t in pool]
    count = draw(st.integers(1, 6))
    for index in range(1, count + 1):
        kind = draw(st.sampled_from(["points", "points", "deduction", "veto"]))
        if veto and index == count and all(r["kind"] != "veto" for r in rules):
            kind = "veto"
        on = sorted(draw(st.lists(st.sampled_from(type_ids), min_size=1, max_size=2, unique=True)))
        rule: dict[str, Any] = {
            "id": f"r{index}",
            "label": f"规则{index}",
            "kind": kind,
            "on": on[0] if len(on) == 1 else on,
        }
        if categories and kind != "veto" and draw(st.booleans()):
            rule["category"] = draw(st.sampled_from([c["id"] for c in categories]))
        shared = dict(event_types[on[0]].get("fields", {}))
        for other in on[1:]:
            theirs = event_types[other].get("fields", {})
            shared = {k: v for k, v in shared.items() if theirs.get(k) == v}
        if draw(st.integers(0, 2)) == 2:
            rule["when"] = draw(_condition(shared, subject, year))
        if kind == "veto":
            if draw(st.booleans()):
                rule["score"] = draw(st.sampled_from([0, base]))
            if draw(st.booleans()) and grade_names:
                rule["grade"] = draw(st.sampled_from(grade_names))
        else:
            units = {event_types[t].get("quantity") for t in on}
            largest = Decimal(0)
            if None not in units and draw(st.booleans()):
                rule["points_per_unit"] = draw(_amounts("0.1", "2"))
            else:
                rule["points"] = draw(_amounts("0.5", "10"))
                largest = Decimal(rule["points"])
            caps = draw(_caps(max(largest, Decimal("0.5"))))
            if caps:
                rule["caps"] = caps
        rules.append(rule)
    document: dict[str, Any] = {"ruleset": header, "score": score, "event_types": event_types}
    if categories:
        document["categories"] = categories
    document["rules"] = rules
    if scales:
        document["grades"] = scales
    return document


def valid_rulesets(
    subject: str | None = None, year: int = 2015, veto: bool = False
) -> st.SearchStrategy[str]:
    """The TOML text (canonical form) of :func:`ruleset_documents`."""
    return ruleset_documents(subject, year, veto).map(_render_toml)


# ---------------------------------------------------------------- arbitrary TOML

#: Keys the ruleset format knows, so that arbitrary documents reach past the top level.
_RULESET_WORDS = (
    "ruleset",
    "id",
    "name",
    "version",
    "subject",
    "extends",
    "in_force",
    "from",
    "until",
    "organizations",
    "score",
    "base",
    "min",
    "max",
    "event_types",
    "label",
    "quantity",
    "fields",
    "member",
    "organization",
    "type",
    "values",
    "categories",
    "caps",
    "per",
    "rules",
    "kind",
    "on",
    "when",
    "points",
    "points_per_unit",
    "category",
    "grade",
    "grades",
    "applies",
    "veto",
    "bands",
    "measures",
    "flags",
    "stars",
    "levels",
    "quota",
    "at_most",
    "rank_by",
    "tiers",
    "order",
    "default",
    "selection",
    "count",
    "eligible",
    "tests",
    "given",
    "expect",
    "period",
    "events",
    "members",
    "deduction",
    "cadence",
)


def toml_scalars(nan: bool = False) -> st.SearchStrategy[Any]:
    """Any TOML scalar: texts, integers, decimals (TOML floats, ``inf`` and ``nan`` only
    when ``nan``), booleans, dates, date-times with and without an offset, times."""
    decimals = st.decimals(allow_nan=nan, allow_infinity=nan)
    if not nan:
        decimals = decimals.filter(lambda d: d.is_finite())
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from(_RULESET_WORDS),
        st.integers(-(2**63), 2**63 - 1),
        decimals,
        st.booleans(),
        st.dates(),
        st.datetimes(
            timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=8))])
        ),
        st.times(),
    )


def toml_values(nan: bool = False) -> st.SearchStrategy[Any]:
    """Any TOML value: scalars, arrays and tables, nested."""
    keys = st.one_of(st.sampled_from(_RULESET_WORDS), st.text(max_size=6))
    return st.recursive(
        toml_scalars(nan),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=4),
        ),
        max_leaves=16,
    )


def toml_documents(nan: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary TOML documents whose keys are often the ruleset format's words, and
    valid ruleset documents with one part replaced by an arbitrary value or removed."""
    keys = st.one_of(st.sampled_from(_RULESET_WORDS), st.text(max_size=6))
    return st.one_of(
        st.dictionaries(keys, toml_values(nan), max_size=6),
        _mutated_documents(nan),
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


@st.composite
def _mutated_documents(draw: st.DrawFn, nan: bool = False) -> dict[str, Any]:
    import copy

    document = copy.deepcopy(draw(ruleset_documents()))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(document))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.integers(0, 3)) == 3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(toml_values(nan))
    return document
