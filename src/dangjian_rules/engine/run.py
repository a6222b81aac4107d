"""The engine: evaluate rulesets over a dataset for a period.

Orchestration only: rulesets in dependency order, each one's subjects through
:func:`~dangjian_rules.engine.subject.evaluate_each` (here, or in slices on workers, see
:mod:`~dangjian_rules.engine.parallel`), then the verdicts across subjects
(:func:`~dangjian_rules.engine.verdicts.across_subjects`), then the run's accounting.
The engine knows no plugins: the caller passes what post-processes the run (``finish``)
and what names a plugin whose rule-kind code raised (``guard``); see
:func:`dangjian_rules.api.evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from dangjian_rules._version import __version__
from dangjian_rules.collector import collector_paused
from dangjian_rules.engine.parallel import Slices, forked_slices, slices_on
from dangjian_rules.engine.subject import Rated, evaluate_each, subjects_of
from dangjian_rules.engine.verdicts import across_subjects
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import (
    SCHEMA_VERSION,
    DataRef,
    PeriodRef,
    RulesetRef,
    RunResult,
    SubjectResult,
)
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.corpus import dependency_order
from dangjian_rules.ruleset.files import in_force_versions
from dangjian_rules.ruleset.verdicts import Facts

ENGINE = f"dangjian-rules {__version__}"

#: what ``evaluate`` calls on the finished run (e.g. the plugins' result processing)
Finish = Callable[[RunResult], RunResult]
#: ``guard(what)``: a context in which an exception raised by plugin code names the plugin
Guard = Callable[[str], AbstractContextManager[Any]]


def _not_in_force(ruleset: Ruleset, period: Period) -> Problem:
    since = ruleset.in_force_from.isoformat() if ruleset.in_force_from else "…"
    until = ruleset.in_force_until.isoformat() if ruleset.in_force_until else "…"
    return Problem(
        code="DJ120",
        message=(
            f'ruleset "{ruleset.id}" version {ruleset.version} is in force {since}..{until}, '
            f"which does not cover the period {period.label}"
        ),
        message_zh=(
            f"规则集“{ruleset.id}”（版本 {ruleset.version}）的生效期为 {since}..{until}，"
            f"不覆盖考核期 {period.label}"
        ),
        file=ruleset.source,
        path="ruleset.in_force",
        hint="evaluate a period inside the in-force dates, or use the version in force then",
        hint_zh="请选择生效期内的考核期，或使用当时生效的规则集版本",
    )


def evaluate(
    rulesets: Sequence[Ruleset] | Ruleset,
    dataset: Dataset,
    period: Period,
    previous: RunResult | None = None,
    pinned: Mapping[str, str] | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    finish: Finish | None = None,
    guard: Guard | None = None,
) -> RunResult:
    """Evaluate one or more rulesets over a dataset for a period.

    Of several versions of one ruleset id, the one in force for the whole period is used,
    unless ``pinned`` names a version (ruleset id → version).

    ``workers > 1`` evaluates slices of whole organization subtrees in that many local
    processes; ``executor`` (any concurrent.futures executor, e.g. a Dask client's
    ``get_executor()``) runs them there instead.  Quotas, selection and the subjects above
    the slices are done in this process, so the result is the same as a single run.
    ``with_trace=False`` (summary mode) leaves out the per-event traces.
    ``progress(ruleset_id, done, total)``, if given, is called as subjects are evaluated
    (every few hundred, and once when a ruleset is done), e.g. for a progress bar.

    Rulesets that read other rulesets' results are evaluated after them.  ``previous`` is
    the result of the period before, for limits on stars and tiers and for conditions on
    ``previous.*``.  ``finish``, if given, post-processes the run before it is returned;
    the evaluation runs inside ``guard("evaluating …")`` if given.  Raises
    :class:`ProblemsFound` if a ruleset is not in force for the period, needs a ruleset
    not given, or the previous result does not fit.
    """
    if isinstance(rulesets, Ruleset):
        rulesets = [rulesets]
    pinned = pinned or {}
    rulesets, problems = in_force_versions(rulesets, period.start, period.end, pinned)
    problems += [  # a pinned version is used on purpose, in force or not (e.g. a what-if)
        _not_in_force(r, period)
        for r in rulesets
        if r.id not in pinned and not r.in_force_on(period.start, period.end)
    ]
    if problems:
        raise ProblemsFound(problems)
    ordered = dependency_order(rulesets)
    if previous is not None:
        _check_previous(previous, rulesets, period)
    watched = guard("evaluating " + ", ".join(r.id for r in rulesets)) if guard else nullcontext()
    with collector_paused(), watched:
        if executor is not None:
            with slices_on(executor, dataset, max(workers, 2)) as slices:
                run = _evaluate(ordered, dataset, period, previous, slices, with_trace)
        elif workers > 1:
            with forked_slices(dataset, workers) as slices:
                run = _evaluate(ordered, dataset, period, previous, slices, with_trace)
        else:
            run = _evaluate(ordered, dataset, period, previous, None, with_trace, progress)
    return finish(run) if finish is not None else run


def _evaluate(
    ordered: Sequence[Ruleset],
    dataset: Dataset,
    period: Period,
    previous: RunResult | None,
    slices: Slices | None,
    with_trace: bool,
    progress: Callable[[str, int, int], None] | None = None,
) -> RunResult:
    """The rulesets, in dependency order, each over all its subjects."""
    before: dict[tuple[str, str], SubjectResult] = {
        (r.ruleset, r.subject.id): r for r in (previous.results if previous else ())
    }
    done: dict[str, dict[str, SubjectResult]] = {}
    refs: list[RulesetRef] = []
    for ruleset in ordered:
        subjects = subjects_of(ruleset, dataset, period)
        # Measures read the results of the rulesets this one needs, and only those, on
        # every path (workers are sent no more).
        readable = {needed: done[needed] for needed in ruleset.needs}
        args = (dataset, period, readable, before, with_trace)
        if slices is None:
            mine, facts = evaluate_each(ruleset, subjects, *args, progress)
            if progress is not None:
                progress(ruleset.id, len(subjects), len(subjects))
        else:
            mine, facts = _evaluate_sliced(ruleset, subjects, slices, *args)
        people = {s.id: (m, o) for s, m, o in subjects}
        done[ruleset.id] = across_subjects(ruleset, mine, facts, people, dataset)
        refs.append(_ruleset_ref(ruleset, subjects, dataset, period))
    counts = dataset.counts()
    return RunResult(
        schema=SCHEMA_VERSION,
        engine=ENGINE,
        period=PeriodRef(period.start, period.end, period.label),
        rulesets=tuple(sorted(refs, key=lambda r: r.id)),
        data=DataRef(
            dataset.fingerprint, counts["organizations"], counts["members"], counts["events"]
        ),
        results=tuple(
            result for ruleset_id in sorted(done) for _, result in sorted(done[ruleset_id].items())
        ),
    )


def _evaluate_sliced(
    ruleset: Ruleset,
    subjects: list[Rated],
    slices: Slices,
    dataset: Dataset,
    period: Period,
    done: Mapping[str, Mapping[str, SubjectResult]],
    before: Mapping[tuple[str, str], SubjectResult],
    with_trace: bool,
) -> tuple[dict[str, SubjectResult], dict[str, Facts]]:
    """The slices on the workers while the subjects above them are evaluated here."""
    futures = slices.submit(ruleset, period, done, before, with_trace)
    central = slices.central(subjects)
    mine, facts = evaluate_each(ruleset, central, dataset, period, done, before, with_trace)
    for future in futures:
        got, got_facts = future.result()
        mine.update(got)
        facts.update(got_facts)
    return mine, facts


def _ruleset_ref(
    ruleset: Ruleset, subjects: list[Rated], dataset: Dataset, period: Period
) -> RulesetRef:
    """The ruleset as the run names it, with the events no subject of it took, by reason."""
    evaluated = {(s.kind, s.id) for s, _, _ in subjects}
    unassigned: dict[str, int] = {}
    for key, events in dataset.events_by_subject.items():
        if key in evaluated:
            continue
        if key[0] == "member" and ruleset.subject == "member":
            member = dataset.members.get(key[1])
            active = member is not None and member.active_during(period.start, period.end)
            reason = "member_not_rated" if active else "inactive_member"
        elif key[0] == ruleset.subject:
            reason = "organization_not_rated"
        else:
            reason = f"{key[0]}_events"
        unassigned[reason] = unassigned.get(reason, 0) + len(events)
    return RulesetRef(
        ruleset.id,
        ruleset.name,
        ruleset.version,
        ruleset.sha256,
        ruleset.subject,
        dict(sorted(unassigned.items())),
        ruleset.extends,
    )


def _check_previous(previous: RunResult, rulesets: Sequence[Ruleset], period: Period) -> None:
    problems: list[Problem] = []
    if previous.period.end >= period.start:
        problems.append(
            Problem(
                code="DJ123",
                message=f"the previous result is for {previous.period.label} "
                f"({previous.period.start}..{previous.period.end}), which does not end before "
                f"{period.label}",
                message_zh=f"上期结果的考核期为 {previous.period.label}，不早于本期 {period.label}",
                hint="pass the result of the period before this one",
                hint_zh="请传入本期之前一期的结果",
            )
        )
    ids = {r.id for r in previous.rulesets}
    wanted = {r.id for r in rulesets if r.stars or r.tiers or r.selection}
    if wanted and not ids & wanted:
        problems.append(
            Problem(
                code="DJ124",
                message=f"the previous result holds {', '.join(sorted(ids)) or 'no ruleset'}, "
                f"not {', '.join(sorted(wanted))}",
                message_zh=f"上期结果包含的是 {', '.join(sorted(ids)) or '无'}，"
                f"而非 {', '.join(sorted(wanted))}",
                hint="pass the previous result of the same rulesets",
                hint_zh="请传入相同规则集的上期结果",
            )
        )
    if problems:
        raise ProblemsFound(problems)
