"""Every way of evaluating gives byte-identical results: ``evaluate``, ``workers=2``, an
executor, the JSON Lines stream (for rulesets that can stream) and one subject at a time
(``engine.subject.evaluate_one``, then the verdicts across subjects) — over generated
data and over every shipped ruleset set with its sample data, including rulesets whose
flags, stars, tiers and selections read ``result.*``, ``measure.*``, ``previous.*`` and
other rulesets' results (tests/paths/)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import cache
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian_rules import (
    Dataset,
    Period,
    RunResult,
    dumps,
    evaluate,
    load_dataset,
    load_ruleset,
    parse_ruleset,
)
from dangjian_rules.api import load_rulesets
from dangjian_rules.engine.points import CompiledRuleset
from dangjian_rules.engine.stream import check_streamable, evaluate_stream
from dangjian_rules.engine.subject import evaluate_one, subjects_of
from dangjian_rules.engine.verdicts import across_subjects
from dangjian_rules.model.records import Event
from dangjian_rules.model.result import SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.corpus import dependency_order
from dangjian_rules.ruleset.files import in_force_versions
from dangjian_rules.ruleset.verdicts import Facts
from dangjian_rules.testing.strategies import county_datasets, tree_datasets, valid_rulesets
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "paths"
PERIOD = Period.parse("2015")
BEFORE = Period.parse("2014")


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    """The ``executor=`` path: the slices are pickled to the pool's processes."""
    with ProcessPoolExecutor(2) as executor:
        yield executor


def one_at_a_time(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    previous: RunResult | None,
    with_trace: bool = True,
) -> list[SubjectResult]:
    """Each subject through ``evaluate_one`` alone, then the verdicts across subjects."""
    chosen, problems = in_force_versions(rulesets, period.start, period.end, {})
    assert problems == []
    earlier: dict[str, dict[str, SubjectResult]] = {}
    for result in previous.results if previous else ():
        earlier.setdefault(result.subject.id, {})[result.ruleset] = result
    done: dict[str, dict[str, SubjectResult]] = {}
    for ruleset in dependency_order(chosen):
        compiled = CompiledRuleset.of(ruleset)
        mine: dict[str, SubjectResult] = {}
        facts: dict[str, Facts] = {}
        subjects = subjects_of(ruleset, dataset, period)
        for rated in subjects:
            subject = rated[0]
            events = dataset.events_by_subject.get((subject.kind, subject.id), ())
            previous_results = earlier.get(subject.id, {})
            result, fact = evaluate_one(
                compiled, rated, events, period, dataset, done, previous_results, with_trace
            )
            mine[subject.id] = result
            if fact is not None:
                facts[subject.id] = fact
        people = {s.id: (m, o) for s, m, o in subjects}
        done[ruleset.id] = across_subjects(ruleset, mine, facts, people, dataset)
    return [r for ruleset_id in sorted(done) for _, r in sorted(done[ruleset_id].items())]


def streamed(
    ruleset: Ruleset, dataset: Dataset, period: Period, with_trace: bool = True
) -> list[SubjectResult]:
    """The ruleset's results from the stream, every member's events as one group."""
    groups = (
        (member_id, list(dataset.events_by_subject.get(("member", member_id), ())))
        for member_id in sorted(dataset.members)
    )
    return sorted(
        evaluate_stream(
            ruleset, dataset.organizations, dataset.members, groups, period, with_trace
        ),
        key=lambda r: r.subject.id,
    )


def every_path(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    executor: Executor,
    previous: RunResult | None = None,
    with_trace: bool = True,
) -> dict[str, str]:
    """The JSON result of the run by each path."""

    def run(**how: object) -> RunResult:
        return evaluate(rulesets, dataset, period, previous=previous, with_trace=with_trace, **how)

    whole = run()
    single = one_at_a_time(rulesets, dataset, period, previous, with_trace)
    out = {
        "evaluate": dumps(whole),
        "workers=2": dumps(run(workers=2)),
        "executor": dumps(run(executor=executor)),
        "one subject at a time": dumps(attrs.evolve(whole, results=tuple(single))),
    }
    if previous is None:  # the stream knows no previous period
        out.update(stream_paths(rulesets, dataset, period, whole, with_trace))
    return out


def stream_paths(
    rulesets: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    whole: RunResult,
    with_trace: bool = True,
) -> dict[str, str]:
    """For each streamable ruleset, the run's JSON with its results only: from
    ``whole`` under "evaluate: id", and from the stream under "stream: id"."""
    out: dict[str, str] = {}
    evaluated = {r.id for r in whole.rulesets}
    for ruleset in rulesets:
        if ruleset.id in evaluated and not check_streamable(ruleset):
            own = tuple(r for r in whole.results if r.ruleset == ruleset.id)
            stream = tuple(streamed(ruleset, dataset, period, with_trace))
            out[f"evaluate: {ruleset.id}"] = dumps(attrs.evolve(whole, results=own))
            out[f"stream: {ruleset.id}"] = dumps(attrs.evolve(whole, results=stream))
    return out


def assert_same(paths: dict[str, str]) -> None:
    """Each path's JSON equals evaluate's ("stream: x" equals "evaluate: x")."""
    differ = [
        name
        for name, text in paths.items()
        if text != paths[name.replace("stream:", "evaluate:") if ":" in name else "evaluate"]
    ]
    assert differ == [], f"these paths differ from evaluate: {differ}"


@cache
def own_rulesets() -> tuple[Ruleset, ...]:
    return (load_ruleset(HERE / "card.toml"), load_ruleset(HERE / "branches.toml"))


# ---------------------------------------------------------------- the regular test


def test_a_tier_reading_result_flagged_is_the_same_from_evaluate_and_the_stream() -> None:
    card = own_rulesets()[0]
    dataset = generated_example(card)
    whole = {r.subject.id: r for r in evaluate(card, dataset, PERIOD).results}
    stream = {r.subject.id: r for r in streamed(card, dataset, PERIOD)}
    assert stream.keys() == whole.keys()
    flagged = [s for s, r in whole.items() if r.flags]
    assert flagged, "the example must flag someone, or it proves nothing"
    for subject_id in flagged:  # the first tier rule: result.flagged → 后进
        assert whole[subject_id].tier is not None
        assert whole[subject_id].tier.tier == "后进"
    vetoed = [s for s, r in whole.items() if r.vetoes and r.stars and r.stars.earned]
    assert vetoed, "the example must strip someone's stars by a veto, or it proves nothing"
    for subject_id, result in whole.items():
        assert stream[subject_id].tier == result.tier
        assert stream[subject_id].stars == result.stars  # the veto notes name the same labels


def generated_example(card: Ruleset) -> Dataset:
    """A county with flagged members and members whose stars a veto strips."""
    base = generate(card)
    members = sorted(base.members)
    extra = [
        # many meetings, then a crime: stars earned, stripped by the veto
        *(
            Event(f"X{i:03d}", "member_meeting", d, members[0], None)
            for i, d in enumerate(PERIOD_QUARTERS)
        ),
        Event("X100", "crime", PERIOD.end, members[0], None),
        Event("X101", "absence", PERIOD.start, members[1], None),
        Event("X102", "absence", PERIOD.start, members[1], None),
    ]
    return Dataset(base.organizations, base.members, (*base.events, *extra), base.source)


PERIOD_QUARTERS = [PERIOD.start.replace(month=m) for m in (1, 4, 7, 10)] * 2


def generate(card: Ruleset) -> Dataset:
    county = generate_county(members=40, seed=11, year=2015)
    keep = {"member_meeting", "study", "dues", "absence", "crime"}
    return Dataset(
        county.organizations,
        county.members,
        tuple(e for e in county.events if e.type in keep),
        county.source,
    )


# ---------------------------------------------------------------- properties


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_path_gives_the_same_result_on_generated_data(
    pool: Executor, data: st.DataObject
) -> None:
    rulesets = own_rulesets()
    dataset = data.draw(county_datasets(*rulesets, max_branches=4, max_members=5))
    assert_same(every_path(rulesets, dataset, PERIOD, pool))
    # previous.*: the same data judged for the year before, as the previous period
    previous = evaluate(rulesets, dataset, BEFORE)
    assert_same(every_path(rulesets, dataset, PERIOD, pool, previous))


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=valid_rulesets(), data=st.data())
def test_every_path_gives_the_same_result_for_generated_rulesets(
    pool: Executor, text: str, data: st.DataObject
) -> None:
    ruleset, problems = parse_ruleset(text, "generated.toml")
    assert ruleset is not None, (text, problems)
    dataset = data.draw(tree_datasets(ruleset, max_branches=4, max_members=4, max_events=30))
    assert_same(every_path([ruleset], dataset, PERIOD, pool))


#: every shipped ruleset (the sample data, examples/sanmenxia-*, is made for all of them)
SHIPPED = ("mianchi", "sanmenxia", "lushi", "lingbao", "hubin", "kaifaqu", "shanxian", "yima")
SHIPPED += ("national",)


@cache
def shipped() -> tuple[Ruleset, ...]:
    return tuple(load_rulesets([str(ROOT / "rulesets" / folder) for folder in SHIPPED]))


@cache
def sample(year: int) -> Dataset:
    return load_dataset(ROOT / "examples" / f"sanmenxia-{year}", rulesets=shipped())


def in_force(rulesets: Sequence[Ruleset], period: Period) -> list[Ruleset]:
    """The rulesets in force in the period whose needed rulesets are too."""
    chosen = [r for r in rulesets if r.in_force_on(period.start, period.end)]
    ids = {r.id for r in chosen}
    return [r for r in chosen if ids.issuperset(r.needs)]


def test_every_path_gives_the_same_result_on_the_shipped_rulesets(pool: Executor) -> None:
    # Summary mode: the traces' equality is shown on generated data, and in test_parallel.
    previous = evaluate(in_force(shipped(), BEFORE), sample(2014), BEFORE, with_trace=False)
    assert any(r.stars or r.tier or r.selection for r in previous.results)
    paths = every_path(shipped(), sample(2015), PERIOD, pool, previous, with_trace=False)
    assert_same(paths)


def test_the_stream_gives_the_same_result_on_the_shipped_rulesets() -> None:
    whole = evaluate(shipped(), sample(2015), PERIOD)
    paths = stream_paths(shipped(), sample(2015), PERIOD, whole)
    assert len(paths) >= 6  # the member cards and the streak at least
    assert_same(paths)
