"""Hook specifications: every way a plugin can extend dangjian-rules.

A plugin is a module (or object) with functions marked ``@hookimpl``, named after the
hooks below, and installed through the ``dangjian_rules`` entry-point group::

    # pyproject.toml of a county's package
    [project.entry-points.dangjian_rules]
    hubin = "dangjian_rules_hubin"

The behaviour that ships with dangjian-rules (the rule kinds ``points``, ``deduction``
and ``veto``, the condition functions, the JSON/CSV loaders and the table/JSON/CSV
reporters) is itself made of plugins implementing these hooks; see
:data:`dangjian_rules.plugins.manager.BUILTIN_PLUGINS`.

Hooks that return a list are called on every plugin and their lists joined; installed
plugins are asked before the built-ins.  The hooks that add named things (kinds,
functions, rulesets, event types, loaders, reporters) are called plugin by plugin, so
that every name is known with its plugin, and cannot be wrappers;
``dangjian_rules_process_results`` and ``dangjian_rules_check_ruleset`` may be.  Every hook is documented in docs/plugins.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from dangjian_rules.errors import Problem
    from dangjian_rules.io.formats import CheckReporter, DataLoader, Reporter
    from dangjian_rules.model.fields import EventType
    from dangjian_rules.model.result import RunResult
    from dangjian_rules.ruleset.compiled import Ruleset
    from dangjian_rules.ruleset.expr import Function
    from dangjian_rules.ruleset.measures import MeasureKind
    from dangjian_rules.ruleset.rules import RuleKind
    from dangjian_rules.ruleset.tomlpos import Positions

PROJECT = "dangjian_rules"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def dangjian_rules_rule_kinds() -> Sequence[RuleKind]:
    """Return the rule kinds this plugin adds, usable as ``kind = "<name>"`` in rulesets.

    A kind declares the extra keys its ``[[rules]]`` entries take (checked like every
    other key, with "did you mean") and builds an :class:`~dangjian_rules.ruleset.rules.Award`.
    Two plugins adding the same kind name is an error that names both.

    .. code-block:: python

        @hookimpl
        def dangjian_rules_rule_kinds():
            return [RuleKind("bonus", "A fixed bonus.", (Option("points", "positive_decimal",
                     "points per event", required=True),), build=build_bonus)]
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_measure_kinds() -> Sequence[MeasureKind]:
    """Return the measure kinds this plugin adds, usable as ``kind = "<name>"`` in
    ``[[measures]]``.

    A :class:`~dangjian_rules.ruleset.measures.MeasureKind` declares its options and builds a
    computation that, given one subject's records (and the results it may read), returns
    a value with its explanation.  Two plugins adding the same name is an error.
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_condition_functions() -> Sequence[Function]:
    """Return functions that ruleset conditions may call, e.g. ``workdays(a, b)``.

    A function declares its parameter and return types (``"string"``, ``"decimal"``,
    ``"boolean"``, ``"date"``, ``"list[string]"``), so conditions calling it are
    type-checked before any data is read.  It must be pure and quick; it is never
    called with a missing (``None``) argument.
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_rulesets() -> Sequence[str | os.PathLike[str]]:
    """Return paths of ruleset files (or folders of them) that ship with this plugin.

    Installing the plugin makes them available by id: ``--ruleset hubin.ledger``.
    Use :func:`importlib.resources.files` to point into the installed package.
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_event_types() -> Sequence[EventType]:
    """Return event types (with their fields) that any ruleset may use without
    declaring them itself.  A ruleset's own ``[event_types.X]`` wins over a plugin's."""
    raise NotImplementedError


@hookspec
def dangjian_rules_check_ruleset(
    ruleset: Ruleset, document: Mapping[str, Any], positions: Positions
) -> Sequence[Problem]:
    """Return extra problems found in a ruleset that loaded without errors.

    ``document`` is the parsed TOML; ``positions.locate(path)`` gives the (line,
    column) of a path in it, so a plugin's problems are located like the built-in ones.
    Give each problem a stable code of your own (e.g. ``HB101``).
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def dangjian_rules_process_results(run: RunResult) -> RunResult:
    """Return the run's results, changed or not.

    Implement it as a wrapper (``@hookimpl(wrapper=True)``): ``run = yield`` gives the
    result of the plugins below yours, and what you return is passed on.  The
    built-in implementation returns the run unchanged.
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_data_loaders() -> Sequence[DataLoader]:
    """Return loaders for data formats (a database export, a spreadsheet …).

    The first loader whose ``accepts(path)`` is true loads the data; installed plugins'
    loaders are asked before the built-in JSON and CSV-folder loaders.
    """
    raise NotImplementedError


@hookspec
def dangjian_rules_reporters() -> Sequence[Reporter]:
    """Return output formats for results: ``evaluate --format NAME`` (and ``report``,
    which writes the ``html`` one)."""
    raise NotImplementedError


@hookspec
def dangjian_rules_check_reporters() -> Sequence[CheckReporter]:
    """Return output formats for the problems found by ``check --format NAME``."""
    raise NotImplementedError
