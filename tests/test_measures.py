"""Measure kinds keep their semantics: cadence, streak, checklist, count, members, result,
weighted, and the ``measure`` rule kind that turns a measure into points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian_rules import Period, RunResult, evaluate, parse_ruleset
from dangjian_rules.model.result import BUCKETS, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.measures import SubjectContext
from dangjian_rules.testing import DatasetBuilder, assert_trace, make_registry

REGISTRY = make_registry()
YEAR = Period.parse("2015")


def load(text: str, file: str = "test.toml") -> Ruleset:
    ruleset, problems = parse_ruleset(text, file, REGISTRY)
    assert [p for p in problems if p.severity == "error"] == [], problems
    assert ruleset is not None
    return ruleset


def problems_of(text: str) -> list[tuple[str, str | None, str]]:
    ruleset, problems = parse_ruleset(text, "bad.toml", REGISTRY)
    assert ruleset is None
    return [(p.code, p.path, p.message) for p in problems]


def run(rulesets: list[Ruleset] | Ruleset, data: DatasetBuilder, period: str = "2015") -> RunResult:
    return evaluate(rulesets, data.build(), Period.parse(period), REGISTRY)


def of(run_result: RunResult, subject: str, ruleset: str | None = None) -> SubjectResult:
    return run_result.for_subject(subject, ruleset)


def months(*numbers: int) -> list[str]:
    return [f"2015-{n:02d}" for n in numbers]


def assert_buckets_add_up(result: SubjectResult, expected_total: int) -> None:
    assert set(result.events) == set(BUCKETS)
    assert sum(result.events.values()) == expected_total == len(result.trace)


# ------------------------------------------------------------------------------- cadence

CADENCE = """
[ruleset]
id = "t.cadence"
name = "组织生活与蹲点联户"
version = "1"
subject = "member"

[event_types.meeting]
label = "三会一课"
[event_types.visit]
label = "蹲点联户"
[event_types.training]
label = "学习培训"
quantity = "hours"
[event_types.other]
label = "其他"

[[measures]]
id = "life"
label = "每月参加组织生活"
kind = "cadence"
on = "meeting"
per = "month"

[[measures]]
id = "visits"
label = "每月两次、每次不少于两天"
kind = "cadence"
on = "visit"
per = "month"
at_least = 2
min_days = 2

[[measures]]
id = "study"
label = "每季度学习不少于 4 小时"
kind = "cadence"
on = "training"
per = "quarter"
min_hours = 4
"""


@pytest.fixture(scope="module")
def cadence() -> Ruleset:
    return load(CADENCE)


def test_cadence_counts_windows_met_and_missed(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    for day in ("2015-01-05", "2015-01-20", "2015-02-10", "2015-03-01", "2015-12-31"):
        data.event("meeting", day, member="M1")
    life = of(run(cadence, data), "M1").measures["life"]
    assert life.value == Decimal("0.3333")  # 4 of 12, four places, half-even
    assert life.parts == {"met": 4, "exposed": 12, "missed": 8}
    assert len(life.events) == 5
    windows = {d["window"]: (d["count"], d["met"]) for d in life.details}
    assert list(windows) == months(*range(1, 13))
    assert windows["2015-01"] == (2, True)  # two in one month still meet it once
    assert windows["2015-04"] == (0, False)
    assert windows["2015-12"] == (1, True)  # the last day of the period is in it
    assert "4 of 12 month(s)" in life.explanation
    assert "missed: 2015-04, 2015-05" in life.explanation
    assert "未达标：2015-04、2015-05" in life.explanation_zh


def test_cadence_all_windows_met_is_exactly_one(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    for month in range(1, 13):
        data.event("meeting", f"2015-{month:02d}-15", member="M1")
    life = of(run(cadence, data), "M1").measures["life"]
    assert life.value == 1
    assert "missed" not in life.explanation


def test_cadence_member_who_joined_mid_year_is_measured_from_joining(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("M1", joined="2015-07-01")
    data.event("meeting", "2015-06-20", member="M1", id="BEFORE")  # before joining
    for month in range(7, 13):
        data.event("meeting", f"2015-{month:02d}-03", member="M1")
    result = of(run(cadence, data), "M1")
    life = result.measures["life"]
    assert life.value == 1
    assert life.parts == {"met": 6, "exposed": 6, "missed": 0}
    assert [d["window"] for d in life.details] == months(7, 8, 9, 10, 11, 12)
    assert "BEFORE" not in life.events
    assert_buckets_add_up(result, 7)
    # the quarter measure is over the two quarters of membership only
    study = result.measures["study"]
    assert study.parts["exposed"] == 2
    assert study.value == 0


def test_cadence_member_who_left_is_measured_until_leaving(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("M1", left="2015-03-31")
    data.event("meeting", "2015-01-10", member="M1")
    data.event("meeting", "2015-03-10", member="M1")
    life = of(run(cadence, data), "M1").measures["life"]
    assert life.parts == {"met": 2, "exposed": 3, "missed": 1}
    assert life.value == Decimal("0.6667")
    assert "missed: 2015-02" in life.explanation


def test_cadence_window_partly_in_membership_is_exposed(cadence: Ruleset) -> None:
    """Exposed windows are those that overlap membership: joining on 15 March exposes March."""
    data = DatasetBuilder().member("M1", joined="2015-03-15")
    life = of(run(cadence, data), "M1").measures["life"]
    assert life.parts == {"met": 0, "exposed": 10, "missed": 10}
    assert life.value == 0


def test_cadence_two_visits_a_month_of_at_least_two_days(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("CADRE")
    # January: two visits of 2 and 3 days → met
    data.event("visit", "2015-01-05", end="2015-01-06", member="CADRE")
    data.event("visit", "2015-01-20", end="2015-01-22", member="CADRE")
    # February: one of 2 days and one of 1 day → not met; the short one is not counted
    data.event("visit", "2015-02-03", end="2015-02-04", member="CADRE")
    data.event("visit", "2015-02-10", member="CADRE", id="SHORT")
    # March: three of 2 days → met
    for day in (2, 10, 20):
        data.event("visit", f"2015-03-{day:02d}", end=f"2015-03-{day + 1:02d}", member="CADRE")
    # April: a visit across the month's end belongs to the window of its date
    data.event("visit", "2015-04-29", end="2015-04-30", member="CADRE")
    data.event("visit", "2015-04-30", end="2015-05-01", member="CADRE", id="ACROSS")
    visits = of(run(cadence, data), "CADRE").measures["visits"]
    windows = {d["window"]: (d["count"], d["met"]) for d in visits.details}
    assert windows["2015-01"] == (2, True)
    assert windows["2015-02"] == (1, False)
    assert windows["2015-03"] == (3, True)
    assert windows["2015-04"] == (2, True)
    assert windows["2015-05"] == (0, False)
    assert visits.parts["met"] == 3
    assert visits.value == Decimal("0.25")
    assert "SHORT" not in visits.events and "ACROSS" in visits.events
    assert "at least 2, each at least 2 day(s)" in visits.explanation
    assert "1 record(s) too short to count" in visits.explanation
    assert "时长不足" in visits.explanation_zh


def test_cadence_min_hours_needs_the_hours(cadence: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    data.event("training", "2015-02-01", member="M1", quantity=4)  # Q1: exactly enough
    data.event("training", "2015-05-01", member="M1", quantity="3.5")  # Q2: too short
    data.event("training", "2015-08-01", member="M1")  # Q3: no hours recorded
    data.event("training", "2015-11-01", member="M1", quantity="6.5")  # Q4
    study = of(run(cadence, data), "M1").measures["study"]
    assert [(d["window"], d["met"]) for d in study.details] == [
        ("2015-Q1", True),
        ("2015-Q2", False),
        ("2015-Q3", False),
        ("2015-Q4", True),
    ]
    assert study.value == Decimal("0.5")
    assert "each at least 4 hour(s)" in study.explanation
    assert "2 record(s) too short to count" in study.explanation


def test_cadence_min_hours_on_a_type_without_hours_is_a_located_error() -> None:
    bad = CADENCE.replace('on = "training"', 'on = "meeting"')
    found = problems_of(bad)
    assert [code for code, _, _ in found] == ["DJ104"]
    _, path, message = found[0]
    assert path is not None and "min_hours" in path
    assert "hours" in message


def test_cadence_of_an_organization_is_over_all_windows() -> None:
    ruleset = load(
        """
[ruleset]
id = "t.org-cadence"
name = "支部党员大会"
version = "1"
subject = "organization"
organizations = ["branch"]

[event_types.branch_meeting]
label = "支部党员大会"

[[measures]]
id = "assembly"
label = "每季度一次支部党员大会"
kind = "cadence"
on = "branch_meeting"
per = "quarter"
"""
    )
    data = DatasetBuilder().organization("B2", parent="ROOT")
    data.event("branch_meeting", "2015-01-15", organization="B1")
    data.event("branch_meeting", "2015-08-15", organization="B1")
    result = run(ruleset, data)
    assert [r.subject.id for r in result.results] == ["B1", "B2"]  # only branches are rated
    assert of(result, "B1").measures["assembly"].value == Decimal("0.5")
    b2 = of(result, "B2").measures["assembly"]
    assert b2.value == 0
    assert b2.parts == {"met": 0, "exposed": 4, "missed": 4}


def test_cadence_not_assessed_when_no_window_is_exposed(cadence: Ruleset) -> None:
    """A member with no day of membership in the period has no value at all, not 0."""
    data = DatasetBuilder().member("LATE", joined="2016-03-01")
    data.event("meeting", "2016-03-05", member="LATE")
    dataset = data.build()
    member = dataset.members["LATE"]
    context = SubjectContext(
        "member",
        "LATE",
        member,
        dataset.organizations["B1"],
        (),
        YEAR,
        dataset,
        {},
        {},
        {},
    )
    life = cadence.measures[0].compute(context)
    assert life.value is None
    assert life.parts["exposed"] == 0
    assert life.explanation.startswith("not assessed")
    assert life.explanation_zh.startswith("未考核")
    # …and the engine does not rate such a member at all; its records are accounted for
    outcome = evaluate(cadence, dataset, YEAR, REGISTRY)
    assert outcome.results == ()
    assert outcome.rulesets[0].unassigned == {"inactive_member": 1}


def test_cadence_accounting_puts_every_record_in_one_bucket() -> None:
    ruleset = load(
        CADENCE
        + """
[[rules]]
id = "meeting"
label = "参加三会一课"
kind = "points"
on = "meeting"
points = 1
"""
    )
    data = DatasetBuilder().member("M1")
    data.event("meeting", "2015-01-10", member="M1", id="MEET")
    data.event("visit", "2015-01-10", member="M1", id="VISIT")
    data.event("visit", "2015-01-12", member="M1", id="PENDING", status="pending")
    data.event("visit", "2015-01-14", member="M1", id="RETURNED", status="returned")
    data.event("visit", "2014-12-30", member="M1", id="OLD")
    data.event("other", "2015-01-10", member="M1", id="OTHER")
    result = of(run(ruleset, data), "M1")
    assert_trace(result, "MEET", bucket="counted", points=1, rule="meeting")
    assert_trace(result, "VISIT", bucket="measured")
    assert_trace(result, "PENDING", bucket="pending")
    assert_trace(result, "RETURNED", bucket="returned")
    assert_trace(result, "OLD", bucket="outside_period")
    assert_trace(result, "OTHER", bucket="unmatched")
    assert_buckets_add_up(result, 6)
    # a record the points rule counted still counts towards the measure
    assert result.measures["life"].events == ("MEET",)
    # only the approved record in the period is given to the measure (and it is too short)
    visits = result.measures["visits"]
    assert visits.details[0] == {"window": "2015-01", "count": 0, "met": False}
    assert visits.events == ()
    assert "; 1 record(s) too short to count" in visits.explanation


def test_cadence_per_week_labels_iso_weeks() -> None:
    ruleset = load(CADENCE.replace('per = "month"', 'per = "week"', 1))
    data = DatasetBuilder().member("M1")
    data.event("meeting", "2015-01-01", member="M1")  # a Thursday: ISO week 2015-W01
    life = of(run(ruleset, data, "2015-Q1"), "M1").measures["life"]
    labels = [d["window"] for d in life.details]
    assert labels[0] == "2015-W01" and labels[-1] == "2015-W14"
    assert len(labels) == len(set(labels)) == 14
    assert life.parts["met"] == 1


# ------------------------------------------------------------------------------- streak

STREAK = """
[ruleset]
id = "t.streak"
name = "自行脱党审查"
version = "1"
subject = "member"

[event_types.meeting]
label = "组织生活"
[event_types.dues]
label = "交纳党费"

[[measures]]
id = "lapse"
label = "连续六个月未参加组织生活且未交纳党费"
kind = "streak"
on = ["meeting", "dues"]
per = "month"
length = 6

[[flags]]
id = "review"
label = "自行脱党审查"
when = "measure.lapse"
"""


@pytest.fixture(scope="module")
def streak() -> Ruleset:
    return load(STREAK)


def test_streak_six_months_without_flags(streak: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    data.event("dues", "2015-01-10", member="M1")
    data.event("meeting", "2015-08-10", member="M1")
    data.event("dues", "2015-09-10", member="M1")
    data.event("dues", "2015-10-10", member="M1")
    data.event("dues", "2015-11-10", member="M1")
    data.event("dues", "2015-12-10", member="M1")
    result = of(run(streak, data), "M1")
    lapse = result.measures["lapse"]
    assert lapse.value is True
    assert lapse.parts == {"longest": 6}
    assert [d["window"] for d in lapse.details] == months(2, 3, 4, 5, 6, 7)
    assert "6 month(s), 2015-02 to 2015-07" in lapse.explanation
    assert "reached" in lapse.explanation
    assert "2015-02 至 2015-07" in lapse.explanation_zh
    assert [f.id for f in result.flags] == ["review"]
    assert result.flags[0].label == "自行脱党审查"
    assert result.flags[0].criteria[0].values == {"measure.lapse": "true"}


def test_streak_gap_of_five_does_not_flag(streak: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    for day in ("2015-01-31", "2015-07-01", "2015-12-01"):
        data.event("meeting", day, member="M1")
    result = of(run(streak, data), "M1")
    lapse = result.measures["lapse"]
    assert lapse.value is False
    assert lapse.parts == {"longest": 5}
    assert "2015-02 to 2015-06" in lapse.explanation
    assert "reached" not in lapse.explanation
    assert result.flags == ()


def test_streak_with_a_record_every_month(streak: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    for month in range(1, 13):
        data.event("dues", f"2015-{month:02d}-28", member="M1")
    lapse = of(run(streak, data), "M1").measures["lapse"]
    assert lapse.value is False
    assert lapse.parts == {"longest": 0}
    assert "every window" in lapse.explanation


def test_streak_counts_only_months_of_membership(streak: Ruleset) -> None:
    data = DatasetBuilder()
    # joined in May: January–April are not months without; May–September are five
    data.member("MAY", joined="2015-05-01").event("meeting", "2015-10-09", member="MAY")
    # joined in July and never came: July–December are six
    data.member("JULY", joined="2015-07-01")
    # joined in August and never came: five months only
    data.member("AUGUST", joined="2015-08-01")
    # left at the end of June having come only in January: February–June are five
    data.member("LEFT", left="2015-06-30").event("dues", "2015-01-05", member="LEFT")
    result = run(streak, data)
    assert of(result, "MAY").measures["lapse"].parts == {"longest": 5}
    assert of(result, "MAY").measures["lapse"].value is False
    assert of(result, "JULY").measures["lapse"].value is True
    assert "2015-07 to 2015-12" in of(result, "JULY").measures["lapse"].explanation
    assert of(result, "AUGUST").measures["lapse"].value is False
    assert of(result, "LEFT").measures["lapse"].value is False
    assert of(result, "LEFT").measures["lapse"].parts == {"longest": 5}


def test_streak_ignores_records_not_approved(streak: Ruleset) -> None:
    data = DatasetBuilder().member("M1")
    data.event("meeting", "2015-01-10", member="M1")
    data.event("meeting", "2015-04-10", member="M1", status="pending")
    data.event("dues", "2015-05-10", member="M1", status="returned")
    data.event("meeting", "2015-08-10", member="M1")
    lapse = of(run(streak, data), "M1").measures["lapse"]
    assert lapse.value is True
    assert [d["window"] for d in lapse.details] == months(2, 3, 4, 5, 6, 7)


# ----------------------------------------------------------------------------- checklist

VENUE = """
[ruleset]
id = "t.venue"
name = "活动场所十有"
version = "1"
subject = "organization"
organizations = ["branch"]

[event_types.inspection]
label = "场所检查"
fields.sign = "boolean"
fields.flag = "boolean"
fields.area = "decimal"

[[measures]]
id = "venue"
label = "十有"
kind = "checklist"
on = "inspection"
items = [
  { id = "sign", label = "有牌子", field = "sign" },
  { id = "flag", label = "有党旗", field = "flag" },
  { id = "area", label = "面积不少于20平方米", when = "event.area >= 20" },
]
verdicts = [
  { verdict = "达标", min_passed = 3 },
  { verdict = "基本达标", min_passed = 2 },
  { verdict = "不达标", min_passed = 0 },
]

[[flags]]
id = "failed"
label = "不达标"
when = 'measure.venue == "不达标"'

[[flags]]
id = "uninspected"
label = "未检查"
when = "not measure.venue.inspected"
"""


@pytest.fixture(scope="module")
def venue() -> Ruleset:
    return load(VENUE)


def test_checklist_uses_the_latest_inspection(venue: Ruleset) -> None:
    data = DatasetBuilder()
    data.event("inspection", "2015-03-01", organization="B1", id="EARLY", sign=False, flag=False)
    data.event(
        "inspection",
        "2015-09-01",
        organization="B1",
        id="LATE",
        sign=True,
        flag=True,
        area=Decimal(20),
    )
    result = of(run(venue, data), "B1")
    checked = result.measures["venue"]
    assert checked.value == "达标"
    assert checked.parts == {"inspected": True, "passed": 3, "missing": 0, "date": "2015-09-01"}
    assert checked.events == ("LATE",)
    assert "to rectify" not in checked.explanation
    assert result.flags == ()
    assert_trace(result, "EARLY", bucket="measured")
    assert_trace(result, "LATE", bucket="measured")


def test_checklist_a_later_failing_inspection_wins_and_lists_rectification(
    venue: Ruleset,
) -> None:
    data = DatasetBuilder()
    data.event(
        "inspection", "2015-03-01", organization="B1", sign=True, flag=True, area=Decimal(30)
    )
    data.event(
        "inspection", "2015-10-01", organization="B1", id="LAST", sign=True, area=Decimal("19.5")
    )
    result = of(run(venue, data), "B1")
    checked = result.measures["venue"]
    assert checked.value == "不达标"
    assert checked.parts == {"inspected": True, "passed": 1, "missing": 2, "date": "2015-10-01"}
    assert list(checked.details) == [
        {"id": "sign", "label": "有牌子", "passed": True},
        {"id": "flag", "label": "有党旗", "passed": False},  # the field was not recorded
        {"id": "area", "label": "面积不少于20平方米", "passed": False},
    ]
    assert "to rectify: 有党旗, 面积不少于20平方米" in checked.explanation
    assert "需整改：有党旗、面积不少于20平方米" in checked.explanation_zh
    assert [f.id for f in result.flags] == ["failed"]


def test_checklist_verdict_bands(venue: Ruleset) -> None:
    data = DatasetBuilder().organization("B2", parent="ROOT")
    data.event("inspection", "2015-05-01", organization="B1", sign=True, flag=True)
    data.event("inspection", "2015-05-01", organization="B2", area=Decimal(100))
    result = run(venue, data)
    assert of(result, "B1").measures["venue"].value == "基本达标"
    assert of(result, "B2").measures["venue"].value == "不达标"


def test_checklist_without_inspection_is_not_assessed_not_failed(venue: Ruleset) -> None:
    data = DatasetBuilder()
    data.event("inspection", "2014-12-20", organization="B1", sign=True, flag=True)  # last year
    result = of(run(venue, data), "B1")
    checked = result.measures["venue"]
    assert checked.value == "未检查"
    assert checked.parts == {"inspected": False, "passed": None, "missing": None, "date": None}
    assert checked.events == ()
    assert "no inspection" in checked.explanation
    assert [f.id for f in result.flags] == ["uninspected"]  # not "failed"


def test_checklist_ignores_pending_and_returned_inspections(venue: Ruleset) -> None:
    data = DatasetBuilder().organization("B2", parent="ROOT")
    data.event(
        "inspection", "2015-04-01", organization="B1", id="OK", sign=True, flag=True, area=25
    )
    data.event("inspection", "2015-11-01", organization="B1", id="P", status="pending")
    data.event("inspection", "2015-12-01", organization="B1", id="R", status="returned")
    data.event("inspection", "2015-06-01", organization="B2", status="pending", sign=True)
    result = run(venue, data)
    b1 = of(result, "B1")
    assert b1.measures["venue"].value == "达标"
    assert b1.measures["venue"].events == ("OK",)
    assert_trace(b1, "P", bucket="pending")
    assert_trace(b1, "R", bucket="returned")
    assert of(result, "B2").measures["venue"].value == "未检查"


def test_checklist_same_day_inspections_are_ordered_by_id(venue: Ruleset) -> None:
    data = DatasetBuilder()
    data.event("inspection", "2015-06-01", organization="B1", id="X2", sign=True)
    data.event("inspection", "2015-06-01", organization="B1", id="X1", flag=True, area=50)
    checked = of(run(venue, data), "B1").measures["venue"]
    assert checked.events == ("X2",)
    assert checked.parts["passed"] == 1


def test_checklist_default_not_inspected_label_and_custom_one(venue: Ruleset) -> None:
    custom = VENUE.replace("verdicts = [", 'not_inspected = "待检查"\nverdicts = [')
    result = of(run(load(custom), DatasetBuilder()), "B1")
    assert result.measures["venue"].value == "待检查"


def test_checklist_item_field_must_be_a_declared_boolean() -> None:
    bad = VENUE.replace('field = "flag"', 'field = "area"').split("[[flags]]")[0]
    found = problems_of(bad)
    assert [code for code, _, _ in found] == ["DJ104"]
    assert "area" in found[0][2] and "true/false" in found[0][2]


# --------------------------------------------------------------------------------- count

COUNT = """
[ruleset]
id = "t.count"
name = "计数"
version = "1"
subject = "member"

[event_types.volunteer]
label = "志愿服务"
quantity = "hours"
fields.kind = { type = "string", values = ["community", "poverty"] }

[event_types.visit]
label = "走访"

[[measures]]
id = "services"
label = "服务次数"
kind = "count"
on = "volunteer"

[[measures]]
id = "hours"
label = "服务小时"
kind = "count"
on = "volunteer"
of = "quantity"

[[measures]]
id = "poverty"
label = "扶贫服务次数"
kind = "count"
on = "volunteer"
when = 'event.kind == "poverty"'

[[measures]]
id = "days"
label = "走访天数"
kind = "count"
on = "visit"
of = "days"
"""


def test_count_records_quantity_days_and_condition() -> None:
    data = DatasetBuilder().member("M1")
    data.event("volunteer", "2015-02-01", member="M1", quantity="1.5", kind="community")
    data.event("volunteer", "2015-03-01", member="M1", quantity="0.1", kind="poverty")
    data.event("volunteer", "2015-04-01", member="M1", kind="poverty")  # no hours recorded
    data.event("volunteer", "2015-05-01", member="M1", quantity=3, status="pending")
    data.event("visit", "2015-06-01", end="2015-06-03", member="M1")
    data.event("visit", "2015-06-10", member="M1")
    measures = of(run(load(COUNT), data), "M1").measures
    assert measures["services"].value == 3
    assert measures["hours"].value == Decimal("1.6")  # exact: 1.5 + 0.1
    assert measures["poverty"].value == 2
    assert measures["days"].value == 4
    assert measures["services"].explanation == "3 records in the period"
    assert measures["hours"].explanation == "1.6 units in the period"


def test_count_of_nothing_is_zero() -> None:
    data = DatasetBuilder().member("M1")
    measures = of(run(load(COUNT), data), "M1").measures
    assert measures["services"].value == 0
    assert measures["hours"].value == 0


def test_count_of_unknown_is_a_located_error() -> None:
    found = problems_of(COUNT.replace('of = "days"', 'of = "hours"'))
    assert [code for code, _, _ in found] == ["DJ104"]
    assert found[0][1] is not None and found[0][1].endswith("of")


# ------------------------------------------------------------------------------- members

MEMBER_POINTS = """
[ruleset]
id = "t.points"
name = "党员积分"
version = "1"
subject = "member"

[score]
base = 60
min = 0
max = 100

[event_types.good]
label = "加分"
[event_types.bad]
label = "扣分"

[[rules]]
id = "good"
label = "加分"
kind = "points"
on = "good"
points = 10

[[rules]]
id = "bad"
label = "扣分"
kind = "deduction"
on = "bad"
points = 15

[[grades]]
id = "all"
bands = [
  { grade = "优秀", min = 80 },
  { grade = "合格", min = 60 },
  { grade = "基本合格", min = 45 },
  { grade = "不合格", min = 0 },
]
"""

BRANCH_MEMBERS = """
[ruleset]
id = "t.branch-members"
name = "支部党员结果"
version = "1"
subject = "organization"

[[measures]]
id = "qualified"
label = "合格及以上人数"
kind = "members"
ruleset = "t.points"
aggregate = "count"
at_least = "合格"
grades = ["优秀", "合格", "基本合格", "不合格"]

[[measures]]
id = "share"
label = "合格及以上比例"
kind = "members"
ruleset = "t.points"
aggregate = "share"
at_least = "合格"
grades = ["优秀", "合格", "基本合格", "不合格"]

[[measures]]
id = "average"
label = "平均分"
kind = "members"
ruleset = "t.points"

[[measures]]
id = "total"
label = "总分"
kind = "members"
ruleset = "t.points"
aggregate = "sum"

[[measures]]
id = "lowest"
label = "最低分"
kind = "members"
ruleset = "t.points"
aggregate = "min"

[[measures]]
id = "highest"
label = "最高分"
kind = "members"
ruleset = "t.points"
aggregate = "max"
"""


def _tree() -> DatasetBuilder:
    """ROOT → B1 (A, B, C), B2 (empty), GB (general branch) → B3 (D); OLD left B1 in 2014."""
    data = DatasetBuilder()
    data.organization("B2", parent="ROOT")
    data.organization("GB", kind="general_branch", parent="ROOT")
    data.organization("B3", parent="GB")
    data.member("A").member("B").member("C").member("D", organization="B3")
    data.member("OLD", left="2014-06-30")
    data.event("good", "2015-03-01", member="A").event("good", "2015-04-01", member="A")  # 80
    data.event("good", "2015-03-01", member="B")  # 70 合格
    data.event("bad", "2015-03-01", member="C")  # 45 基本合格
    data.event("bad", "2015-03-01", member="D").event("bad", "2015-04-01", member="D")  # 30
    return data


@pytest.fixture(scope="module")
def tree_run() -> RunResult:
    return run([load(BRANCH_MEMBERS), load(MEMBER_POINTS)], _tree())


def test_members_aggregates_over_the_branch(tree_run: RunResult) -> None:
    b1 = of(tree_run, "B1", "t.branch-members").measures
    assert b1["qualified"].value == 2
    assert b1["qualified"].parts == {"members": 3, "hits": 2}
    assert b1["share"].value == Decimal("0.6667")
    assert b1["average"].value == Decimal("65.00")  # (80 + 70 + 45) / 3
    assert b1["total"].value == 195
    assert b1["lowest"].value == 45
    assert b1["highest"].value == 80
    assert [d["member"] for d in b1["average"].details] == ["A", "B", "C"]  # not OLD
    assert [d["grade"] for d in b1["average"].details] == ["优秀", "合格", "基本合格"]
    assert "3 member result(s) of t.points: 2 at or above 合格" in b1["qualified"].explanation


def test_members_counts_only_the_subtree(tree_run: RunResult) -> None:
    gb = of(tree_run, "GB", "t.branch-members").measures
    assert [d["member"] for d in gb["average"].details] == ["D"]
    assert gb["average"].value == 30
    assert gb["qualified"].value == 0
    assert gb["share"].value == 0
    root = of(tree_run, "ROOT", "t.branch-members").measures
    assert root["qualified"].parts == {"members": 4, "hits": 2}
    assert root["share"].value == Decimal("0.5")
    assert root["average"].value == Decimal("56.25")


def test_members_of_an_empty_branch(tree_run: RunResult) -> None:
    b2 = of(tree_run, "B2", "t.branch-members").measures
    assert b2["qualified"].value == 0
    assert b2["share"].value is None  # nothing to divide: not assessed, not 0 %
    assert b2["average"].value is None
    assert b2["total"].value is None
    assert b2["lowest"].value is None
    assert b2["average"].parts == {"members": 0, "hits": 0}
    assert b2["average"].explanation.endswith("→ —")


def test_members_needs_an_organization_ruleset() -> None:
    bad = BRANCH_MEMBERS.replace('subject = "organization"', 'subject = "member"')
    found = problems_of(bad)
    assert {code for code, _, _ in found} == {"DJ104"}
    assert any("organization ruleset" in message for _, _, message in found)


def test_members_at_least_must_be_a_listed_grade() -> None:
    found = problems_of(BRANCH_MEMBERS.replace('at_least = "合格"', 'at_least = "良好"', 1))
    assert [code for code, _, _ in found] == ["DJ104"]
    assert found[0][1] is not None and found[0][1].endswith("at_least")


# -------------------------------------------------------------------------------- result

READS = """
[ruleset]
id = "t.reads"
name = "读取其他规则集"
version = "1"
subject = "organization"
organizations = ["branch", "general_branch"]

[[measures]]
id = "avg"
label = "党员平均分"
kind = "result"
ruleset = "t.branch-members"
value = "measure.average"
type = "decimal"

[[measures]]
id = "venue"
label = "场所"
kind = "result"
ruleset = "t.venue"
value = "measure.venue"
type = "string"

[[measures]]
id = "venue_score"
label = "场所得分"
kind = "result"
ruleset = "t.venue"

[[measures]]
id = "weighted"
label = "加权"
kind = "weighted"
parts = [{ measure = "avg", weight = 0.4 }, { measure = "venue_score", weight = 0.6 }]
"""


def test_result_reads_another_rulesets_values_and_missing_is_none(venue: Ruleset) -> None:
    data = _tree()
    data.event("inspection", "2015-06-01", organization="B1", sign=True, flag=True, area=40)
    outcome = run([load(READS), load(BRANCH_MEMBERS), venue, load(MEMBER_POINTS)], data)
    b1 = of(outcome, "B1", "t.reads").measures
    assert b1["avg"].value == Decimal("65.00")
    assert b1["avg"].details == of(outcome, "B1", "t.branch-members").measures["average"].details
    assert b1["venue"].value == "达标"
    assert b1["venue"].parts["date"] == "2015-06-01"
    assert b1["venue_score"].value == 0
    assert b1["venue_score"].explanation == "score in t.venue: 0"
    assert b1["weighted"].value == 26  # 65 × 0.4 + 0 × 0.6
    assert b1["weighted"].explanation == "65×0.4 + 0×0.6 = 26"
    # GB is a general branch: t.venue rates branches only, so nothing to read
    gb = of(outcome, "GB", "t.reads").measures
    assert gb["venue"].value is None
    assert gb["venue"].explanation == "no result of t.venue for this subject"
    assert gb["avg"].value == 30
    assert gb["weighted"].value is None
    assert gb["weighted"].explanation == "not assessed: no value for venue_score"
    # B2 has no members: the average is None, so is the weighted sum
    assert of(outcome, "B2", "t.reads").measures["weighted"].value is None


def test_result_reads_grade_stars_and_tier() -> None:
    source = load(
        """
[ruleset]
id = "t.source"
name = "来源"
version = "1"
subject = "organization"

[score]
base = 88

[[grades]]
id = "all"
bands = [{ grade = "好", min = 80 }, { grade = "差", min = 0 }]

[stars]
levels = [{ stars = 1, label = "一星", when = "result.score >= 80" }]

[tiers]
order = ["先进", "一般"]
default = "一般"
rules = [{ tier = "先进", when = 'result.grade == "好"' }]
"""
    )
    reader = load(
        """
[ruleset]
id = "t.reader"
name = "读取"
version = "1"
subject = "organization"

[[measures]]
id = "grade"
label = "等次"
kind = "result"
ruleset = "t.source"
value = "grade"

[[measures]]
id = "stars"
label = "星级"
kind = "result"
ruleset = "t.source"
value = "stars"

[[measures]]
id = "tier"
label = "类别"
kind = "result"
ruleset = "t.source"
value = "tier"

[[measures]]
id = "score"
label = "得分"
kind = "result"
ruleset = "t.source"
value = "score"
"""
    )
    measures = of(run([reader, source], DatasetBuilder()), "B1", "t.reader").measures
    assert measures["grade"].value == "好"
    assert measures["stars"].value == 1
    assert measures["tier"].value == "先进"
    assert measures["score"].value == 88


def test_result_of_a_measure_needs_its_type() -> None:
    found = problems_of(
        READS.replace('type = "decimal"\n', "").split('[[measures]]\nid = "weighted"')[0]
    )
    assert [code for code, _, _ in found] == ["DJ104"]
    assert found[0][1] is not None and found[0][1].endswith("type")


def test_weighted_parts_must_be_number_measures_declared_above() -> None:
    found = problems_of(READS.replace('measure = "avg"', 'measure = "venue"'))
    assert [code for code, _, _ in found] == ["DJ104"]
    assert "venue" in found[0][2]


# ------------------------------------------------------------- the ``measure`` rule kind

FROM_MEASURE = """
[ruleset]
id = "t.from-measure"
name = "指标计分"
version = "1"
subject = "member"

[score]
base = 60
max = 100

[event_types.meeting]
label = "三会一课"
[event_types.dues]
label = "党费"

[[categories]]
id = "life"
label = "组织生活"
max = 10

[[measures]]
id = "life"
label = "每月组织生活"
kind = "cadence"
on = "meeting"

[[measures]]
id = "lapse"
label = "连续三个月未交党费"
kind = "streak"
on = "dues"
length = 3

[[rules]]
id = "life-rate"
label = "组织生活达标率"
kind = "measure"
category = "life"
measure = "life"
multiplier = 12

[[rules]]
id = "lapse"
label = "欠缴党费"
kind = "measure"
measure = "lapse"
multiplier = -5
"""


def test_measure_rule_gives_value_times_multiplier_as_an_adjustment() -> None:
    data = DatasetBuilder().member("M1").member("M2")
    for month in range(1, 7):  # half the months
        data.event("meeting", f"2015-{month:02d}-01", member="M1")
    for month in range(1, 13):
        data.event("dues", f"2015-{month:02d}-01", member="M1")
    outcome = run(load(FROM_MEASURE), data)
    m1 = of(outcome, "M1")
    assert m1.score == 66
    assert [(a.rule, a.points, a.nominal, a.limit) for a in m1.adjustments] == [
        ("life-rate", Decimal(6), Decimal(6), None)
    ]
    assert m1.adjustments[0].reason.startswith("life = 6 of 12 month(s)")
    assert m1.categories[0].score == 6
    # the records are used by measures, not claimed by a points rule
    assert m1.events["measured"] == 18 and m1.events["counted"] == 0
    # M2 came to nothing and paid nothing: 0 for the rate, −5 for the true streak
    m2 = of(outcome, "M2")
    assert [(a.rule, a.points) for a in m2.adjustments] == [("lapse", Decimal(-5))]
    assert m2.score == 55
    assert "lapse = longest run" in m2.adjustments[0].reason


def test_measure_rule_is_bounded_by_category_and_score() -> None:
    capped = FROM_MEASURE.replace("multiplier = 12", "multiplier = 30")
    data = DatasetBuilder().member("M1")
    for month in range(1, 13):
        data.event("meeting", f"2015-{month:02d}-01", member="M1")
        data.event("dues", f"2015-{month:02d}-01", member="M1")
    m1 = of(run(load(capped), data), "M1")
    (adjustment,) = m1.adjustments
    assert adjustment.nominal == 30 and adjustment.points == 10
    assert adjustment.limit is not None
    assert (adjustment.limit.scope, adjustment.limit.owner, adjustment.limit.bound) == (
        "category",
        "life",
        "max",
    )
    assert m1.score == 70
    near_max = capped.replace("base = 60", "base = 95")
    (adjustment,) = of(run(load(near_max), data), "M1").adjustments
    assert adjustment.points == 5
    assert adjustment.limit is not None and adjustment.limit.scope == "score"


def test_measure_rule_respects_the_category_caps() -> None:
    capped = FROM_MEASURE.replace("max = 10\n", 'caps = [{ per = "year", max = 5 }]\n', 1)
    data = DatasetBuilder().member("M1")
    for month in range(1, 13):
        data.event("meeting", f"2015-{month:02d}-01", member="M1")
    m1 = of(run(load(capped), data), "M1")
    assert m1.categories[0].score <= 5


def test_measure_rule_of_an_unknown_or_text_measure_is_an_error() -> None:
    found = problems_of(FROM_MEASURE.replace('measure = "lapse"', 'measure = "lapsed"'))
    assert [code for code, _, _ in found] == ["DJ104"]
    assert "lapsed" in found[0][2]


def test_measure_rule_can_read_a_part_of_a_measure() -> None:
    text = FROM_MEASURE.replace('measure = "life"', 'measure = "life.met"').replace(
        "multiplier = 12", "multiplier = 0.5"
    )
    ruleset = load(text)
    data = DatasetBuilder().member("M1")
    for month in range(1, 5):
        data.event("meeting", f"2015-{month:02d}-01", member="M1")
    m1 = of(run(ruleset, data), "M1")
    assert m1.adjustments[0].points == 2  # 4 months met × 0.5


def test_measure_rule_does_not_take_events() -> None:
    found = problems_of(
        FROM_MEASURE.replace('measure = "lapse"\n', 'measure = "lapse"\non = "dues"\n')
    )
    assert [code for code, _, _ in found] == ["DJ101"]


def test_measures_unknown_kind_is_reported_with_a_suggestion() -> None:
    found = problems_of(CADENCE.replace('kind = "cadence"', 'kind = "cadense"', 1))
    assert [code for code, _, _ in found] == ["DJ111"]


def test_measure_dates_are_calendar_dates() -> None:
    """An event on the period's first and last day is inside; one a day later is not."""
    data = DatasetBuilder().member("M1")
    data.event("meeting", dt.date(2015, 1, 1), member="M1")
    data.event("meeting", dt.date(2015, 12, 31), member="M1")
    data.event("meeting", dt.date(2016, 1, 1), member="M1", id="NEXT")
    result = of(run(load(CADENCE), data), "M1")
    assert result.measures["life"].parts["met"] == 2
    assert_trace(result, "NEXT", bucket="outside_period")
