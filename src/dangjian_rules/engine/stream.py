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

JSON Lines input: each line is ``{"subject": "M00001", "events": [ … ]}`` with events in
the JSON interchange form (docs/data-format.md).
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path

from dangjian_rules.engine.points import CompiledRuleset
from dangjian_rules.engine.subject import evaluate_one
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.fields import DataSchema, coerce, parse_date, parse_decimal
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import Subject, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset

_NO_DATA = Dataset({}, {}, ())
_CORE = {"id", "type", "date", "end", "quantity", "status", "member", "organization"}


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
    knows them from ``members`` (see :func:`evaluate_file`).
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


def read_jsonl_events(
    path: str | os.PathLike[str], schema: DataSchema
) -> Iterator[tuple[str, list[Event]]]:
    """``(member id, events)`` per line of a JSON Lines file, read lazily."""
    file = os.fspath(path)
    with Path(file).open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_float=Decimal)
                subject = str(record["subject"])
                events = [_event(raw, subject, schema) for raw in record["events"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ProblemsFound(
                    [
                        Problem(
                            "DJ214",
                            f"line {number} is not a subject with its events: {exc}",
                            f"第 {number} 行不是“对象及其记录”的格式",
                            file=file,
                            line=number,
                            hint='each line is {"subject": "M1", "events": [...]}',
                        )
                    ]
                ) from None
            yield subject, events


def _event(raw: Mapping[str, object], subject: str, schema: DataSchema) -> Event:
    event_type = str(raw["type"])
    fields = schema.events.get(event_type, {})
    attributes = {}
    for key, value in raw.items():
        if key in _CORE:
            continue
        spec = fields.get(key)
        attributes[key] = coerce(spec, value) if spec is not None else value
    end = raw.get("end")
    quantity = raw.get("quantity")
    return Event(
        str(raw["id"]),
        event_type,
        parse_date(str(raw["date"])),
        subject,
        None,
        parse_date(str(end)) if end else None,
        parse_decimal(quantity) if quantity is not None else None,
        str(raw.get("status", "approved")),
        attributes,  # type: ignore[arg-type]
    )


def evaluate_file(
    ruleset: Ruleset,
    organizations: Mapping[str, Organization],
    members: Mapping[str, Member],
    events_jsonl: str | os.PathLike[str],
    period: Period,
    with_trace: bool = False,
) -> Iterator[SubjectResult]:
    """Every active member's result: streamed from the file, then members with no line."""
    seen: set[str] = set()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for result in evaluate_stream(
            ruleset,
            organizations,
            members,
            read_jsonl_events(events_jsonl, ruleset.schema),
            period,
            with_trace,
        ):
            seen.add(result.subject.id)
            yield result
        quiet: Iterator[tuple[str, list[Event]]] = (
            (m, []) for m in sorted(members) if m not in seen
        )
        yield from evaluate_stream(ruleset, organizations, members, quiet, period, with_trace)
    finally:
        if collecting:
            gc.enable()
