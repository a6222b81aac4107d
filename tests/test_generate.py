"""The synthetic county generator: deterministic, realistic in shape, and the shipped example."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from dangjian_rules.api import load_dataset, load_ruleset
from dangjian_rules.model.records import Dataset
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.tools.generate import generate_county, write_csv_folder

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "mianchi-2015"
CSV_FILES = ("organizations.csv", "members.csv", "events.csv")


@pytest.fixture(scope="module")
def county() -> Dataset:
    """The shipped example's dataset, generated once for the whole module."""
    return generate_county(4300, seed=2015, year=2015)


@pytest.fixture(scope="module")
def card() -> Ruleset:
    root = Path(__file__).resolve().parent.parent
    return load_ruleset(root / "rulesets" / "mianchi" / "member-points.toml")


def share(count: int, total: int) -> float:
    return count / total


def test_same_seed_gives_the_same_data() -> None:
    first = generate_county(300, seed=5)
    again = generate_county(300, seed=5)
    assert first.fingerprint == again.fingerprint
    assert first.source == "generated(seed=5)"
    assert generate_county(300, seed=6).fingerprint != first.fingerprint
    assert generate_county(300, seed=5, year=2016).fingerprint != first.fingerprint


def test_small_and_invalid_sizes() -> None:
    one = generate_county(1, seed=1)
    assert len(one.members) == 1
    assert [o.kind for o in one.organizations.values()] == ["work_committee", "branch"]
    with pytest.raises(ValueError):
        generate_county(0)


def test_scale(county: Dataset) -> None:
    assert len(county.members) == 4300
    assert 50 <= len(county.events) / len(county.members) <= 65
    kinds = Counter(o.kind for o in county.organizations.values())
    assert kinds["work_committee"] == 1
    assert kinds["branch"] == round(4300 / 29)
    assert 1 <= kinds["committee"] <= 10
    assert 1 <= kinds["general_branch"] <= 40


def test_event_types_and_fields_are_the_cards(county: Dataset, card: Ruleset) -> None:
    types = Counter(e.type for e in county.events)
    assert set(types) == set(card.event_types)
    assert 1 <= types["crime"] <= 3
    for event in county.events:
        for name, value in event.attributes.items():
            spec = card.event_types[event.type].fields[name]
            if spec.type == "boolean":
                assert isinstance(value, bool)
            else:
                assert spec.values is not None and value in spec.values
        quantified = card.event_types[event.type].quantity is not None
        assert (event.quantity is not None) == quantified, event


def test_proportions(county: Dataset) -> None:
    events, members = county.events, list(county.members.values())
    statuses = Counter(e.status for e in events)
    assert set(statuses) == {"approved", "pending", "returned"}
    assert 0.02 <= share(statuses["pending"], len(events)) <= 0.045
    assert 0.005 <= share(statuses["returned"], len(events)) <= 0.015
    before = sum(e.date.year == 2014 for e in events)
    assert 0.003 <= share(before, len(events)) <= 0.008
    assert all(e.date.year in (2014, 2015) for e in events)

    dues = [e for e in events if e.type == "dues"]
    assert 0.015 <= share(sum(e.attributes["late"] is True for e in dues), len(dues)) <= 0.045
    probationary = sum(m.status == "probationary" for m in members)
    assert 0.035 <= share(probationary, len(members)) <= 0.065
    joining = sum(m.joined is not None and m.joined.year == 2015 for m in members)
    assert 0.02 <= share(joining, len(members)) <= 0.04
    leaving = sum(m.left is not None for m in members)
    assert 0.005 <= share(leaving, len(members)) <= 0.015
    sanctioned = {e.member for e in events if e.type == "discipline"}
    assert 0.002 <= share(len(sanctioned), len(members)) <= 0.01
    roles = Counter(role for m in members for role in m.roles)
    assert roles["书记"] == sum(o.kind == "branch" for o in county.organizations.values())


def test_activity_varies_between_members(county: Dataset) -> None:
    per_member = Counter(e.member for e in county.events if e.date.year == 2015)
    counts = [per_member[m] for m in county.members]
    assert min(counts) < 25
    assert max(counts) > 90
    assert statistics.pstdev(counts) > 8
    volunteering: dict[str, Decimal] = {}
    for event in county.events:
        if event.type == "volunteer" and event.quantity is not None:
            key = event.member or ""
            volunteering[key] = volunteering.get(key, Decimal(0)) + event.quantity
    # The card caps volunteer points at 10 a year (20 hours): some exceed it.
    assert sum(hours > 20 for hours in volunteering.values()) >= 20
    assert any(e.end is not None for e in county.events)


def test_events_fall_within_membership(county: Dataset) -> None:
    ids = [e.id for e in county.events]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(e.organization is None for e in county.events)
    for event in county.events:
        member = county.members[event.member or ""]
        last = event.end or event.date
        assert last >= event.date
        assert member.joined is not None and member.joined <= event.date, event
        assert member.left is None or last <= member.left, event
        assert last <= dt.date(2015, 12, 31)


def test_tree(county: Dataset) -> None:
    orgs = county.organizations
    assert county.roots == ("MC",)
    assert orgs["MC"].kind == "work_committee" and orgs["MC"].name == "渑池县直机关工委"
    for org in orgs.values():
        assert org.region == "渑池县"
        if org.parent is not None:
            assert org.parent in orgs
            assert orgs[org.parent].kind != "branch"
            assert org.id.startswith("MC-")
    assert len({o.name for o in orgs.values()}) == len(orgs)
    assert all(orgs[m.organization].kind == "branch" for m in county.members.values())
    assert all(
        county.members_by_organization.get(o.id) for o in orgs.values() if o.kind == "branch"
    )


def test_csv_round_trip_with_the_cards_schema(tmp_path: Path, card: Ruleset) -> None:
    small = generate_county(200, seed=3)
    write_csv_folder(small, tmp_path)
    assert load_dataset(tmp_path, card.schema).fingerprint == small.fingerprint


def test_shipped_example_is_a_fresh_generation(county: Dataset, tmp_path: Path) -> None:
    write_csv_folder(county, tmp_path)
    for name in CSV_FILES:
        fresh = (tmp_path / name).read_bytes()
        shipped = (EXAMPLE / name).read_bytes()
        assert fresh == shipped, (
            f"examples/mianchi-2015/{name} is stale; regenerate it with "
            "`dangjian-rules generate --members 4300 --seed 2015 --out examples/mianchi-2015`"
        )


# ------------------------------------------------------------------ the "full" profile

SAMPLES = {year: EXAMPLE.parent / f"sanmenxia-{year}" for year in (2014, 2015)}
COUNTY_RULESETS = ("lingbao", "lushi", "hubin", "kaifaqu", "shanxian", "yima", "national")


@pytest.fixture(scope="module")
def city() -> Dataset:
    """The shipped sanmenxia-2015 sample, generated."""
    return generate_county(500, seed=2015, year=2015, profile="full")


def test_full_profile_is_deterministic_and_leaves_mianchi_alone() -> None:
    first = generate_county(120, seed=5, profile="full")
    assert first.fingerprint == generate_county(120, seed=5, profile="full").fingerprint
    assert first.fingerprint != generate_county(120, seed=5).fingerprint
    assert generate_county(120, seed=5, profile="mianchi").fingerprint == (
        generate_county(120, seed=5).fingerprint
    )
    for size in (1, 2, 7):
        assert len(generate_county(size, seed=size, profile="full").members) == size
    with pytest.raises(ValueError, match="profile"):
        generate_county(10, profile="nope")


def test_full_profile_has_every_record_the_county_rulesets_read(city: Dataset) -> None:
    root = EXAMPLE.parent.parent / "rulesets"
    declared: set[str] = set()
    for county in COUNTY_RULESETS:
        for path in sorted(
            p for p in (root / county).glob("*.toml") if not p.name.endswith(".tests.toml")
        ):
            declared |= set(load_ruleset(path).event_types)
    types = Counter(e.type for e in city.events)
    # Crimes come about once per 2,500 members: the 500 here have none this year.
    assert declared - {"crime"} <= set(types), declared - set(types)
    orgs = city.organizations
    assert city.roots == ("SMX",) and orgs["SMX"].name == "三门峡市直机关工委"
    assert sum(o.kind == "branch" for o in orgs.values()) == 25
    assert {o.kind for o in orgs.values()} >= {"committee", "general_branch", "branch"}
    for event in city.events:
        if event.organization is not None:
            assert event.member is None and orgs[event.organization].kind == "branch"
            continue
        member = city.members[event.member or ""]
        assert member.joined is not None and member.joined <= event.date
        assert member.left is None or (event.end or event.date) <= member.left
    inspections = [e for e in city.events if e.type == "venue_inspection"]
    assert all(len(e.attributes) == 11 for e in inspections)
    cadres = [m for m in city.members.values() if "联系干部" in m.roles]
    assert len(cadres) >= 15
    assert sum(m.joined is not None and m.joined.year == 2015 for m in cadres) == 1
    stays = [e for e in city.events if e.type == "contact_stay"]
    assert {e.member for e in stays} == {m.id for m in cadres}
    assert any(e.end is None for e in stays) and any(e.end is not None for e in stays)
    assert 1 <= types["branch_accountability"] <= 2


@pytest.mark.parametrize("year", [2014, 2015])
def test_shipped_city_samples_are_fresh_generations(
    year: int, city: Dataset, tmp_path: Path
) -> None:
    data = city if year == 2015 else generate_county(500, seed=year, year=year, profile="full")
    write_csv_folder(data, tmp_path)
    for name in CSV_FILES:
        shipped = (SAMPLES[year] / name).read_bytes()
        assert (tmp_path / name).read_bytes() == shipped, (
            f"examples/sanmenxia-{year}/{name} is stale; regenerate it with "
            f"generate_county(500, seed={year}, year={year}, profile='full') (examples/README.md)"
        )
    assert sum((SAMPLES[year] / name).stat().st_size for name in CSV_FILES) < 2_000_000
