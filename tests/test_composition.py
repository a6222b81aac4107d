"""Rulesets that use each other's results: dependency order, missing and circular
references, the previous period's result; and properties of composed evaluations
(partition invariance, order independence)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian_rules import Period, ProblemsFound, RunResult, dumps, evaluate, parse_ruleset
from dangjian_rules.api import check_paths
from dangjian_rules.convert.results import read_result, subject_result_json
from dangjian_rules.model.records import Dataset
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.testing import DatasetBuilder, make_registry, problem_codes
from dangjian_rules.testing.strategies import tree_datasets

REGISTRY = make_registry()
YEAR = Period.parse("2015")


def load(text: str, file: str = "test.toml") -> Ruleset:
    ruleset, problems = parse_ruleset(text, file, REGISTRY)
    assert [p for p in problems if p.severity == "error"] == [], problems
    assert ruleset is not None
    return ruleset


MEMBER = """
[ruleset]
id = "p.member"
name = "党员积分"
version = "1"
subject = "member"

[score]
base = 60
min = 0
max = 100

[event_types.meeting]
label = "三会一课"
[event_types.volunteer]
label = "志愿服务"
quantity = "hours"
[event_types.late_dues]
label = "迟交党费"
[event_types.sanction]
label = "党纪处分"

[[categories]]
id = "life"
label = "组织生活"
max = 20

[[rules]]
id = "meeting"
label = "参加三会一课"
kind = "points"
category = "life"
on = "meeting"
points = 2
caps = [{ per = "month", max = 2 }]

[[rules]]
id = "volunteer"
label = "志愿服务"
kind = "points"
on = "volunteer"
points_per_unit = 0.5
caps = [{ per = "year", max = 10 }]

[[rules]]
id = "late"
label = "迟交党费"
kind = "deduction"
on = "late_dues"
points = 2

[[rules]]
id = "sanction"
label = "党纪处分"
kind = "veto"
on = "sanction"

[[measures]]
id = "life"
label = "每季度组织生活"
kind = "cadence"
on = "meeting"
per = "quarter"

[[measures]]
id = "lapse"
label = "连续六个月无组织生活"
kind = "streak"
on = "meeting"
length = 6

[[flags]]
id = "lapse"
label = "自行脱党审查"
when = "measure.lapse"

[[grades]]
id = "all"
veto = "不合格"
bands = [
  { grade = "优秀", min = 80 },
  { grade = "合格", min = 60 },
  { grade = "基本合格", min = 50 },
  { grade = "不合格", min = 0 },
]
"""

BRANCH = """
[ruleset]
id = "p.branch"
name = "星级党组织"
version = "1"
subject = "organization"

[event_types.branch_meeting]
label = "支部党员大会"
[event_types.inspection]
label = "场所检查"
fields.sign = "boolean"
fields.flag = "boolean"
[event_types.org_sanction]
label = "班子违纪"

[[measures]]
id = "assembly"
label = "每季度支部党员大会"
kind = "cadence"
on = "branch_meeting"
per = "quarter"

[[measures]]
id = "venue"
label = "活动场所"
kind = "checklist"
on = "inspection"
items = [{ id = "sign", label = "有牌子", field = "sign" }, { id = "flag", label = "有党旗", field = "flag" }]
verdicts = [{ verdict = "达标", min_passed = 2 }, { verdict = "基本达标", min_passed = 1 }, { verdict = "不达标", min_passed = 0 }]

[[measures]]
id = "qualified"
label = "合格及以上比例"
kind = "members"
ruleset = "p.member"
aggregate = "share"
at_least = "合格"
grades = ["优秀", "合格", "基本合格", "不合格"]

[[measures]]
id = "average"
label = "党员平均分"
kind = "members"
ruleset = "p.member"

[[measures]]
id = "composite"
label = "综合"
kind = "weighted"
parts = [{ measure = "average", weight = 0.4 }, { measure = "assembly", weight = 60 }]

[[rules]]
id = "org_sanction"
label = "班子违纪"
kind = "veto"
on = "org_sanction"

[[flags]]
id = "uninspected"
label = "未检查"
when = "not measure.venue.inspected"

[stars]
levels = [
  { stars = 1, label = "一星", when = "measure.assembly >= 0.25" },
  { stars = 2, label = "二星", when = 'measure.venue in ["达标", "基本达标"]' },
  { stars = 3, label = "三星", when = "measure.qualified >= 0.5" },
  { stars = 4, label = "四星", when = "measure.composite >= 50" },
]
max_up = 1

[tiers]
order = ["先进", "较好", "一般", "后进"]
default = "一般"
rules = [
  { tier = "先进", when = "measure.composite >= 70" },
  { tier = "较好", when = "measure.average >= 60" },
  { tier = "后进", when = "result.vetoed or measure.assembly == 0" },
]
"""

COUNTY = """
[ruleset]
id = "p.county"
name = "十佳案例"
version = "1"
subject = "organization"
organizations = ["branch"]

[[measures]]
id = "stars"
label = "星级"
kind = "result"
ruleset = "p.branch"
value = "stars"

[[measures]]
id = "average"
label = "党员平均分"
kind = "result"
ruleset = "p.branch"
value = "measure.average"
type = "decimal"

[selection]
label = "十佳案例"
count = 2
eligible = "measure.stars >= 1"
rank_by = ["measure.stars desc", "measure.average desc"]
"""

RULESETS = {"member": load(MEMBER), "branch": load(BRANCH), "county": load(COUNTY)}


def sample_data() -> DatasetBuilder:
    data = DatasetBuilder()
    data.organization("B2", parent="ROOT")
    data.member("A").member("B").member("C", organization="B2")
    for quarter in range(4):
        month = f"2015-{3 * quarter + 1:02d}"
        data.event("meeting", f"{month}-05", member="A")
        data.event("branch_meeting", f"{month}-06", organization="B1")
    data.event("meeting", "2015-02-05", member="B")
    data.event("volunteer", "2015-03-05", member="B", quantity=8)
    data.event("branch_meeting", "2015-04-06", organization="B2")
    data.event("inspection", "2015-06-01", organization="B1", sign=True, flag=True)
    data.event("inspection", "2015-06-01", organization="B2", sign=True)
    return data


# ---------------------------------------------------------------------- dependency order


def test_rulesets_are_evaluated_in_dependency_order_whatever_the_order_given() -> None:
    dataset = sample_data().build()
    outputs = {
        dumps(evaluate(list(order), dataset, YEAR, REGISTRY))
        for order in itertools.permutations(RULESETS.values())
    }
    assert len(outputs) == 1
    outcome = evaluate(list(RULESETS.values()), dataset, YEAR, REGISTRY)
    assert [r.id for r in outcome.rulesets] == ["p.branch", "p.county", "p.member"]
    b1 = outcome.for_subject("B1", "p.branch")
    assert b1.measures["average"].value == 67  # A: 60 + 4 × 2 = 68; B: 60 + 2 + 8 × 0.5 = 66
    assert [d["member"] for d in b1.measures["average"].details] == ["A", "B"]
    county = outcome.for_subject("B1", "p.county")
    assert b1.stars is not None and county.measures["stars"].value == b1.stars.count
    assert county.measures["average"].value == b1.measures["average"].value
    assert county.selection is not None and county.selection.rank == 1


def test_a_needed_ruleset_that_is_missing_is_reported() -> None:
    with pytest.raises(ProblemsFound) as caught:
        evaluate([RULESETS["county"], RULESETS["member"]], sample_data().build(), YEAR, REGISTRY)
    assert problem_codes(caught.value) == ["DJ121"]
    problem = caught.value.problems[0]
    assert "p.county" in problem.message and "p.branch" in problem.message
    assert problem.hint is not None and "p.branch" in problem.hint


def _reader(own: str, other: str) -> str:
    return f"""
[ruleset]
id = "{own}"
name = "{own}"
version = "1"
subject = "organization"

[[measures]]
id = "other"
label = "另一规则集得分"
kind = "result"
ruleset = "{other}"
"""


def test_rulesets_reading_each_other_are_a_cycle() -> None:
    one, two = load(_reader("c.one", "c.two")), load(_reader("c.two", "c.one"))
    for order in ([one, two], [two, one]):
        with pytest.raises(ProblemsFound) as caught:
            evaluate(order, DatasetBuilder().build(), YEAR, REGISTRY)
        assert problem_codes(caught.value) == ["DJ122"]
        message = caught.value.problems[0].message
        assert "c.one → c.two → c.one" in message or "c.two → c.one → c.two" in message


def test_a_ruleset_reading_itself_is_a_cycle() -> None:
    with pytest.raises(ProblemsFound) as caught:
        evaluate(load(_reader("c.self", "c.self")), DatasetBuilder().build(), YEAR, REGISTRY)
    assert problem_codes(caught.value) == ["DJ122"]


def test_check_rejects_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(_reader("c.one", "c.two"), encoding="utf-8")
    (tmp_path / "two.toml").write_text(_reader("c.two", "c.one"), encoding="utf-8")
    assert "DJ122" in problem_codes(check_paths([tmp_path], REGISTRY))


# -------------------------------------------------------------------- the previous period


def _previous(period: str, *names: str) -> RunResult:
    dataset = sample_data().build()
    chosen = [RULESETS[n] for n in names]
    return evaluate(chosen, dataset, Period.parse(period), REGISTRY)


def test_previous_result_of_a_later_or_same_period_is_refused() -> None:
    dataset = sample_data().build()
    both = [RULESETS["member"], RULESETS["branch"]]
    for period in ("2015", "2015-12", "2016"):
        previous = _previous(period, "member", "branch")
        with pytest.raises(ProblemsFound) as caught:
            evaluate(both, dataset, YEAR, REGISTRY, previous)
        assert problem_codes(caught.value) == ["DJ123"]
    earlier = _previous("2014-12", "member", "branch")  # ends the day before
    evaluate(both, dataset, YEAR, REGISTRY, earlier)


def test_previous_result_of_other_rulesets_is_refused() -> None:
    dataset = sample_data().build()
    both = [RULESETS["member"], RULESETS["branch"]]
    with pytest.raises(ProblemsFound) as caught:
        evaluate(both, dataset, YEAR, REGISTRY, _previous("2014", "member"))
    assert problem_codes(caught.value) == ["DJ124"]
    assert "p.branch" in caught.value.problems[0].message
    # both problems in one run
    with pytest.raises(ProblemsFound) as caught:
        evaluate(both, dataset, YEAR, REGISTRY, _previous("2015", "member"))
    assert problem_codes(caught.value) == ["DJ123", "DJ124"]


def test_previous_result_limits_stars_after_a_round_trip_through_its_file(
    tmp_path: Path,
) -> None:
    dataset = sample_data().build()
    both = [RULESETS["member"], RULESETS["branch"]]
    file = tmp_path / "2014.json"
    file.write_text(dumps(_previous("2014", "member", "branch")), encoding="utf-8")
    previous = read_result(file)
    assert previous.for_subject("B1", "p.branch").stars.count == 0  # type: ignore[union-attr]
    outcome = evaluate(both, dataset, YEAR, REGISTRY, previous)
    b1 = outcome.for_subject("B1", "p.branch").stars
    assert b1 is not None and b1.earned == 4 and b1.count == 1
    assert [n.code for n in b1.notes] == ["previous_limit"]
    assert evaluate(both, dataset, YEAR, REGISTRY).for_subject("B1", "p.branch").stars.count == 4  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        json.dumps({"schema": "something/else", "results": []}),
        json.dumps({"schema": "dangjian-rules/result/1"}),
        "[1, 2, 3]",
    ],
)
def test_read_result_refuses_a_file_that_is_not_a_result(tmp_path: Path, content: str) -> None:
    file = tmp_path / "previous.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        read_result(file)
    assert set(problem_codes(caught.value)) == {"DJ125"}  # one for each missing key
    assert all(p.file == str(file) for p in caught.value.problems)


def test_read_result_of_a_missing_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ProblemsFound) as caught:
        read_result(tmp_path / "missing.json")
    assert problem_codes(caught.value) == ["DJ125"]
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProblemsFound) as caught:
        read_result(binary)
    assert problem_codes(caught.value) == ["DJ125"]


# ------------------------------------------------------------------------------ properties


@st.composite
def dataset_and_subtree(draw: st.DrawFn) -> tuple[Dataset, str]:
    dataset = draw(
        tree_datasets(RULESETS["member"], RULESETS["branch"], max_members=8, max_events=40)
    )
    top = draw(st.sampled_from(sorted(dataset.organizations)))
    return dataset, top


def restricted(dataset: Dataset, top: str) -> Dataset:
    """The subtree under ``top``, its members and their records, and the chain of
    organizations above it (without their other children or records)."""
    inside = set(dataset.subtree(top))
    kept = inside | set(dataset.ancestors(top))
    members = {k: m for k, m in dataset.members.items() if m.organization in inside}
    events = tuple(
        e
        for e in dataset.events
        if (e.member in members) or (e.organization is not None and e.organization in inside)
    )
    organizations = {k: o for k, o in dataset.organizations.items() if k in kept}
    return Dataset(organizations, members, events, source="subtree")


def by_subject(outcome: RunResult, subjects: set[str]) -> dict[tuple[str, str], str]:
    return {
        (r.ruleset, r.subject.id): json.dumps(subject_result_json(r), ensure_ascii=False)
        for r in outcome.results
        if r.subject.id in subjects
    }


@given(dataset_and_subtree())
def test_evaluating_a_subtree_alone_equals_evaluating_it_with_the_rest(
    case: tuple[Dataset, str],
) -> None:
    dataset, top = case
    rulesets = [RULESETS["member"], RULESETS["branch"]]
    part = restricted(dataset, top)
    subjects = set(dataset.subtree(top)) | set(part.members)
    whole = by_subject(evaluate(rulesets, dataset, YEAR, REGISTRY), subjects)
    alone = by_subject(evaluate(rulesets, part, YEAR, REGISTRY), subjects)
    assert alone == whole


@given(
    tree_datasets(RULESETS["member"], RULESETS["branch"], max_members=6, max_events=30),
    st.randoms(use_true_random=False),
)
def test_shuffling_the_records_changes_nothing(dataset: Dataset, rng: random.Random) -> None:
    events = list(dataset.events)
    rng.shuffle(events)
    organizations = list(dataset.organizations.items())
    rng.shuffle(organizations)
    members = list(dataset.members.items())
    rng.shuffle(members)
    shuffled = Dataset(dict(organizations), dict(members), tuple(events))
    rulesets = list(RULESETS.values())
    order = rulesets[:]
    rng.shuffle(order)
    assert dumps(evaluate(order, shuffled, YEAR, REGISTRY)) == dumps(
        evaluate(rulesets, dataset, YEAR, REGISTRY)
    )
