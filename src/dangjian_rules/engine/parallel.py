"""Parallel evaluation: slices of whole organization subtrees, evaluated in local forked
processes or on any ``concurrent.futures`` executor (e.g. Dask's), through the same
:func:`~dangjian_rules.engine.subject.evaluate_each` as a single process."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager

import attrs

from dangjian_rules.engine.subject import Rated, evaluate_each, home, subjects_of
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.verdicts import Facts


@attrs.frozen
class _Part:
    """A slice of the data that holds whole organization subtrees (a unit of parallel work)."""

    dataset: Dataset
    organizations: frozenset[str]  # the subtrees' organizations (not their ancestors)


def partition(dataset: Dataset, parts: int) -> tuple[list[_Part], frozenset[str]]:
    """Split the data into at most ``parts`` slices of whole subtrees below the roots,
    balanced by members; also returns the organizations above the slices (the roots),
    whose subjects must be evaluated on the whole data."""
    tops: list[str] = []
    for root in dataset.roots:
        tops.extend(dataset.children.get(root, ()) or (root,))
    weights = {
        top: sum(len(dataset.members_by_organization.get(o, ())) for o in dataset.subtree(top))
        for top in tops
    }
    buckets: list[list[str]] = [[] for _ in range(max(1, min(parts, len(tops))))]
    loads = [0] * len(buckets)
    for top in sorted(tops, key=lambda t: (-weights[t], t)):
        smallest = loads.index(min(loads))
        buckets[smallest].append(top)
        loads[smallest] += weights[top]
    inside: set[str] = set()
    out: list[_Part] = []
    for bucket in buckets:
        orgs = {o for top in bucket for o in dataset.subtree(top)}
        inside |= orgs
        above = {a for o in bucket for a in dataset.ancestors(o)}
        members = {
            m: dataset.members[m] for o in orgs for m in dataset.members_by_organization.get(o, ())
        }
        events = tuple(
            e for e in dataset.events if (e.member in members) or (e.organization in orgs)
        )
        out.append(
            _Part(
                Dataset(
                    {o: dataset.organizations[o] for o in sorted(orgs | above)},
                    dict(sorted(members.items())),
                    events,
                    dataset.source,
                ),
                frozenset(orgs),
            )
        )
    return out, frozenset(set(dataset.organizations) - inside)


#: Slices handed to forked local workers without pickling (they inherit this module's state).
_FORKED_SLICES: list[_Part] = []


def _remote_phase(
    ruleset: Ruleset,
    part: _Part | int,
    period: Period,
    done: Mapping[str, Mapping[str, SubjectResult]],
    before: Mapping[tuple[str, str], SubjectResult],
    with_trace: bool = True,
) -> tuple[dict[str, SubjectResult], dict[str, Facts]]:
    """The subjects of one slice, in another process or on a Dask worker."""
    gc.disable()  # a worker only builds results; see run.evaluate()
    if isinstance(part, int):
        part = _FORKED_SLICES[part]
    subjects = [
        s for s in subjects_of(ruleset, part.dataset, period) if home(s) in part.organizations
    ]
    return evaluate_each(ruleset, subjects, part.dataset, period, done, before, with_trace)


@attrs.frozen
class Slices:
    """The data split for an executor: the slices, and the organizations above them."""

    executor: Executor
    parts: list[_Part]
    above: frozenset[str]
    forked: bool  # the workers inherit the slices by fork; tasks name them by number

    def submit(
        self,
        ruleset: Ruleset,
        period: Period,
        done: Mapping[str, Mapping[str, SubjectResult]],
        before: Mapping[tuple[str, str], SubjectResult],
        with_trace: bool,
    ) -> list[Future[tuple[dict[str, SubjectResult], dict[str, Facts]]]]:
        """One task per slice, each given only the earlier results of its own subjects."""
        futures = []
        for number, part in enumerate(self.parts):
            ids = set(part.dataset.members) | set(part.organizations)
            futures.append(
                self.executor.submit(
                    _remote_phase,
                    ruleset,
                    number if self.forked else part,
                    period,
                    {r: {k: v for k, v in res.items() if k in ids} for r, res in done.items()},
                    {k: v for k, v in before.items() if k[1] in ids},
                    with_trace,
                )
            )
        return futures

    def central(self, subjects: list[Rated]) -> list[Rated]:
        """The subjects above the slices, evaluated in this process on the whole data."""
        return [s for s in subjects if home(s) in self.above]


@contextmanager
def slices_on(executor: Executor, dataset: Dataset, parts: int) -> Iterator[Slices]:
    """The data split into ``parts`` slices for ``executor`` (pickled to its workers)."""
    split, above = partition(dataset, parts)
    yield Slices(executor, split, above, False)


@contextmanager
def forked_slices(dataset: Dataset, workers: int) -> Iterator[Slices]:
    """Local processes that inherit the slices by fork, where the platform has fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        with (
            ProcessPoolExecutor(max_workers=workers) as pool,
            slices_on(pool, dataset, workers) as slices,
        ):
            yield slices
        return
    split, above = partition(dataset, workers)
    # Workers start lazily, at the first submit, so they fork after this and inherit it.
    _FORKED_SLICES[:] = split
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield Slices(pool, split, above, True)
    finally:
        _FORKED_SLICES.clear()
