"""extends (a county card over a city baseline) and versions in force by date."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dangjian_rules import Period, ProblemsFound, evaluate
from dangjian_rules.api import check_paths, load_ruleset, load_rulesets
from dangjian_rules.cli import main
from dangjian_rules.ruleset.extends import merge
from dangjian_rules.testing import DatasetBuilder

ROOT = Path(__file__).resolve().parent.parent

BASE = """
[ruleset]
id = "city.base"
name = "市基准"
version = "{version}"
subject = "member"
in_force = {{ from = {start}, until = {until} }}

[score]
base = 60
max = 100

[event_types.meeting]
label = "会议"

[[categories]]
id = "life"
label = "组织生活"
max = 10

[[rules]]
id = "meeting"
label = "参加会议"
kind = "points"
category = "life"
on = "meeting"
points = {points}

[[grades]]
id = "default"
bands = [{{ grade = "合格", min = 60 }}, {{ grade = "不合格", min = 0 }}]
"""

COUNTY = """
[ruleset]
id = "county.card"
name = "县卡"
version = "1"
in_force = {{ from = {start} }}
extends = "city.base"

[event_types.volunteer]
label = "志愿服务"

[[rules]]
id = "meeting"
label = "参加会议（县里加倍）"
kind = "points"
category = "life"
on = "meeting"
points = 2

[[rules]]
id = "volunteer"
label = "志愿服务"
kind = "points"
on = "volunteer"
points = 1
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    city = tmp_path / "city"
    city.mkdir()
    (city / "base-2014.toml").write_text(
        BASE.format(version="2014", start="2014-01-01", until="2014-12-31", points=3),
        encoding="utf-8",
    )
    (city / "base-2015.toml").write_text(
        BASE.format(version="2015", start="2015-01-01", until="2015-12-31", points=1),
        encoding="utf-8",
    )
    county = tmp_path / "county"
    county.mkdir()
    (county / "card.toml").write_text(COUNTY.format(start="2015-01-01"), encoding="utf-8")
    return tmp_path


def test_merge_by_id_replaces_in_place_adds_and_removes() -> None:
    parent = {"rules": [{"id": "a", "x": 1}, {"id": "b", "x": 2}], "score": {"base": 60, "max": 1}}
    child = {
        "rules": [{"id": "b", "x": 3}, {"id": "c"}, {"id": "a", "remove": True}],
        "score": {"max": 2},
    }
    assert merge(parent, child) == {
        "rules": [{"id": "b", "x": 3}, {"id": "c"}],
        "score": {"base": 60, "max": 2},
    }


def test_county_card_overrides_the_baseline_in_force(folder: Path) -> None:
    card = load_ruleset(folder / "county" / "card.toml")
    assert card.extends == ("city.base",)
    assert [r.id for r in card.rules] == ["meeting", "volunteer"]
    assert card.rules[0].award.largest == 2  # the county's value wins
    assert card.subject == "member" and card.base == 60  # inherited
    data = DatasetBuilder().event("meeting", "2015-03-01", member="M1").build()
    run = evaluate(card, data, Period.parse("2015"))
    assert run.results[0].score == 62
    assert run.rulesets[0].extends == ("city.base",)


def test_sha256_covers_the_baseline(folder: Path) -> None:
    before = load_ruleset(folder / "county" / "card.toml").sha256
    base = folder / "city" / "base-2015.toml"
    base.write_text(base.read_text(encoding="utf-8").replace("max = 10", "max = 12"), "utf-8")
    assert load_ruleset(folder / "county" / "card.toml").sha256 != before


def test_baseline_version_follows_the_county_dates(folder: Path) -> None:
    (folder / "county" / "card.toml").write_text(COUNTY.format(start="2014-01-01"), "utf-8")
    card = load_ruleset(folder / "county" / "card.toml")
    assert card.in_force_until == dt_date(2014, 12, 31)  # inherited from the 2014 baseline


def dt_date(year: int, month: int, day: int) -> object:
    import datetime as dt

    return dt.date(year, month, day)


def test_unknown_baseline_and_cycles_are_located(folder: Path) -> None:
    card = folder / "county" / "card.toml"
    card.write_text(COUNTY.format(start="2015-01-01").replace("city.base", "city.bse"), "utf-8")
    with pytest.raises(ProblemsFound) as caught:
        load_ruleset(card)
    (problem,) = caught.value.problems
    assert (problem.code, problem.hint) == ("DJ127", 'did you mean "city.base"?')
    loop = folder / "city" / "loop.toml"
    loop.write_text(
        '[ruleset]\nid = "loop.a"\nname = "a"\nversion = "1"\nsubject = "member"\n'
        'extends = "loop.b"\n',
        "utf-8",
    )
    (folder / "city" / "loop-b.toml").write_text(
        '[ruleset]\nid = "loop.b"\nname = "b"\nversion = "1"\nsubject = "member"\n'
        'extends = "loop.a"\n',
        "utf-8",
    )
    codes = {p.code for p in check_paths([folder / "city"])}
    assert "DJ126" in codes


def test_versions_are_chosen_by_the_period(folder: Path) -> None:
    versions = load_rulesets([folder / "city"])
    assert sorted(r.version for r in versions) == ["2014", "2015"]
    data = DatasetBuilder().event("meeting", "2014-03-01", member="M1").build()
    run = evaluate(versions, data, Period.parse("2014"))
    assert run.rulesets[0].version == "2014" and run.results[0].score == 63
    run = evaluate(versions, data, Period.parse("2014"), pinned={"city.base": "2015"})
    assert run.rulesets[0].version == "2015"


def test_overlapping_versions_are_an_error(folder: Path) -> None:
    (folder / "city" / "base-2014.toml").write_text(
        BASE.format(version="2014", start="2014-01-01", until="2015-06-30", points=3), "utf-8"
    )
    problems = check_paths([folder / "city"])
    assert [p.code for p in problems] == ["DJ128"]


def test_shipped_county_card_extends_the_city_baseline() -> None:
    out = io.StringIO()
    assert main(["check", "--strict", "rulesets/"], out=out, err=out) == 0, out.getvalue()
    card = load_ruleset(ROOT / "rulesets" / "mianchi" / "member-points.toml")
    assert card.extends == ("sanmenxia.member-baseline",)
    assert {c.id for c in card.categories} >= {"organizational_life", "pioneer", "discipline"}
