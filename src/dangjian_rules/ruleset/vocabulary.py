"""What a ruleset may use: the rule and measure kinds, condition functions and event
types that exist, given to the compiler by its caller.

The ruleset layer knows no plugins: :class:`dangjian_rules.plugins.manager.Registry`
satisfies :class:`Vocabulary` structurally, and :mod:`dangjian_rules.api` passes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from dangjian_rules.model.fields import EventType
from dangjian_rules.ruleset.expr import Function
from dangjian_rules.ruleset.measures import MeasureKind
from dangjian_rules.ruleset.rules import RuleKind


class Vocabulary(Protocol):
    """The names a ruleset's kinds, functions and event types are looked up in."""

    @property
    def rule_kinds(self) -> Mapping[str, RuleKind]: ...

    @property
    def measure_kinds(self) -> Mapping[str, MeasureKind]: ...

    @property
    def functions(self) -> Mapping[str, Function]: ...

    @property
    def event_types(self) -> Mapping[str, EventType]: ...

    @property
    def ruleset_paths(self) -> Sequence[Path]:
        """Files and folders of the rulesets shipped with the kinds (baselines to extend)."""
        ...

    def guard(self, what: str) -> AbstractContextManager[None]:
        """Where a kind's own code runs (building a rule or measure): an exception it
        raises becomes an error naming who provided it."""
        ...
