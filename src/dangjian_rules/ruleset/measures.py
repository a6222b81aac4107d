"""Measures: values a ruleset computes per subject, beside its points.

A ``[[measures]]`` entry names a measure kind — ``cadence``, ``checklist``, ``streak``,
``count``, ``members``, ``result``, ``weighted``, or one a plugin adds — and gives it an
id.  Its value can then be read in the conditions of stars, tiers and selection as
``measure.<id>`` (and its named parts as ``measure.<id>.<part>``), and turned into points
by a ``measure`` rule.  Every value carries its explanation.

A value of ``None`` means "not assessed" (e.g. no inspection on record), which is not the
same as failing: a condition on it is false, and the explanation says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.period import Period, WindowKind
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import Measured, SubjectResult
from dangjian_rules.ruleset.expr import Condition, Function
from dangjian_rules.ruleset.rules import Option

#: Rates are fractions such as 7/12; they are kept to this many decimal places.
RATE_PLACES = Decimal("0.0001")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator/denominator rounded half-even to 4 places; None when nothing to divide."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_EVEN)


@attrs.frozen
class SubjectContext:
    """What a measure may look at for one subject."""

    subject_kind: str
    subject_id: str
    member: Member | None
    organization: Organization | None
    #: approved events of the measure's types, in the period, matching its condition,
    #: in (date, id) order
    events: Sequence[Event]
    period: Period
    dataset: Dataset
    #: results of rulesets evaluated earlier, by ruleset id then subject id
    results: Mapping[str, Mapping[str, SubjectResult]]
    #: this subject's result in the previous period, per ruleset id, if one was given
    previous: Mapping[str, SubjectResult]
    #: values of the measures computed before this one, for this subject
    measures: Mapping[str, Measured]

    def exposed_windows(self, per: WindowKind) -> list[tuple[dt.date, dt.date]]:
        """The windows of the period the subject was exposed to: for a member, those that
        overlap their membership; for an organization, all of them."""
        windows = list(self.period.windows(per))
        member = self.member
        if member is None:
            return windows
        return [
            (start, end)
            for start, end in windows
            if (member.joined is None or member.joined <= end)
            and (member.left is None or member.left >= start)
        ]


@attrs.frozen
class Measure:
    """A measure of a ruleset, built and ready to compute."""

    id: str
    label: str
    kind: str
    on: tuple[str, ...]
    condition: Condition | None
    compute: Callable[[SubjectContext], Measured]
    #: the type of the value in conditions ("decimal", "boolean", "string")
    type: str
    #: the types of the named parts
    parts: Mapping[str, str]
    #: ruleset ids whose results this measure reads (evaluated first)
    needs: tuple[str, ...] = ()


@attrs.frozen
class MeasureBuild:
    """What a measure kind's ``build`` returns."""

    compute: Callable[[SubjectContext], Measured]
    type: str
    parts: Mapping[str, str] = attrs.field(factory=dict)
    needs: tuple[str, ...] = ()


@attrs.frozen
class MeasureBuildContext:
    """What a measure kind may know while building."""

    measure_id: str
    subject: str  # "member" or "organization"
    #: measures declared before this one: id → (type, parts)
    earlier: Mapping[str, tuple[str, Mapping[str, str]]]
    #: event type id → declared quantity unit, for the measure's ``on`` types
    quantity_units: Mapping[str, str | None]
    #: the declared fields all the measure's event types share
    event_fields: Mapping[str, FieldSpec] = attrs.field(factory=dict)
    #: field types for conditions on the measure's events (root → field → type)
    environment: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    #: condition functions, for kinds that compile conditions of their own
    functions: Mapping[str, Function] = attrs.field(factory=dict)


@attrs.frozen
class MeasureKind:
    """A kind of measure: its options and how it builds a computation."""

    name: str
    description: str
    options: tuple[Option, ...]
    #: whether entries of this kind take ``on`` (event types) and ``when``
    uses_events: bool
    build: Callable[[Mapping[str, Any], MeasureBuildContext], MeasureBuild]
