"""Hypothesis strategies for county data fitting one or more rulesets: members with
posts, mid-year joins and leaves; events of the rulesets' types on the subjects they rate,
with the values their conditions test.  Used by ``dangjian-rules fuzz`` and by the
engine's own property tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.expr import Condition, Node
from dangjian_rules.testing.data_strategies import PERSON_NAMES, field_values, organization_trees

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
            name=draw(PERSON_NAMES),
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


def _event_plan(
    organizations: Mapping[str, Organization],
    members: Mapping[str, Member],
    rulesets: Sequence[Ruleset],
) -> tuple[dict[str, Any], dict[tuple[str, str], set[str]]]:
    """Every event type declared, and for each subject a ruleset rates, the types of the
    rulesets that rate it."""
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
    return declared, plan


def _event_parts(declared: Mapping[str, Any], hints: Hints) -> dict[str, _EventParts]:
    quantity_hints = hints.get(("event", "quantity"), ())
    return {
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


@attrs.define
class _Recorder:
    """Draws records into ``events``, numbered in the order drawn, up to ``max_events``."""

    draw: st.DrawFn
    parts: Mapping[str, _EventParts]
    year: int
    max_events: int
    status: st.SearchStrategy[str]
    events: list[Event] = attrs.Factory(list)
    days: st.SearchStrategy[dt.date] = attrs.field(init=False)
    in_january: st.SearchStrategy[dt.date] = attrs.field(init=False)
    lengths: st.SearchStrategy[int] = attrs.field(init=False)
    one_in: dict[int, st.SearchStrategy[int]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        year = self.year
        first_day = dt.date(year - 1, 12, 1)
        span = (dt.date(year + 1, 1, 31) - first_day).days
        inside = (dt.date(year, 1, 1) - first_day).days
        self.days = st.one_of(  # mostly in the year, now and then a month either side
            st.integers(inside, inside + (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days),
            st.integers(0, span),
        ).map(lambda offset: first_day + dt.timedelta(days=offset))
        self.in_january = st.integers(0, 27).map(lambda offset: dt.date(year, 1, 1 + offset))
        self.lengths = st.sampled_from([0, 0, 0, 1, 2, 6])
        self.one_in = {n: st.integers(0, n - 1) for n in (4, 5, 10)}

    def add(
        self,
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
        draw, made = self.draw, self.parts[type_id]
        day = draw(self.in_january if model and repeat != "once" else self.days)
        length = draw(self.lengths)
        quantity = None
        if made.quantity is not None and draw(self.one_in[10]) < 9:
            plenty = made.generous if model else None
            quantity = draw(plenty if plenty is not None else made.quantity)
        extra = made.attributes
        if made.inspected is not None and (model or draw(self.one_in[4]) == 3):
            extra = made.inspected
        record = Event(
            id="",
            type=type_id,
            date=day,
            member=subject if kind == "member" else None,
            organization=subject if kind == "organization" else None,
            end=day + dt.timedelta(days=length) if length else None,
            quantity=quantity,
            status="approved" if model or approved else draw(self.status),
            attributes=draw(extra),
        )
        self._repeat(record, length, {"once": 0, "monthly": 1, "quarterly": 3}[repeat])

    def _repeat(self, record: Event, length: int, step: int) -> None:
        day, events = record.date, self.events
        month = day.year * 12 + day.month - 1
        while len(events) < self.max_events:
            start = dt.date(month // 12, month % 12 + 1, min(day.day, 28))
            end = start + dt.timedelta(days=length) if length else None
            events.append(attrs.evolve(record, id=f"E{len(events):05d}", date=start, end=end))
            month += step
            if not step or month // 12 > self.year:
                break


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
    declared, plan = _event_plan(organizations, members, rulesets)
    parts = _event_parts(declared, condition_values(*rulesets))
    records = _Recorder(draw, parts, year, max_events, st.sampled_from(statuses))
    events, add, one_in = records.events, records.add, records.one_in
    repeats = st.sampled_from(["once", "monthly", "once", "quarterly", "monthly"])
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
