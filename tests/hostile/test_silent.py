"""Hostile input that used to change results silently (issue 13): each case now gives a
located problem, or, for the fingerprint, tells different data apart."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian_rules.model.records import Event, Member, Organization, dataset_from

# -- the data fingerprint ------------------------------------------------------------------


def _fingerprint(
    organizations: list[Organization],
    members: list[Member] | None = None,
    events: list[Event] | None = None,
) -> str:
    return dataset_from(organizations, members or [], events or [], "<test>").fingerprint


def test_a_missing_parent_or_region_is_not_the_text_none() -> None:
    branch = Organization("B1", "一支部", "branch")
    assert _fingerprint([branch]) != _fingerprint([Organization("B1", "一支部", "branch", "None")])
    assert _fingerprint([branch]) != _fingerprint(
        [Organization("B1", "一支部", "branch", region="None")]
    )


def test_separators_in_a_value_do_not_pass_for_two_records() -> None:
    one = Organization("B1", "一支部", "branch", region="x\nB2\x1f二支部\x1fbranch\x1fNone\x1fy")
    two = [
        Organization("B1", "一支部", "branch", region="x"),
        Organization("B2", "二支部", "branch"),
    ]
    assert _fingerprint([one]) != _fingerprint(two)


def test_the_text_five_and_the_number_five_differ_but_five_and_five_point_zero_do_not() -> None:
    day = dt.date(2015, 3, 1)

    def event(quantity: Decimal | None, mark: object) -> Event:
        return Event("E1", "study", day, "M1", quantity=quantity, attributes={"mark": mark})

    assert _fingerprint([], [], [event(Decimal(5), "5")]) != _fingerprint(
        [], [], [event(Decimal(5), Decimal(5))]
    )
    assert _fingerprint([], [], [event(Decimal("5.0"), Decimal("2.50"))]) == _fingerprint(
        [], [], [event(Decimal(5), Decimal("2.5"))]
    )
    assert _fingerprint([], [], [event(None, None)]) != _fingerprint([], [], [event(None, "None")])


_TEXT = st.text(alphabet='aB1 "\\\x1f\n,[]{}:None', max_size=5)
_VALUE = st.one_of(
    st.none(), _TEXT, st.booleans(), st.integers(-3, 3).map(Decimal), st.dates().map(str)
)
_ATTRIBUTES = st.dictionaries(_TEXT, _VALUE, max_size=2)
_ORGANIZATION = st.builds(
    Organization,
    id=_TEXT,
    name=_TEXT,
    kind=st.sampled_from(["branch", "committee"]),
    parent=st.none() | _TEXT,
    region=st.none() | _TEXT,
    attributes=_ATTRIBUTES,
)
_EVENT = st.builds(
    Event,
    id=_TEXT,
    type=_TEXT,
    date=st.dates(),
    member=st.none() | _TEXT,
    organization=st.none() | _TEXT,
    end=st.none() | st.dates(),
    quantity=st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    attributes=_ATTRIBUTES,
)


def _unique(records: list[Organization] | list[Event]) -> list[Organization] | list[Event]:
    return list({r.id: r for r in records}.values())


_DATA = st.tuples(
    st.lists(_ORGANIZATION, max_size=3).map(_unique),
    st.lists(_EVENT, max_size=3).map(_unique),
)


@settings(max_examples=300)
@given(_DATA, _DATA, st.randoms())
def test_the_fingerprint_tells_datasets_apart_and_ignores_order(
    first: tuple[list[Organization], list[Event]],
    second: tuple[list[Organization], list[Event]],
    rnd: random.Random,
) -> None:
    organizations, events = first
    fingerprint = _fingerprint(organizations, [], events)  # type: ignore[arg-type]
    shuffled = (rnd.sample(organizations, len(organizations)), rnd.sample(events, len(events)))
    assert _fingerprint(shuffled[0], [], shuffled[1]) == fingerprint  # type: ignore[arg-type]

    def by_id(data: tuple[list[Organization], list[Event]]) -> tuple[list[object], ...]:
        return tuple(sorted(records, key=lambda r: r.id) for records in data)

    if by_id(first) != by_id(second):
        assert _fingerprint(second[0], [], second[1]) != fingerprint  # type: ignore[arg-type]


def test_members_missing_dates_differ_from_members_with_them() -> None:
    plain = Member("M1", "张伟", "B1")
    joined = Member("M1", "张伟", "B1", joined=dt.date(2015, 1, 1))
    roles = Member("M1", "张伟", "B1", roles=("secretary",))
    fingerprints = {_fingerprint([], [m]) for m in (plain, joined, roles)}
    assert len(fingerprints) == 3
