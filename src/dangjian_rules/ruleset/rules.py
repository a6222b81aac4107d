"""What a rule kind is: the interface built-in and plugin rule kinds implement.

A ruleset's ``[[rules]]`` entry names a ``kind``.  The loader validates the keys every
rule shares (``id``, ``label``, ``kind``, ``category``, ``on``, ``when``, ``caps``) and
hands the rest, checked against the kind's :class:`Option` list, to the kind's ``build``
function, which returns what the engine needs: an :class:`Award`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from dangjian_rules.errors import DangjianError
from dangjian_rules.model.period import Period, WindowKind
from dangjian_rules.model.records import Event
from dangjian_rules.ruleset.expr import Condition

Effect = Literal["points", "veto"]
OptionType = Literal[
    "decimal", "positive_decimal", "string", "boolean", "date", "strings", "tables", "condition"
]


@attrs.frozen
class Option:
    """A key a rule kind accepts in its ``[[rules]]`` entry."""

    name: str
    type: OptionType
    description: str
    required: bool = False


class RuleOptionError(DangjianError, ValueError):
    """Raised by a kind's ``build`` when its options do not fit together."""

    def __init__(
        self,
        message: str,
        message_zh: str,
        key: str | None = None,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.key = key
        self.hint = hint
        self.hint_zh = hint_zh


@attrs.frozen
class SubjectChange:
    """A subject-level change at the period's end, e.g. for a resolution rate."""

    points: Decimal  # signed: positive adds, negative deducts
    reason: str
    reason_zh: str


@attrs.frozen
class EndContext:
    """What a rule may look at when the subject's records are done."""

    period: Period
    #: this subject's measure values (dangjian_rules.model.result.Measured), by id
    measures: Mapping[str, Any]


@attrs.frozen
class Award:
    """How a rule turns one matching event into points.

    ``amount(event, period)`` returns the nominal (uncapped) change: positive adds,
    negative deducts; ``None`` when the event lacks what the rule needs (e.g. a
    quantity), so the next rule may claim it.  ``finish``, if given, is called once per
    subject after all events, with the events this rule counted and the points each
    got, and returns subject-level changes (bounded by category and score, not caps).
    """

    effect: Effect
    amount: Callable[[Event, Period], Decimal | None]
    #: the largest size of a single award, for the "cap below a single award" check
    largest: Decimal | None
    #: how a person reads the award, e.g. "+0.5 per hour" / "每小时 +0.5 分"
    summary: str
    summary_zh: str
    veto_score: Decimal | None = None
    veto_grade: str | None = None
    finish: (
        Callable[[Sequence[tuple[Event, Decimal]], EndContext], Sequence[SubjectChange]] | None
    ) = None


@attrs.frozen
class RuleKind:
    """A kind of rule: its name, the extra keys it takes and how it builds an award."""

    name: str
    description: str
    options: tuple[Option, ...]
    build: Callable[[Mapping[str, Any], BuildContext], Award]
    #: False for kinds that judge the subject as a whole (no ``on``, no ``when``)
    uses_events: bool = True

    def option(self, name: str) -> Option | None:
        for option in self.options:
            if option.name == name:
                return option
        return None


@attrs.frozen
class BuildContext:
    """What a rule kind may know while building: the rule and its event types' units."""

    rule_id: str
    #: event type id → declared quantity unit ("hours", "days" …) or None
    quantity_units: Mapping[str, str | None]
    #: the ruleset's measures: id (and id.part) → type
    measures: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Cap:
    """At most ``max`` points from one rule or category in each window of ``per``."""

    per: WindowKind
    max: Decimal


@attrs.frozen
class Rule:
    """A rule of a ruleset, built and ready to evaluate."""

    id: str
    label: str
    kind: str
    category: str | None
    on: tuple[str, ...]
    condition: Condition | None
    caps: tuple[Cap, ...]
    award: Award
