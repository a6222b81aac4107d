"""A ruleset as the engine reads it: checked, compiled, ready to evaluate.

:mod:`dangjian_rules.ruleset.files` reads TOML and :mod:`dangjian_rules.ruleset.compile`
builds these from it; nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.model.fields import DataSchema, EventType, FieldSpec
from dangjian_rules.ruleset.expr import Condition
from dangjian_rules.ruleset.measures import Measure
from dangjian_rules.ruleset.rules import Cap, Rule
from dangjian_rules.ruleset.verdicts import FlagSpec, SelectionSpec, StarsSpec, TierSpec

#: Where a ruleset came from: (file, bytes, baselines as (file, bytes)).
Origin = tuple[str, bytes, tuple[tuple[str, bytes], ...]]

#: What a ``[[tests]]`` case may expect of a subject's result.
EXPECT_KEYS = (
    "score",
    "grade",
    "vetoed",
    "stars",
    "tier",
    "selected",
    "rank",
    "flags",
    "measures",
    "events",
)


@attrs.frozen
class TestCase:
    """One ``[[tests]]`` entry of a ruleset."""

    __test__ = False  # not a pytest test class

    name: str
    period: str
    subject: str | None
    given: Mapping[str, Any]
    expect: Mapping[str, Any]
    previous: Mapping[str, Any] | None
    file: str
    line: int | None


@attrs.frozen
class Category:
    """A group of rules with its own bounds: ``max`` (封顶) and ``min`` (扣完为止)."""

    id: str
    label: str
    max: Decimal | None = None
    min: Decimal | None = None
    caps: tuple[Cap, ...] = ()


@attrs.frozen
class GradeBand:
    grade: str
    min: Decimal


@attrs.frozen
class GradeScale:
    """Grades by score; the first scale whose ``applies`` holds is a subject's scale."""

    id: str
    label: str
    applies: Condition | None
    veto: str | None
    bands: tuple[GradeBand, ...]

    def grade_for(self, score: Decimal) -> str | None:
        for band in self.bands:
            if score >= band.min:
                return band.grade
        return None


@attrs.frozen
class Ruleset:
    """A loaded, checked and compiled ruleset."""

    id: str
    name: str
    version: str
    subject: str
    description: str
    in_force_from: dt.date | None
    in_force_until: dt.date | None
    base: Decimal
    min: Decimal | None
    max: Decimal | None
    event_types: Mapping[str, EventType]
    member_fields: Mapping[str, FieldSpec]
    organization_fields: Mapping[str, FieldSpec]
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    grades: tuple[GradeScale, ...]
    source: str
    sha256: str
    #: for organization rulesets: the kinds of organization rated (empty: all)
    organization_kinds: tuple[str, ...] = ()
    #: for member rulesets: which members are rated (None: every member)
    member_filter: Condition | None = None
    #: the baselines this ruleset extends, nearest first (their sources are in sha256)
    extends: tuple[str, ...] = ()
    measures: tuple[Measure, ...] = ()
    flags: tuple[FlagSpec, ...] = ()
    stars: StarsSpec | None = None
    tiers: TierSpec | None = None
    selection: SelectionSpec | None = None
    tests: tuple[TestCase, ...] = ()
    #: where it came from; with ``rebuild`` (a module-level function, origin → ruleset,
    #: given by whoever loaded it) lets a ruleset be pickled, that is rebuilt from its
    #: sources, to evaluate in other processes or on Dask
    origin: Origin | None = attrs.field(default=None, eq=False, repr=False)
    rebuild: Callable[[Origin], Ruleset] | None = attrs.field(default=None, eq=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        if self.origin is None or self.rebuild is None:
            raise TypeError(f"ruleset {self.id} was built without its sources; cannot pickle")
        return (self.rebuild, (self.origin,))

    @property
    def needs(self) -> tuple[str, ...]:
        """Ids of the rulesets whose results this one reads (evaluated before it)."""
        return tuple(sorted({n for m in self.measures for n in m.needs}))

    @property
    def schema(self) -> DataSchema:
        """The fields this ruleset declares, for typing the data's extra columns."""
        return DataSchema(
            organization=self.organization_fields,
            member=self.member_fields,
            events={k: v.fields for k, v in self.event_types.items()},
        )

    def in_force_on(self, start: dt.date, end: dt.date) -> bool:
        """Whether the ruleset is in force for the whole of [start, end]."""
        if self.in_force_from is not None and start < self.in_force_from:
            return False
        return not (self.in_force_until is not None and end > self.in_force_until)

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)
