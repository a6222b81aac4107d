"""Verdicts keep their semantics: stars (levels, named, prerequisite, veto, quotas, limits
against the previous period), tiers with promotion limits, and top-N selection."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian_rules import Period, RunResult, dumps, evaluate, loads, parse_ruleset
from dangjian_rules.model.records import Dataset, Event
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.testing import DatasetBuilder, make_registry
from dangjian_rules.testing.strategies import tree_datasets

REGISTRY = make_registry()


def load(text: str) -> Ruleset:
    ruleset, problems = parse_ruleset(text, "test.toml", REGISTRY)
    assert [p for p in problems if p.severity == "error"] == [], problems
    assert ruleset is not None
    return ruleset


def problem_list(text: str) -> list[tuple[str, str | None]]:
    ruleset, problems = parse_ruleset(text, "bad.toml", REGISTRY)
    assert ruleset is None
    return [(p.code, p.path) for p in problems]


def run(
    rulesets: list[Ruleset] | Ruleset,
    data: DatasetBuilder | Dataset,
    period: str = "2015",
    previous: RunResult | None = None,
) -> RunResult:
    dataset = data.build() if isinstance(data, DatasetBuilder) else data
    return evaluate(rulesets, dataset, Period.parse(period), REGISTRY, previous)


def stars_of(outcome: RunResult) -> dict[str, int]:
    return {r.subject.id: r.stars.count for r in outcome.results if r.stars is not None}


def round_trip(outcome: RunResult) -> RunResult:
    """A previous period's result as it comes back from its JSON file."""
    text = dumps(outcome)
    again = loads(text)
    assert dumps(again) == text
    return again


# --------------------------------------------------------------------------------- stars

STARS = """
[ruleset]
id = "t.stars"
name = "星级党支部"
version = "1"
subject = "organization"
organizations = ["branch"]

[event_types.branch_meeting]
label = "支部党员大会"
[event_types.inspection]
label = "场所检查"
fields.ok = "boolean"
[event_types.service]
label = "为民服务"
[event_types.sanction]
label = "班子成员违纪"

[[measures]]
id = "life"
label = "每季度支部党员大会"
kind = "cadence"
on = "branch_meeting"
per = "quarter"

[[measures]]
id = "venue"
label = "活动场所"
kind = "checklist"
on = "inspection"
items = [{ id = "ok", label = "场所达标", field = "ok" }]
verdicts = [{ verdict = "达标", min_passed = 1 }, { verdict = "不达标", min_passed = 0 }]

[[measures]]
id = "service"
label = "为民服务次数"
kind = "count"
on = "service"

[[rules]]
id = "sanction"
label = "班子成员违纪"
kind = "veto"
on = "sanction"

[stars]
levels = [
  { stars = 1, label = "一星", when = "measure.life >= 0.5" },
  { stars = 2, label = "二星", when = 'measure.venue == "达标"' },
  { stars = 3, label = "三星", when = "measure.life == 1" },
  { stars = 4, label = "四星", when = "measure.service >= 2" },
  { stars = 5, label = "五星", when = "measure.service >= 4" },
]
"""

NAMED = (
    STARS.split("[stars]")[0]
    + """
[stars]
mode = "named"
named = [
  { id = "life", label = "组织生活星", when = "measure.life == 1" },
  { id = "venue", label = "阵地建设星", when = 'measure.venue == "达标"' },
  { id = "service", label = "服务群众星", when = "measure.service >= 2" },
  { id = "model", label = "示范引领星", when = "measure.service >= 4" },
]
"""
)


def branch(
    data: DatasetBuilder,
    org: str,
    *,
    quarters: int = 4,
    venue: bool | None = True,
    services: int = 5,
    year: int = 2015,
    sanction: bool = False,
) -> DatasetBuilder:
    """A branch's records for a year: meetings in ``quarters`` quarters, an inspection
    (passed, failed or none), ``services`` service records, and perhaps a sanction."""
    if org not in data.organizations:
        data.organization(org, parent="ROOT")
    for quarter in range(quarters):
        data.event("branch_meeting", f"{year}-{3 * quarter + 1:02d}-10", organization=org)
    if venue is not None:
        data.event("inspection", f"{year}-06-01", organization=org, ok=venue)
    for i in range(services):
        data.event("service", f"{year}-{i % 12 + 1:02d}-20", organization=org)
    if sanction:
        data.event("sanction", f"{year}-07-07", organization=org, id=f"SANCTION-{org}-{year}")
    return data


@pytest.fixture(scope="module")
def stars() -> Ruleset:
    return load(STARS)


def test_cumulative_levels_stop_at_the_first_failing_level(stars: Ruleset) -> None:
    data = DatasetBuilder()
    branch(data, "B1")  # everything
    branch(data, "B2", venue=None)  # not inspected: level 2 fails, so no 3, 4, 5
    branch(data, "B3", quarters=1)  # life 0.25: nothing at all
    branch(data, "B4", services=3)  # four stars
    outcome = run(stars, data)
    assert stars_of(outcome) == {"B1": 5, "B2": 1, "B3": 0, "B4": 4}
    b2 = outcome.for_subject("B2").stars
    assert b2 is not None
    assert (b2.count, b2.earned) == (1, 1)
    assert [c.held for c in b2.criteria] == [True, False, True, True, True]
    assert b2.criteria[1].values == {"measure.venue": "未检查"}
    assert b2.criteria[1].label == "二星"
    assert b2.notes == ()


def test_named_stars_are_counted_independently() -> None:
    data = DatasetBuilder()
    branch(data, "B1", venue=None)  # all but the venue star
    branch(data, "B2", quarters=3, venue=False, services=2)  # service star only
    branch(data, "B3", quarters=0, services=0, venue=None)
    outcome = run(load(NAMED), data)
    assert stars_of(outcome) == {"B1": 3, "B2": 1, "B3": 0}
    b1 = outcome.for_subject("B1").stars
    assert b1 is not None
    assert [(c.id, c.label, c.held) for c in b1.criteria] == [
        ("life", "组织生活星", True),
        ("venue", "阵地建设星", False),
        ("service", "服务群众星", True),
        ("model", "示范引领星", True),
    ]


def test_requires_withholds_every_star_and_says_why() -> None:
    ruleset = load(STARS.replace("[stars]\n", '[stars]\nrequires = "measure.venue.inspected"\n'))
    data = DatasetBuilder()
    branch(data, "B1", venue=None)  # would earn 1, but was never inspected
    branch(data, "B2", venue=False)  # inspected and failed: 1 star
    outcome = run(ruleset, data)
    b1 = outcome.for_subject("B1").stars
    assert b1 is not None
    assert (b1.count, b1.earned) == (0, 1)
    assert [n.code for n in b1.notes] == ["requires"]
    assert "measure.venue.inspected" in b1.notes[0].text
    assert stars_of(outcome)["B2"] == 1


def test_veto_strips_stars_and_names_the_record(stars: Ruleset) -> None:
    data = DatasetBuilder()
    branch(data, "B1", sanction=True)
    branch(data, "B2")
    outcome = run(stars, data)
    b1 = outcome.for_subject("B1")
    assert b1.stars is not None
    assert (b1.stars.count, b1.stars.earned) == (0, 5)
    (note,) = b1.stars.notes
    assert note.code == "veto"
    assert "班子成员违纪" in note.text and "SANCTION-B1-2015" in note.text
    assert "SANCTION-B1-2015" in note.text_zh and "摘除 5 颗星" in note.text_zh
    assert b1.vetoes[0].event == "SANCTION-B1-2015"
    assert stars_of(outcome)["B2"] == 5


def test_veto_keeps_stars_when_told_not_to_strip() -> None:
    ruleset = load(STARS.replace("[stars]\n", "[stars]\nstrip_on_veto = false\n"))
    data = branch(DatasetBuilder(), "B1", sanction=True)
    b1 = run(ruleset, data).for_subject("B1")
    assert b1.stars is not None and b1.stars.count == 5 and b1.stars.notes == ()


# ------------------------------------------------------------ stars against the previous

LIMITED = STARS.replace("[stars]\n", "[stars]\nmax_up = 1\nmax_down = 1\n")


@pytest.fixture(scope="module")
def limited() -> Ruleset:
    return load(LIMITED)


def _two_years() -> DatasetBuilder:
    data = DatasetBuilder()
    branch(data, "B1", quarters=0, services=0, venue=None, year=2014)  # 0 → 5
    branch(data, "B1")
    branch(data, "B2", year=2014)  # 5 → 0
    branch(data, "B2", quarters=0, services=0, venue=None)
    branch(data, "B3", services=0, year=2014)  # 3 → 4: within the limit
    branch(data, "B3", services=3)
    branch(data, "B4", year=2014)  # 5 → vetoed
    branch(data, "B4", sanction=True)
    return data


def test_limits_against_the_previous_period(limited: Ruleset) -> None:
    data = _two_years().build()
    before = round_trip(run(limited, data, "2014"))
    assert stars_of(before) == {"B1": 0, "B2": 5, "B3": 3, "B4": 5}
    outcome = run(limited, data, "2015", previous=before)
    assert stars_of(outcome) == {"B1": 1, "B2": 4, "B3": 4, "B4": 0}
    b1 = outcome.for_subject("B1").stars
    assert b1 is not None and b1.earned == 5
    assert [n.code for n in b1.notes] == ["previous_limit"]
    assert "at most 1 more than last period's 0" in b1.notes[0].text
    b2 = outcome.for_subject("B2").stars
    assert b2 is not None and b2.earned == 0
    assert "at most 1 fewer than last period's 5" in b2.notes[0].text
    b4 = outcome.for_subject("B4").stars
    assert b4 is not None and [n.code for n in b4.notes] == ["veto"]  # veto beats max_down


def test_no_previous_result_means_no_limit(limited: Ruleset) -> None:
    data = _two_years().build()
    assert stars_of(run(limited, data, "2015")) == {"B1": 5, "B2": 0, "B3": 4, "B4": 0}


def test_a_subject_missing_from_the_previous_result_is_not_limited(limited: Ruleset) -> None:
    earlier = DatasetBuilder()
    branch(earlier, "B1", quarters=0, services=0, venue=None, year=2014)
    before = round_trip(run(limited, earlier, "2014"))
    now = DatasetBuilder()
    branch(now, "B1")
    branch(now, "NEW")  # a branch founded this year
    outcome = run(limited, now, "2015", previous=before)
    assert stars_of(outcome) == {"B1": 1, "NEW": 5}


def test_failed_prerequisite_is_not_lifted_by_max_down() -> None:
    ruleset = load(LIMITED.replace("[stars]\n", '[stars]\nrequires = "measure.venue.inspected"\n'))
    data = DatasetBuilder()
    branch(data, "B1", year=2014)
    branch(data, "B1", venue=None)  # never inspected in 2015
    before = round_trip(run(ruleset, data.build(), "2014"))
    b1 = run(ruleset, data.build(), "2015", previous=before).for_subject("B1")
    assert b1.stars is not None
    assert b1.stars.count == 0, [n.text for n in b1.stars.notes]


# --------------------------------------------------------------------------------- quotas

QUOTA = STARS.replace(
    "[stars]\n",
    '[stars]\nquota = [{ stars = 5, at_most = 0.5 }]\nrank_by = ["measure.service desc"]\n',
)


def test_quota_keeps_exactly_floor_share_times_rated() -> None:
    data = DatasetBuilder()
    for org, services in (("B1", 4), ("B2", 6), ("B3", 5), ("B4", 5), ("B5", 4)):
        branch(data, org, services=services)
    outcome = run(load(QUOTA), data)
    # floor(0.5 × 5) = 2 keep five stars: B2 (6), then B3 before B4 (tie on 5: by id)
    assert stars_of(outcome) == {"B1": 4, "B2": 5, "B3": 5, "B4": 4, "B5": 4}
    b4 = outcome.for_subject("B4").stars
    assert b4 is not None and b4.earned == 5
    (note,) = b4.notes
    assert note.code == "quota"
    assert "5 → 4" in note.text and "ranks 3 of 5" in note.text and "= 2" in note.text
    assert "排第 3/5" in note.text_zh
    assert [n.code for n in outcome.for_subject("B5").stars.notes] == ["quota"]  # type: ignore[union-attr]
    assert outcome.for_subject("B2").stars.notes == ()  # type: ignore[union-attr]


def test_quota_is_deterministic_whatever_the_order_of_the_data() -> None:
    data = DatasetBuilder()
    orgs = [f"B{i}" for i in range(1, 8)]
    for org in orgs:
        branch(data, org, services=4)
    forward = data.build()
    backward = Dataset(
        dict(reversed(list(forward.organizations.items()))),
        forward.members,
        tuple(reversed(forward.events)),
    )
    ruleset = load(QUOTA)
    one, two = run(ruleset, forward), run(ruleset, backward)
    # all tie on the rank key: the subject id decides; floor(0.5 × 7) = 3
    assert stars_of(one) == {o: 5 if o in ("B1", "B2", "B3") else 4 for o in orgs}
    assert dumps(one) == dumps(two)


def test_quota_counts_every_rated_subject_and_is_exact() -> None:
    ruleset = load(
        """
[ruleset]
id = "t.quota"
name = "名额"
version = "1"
subject = "organization"
organizations = ["branch"]

[event_types.service]
label = "服务"

[[measures]]
id = "service"
label = "服务"
kind = "count"
on = "service"

[stars]
levels = [{ stars = 1, label = "一星", when = "measure.service >= 1" }]
quota = [{ stars = 1, at_most = 0.29 }]
rank_by = ["measure.service desc"]
"""
    )
    data = DatasetBuilder()
    for i in range(100):
        org = f"B{i:03d}"
        data.organization(org, parent="ROOT")
        if i < 60:
            data.event("service", "2015-05-01", organization=org)
    data.organizations.pop("B1")
    outcome = run(ruleset, data)
    # 100 rated (40 with no star); 0.29 × 100 is 29 exactly (a float would say 28.999…)
    assert sum(stars_of(outcome).values()) == 29
    assert [s for s, n in stars_of(outcome).items() if n] == [f"B{i:03d}" for i in range(29)]


def test_quota_of_zero_and_nested_quotas() -> None:
    ruleset = load(
        STARS.replace(
            "[stars]\n",
            "[stars]\nquota = [{ stars = 4, at_most = 0.4 }, { stars = 5, at_most = 0.2 }]\n"
            'rank_by = ["measure.service desc"]\n',
        )
    )
    data = DatasetBuilder()
    for org, services in (("B1", 9), ("B2", 8), ("B3", 7), ("B4", 6), ("B5", 5)):
        branch(data, org, services=services)
    outcome = run(ruleset, data)
    # one five-star (20 % of 5), two at four or more (40 %), the rest down to three
    assert stars_of(outcome) == {"B1": 5, "B2": 4, "B3": 3, "B4": 3, "B5": 3}
    none_allowed = load(QUOTA.replace("at_most = 0.5", "at_most = 0.1"))
    few = DatasetBuilder()
    for org in ("B1", "B2", "B3"):
        branch(few, org)
    assert stars_of(run(none_allowed, few)) == {"B1": 4, "B2": 4, "B3": 4}  # floor(0.3) = 0


def test_quota_over_100_percent_is_an_error() -> None:
    found = problem_list(QUOTA.replace("at_most = 0.5", "at_most = 1.5"))
    assert [code for code, _ in found] == ["DJ104"]
    assert found[0][1] is not None and "at_most" in found[0][1]


def test_quota_can_rank_by_stars() -> None:
    ruleset = load(
        STARS.replace(
            "[stars]\n",
            '[stars]\nquota = [{ stars = 3, at_most = 0.5 }]\nrank_by = ["result.stars desc"]\n',
        )
    )
    data = DatasetBuilder()
    branch(data, "B1", services=0)  # three stars
    branch(data, "B2")  # five stars
    assert stars_of(run(ruleset, data)) == {"B1": 2, "B2": 5}


# --------------------------------------------------------------------------------- tiers

TIERS = """
[ruleset]
id = "t.tiers"
name = "划类晋级"
version = "1"
subject = "organization"
organizations = ["branch"]

[score]
base = 0

[event_types.work]
label = "工作得分"
quantity = "points"

[[rules]]
id = "work"
label = "工作得分"
kind = "points"
on = "work"
points_per_unit = 1

[tiers]
order = ["先进", "较好", "一般", "后进"]
default = "一般"
max_up = 1
max_down = 1
rules = [
  { tier = "先进", when = "result.score >= 90" },
  { tier = "较好", when = "result.score >= 75" },
  { tier = "后进", when = "result.score < 50" },
]
"""


def scored(data: DatasetBuilder, org: str, score: int, year: int = 2015) -> DatasetBuilder:
    if org not in data.organizations:
        data.organization(org, parent="ROOT")
    data.event("work", f"{year}-06-30", organization=org, quantity=score)
    return data


@pytest.fixture(scope="module")
def tiers() -> Ruleset:
    return load(TIERS)


def test_first_matching_tier_rule_wins_else_the_default(tiers: Ruleset) -> None:
    data = DatasetBuilder()
    for org, score in (("B1", 95), ("B2", 80), ("B3", 60), ("B4", 40)):
        scored(data, org, score)
    outcome = run(tiers, data)
    got = {r.subject.id: r.tier for r in outcome.results}
    assert {k: t.tier for k, t in got.items() if t} == {
        "B1": "先进",
        "B2": "较好",
        "B3": "一般",
        "B4": "后进",
    }
    assert [c.id for c in got["B1"].criteria] == ["先进"]  # type: ignore[union-attr]
    assert [(c.id, c.held) for c in got["B2"].criteria] == [  # type: ignore[union-attr]
        ("先进", False),
        ("较好", True),
    ]
    assert [c.held for c in got["B3"].criteria] == [False, False, False]  # type: ignore[union-attr]
    assert got["B3"].criteria[0].values == {"result.score": "60"}  # type: ignore[union-attr]


def test_tier_promotion_limited_against_the_previous_period(tiers: Ruleset) -> None:
    data = DatasetBuilder()
    scored(scored(data, "B1", 10, 2014), "B1", 99)  # 后进 → 先进: only to 一般
    scored(scored(data, "B2", 99, 2014), "B2", 10)  # 先进 → 后进: only to 较好
    scored(scored(data, "B3", 60, 2014), "B3", 80)  # 一般 → 较好: fine
    dataset = data.build()
    before = round_trip(run(tiers, dataset, "2014"))
    outcome = run(tiers, dataset, "2015", previous=before)
    b1, b2, b3 = (outcome.for_subject(s).tier for s in ("B1", "B2", "B3"))
    assert b1 is not None and (b1.tier, b1.earned) == ("一般", "先进")
    assert b1.notes[0].code == "previous_limit"
    assert "promoted only to 一般" in b1.notes[0].text and "后进" in b1.notes[0].text
    assert b2 is not None and (b2.tier, b2.earned) == ("较好", "后进")
    assert "kept at 较好" in b2.notes[0].text
    assert b3 is not None and (b3.tier, b3.notes) == ("较好", ())
    alone = run(tiers, dataset, "2015")  # no previous result: no limit
    assert alone.for_subject("B1").tier.tier == "先进"  # type: ignore[union-attr]


def test_conditions_on_the_previous_result_are_false_without_one() -> None:
    ruleset = load(
        TIERS
        + """
[[flags]]
id = "declined"
label = "得分下降"
when = "result.score < previous.score"
"""
    )
    data = DatasetBuilder()
    scored(scored(data, "B1", 80, 2014), "B1", 70)
    dataset = data.build()
    assert run(ruleset, dataset, "2015").for_subject("B1").flags == ()
    before = round_trip(run(ruleset, dataset, "2014"))
    flags = run(ruleset, dataset, "2015", previous=before).for_subject("B1").flags
    assert [f.id for f in flags] == ["declined"]
    assert flags[0].criteria[0].values == {"previous.score": "80", "result.score": "70"}


def test_tier_names_must_be_in_the_order() -> None:
    found = problem_list(TIERS.replace('{ tier = "较好"', '{ tier = "良好"'))
    assert [code for code, _ in found] == ["DJ106"]
    found = problem_list(TIERS.replace('default = "一般"', 'default = "中等"'))
    assert [code for code, _ in found] == ["DJ106"]


def test_tier_rules_can_read_the_stars() -> None:
    ruleset = load(
        STARS
        + """
[tiers]
order = ["先进", "一般"]
default = "一般"
rules = [{ tier = "先进", when = "result.stars >= 4" }]
"""
    )
    data = branch(DatasetBuilder(), "B1")
    tier = run(ruleset, data).for_subject("B1").tier
    assert tier is not None and tier.tier == "先进"


# ------------------------------------------------------------------------------ selection

SELECTION = """
[ruleset]
id = "t.select"
name = "十佳优秀共产党员"
version = "1"
subject = "member"

[score]
base = 60

[event_types.good]
label = "表现"
quantity = "points"
[event_types.service]
label = "志愿服务"
[event_types.sanction]
label = "党纪处分"

[[rules]]
id = "good"
label = "表现"
kind = "points"
on = "good"
points_per_unit = 1

[[rules]]
id = "sanction"
label = "党纪处分"
kind = "veto"
on = "sanction"

[[measures]]
id = "service"
label = "志愿服务次数"
kind = "count"
on = "service"

[[grades]]
id = "all"
veto = "不合格"
bands = [{ grade = "优秀", min = 90 }, { grade = "合格", min = 60 }, { grade = "不合格", min = 0 }]

[selection]
label = "十佳"
count = 2
eligible = 'not result.vetoed and result.grade == "优秀"'
rank_by = ["result.score desc", "measure.service desc"]
"""


def person(
    data: DatasetBuilder, member: str, score: int, services: int = 0, org: str = "B1"
) -> DatasetBuilder:
    data.member(member, organization=org)
    if score > 60:
        data.event("good", "2015-05-01", member=member, quantity=score - 60)
    for _ in range(services):
        data.event("service", "2015-06-01", member=member)
    return data


def selections(outcome: RunResult) -> dict[str, tuple[int | None, bool]]:
    out = {}
    for result in outcome.results:
        assert result.selection is not None
        out[result.subject.id] = (result.selection.rank, result.selection.selected)
    return out


def test_selection_ranks_with_tie_breaks_and_eligibility() -> None:
    data = DatasetBuilder()
    person(data, "A", 95, services=1)
    person(data, "B", 95, services=3)  # ties A on score, more service: first
    person(data, "C", 97, services=0)
    person(data, "D", 95, services=1)  # ties A on both: the id decides (A before D)
    person(data, "E", 99).event("sanction", "2015-08-01", member="E", id="S1")
    person(data, "F", 80)  # 合格: not eligible
    outcome = run(load(SELECTION), data)
    assert selections(outcome) == {
        "C": (1, True),
        "B": (2, True),
        "A": (3, False),
        "D": (4, False),
        "E": (None, False),
        "F": (None, False),
    }
    e = outcome.for_subject("E").selection
    assert e is not None and not e.eligible
    assert e.notes[0].code == "eligible" and "not eligible" in e.notes[0].text
    a = outcome.for_subject("A").selection
    assert a is not None and a.eligible
    assert a.keys == {"result.score desc": "95", "measure.service desc": "1"}
    assert "ranked 3 of 4" in a.notes[0].text and "not selected" in a.notes[0].text
    assert a.scope is None


def test_selection_scope_ranks_within_each_committee() -> None:
    ruleset = load(SELECTION.replace("count = 2", 'count = 1\nscope = "committee"'))
    data = DatasetBuilder()
    data.organization("C1", kind="committee", parent="ROOT")
    data.organization("C2", kind="committee", parent="ROOT")
    data.organization("B1", parent="C1")  # moves B1 under C1
    data.organization("B2", parent="C1")
    data.organization("G3", kind="general_branch", parent="C2")
    data.organization("B3", parent="G3")
    data.organization("B4", parent="ROOT")  # under no committee
    person(data, "A", 95, org="B1")
    person(data, "B", 98, org="B2")
    person(data, "C", 91, org="B3")
    person(data, "D", 99, org="B3")
    person(data, "E", 92, org="B4")
    outcome = run(ruleset, data)
    assert selections(outcome) == {
        "A": (2, False),
        "B": (1, True),
        "C": (2, False),
        "D": (1, True),
        "E": (1, True),
    }
    scopes = {r.subject.id: r.selection.scope for r in outcome.results}  # type: ignore[union-attr]
    assert scopes == {"A": "C1", "B": "C1", "C": "C2", "D": "C2", "E": None}
    d = outcome.for_subject("D").selection
    assert d is not None and "in C2" in d.notes[0].text


def test_selection_of_organizations_sees_the_final_stars() -> None:
    ruleset = load(
        QUOTA
        + """
[selection]
count = 2
rank_by = ["result.stars desc", "measure.service asc"]
"""
    )
    data = DatasetBuilder()
    for org, services in (("B1", 4), ("B2", 9), ("B3", 5)):
        branch(data, org, services=services)
    outcome = run(ruleset, data)
    # the quota leaves one five-star (B2); the rest rank on fewer services first
    assert stars_of(outcome) == {"B1": 4, "B2": 5, "B3": 4}
    assert selections(outcome) == {"B1": (2, True), "B2": (1, True), "B3": (3, False)}
    b1 = outcome.for_subject("B1").selection
    assert b1 is not None and b1.keys["result.stars desc"] == "4"


def test_selection_needs_a_whole_count_and_known_rank_keys() -> None:
    found = problem_list(SELECTION.replace("count = 2", "count = 0"))
    assert [code for code, _ in found] == ["DJ104"]
    found = problem_list(SELECTION.replace('"measure.service desc"', '"measure.services desc"'))
    assert [code for code, _ in found] == ["DJ104"]
    found = problem_list(SELECTION.replace("count = 2", 'count = 2\nscope = "comittee"'))
    assert [code for code, _ in found] == ["DJ104"]


# ------------------------------------------------------------------ properties of stars

MONOTONE = """
[ruleset]
id = "t.monotone"
name = "星级（单调）"
version = "1"
subject = "organization"

[event_types.meeting]
label = "组织生活"
[event_types.service]
label = "服务"
quantity = "hours"

[[measures]]
id = "life"
label = "每季度组织生活"
kind = "cadence"
on = "meeting"
per = "quarter"

[[measures]]
id = "hours"
label = "服务时长"
kind = "count"
on = "service"
of = "quantity"

[[measures]]
id = "lapse"
label = "连续三个月无组织生活"
kind = "streak"
on = "meeting"
length = 3

[[measures]]
id = "long_visits"
label = "每半年两天以上服务"
kind = "cadence"
on = "service"
per = "half"
min_days = 2
"""

MONOTONE_NAMED = (
    MONOTONE
    + """
[stars]
mode = "named"
named = [
  { id = "life", label = "组织生活", when = "measure.life >= 0.25" },
  { id = "full", label = "全年", when = "measure.life >= 0.5 and not measure.lapse" },
  { id = "hours", label = "服务", when = "measure.hours >= 2" },
  { id = "visits", label = "蹲点", when = "measure.long_visits > 0" },
]
"""
)

MONOTONE_LEVELS = (
    MONOTONE
    + """
[stars]
levels = [
  { stars = 1, label = "一星", when = "measure.life > 0 or measure.hours > 0" },
  { stars = 2, label = "二星", when = "measure.life >= 0.25 or not measure.lapse" },
  { stars = 3, label = "三星", when = "measure.hours >= 2 and measure.long_visits >= 0.5" },
]
"""
)

MONOTONE_RULESETS = {"named": load(MONOTONE_NAMED), "levels": load(MONOTONE_LEVELS)}


@st.composite
def with_an_added_record(draw: st.DrawFn, ruleset: Ruleset) -> tuple[Dataset, Dataset]:
    """A dataset, and the same with one more approved record in 2015 for an organization."""
    dataset = draw(
        tree_datasets(
            ruleset,
            member_events=False,
            min_events=5,
            max_events=30,
            event_organizations=("branch",),
        )
    )
    subject = draw(st.sampled_from(sorted(dataset.organizations)))
    day = draw(st.dates(Period.parse("2015").start, Period.parse("2015").end))
    type_id = draw(st.sampled_from(["meeting", "service"]))
    extra = Event(
        id="Z-ADDED",
        type=type_id,
        date=day,
        organization=subject,
        end=day + dt.timedelta(days=draw(st.sampled_from([0, 0, 1, 2]))),
        quantity=draw(st.decimals(min_value=Decimal("0.5"), max_value=5, places=1))
        if type_id == "service"
        else None,
    )
    more = Dataset(dataset.organizations, dataset.members, (*dataset.events, extra))
    return dataset, more


@pytest.mark.parametrize("mode", sorted(MONOTONE_RULESETS))
def test_stars_never_fall_when_more_is_done(mode: str) -> None:
    ruleset = MONOTONE_RULESETS[mode]

    @given(with_an_added_record(ruleset))
    def check(pair: tuple[Dataset, Dataset]) -> None:
        less, more = (stars_of(run(ruleset, d)) for d in pair)
        assert set(less) == set(more)
        for subject, count in less.items():
            assert more[subject] >= count, subject

    check()


QUOTA_PROPERTY = """
[ruleset]
id = "t.quota-property"
name = "名额"
version = "1"
subject = "organization"
organizations = ["branch"]

[event_types.meeting]
label = "组织生活"
[event_types.service]
label = "服务"
quantity = "hours"

[[measures]]
id = "meetings"
label = "组织生活次数"
kind = "count"
on = "meeting"

[[measures]]
id = "hours"
label = "服务时长"
kind = "count"
on = "service"
of = "quantity"

[stars]
levels = [
  { stars = 1, label = "一星", when = "measure.meetings >= 1 or measure.hours > 0" },
  { stars = 2, label = "二星", when = "measure.meetings >= 2" },
  { stars = 3, label = "三星", when = "measure.hours >= 1" },
  { stars = 4, label = "四星", when = "measure.meetings >= 3" },
  { stars = 5, label = "五星", when = "measure.hours >= 4" },
]
quota = [{ stars = 5, at_most = 0.1 }, { stars = 4, at_most = 0.34 }, { stars = 2, at_most = 0.5 }]
rank_by = ["measure.hours desc", "measure.meetings desc"]
"""


@given(
    tree_datasets(
        load(QUOTA_PROPERTY),
        member_events=False,
        max_branches=8,
        min_events=8,
        max_events=40,
        statuses=("approved",),
        event_organizations=("branch",),
    )
)
def test_quotas_are_never_exceeded(dataset: Dataset) -> None:
    ruleset = load(QUOTA_PROPERTY)
    outcome = run(ruleset, dataset)
    rated = len(outcome.results)
    assert rated == sum(1 for o in dataset.organizations.values() if o.kind == "branch")
    counts = stars_of(outcome)
    assert ruleset.stars is not None
    for quota in ruleset.stars.quotas:
        allowed = math.floor(quota.at_most * rated)
        assert sum(1 for n in counts.values() if n >= quota.stars) <= allowed
    for result in outcome.results:
        assert result.stars is not None
        assert result.stars.count <= result.stars.earned  # a quota only ever demotes
        demoted = any(n.code == "quota" for n in result.stars.notes)
        assert demoted == (result.stars.count < result.stars.earned)
