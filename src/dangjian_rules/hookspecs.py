"""Hook specifications: every way a plugin can extend dangjian-rules.

Implement a hook in a module or class with :data:`dangjian_rules.hookimpl` and register
it through the ``dangjian_rules`` entry-point group.  The built-in rule kinds and
condition functions are plugins implementing these same hooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from .expr import Function
from .rules import RuleKind

PROJECT = "dangjian_rules"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def dangjian_rules_rule_kinds() -> Sequence[RuleKind]:
    """Return the rule kinds this plugin adds, usable as ``kind = "<name>"`` in rulesets.

    Two plugins adding the same kind name is an error naming both.

    .. code-block:: python

        @hookimpl
        def dangjian_rules_rule_kinds():
            return [RuleKind("bonus", "A fixed bonus", (Option("points", "positive_decimal",
                     "points per event", required=True),), build=build_bonus)]
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_condition_functions() -> Sequence[Function]:
    """Return functions that ruleset conditions may call, e.g. ``month(event.date)``.

    A function declares its parameter and return types so conditions that call it are
    type-checked before any data is read.  It must be pure and quick.
    """
    raise NotImplementedError
