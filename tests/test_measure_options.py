"""members = … on member rulesets, count of latest/max, and text measures turned into points."""

from __future__ import annotations

from decimal import Decimal

from dangjian_rules.testing import DatasetBuilder, evaluate_ruleset

CARD = """
[ruleset]
id = "t.card"
name = "卡"
version = "1"
subject = "member"
members = '"联系干部" in member.roles'

[event_types.assessment]
label = "考评"
quantity = "points"
[event_types.inspection]
label = "检查"
fields.sign = "boolean"

[[measures]]
id = "assessed"
label = "考评得分（最近一次）"
kind = "count"
on = "assessment"
of = "latest"

[[measures]]
id = "best"
label = "考评最高分"
kind = "count"
on = "assessment"
of = "max"

[[measures]]
id = "venue"
label = "场所"
kind = "checklist"
on = "inspection"
items = [{ id = "sign", label = "有牌子", field = "sign" }]
verdicts = [{ verdict = "达标", min_passed = 1 }, { verdict = "不达标", min_passed = 0 }]

[[rules]]
id = "venue-points"
label = "场所达标加分"
kind = "measure"
measure = "venue"
values = [{ value = "达标", points = 10 }, { value = "不达标", points = -5 }]

[[rules]]
id = "assessment-points"
label = "考评折算"
kind = "measure"
measure = "assessed"
multiplier = 0.1
"""


def test_only_the_chosen_members_are_rated() -> None:
    data = (
        DatasetBuilder()
        .member("C1", roles=["联系干部"])
        .member("M2")
        .event("assessment", "2015-03-01", member="M2", quantity=80)
        .build()
    )
    run = evaluate_ruleset(CARD, data)
    assert [r.subject.id for r in run.results] == ["C1"]
    assert run.rulesets[0].unassigned == {"member_not_rated": 1}


def test_latest_and_max_and_text_points() -> None:
    data = (
        DatasetBuilder()
        .member("C1", roles=["联系干部"])
        .event("assessment", "2015-03-01", member="C1", quantity=90)
        .event("assessment", "2015-09-01", member="C1", quantity=70)
        .event("inspection", "2015-06-01", member="C1", sign=True)
        .build()
    )
    result = evaluate_ruleset(CARD, data).results[0]
    assert result.measures["assessed"].value == Decimal(70)
    assert result.measures["best"].value == Decimal(90)
    assert result.score == Decimal(10) + Decimal("7.0")
    assert [a.rule for a in result.adjustments] == ["venue-points", "assessment-points"]


def test_no_assessment_is_not_assessed_not_zero() -> None:
    data = DatasetBuilder().member("C1", roles=["联系干部"]).build()
    result = evaluate_ruleset(CARD, data).results[0]
    assert result.measures["assessed"].value is None
    assert result.measures["assessed"].explanation.startswith("not assessed")
    assert result.adjustments == ()
