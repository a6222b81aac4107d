"""Helpers for testing rulesets and plugins.

``dangjian_rules.testing`` is also a pytest plugin (entry point ``pytest11``), so once
dangjian-rules is installed these fixtures are available in any test suite:

``dangjian_dataset``
    a :class:`DatasetBuilder` with a committee ``ROOT`` and a branch ``B1`` ready;
``dangjian_registry``
    ``dangjian_registry(*plugins)``: a registry of the built-ins plus the given plugin
    modules or objects (installed plugins are not loaded, so tests are isolated);
``dangjian_evaluate``
    ``dangjian_evaluate(ruleset, dataset, period="2015", plugins=())``: load a ruleset
    (TOML text or a path) with those plugins and evaluate it; fails the test with the
    located problems if the ruleset has errors.

Plain functions for assertions: :func:`trace_of`, :func:`assert_trace`,
:func:`problem_codes`.  Hypothesis strategies are in
:mod:`dangjian_rules.testing.strategies`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from dangjian_rules.api import evaluate, load_ruleset, parse_ruleset
from dangjian_rules.convert.records import RecordBuilder
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization
from dangjian_rules.model.result import RunResult, SubjectResult, TraceEntry
from dangjian_rules.plugins.manager import Registry, new_plugin_manager
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = [
    "DatasetBuilder",
    "assert_trace",
    "evaluate_ruleset",
    "make_registry",
    "problem_codes",
    "trace_of",
]


class DatasetBuilder:
    """Builds a small dataset for a test: a committee ``ROOT`` and a branch ``B1`` to
    start with; dates as ISO text, numbers as text or ints (never floats).  Records are
    made by the loaders' record builder, so Chinese kinds and statuses work and a value
    that does not fit is reported by :meth:`build`."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.members: dict[str, Member] = {}
        self.events: list[Event] = []
        self.problems: list[Problem] = []
        self._build: RecordBuilder[str] = RecordBuilder(None, self._report)
        self.organization("ROOT", "县直机关工委", kind="work_committee")
        self.organization("B1", "第一党支部", parent="ROOT")

    def _report(
        self, key: str, field: str, code: str, message: str, message_zh: str,
        hint: str | None, hint_zh: str | None,
    ) -> None:  # fmt: skip
        self.problems.append(
            Problem(code, message, message_zh, path=f"{key}.{field}", hint=hint, hint_zh=hint_zh)
        )

    def organization(
        self,
        id: str,
        name: str | None = None,
        kind: str = "branch",
        parent: str | None = None,
        **attributes: AttributeValue,
    ) -> DatasetBuilder:
        raw = {"id": id, "name": name or id, "kind": kind, "parent": parent}
        self.organizations[id] = self._build.organization(
            f"organizations[{id}]", {**raw, "attributes": attributes}
        )
        return self

    def member(
        self,
        id: str,
        organization: str = "B1",
        status: str = "full",
        joined: str | dt.date | None = None,
        left: str | dt.date | None = None,
        roles: Sequence[str] = (),
        name: str | None = None,
        **attributes: AttributeValue,
    ) -> DatasetBuilder:
        raw: dict[str, object] = {"id": id, "name": name or id, "organization": organization}
        raw.update(status=status, joined=joined, left=left, roles=list(roles))
        raw["attributes"] = attributes
        self.members[id] = self._build.member(f"members[{id}]", raw)
        return self

    def event(
        self,
        type: str,
        date: str | dt.date,
        member: str | None = None,
        organization: str | None = None,
        id: str | None = None,
        end: str | dt.date | None = None,
        quantity: str | int | Decimal | None = None,
        status: str = "approved",
        **attributes: AttributeValue,
    ) -> DatasetBuilder:
        if member is not None and member not in self.members:
            self.member(member)
        rid = id or f"E{len(self.events) + 1:04d}"
        raw: dict[str, object] = {"id": rid, "type": type, "date": date, "member": member}
        raw.update(organization=organization, end=end, quantity=quantity, status=status)
        event = self._build.event(f"events[{len(self.events)}]", {**raw, "attributes": attributes})
        if event is not None:
            self.events.append(event)
        return self

    def build(self) -> Dataset:
        """The dataset, validated like loaded data (raises ProblemsFound)."""
        if self.problems:
            raise ProblemsFound(self.problems)
        return Dataset.build(self.organizations.values(), self.members.values(), self.events)


def make_registry(*plugins: object) -> Registry:
    """Built-in plugins plus ``plugins`` (modules or objects with ``@hookimpl``s)."""
    return Registry.from_manager(new_plugin_manager(autoload=False, extra=plugins))


def evaluate_ruleset(
    ruleset: str | os.PathLike[str] | Ruleset,
    dataset: Dataset,
    period: str = "2015",
    plugins: Iterable[object] = (),
) -> RunResult:
    """Load (TOML text or a path) and evaluate a ruleset; raises ProblemsFound."""
    registry = make_registry(*plugins)
    if isinstance(ruleset, Ruleset):
        loaded = ruleset
    elif isinstance(ruleset, str) and "\n" in ruleset:
        built, problems = parse_ruleset(ruleset, "<test ruleset>", registry)
        if built is None:
            raise ProblemsFound(problems)
        loaded = built
    else:
        loaded = load_ruleset(Path(ruleset), registry)
    return evaluate(loaded, dataset, Period.parse(period), registry)


def trace_of(result: SubjectResult, event_id: str) -> TraceEntry:
    """The trace entry of one event (KeyError if the event is not in the result)."""
    for entry in result.trace:
        if entry.event == event_id:
            return entry
    raise KeyError(event_id)


def assert_trace(
    result: SubjectResult,
    event_id: str,
    *,
    bucket: str | None = None,
    points: str | int | Decimal | None = None,
    rule: str | None = None,
) -> TraceEntry:
    """Assert what happened to one event; returns its trace entry."""
    entry = trace_of(result, event_id)
    if bucket is not None:
        assert entry.bucket == bucket, f"{event_id}: bucket {entry.bucket!r}, expected {bucket!r}"
    if points is not None:
        assert entry.points == Decimal(points), (
            f"{event_id}: points {entry.points}, expected {points}"
        )
    if rule is not None:
        assert entry.rule == rule, f"{event_id}: rule {entry.rule!r}, expected {rule!r}"
    return entry


def problem_codes(problems: Iterable[Problem] | ProblemsFound) -> list[str]:
    """The codes of problems, sorted, for comparing with an expected list."""
    found = problems.problems if isinstance(problems, ProblemsFound) else problems
    return sorted(p.code for p in found)
