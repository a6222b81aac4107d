"""Parallel and distributed evaluation give exactly the single-process result.

``evaluate(..., workers=2)`` evaluates slices of whole organization subtrees in forked
local processes; ``executor=`` runs them on any concurrent.futures executor — here a
spawned process pool (the pickling path) and a Dask ``LocalCluster`` (2 worker processes,
through ``client.get_executor()``).  Quotas, selection and the subjects above the slices
are done centrally, so the serialized results must be byte-identical, traces included.

The Dask part needs the ``dask`` extra (``pip install -e ".[dask]"``; CI installs it).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian_rules import Dataset, Period, Ruleset, dumps, evaluate, load_ruleset
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parent.parent
PERIOD = Period.parse("2015")


@cache
def rulesets(profile: str) -> tuple[Ruleset, ...]:
    card = load_ruleset(ROOT / "rulesets" / "mianchi" / "member-points.toml")
    if profile == "mianchi":
        return (card,)
    # 卢氏 stars read the 灵宝 venues and the 渑池 grades, and cap five stars at 10 %
    # of the branches: a quota across subjects, which must be applied centrally.
    return (
        load_ruleset(ROOT / "rulesets" / "lushi" / "star-branches.toml"),
        load_ruleset(ROOT / "rulesets" / "lingbao" / "venue-checklist.toml"),
        card,
    )


@cache
def county(members: int, seed: int, profile: str) -> Dataset:
    return generate_county(members=members, seed=seed, year=2015, profile=profile)


@pytest.fixture(scope="module")
def spawned() -> Iterator[Executor]:
    """A plain process pool that pickles everything (no fork): the ``executor=`` path."""
    with ProcessPoolExecutor(
        max_workers=2, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        yield pool


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    distributed = pytest.importorskip(
        "distributed",
        reason='Dask is an optional extra: pip install -e ".[dask]" to run this part',
    )
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


data = st.tuples(
    st.integers(min_value=25, max_value=160),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(["mianchi", "full"]),
)
common = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@common
@given(drawn=data, with_trace=st.booleans())
def test_local_workers_equal_one_process(drawn: tuple[int, int, str], with_trace: bool) -> None:
    members, seed, profile = drawn
    dataset = county(members, seed, profile)
    one = evaluate(rulesets(profile), dataset, PERIOD, with_trace=with_trace)
    two = evaluate(rulesets(profile), dataset, PERIOD, workers=2, with_trace=with_trace)
    assert dumps(two, with_trace=with_trace) == dumps(one, with_trace=with_trace)


@common
@given(drawn=data)
def test_any_executor_equals_one_process(spawned: Executor, drawn: tuple[int, int, str]) -> None:
    members, seed, profile = drawn
    dataset = county(members, seed, profile)
    one = evaluate(rulesets(profile), dataset, PERIOD)
    pooled = evaluate(rulesets(profile), dataset, PERIOD, workers=2, executor=spawned)
    assert dumps(pooled) == dumps(one)


@common
@given(drawn=data)
def test_dask_local_cluster_equals_one_process(
    dask_executor: Executor, drawn: tuple[int, int, str]
) -> None:
    members, seed, profile = drawn
    dataset = county(members, seed, profile)
    one = evaluate(rulesets(profile), dataset, PERIOD)
    local = evaluate(rulesets(profile), dataset, PERIOD, workers=2)
    distributed = evaluate(rulesets(profile), dataset, PERIOD, workers=2, executor=dask_executor)
    assert dumps(distributed) == dumps(one)
    assert dumps(local) == dumps(one)


def test_more_workers_than_subtrees() -> None:
    """A tiny county has fewer top-level subtrees than workers: still the same result."""
    dataset = county(25, 1, "mianchi")
    card = rulesets("mianchi")
    assert dumps(evaluate(card, dataset, PERIOD, workers=8)) == dumps(
        evaluate(card, dataset, PERIOD)
    )
