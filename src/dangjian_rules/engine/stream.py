"""Streaming evaluation for very large inputs: one subject's records at a time.

A province (millions of members) does not fit comfortably in memory as one
:class:`~dangjian_rules.model.records.Dataset`.  When the events come grouped by subject — a JSON
Lines file with one line per subject, or a CSV file sorted by subject — the engine can
evaluate each subject as its records arrive and hand the result on, so memory holds the
organizations and members, one subject's records and whatever the caller keeps of the
results.

Only rulesets whose subjects are judged on their own can stream: no star quotas, no
selection, and no measures that read other subjects or rulesets (``members``,
``result``).  :func:`check_streamable` says why a ruleset cannot.

Reading a JSON Lines file of subjects and their events is the file layer's
(:mod:`dangjian_rules.io.jsonl`); this module evaluates what it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from dangjian_rules.engine.points import CompiledRuleset
from dangjian_rules.engine.subject import evaluate_one
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import Subject, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset

_NO_DATA = Dataset({}, {}, ())


def check_streamable(ruleset: Ruleset) -> list[str]:
    """Why a ruleset cannot be evaluated one subject at a time (empty: it can)."""
    reasons: list[str] = []
    if ruleset.subject != "member":
        reasons.append("it rates organizations, whose measures read their members")
    if ruleset.stars is not None and ruleset.stars.quotas:
        reasons.append("star quotas compare subjects with each other")
    if ruleset.selection is not None:
        reasons.append("a selection ranks subjects against each other")
    if ruleset.needs:
        reasons.append("its measures read other rulesets' results")
    return reasons


def evaluate_stream(
    ruleset: Ruleset,
    organizations: Mapping[str, Organization],
    members: Mapping[str, Member],
    grouped_events: Iterable[tuple[str, list[Event]]],
    period: Period,
    with_trace: bool = True,
) -> Iterator[SubjectResult]:
    """Results of the members whose events arrive, grouped by member, in arrival order.

    Members active in the period with no events at all are not yielded here; the caller
    knows them from ``members`` (see :func:`dangjian_rules.io.jsonl.evaluate_file`).
    """
    reasons = check_streamable(ruleset)
    if reasons:
        raise ProblemsFound(
            [
                Problem(
                    "DJ129",
                    f'ruleset "{ruleset.id}" cannot be evaluated as a stream: '
                    + "; ".join(reasons),
                    f"规则集“{ruleset.id}”不能逐个对象流式评估",
                    file=ruleset.source,
                    hint="evaluate it on the whole data instead",
                    hint_zh="请改为对完整数据进行评估",
                )
            ]
        )
    compiled = CompiledRuleset.of(ruleset)
    for member_id, events in grouped_events:
        member = members.get(member_id)
        if member is None or not member.active_during(period.start, period.end):
            continue
        events.sort(key=lambda e: (e.date, e.id))
        subject = Subject("member", member.id, member.name, member.organization, member.status)
        rated = (subject, member, organizations.get(member.organization))
        # Streamable measures read only the subject's own records: no data, no results.
        result, _ = evaluate_one(compiled, rated, events, period, _NO_DATA, {}, {}, with_trace)
        yield result
