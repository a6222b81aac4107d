"""The entry points an integrator calls, with the installed plugins taking part.

The core (model, ruleset, engine) knows no plugins; these functions are where the
registry of built-in and installed plugins is consulted: which loader reads a path,
what rule kinds a ruleset may use (the registry is the ruleset layer's
:class:`~dangjian_rules.ruleset.vocabulary.Vocabulary`), what else checks a ruleset,
what processes a run's results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import attrs

from dangjian_rules.engine.run import evaluate as _evaluate
from dangjian_rules.errors import Problem
from dangjian_rules.model.fields import DataSchema, require_typed
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.manager import BUILTIN_PLUGINS, Registry, default_registry
from dangjian_rules.plugins.returns import guarded_award, guarded_measure
from dangjian_rules.ruleset import files, tomlpos
from dangjian_rules.ruleset.compiled import Origin, Ruleset
from dangjian_rules.ruleset.extends import RulesetIndex
from dangjian_rules.ruleset.measures import Measure
from dangjian_rules.ruleset.rules import Rule


def data_schema(rulesets: Iterable[Ruleset] = (), schema: DataSchema | None = None) -> DataSchema:
    """The fields the rulesets declare, and ``schema``'s (which win where both declare one)."""
    merged = DataSchema()
    for ruleset in rulesets:
        merged = merged.merge(ruleset.schema)
    return merged if schema is None else merged.merge(schema)


def load_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
    *,
    rulesets: Sequence[Ruleset] | Ruleset = (),
    registry: Registry | None = None,
) -> Dataset:
    """Load a dataset with the loader that accepts the path: a JSON file, a folder of three
    CSV files, an .xlsx workbook, or whatever an installed plugin reads.

    Extra fields are typed by the fields the ``rulesets`` declare (and by ``schema``): give
    the rulesets you will evaluate, so ``hours = "2"`` is the number 2 where a ruleset says
    so.  Data loaded without them is refused by :func:`evaluate` where a declared field
    holds a value of another type (DJ220), never evaluated differently.  ``encoding``
    defaults to UTF-8 (with or without a byte-order mark); files saved by Excel or WPS in
    China usually need ``"gb18030"``.  Raises :class:`ProblemsFound` listing every problem,
    each with its file, line and column (or sheet and cell).
    """
    given = (rulesets,) if isinstance(rulesets, Ruleset) else rulesets
    registry = registry or default_registry()
    return registry.load_data(path, data_schema(given, schema), encoding)


def evaluate(
    rulesets: Sequence[Ruleset] | Ruleset,
    dataset: Dataset,
    period: Period,
    registry: Registry | None = None,
    previous: RunResult | None = None,
    pinned: Mapping[str, str] | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    with_trace: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> RunResult:
    """Evaluate one or more rulesets over a dataset for a period (see
    :func:`dangjian_rules.engine.run.evaluate`), with the plugins of ``registry`` (default:
    the installed ones): an exception in a plugin's rule-kind code names the plugin, and
    the plugins' ``dangjian_rules_process_results`` wrappers see the run before it is
    returned."""
    given = (rulesets,) if isinstance(rulesets, Ruleset) else rulesets
    require_typed(dataset, data_schema(given))
    plugins = registry or default_registry()
    return _evaluate(
        rulesets,
        dataset,
        period,
        previous=previous,
        pinned=pinned,
        workers=workers,
        executor=executor,
        with_trace=with_trace,
        progress=progress,
        finish=plugins.process_results,
        guard=plugins.guard,
    )


def parse_ruleset(
    text: str | bytes,
    file: str = "<ruleset>",
    registry: Registry | None = None,
    index: RulesetIndex | None = None,
) -> tuple[Ruleset | None, list[Problem]]:
    """Load a ruleset from its source; returns it (or None) and every problem found.

    ``index`` finds the baselines a ruleset ``extends``.
    """
    registry = registry or default_registry()
    return files.parse_ruleset(text, file, registry, index, _reviewer(registry))


def load_ruleset(
    path: str | os.PathLike[str],
    registry: Registry | None = None,
    index: RulesetIndex | None = None,
) -> Ruleset:
    """Load, check and compile one ruleset file.

    Raises :class:`ProblemsFound` if it has any error (warnings alone do not raise).
    """
    registry = registry or default_registry()
    return files.load_ruleset(path, registry, index, _reviewer(registry))


def load_rulesets(
    references: Sequence[str | os.PathLike[str]], registry: Registry | None = None
) -> list[Ruleset]:
    """Load rulesets named by file, folder or (for plugins' rulesets) id.

    Raises :class:`ProblemsFound` with every problem of every ruleset, including two
    rulesets sharing an id.
    """
    registry = registry or default_registry()
    return files.load_rulesets(references, registry, _reviewer(registry))


def check_paths(
    paths: Iterable[str | os.PathLike[str]], registry: Registry | None = None
) -> list[Problem]:
    """Every problem (errors and warnings) in the rulesets under ``paths``."""
    registry = registry or default_registry()
    return files.check_paths(paths, registry, _reviewer(registry))


def packaged_rulesets(registry: Registry | None = None) -> dict[str, Path]:
    """Ruleset id → file, for the rulesets that installed plugins ship."""
    return files.packaged_rulesets(registry or default_registry())


def rebuild_ruleset(origin: Origin) -> Ruleset:
    """A pickled ruleset, rebuilt from its sources in another process with the default
    registry (see ``Ruleset.__reduce__``)."""
    registry = default_registry()
    return files.rebuild(origin, registry, _reviewer(registry))


def _reviewer(registry: Registry) -> files.Review:
    """What the plugins add to a compiled ruleset: their checks, their rule and measure
    kinds' code wrapped so that its failures (an exception, sys.exit, an overrun time
    budget, a wrong return type) name the plugin, and the way to rebuild it."""

    def review(
        ruleset: Ruleset, document: Mapping[str, Any], positions: tomlpos.Positions
    ) -> tuple[Ruleset, list[Problem]]:
        found = registry.check_ruleset(ruleset, document, positions)
        rules = tuple(_plugin_rule(rule, registry) for rule in ruleset.rules)
        measures = tuple(_plugin_measure(measure, registry) for measure in ruleset.measures)
        evolved = attrs.evolve(ruleset, rules=rules, measures=measures, rebuild=rebuild_ruleset)
        return evolved, found

    return review


def _plugin_rule(rule: Rule, registry: Registry) -> Rule:
    owner = registry.owners.get(("rule kind", rule.kind), "")
    if owner in BUILTIN_PLUGINS:
        return rule
    return attrs.evolve(rule, award=guarded_award(rule.award, owner, rule.kind, rule.id))


def _plugin_measure(measure: Measure, registry: Registry) -> Measure:
    owner = registry.owners.get(("measure kind", measure.kind), "")
    if owner in BUILTIN_PLUGINS:
        return measure
    return guarded_measure(measure, owner)
