"""The engine keeps the contract: exact points, caps in date order, nothing lost, veto wins."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian_rules import Period, ProblemsFound, dumps, evaluate, loads, parse_ruleset
from dangjian_rules.engine.run import evaluate as engine_evaluate
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import BUCKETS
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.testing.strategies import datasets

CARD = """
[ruleset]
id = "test.card"
name = "测试积分卡"
version = "1"
subject = "member"
in_force = { from = 2015-01-01, until = 2015-12-31 }

[score]
base = 60
min = 0
max = 100

[event_types.meeting]
label = "三会一课"
[event_types.volunteer]
label = "志愿服务"
quantity = "hours"
[event_types.dues]
label = "党费"
fields.late = { type = "boolean" }
[event_types.sanction]
label = "党纪处分"
[event_types.bonus]
label = "表彰"
fields.level = { type = "string", values = ["county", "city"] }

[[categories]]
id = "life"
label = "组织生活"
max = 10

[[categories]]
id = "discipline"
label = "纪律"
min = -5

[[rules]]
id = "meeting"
label = "参加会议"
kind = "points"
category = "life"
on = "meeting"
points = 1.5
caps = [{ per = "month", max = 2 }]

[[rules]]
id = "volunteer"
label = "志愿服务"
kind = "points"
on = "volunteer"
points_per_unit = 0.1
caps = [{ per = "year", max = 3 }]

[[rules]]
id = "bonus-city"
label = "市级表彰"
kind = "points"
on = "bonus"
when = 'event.level == "city"'
points = 40

[[rules]]
id = "bonus"
label = "表彰"
kind = "points"
on = "bonus"
points = 5

[[rules]]
id = "late-dues"
label = "逾期交纳党费"
kind = "deduction"
category = "discipline"
on = "dues"
when = "event.late"
points = 2

[[rules]]
id = "sanction"
label = "党纪处分"
kind = "veto"
on = "sanction"
score = 0

[[grades]]
id = "probationary"
applies = 'member.status == "probationary"'
veto = "取消资格"
bands = [{ grade = "按期转正", min = 85 }, { grade = "延期", min = 70 }, { grade = "取消资格", min = 0 }]

[[grades]]
id = "full"
veto = "不合格"
bands = [{ grade = "优秀", min = 90 }, { grade = "合格", min = 70 }, { grade = "不合格", min = 0 }]
"""

YEAR = Period.parse("2015")


@pytest.fixture(scope="module")
def card() -> Ruleset:
    ruleset, problems = parse_ruleset(CARD, "card.toml")
    assert problems == []
    assert ruleset is not None
    return ruleset


def _card() -> Ruleset:
    ruleset, _ = parse_ruleset(CARD, "card.toml")
    assert ruleset is not None
    return ruleset


def dataset(events: list[Event], status: str = "full", joined: dt.date | None = None) -> Dataset:
    return Dataset(
        {
            "R": Organization("R", "工委", "work_committee"),
            "B": Organization("B", "支部", "branch", parent="R"),
        },
        {"M1": Member("M1", "张三", "B", status=status, joined=joined)},
        tuple(events),
    )


def ev(event_id: str, type_: str, day: str, **kw: object) -> Event:
    return Event(event_id, type_, dt.date.fromisoformat(day), member="M1", **kw)  # type: ignore[arg-type]


def test_caps_count_earlier_events_first(card: Ruleset) -> None:
    events = [ev(f"E{i}", "meeting", f"2015-03-{i + 1:02d}") for i in range(3)]
    random.Random(1).shuffle(events)
    result = evaluate(card, dataset(events), YEAR).results[0]
    by_event = {t.event: t for t in result.trace}
    assert [by_event[f"E{i}"].bucket for i in range(3)] == ["counted", "partial", "capped"]
    assert by_event["E1"].points == Decimal("0.5")
    assert by_event["E1"].nominal == Decimal("1.5")
    limit = by_event["E1"].limit
    assert limit is not None
    assert (limit.scope, limit.owner, limit.per, limit.window) == (
        "rule",
        "meeting",
        "month",
        "2015-03",
    )
    assert result.score == Decimal(62)


def test_category_max_and_floor(card: Ruleset) -> None:
    meetings = [ev(f"M{m}", "meeting", f"2015-{m:02d}-10") for m in range(1, 13)]
    dues = [ev(f"D{m}", "dues", f"2015-{m:02d}-11", attributes={"late": True}) for m in range(1, 5)]
    result = evaluate(card, dataset(meetings + dues), YEAR).results[0]
    categories = {c.id: c.score for c in result.categories}
    assert categories == {"life": Decimal(10), "discipline": Decimal(-5)}
    floor_hit = next(t for t in result.trace if t.event == "D3")
    assert floor_hit.bucket == "partial" and floor_hit.points == Decimal(-1)
    assert floor_hit.limit is not None and floor_hit.limit.bound == "min"
    assert result.score == Decimal(65)


def test_score_bounds_and_first_matching_rule(card: Ruleset) -> None:
    events = [
        ev("B1", "bonus", "2015-02-01", attributes={"level": "city"}),
        ev("B2", "bonus", "2015-02-02", attributes={"level": "county"}),
    ]
    result = evaluate(card, dataset(events), YEAR).results[0]
    trace = {t.event: t for t in result.trace}
    assert trace["B1"].rule == "bonus-city" and trace["B1"].points == Decimal(40)
    assert trace["B2"].rule == "bonus" and trace["B2"].bucket == "capped"
    assert trace["B2"].limit is not None and trace["B2"].limit.scope == "score"
    assert result.score == Decimal(100) and result.grade == "优秀"


def test_per_unit_points_are_exact(card: Ruleset) -> None:
    events = [ev("V1", "volunteer", "2015-05-01", quantity=Decimal("0.1"))]
    events += [ev("V2", "volunteer", "2015-05-02", quantity=Decimal("0.2"))]
    result = evaluate(card, dataset(events), YEAR).results[0]
    assert result.score == Decimal("60.03")
    assert str(result.score) == "60.03"


def test_event_without_quantity_is_unmatched(card: Ruleset) -> None:
    result = evaluate(card, dataset([ev("V1", "volunteer", "2015-05-01")]), YEAR).results[0]
    assert result.trace[0].bucket == "unmatched"
    assert result.events["unmatched"] == 1


def test_veto_overrides_grade_and_score_and_names_its_record(card: Ruleset) -> None:
    events = [ev(f"B{i}", "bonus", f"2015-0{i}-01", attributes={"level": "city"}) for i in (1, 2)]
    events.append(ev("S1", "sanction", "2015-06-01"))
    result = evaluate(card, dataset(events), YEAR).results[0]
    assert result.score == 0 and result.grade == "不合格"
    assert [(v.rule, v.event) for v in result.vetoes] == [("sanction", "S1")]
    probationary = evaluate(card, dataset(events, status="probationary"), YEAR).results[0]
    assert probationary.grade == "取消资格" and probationary.scale == "probationary"


def test_not_approved_and_outside_period_are_accounted(card: Ruleset) -> None:
    events = [
        ev("P", "meeting", "2015-01-05", status="pending"),
        ev("R", "meeting", "2015-01-06", status="returned"),
        ev("O", "meeting", "2014-12-31"),
        ev("N", "dues", "2015-01-07"),
    ]
    result = evaluate(card, dataset(events), YEAR).results[0]
    assert result.events == {
        **dict.fromkeys(BUCKETS, 0),
        "pending": 1,
        "returned": 1,
        "outside_period": 1,
        "unmatched": 1,
    }
    pending = next(t for t in result.trace if t.event == "P")
    assert (pending.rule, pending.nominal, pending.points) == ("meeting", Decimal("1.5"), None)
    assert result.score == 60


def test_members_outside_the_period_get_no_result_but_their_events_are_counted(
    card: Ruleset,
) -> None:
    data = dataset([ev("E", "meeting", "2016-02-01")], joined=dt.date(2016, 1, 1))
    run = evaluate(card, data, YEAR)
    assert run.results == ()
    assert run.rulesets[0].unassigned == {"inactive_member": 1}


def test_ruleset_not_in_force_is_a_located_problem(card: Ruleset) -> None:
    with pytest.raises(ProblemsFound) as caught:
        evaluate(card, dataset([]), Period.parse("2016"))
    (problem,) = caught.value.problems
    assert problem.code == "DJ120"
    assert problem.message == (
        'ruleset "test.card" version 1 is in force 2015-01-01..2015-12-31, '
        "which does not cover the period 2016"
    )


# ------------------------------------------------------------------- properties


@given(datasets(_card()), st.randoms(use_true_random=False))
def test_order_does_not_matter(data: Dataset, rnd: random.Random) -> None:
    card = _card()
    events = list(data.events)
    rnd.shuffle(events)
    shuffled = Dataset(
        dict(reversed(list(data.organizations.items()))),
        dict(reversed(list(data.members.items()))),
        tuple(events),
    )
    assert dumps(evaluate(card, data, YEAR)) == dumps(evaluate(card, shuffled, YEAR))


@given(datasets(_card()))
def test_accounting_adds_up(data: Dataset) -> None:
    run = evaluate(_card(), data, YEAR)
    per_subject: dict[str, int] = defaultdict(int)
    for event in data.events:
        per_subject[event.subject] += 1
    for result in run.results:
        assert sum(result.events.values()) == per_subject[result.subject.id]
        assert len(result.trace) == per_subject[result.subject.id]
    in_results = sum(sum(r.events.values()) for r in run.results)
    assert in_results + sum(run.rulesets[0].unassigned.values()) == len(data.events)


@given(datasets(_card()))
def test_caps_and_bounds_are_never_exceeded(data: Dataset) -> None:
    card = _card()
    run = evaluate(card, data, YEAR)
    for result in run.results:
        assert card.min is not None and card.max is not None
        if not result.vetoes:
            assert card.min <= result.score <= card.max
            assert result.score == card.base + sum(
                (t.points for t in result.trace if t.points is not None), Decimal(0)
            )
        for category in card.categories:
            got = next(c.score for c in result.categories if c.id == category.id)
            assert category.min is None or got >= category.min
            assert category.max is None or got <= category.max
        for rule in card.rules:
            for cap in rule.caps:
                windows: dict[int, Decimal] = defaultdict(Decimal)
                for t in result.trace:
                    if t.rule == rule.id and t.points is not None:
                        key = t.date.month if cap.per == "month" else t.date.year
                        windows[key] += abs(t.points)
                assert all(total <= cap.max for total in windows.values())


@given(datasets(_card()))
def test_result_json_round_trips(data: Dataset) -> None:
    run = evaluate(_card(), data, YEAR)
    text = dumps(run)
    assert loads(text) == run
    assert dumps(loads(text)) == text


@given(datasets(_card(), statuses=("approved",)), st.data())
def test_an_added_meeting_never_lowers_a_score(data: Dataset, extra: st.DataObject) -> None:
    card = _card()
    member = extra.draw(st.sampled_from(sorted(data.members)))
    day = extra.draw(st.dates(dt.date(2015, 1, 1), dt.date(2015, 12, 31)))
    added = Event("Z9999", "meeting", day, member=member)
    more = Dataset(data.organizations, data.members, (*data.events, added))
    before = evaluate(card, data, YEAR).for_subject(member)
    after = evaluate(card, more, YEAR).for_subject(member)
    if not before.vetoes:
        assert after.score >= before.score


def test_veto_rules_claim_events_before_points_rules_whatever_their_order() -> None:
    source = CARD.replace(
        'kind = "veto"\non = "sanction"', 'kind = "veto"\non = "meeting"\nwhen = "event.days > 1"'
    )
    ruleset, problems = parse_ruleset(source, "card.toml")
    assert ruleset is not None, problems
    long_meeting = Event("L", "meeting", dt.date(2015, 3, 1), member="M1", end=dt.date(2015, 3, 2))
    result = evaluate(ruleset, dataset([long_meeting]), YEAR).results[0]
    assert result.trace[0].bucket == "veto" and result.grade == "不合格"


def test_a_category_cap_is_shared_by_its_rules() -> None:
    source = CARD.replace(
        'label = "组织生活"\nmax = 10',
        'label = "组织生活"\nmax = 10\ncaps = [{ per = "month", max = 2 }]',
    ).replace(
        '[[rules]]\nid = "volunteer"',
        '[[rules]]\nid = "meeting-2"\nlabel = "会议二"\nkind = "points"\ncategory = "life"\n'
        'on = "bonus"\npoints = 2\n\n[[rules]]\nid = "volunteer"',
    )
    ruleset, problems = parse_ruleset(source, "card.toml")
    assert ruleset is not None, problems
    events = [
        ev("A", "meeting", "2015-03-01"),
        ev("B", "bonus", "2015-03-02", attributes={"level": "county"}),
    ]
    result = evaluate(ruleset, dataset(events), YEAR).results[0]
    assert next(c.score for c in result.categories if c.id == "life") == 2
    limited = next(t for t in result.trace if t.event == "B")
    assert limited.bucket == "partial" and limited.limit is not None
    assert (limited.limit.scope, limited.limit.owner, limited.limit.window) == (
        "category",
        "life",
        "2015-03",
    )


def test_the_engine_takes_its_post_processing_and_guard_as_arguments(card: Ruleset) -> None:
    # The core knows no plugins: api.evaluate passes the registry's; here, our own.
    guarded: list[str] = []

    @contextmanager
    def guard(what: str) -> Iterator[None]:
        guarded.append(what)
        yield

    data = dataset([ev("E1", "meeting", "2015-03-02")])
    plain = engine_evaluate(card, data, YEAR)
    run = engine_evaluate(
        card,
        data,
        YEAR,
        finish=lambda run: attrs.evolve(run, engine=run.engine + " +finished"),
        guard=guard,
    )
    assert run.engine == plain.engine + " +finished"
    assert guarded == [f"evaluating {card.id}"]
    assert dumps(attrs.evolve(run, engine=plain.engine)) == dumps(plain)
