"""The entry points an integrator calls, with the installed plugins taking part.

The core (model, ruleset, engine) knows no plugins; these functions are where the
registry of built-in and installed plugins is consulted: which loader reads a path,
what rule kinds a ruleset may use, what processes a run's results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor

from dangjian_rules.engine.run import evaluate as _evaluate
from dangjian_rules.io.data import load_dataset as _load_dataset
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.manager import Registry, default_registry
from dangjian_rules.ruleset.compiled import Ruleset


def load_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load a dataset from a JSON file or from a folder of three CSV files.

    ``encoding`` defaults to UTF-8 (with or without a byte-order mark); files saved by
    Excel or WPS in China usually need ``"gb18030"``.  Raises :class:`ProblemsFound`
    listing every problem, each with its file, line and column.
    """
    return _load_dataset(path, schema, encoding)


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
    plugins = registry or default_registry()

    def finish(run: RunResult) -> RunResult:
        processed: RunResult = plugins.call("dangjian_rules_process_results", run=run)
        return processed

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
        finish=finish,
        guard=plugins.guard,
    )
