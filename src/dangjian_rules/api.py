"""The entry points an integrator calls, with the installed plugins taking part.

The core (model, ruleset, engine) knows no plugins; these functions are where the
registry of built-in and installed plugins is consulted: which loader reads a path,
what rule kinds a ruleset may use, what processes a run's results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor

from dangjian_rules.engine.run import evaluate as _evaluate
from dangjian_rules.io.formats import load_data
from dangjian_rules.model.fields import DataSchema, require_typed
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.manager import Registry, default_registry
from dangjian_rules.ruleset.compiled import Ruleset


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
    return load_data(path, data_schema(given, schema), encoding, registry)


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
    :func:`dangjian_rules.engine.run.evaluate`)."""
    given = (rulesets,) if isinstance(rulesets, Ruleset) else rulesets
    require_typed(dataset, data_schema(given))
    return _evaluate(
        rulesets,
        dataset,
        period,
        registry=registry,
        previous=previous,
        pinned=pinned,
        workers=workers,
        executor=executor,
        with_trace=with_trace,
        progress=progress,
    )
