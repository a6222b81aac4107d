"""One subject's complete evaluation — measures, points, its own verdicts — and the
subjects a ruleset rates.  Every way of evaluating (whole data, local workers, executors,
the stream) goes through :func:`evaluate_one`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from dangjian_rules.engine.points import CompiledRuleset, score_subject
from dangjian_rules.engine.verdicts import judge_subject
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import Measured, Subject, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.measures import SubjectContext
from dangjian_rules.ruleset.verdicts import Facts


class UndeclaredResults(LookupError):
    """A measure asked for the results of a ruleset its kind did not declare it reads."""


class DeclaredResults(Mapping[str, Mapping[str, SubjectResult]]):
    """The results a ruleset's measures may read: those of the rulesets they declare
    (``MeasureBuild.needs``).  Asking for another ruleset is an error in the measure kind,
    never an empty answer: its results would be missing on some paths and not others."""

    def __init__(
        self,
        ruleset_id: str,
        needs: Sequence[str],
        results: Mapping[str, Mapping[str, SubjectResult]],
    ) -> None:
        self._ruleset_id = ruleset_id
        self._needs = frozenset(needs)
        self._results = results

    def __getitem__(self, ruleset_id: str) -> Mapping[str, SubjectResult]:
        if ruleset_id not in self._needs:
            raise UndeclaredResults(
                f'a measure of ruleset "{self._ruleset_id}" reads the results of '
                f'"{ruleset_id}", which its measure kind does not declare in its needs'
            )
        return self._results.get(ruleset_id, {})

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._needs))

    def __len__(self) -> int:
        return len(self._needs)


#: a subject with its member (member subjects) and its organization
Rated = tuple[Subject, Member | None, Organization | None]


def evaluate_one(
    compiled: CompiledRuleset,
    rated: Rated,
    events: Sequence[Event],
    period: Period,
    dataset: Dataset,
    done: Mapping[str, Mapping[str, SubjectResult]],
    previous: Mapping[str, SubjectResult],
    with_trace: bool = True,
) -> tuple[SubjectResult, Facts | None]:
    """One subject on its own: measures, points, grade, flags, stars and tier.

    ``events`` are the subject's, in (date, id) order; ``dataset`` and ``done`` (results of
    the rulesets evaluated before, by ruleset id and subject id) are what measures may read;
    ``previous`` the subject's results of the period before, by ruleset id.  Returns the
    result and the facts the verdicts across subjects read (None if the ruleset has none).
    """
    ruleset = compiled.ruleset
    subject, member, organization = rated
    measures: dict[str, Measured] = {}
    given: frozenset[str] = frozenset()
    if ruleset.measures:
        measures, given = measure_subject(
            ruleset, subject, member, organization, events, period, dataset, done, previous
        )
    result = score_subject(
        compiled, subject, member, organization, events, period, measures, given, with_trace
    )
    return judge_subject(ruleset, result, measures, previous.get(ruleset.id), member, organization)


#: how often (in subjects) the engine calls ``progress``: rarely enough to cost nothing
PROGRESS_EVERY = 256


def evaluate_each(
    ruleset: Ruleset,
    subjects: Sequence[Rated],
    dataset: Dataset,
    period: Period,
    done: Mapping[str, Mapping[str, SubjectResult]],
    before: Mapping[tuple[str, str], SubjectResult],
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, SubjectResult], dict[str, Facts]]:
    """:func:`evaluate_one` for each of ``subjects`` over ``dataset``; ``before`` holds the
    previous period's results by (ruleset id, subject id)."""
    compiled = CompiledRuleset.of(ruleset)
    by_subject = dataset.events_by_subject
    previous_by_subject: dict[str, dict[str, SubjectResult]] = {}
    for (ruleset_id, subject_id), earlier in before.items():
        previous_by_subject.setdefault(subject_id, {})[ruleset_id] = earlier
    mine: dict[str, SubjectResult] = {}
    facts: dict[str, Facts] = {}
    for index, rated in enumerate(subjects):
        if progress is not None and not index % PROGRESS_EVERY:
            progress(ruleset.id, index, len(subjects))
        subject = rated[0]
        result, fact = evaluate_one(
            compiled,
            rated,
            by_subject.get((subject.kind, subject.id), ()),
            period,
            dataset,
            done,
            previous_by_subject.get(subject.id, {}),
            with_trace,
        )
        if fact is not None:
            facts[subject.id] = fact
        mine[subject.id] = result
    return mine, facts


def home(rated: Rated) -> str:
    """The organization a subject belongs to (its own, for an organization)."""
    _, member, organization = rated
    if member is not None:
        return member.organization
    assert organization is not None
    return organization.id


def subjects_of(ruleset: Ruleset, dataset: Dataset, period: Period) -> list[Rated]:
    """The subjects the ruleset rates in the period, in id order."""
    subjects: list[Rated] = []
    if ruleset.subject == "member":
        chosen = ruleset.member_filter
        for member_id in sorted(dataset.members):
            member = dataset.members[member_id]
            if member.active_during(period.start, period.end) and (
                chosen is None
                or chosen(None, member, dataset.organizations.get(member.organization))
            ):
                subjects.append(
                    (
                        Subject(
                            "member", member.id, member.name, member.organization, member.status
                        ),
                        member,
                        dataset.organizations.get(member.organization),
                    )
                )
    else:
        kinds = set(ruleset.organization_kinds)
        for org_id in sorted(dataset.organizations):
            organization = dataset.organizations[org_id]
            if kinds and organization.kind not in kinds:
                continue
            subjects.append(
                (
                    Subject("organization", org_id, organization.name, organization.parent),
                    None,
                    organization,
                )
            )
    return subjects


def measure_subject(
    ruleset: Ruleset,
    subject: Subject,
    member: Member | None,
    organization: Organization | None,
    events: Sequence[Event],
    period: Period,
    dataset: Dataset,
    results: Mapping[str, Mapping[str, SubjectResult]],
    previous: Mapping[str, SubjectResult],
) -> tuple[dict[str, Measured], frozenset[str]]:
    """The subject's measure values, and the ids of the events given to a measure."""
    readable = DeclaredResults(ruleset.id, ruleset.needs, results)
    values: dict[str, Measured] = {}
    given: set[str] = set()
    approved = [
        e for e in events if e.status == "approved" and period.start <= e.date <= period.end
    ]
    for measure in ruleset.measures:
        chosen = [
            e
            for e in approved
            if e.type in measure.on
            and (measure.condition is None or measure.condition(e, member, organization))
        ]
        given.update(e.id for e in chosen)
        context = SubjectContext(
            subject.kind,
            subject.id,
            member,
            organization,
            chosen,
            period,
            dataset,
            readable,
            previous,
            values,
        )
        values[measure.id] = measure.compute(context)
    return values, frozenset(given)
