"""pytest fixtures for ruleset and plugin authors (see :mod:`dangjian_rules.testing`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dangjian_rules.plugins.manager import Registry
from dangjian_rules.testing import DatasetBuilder, evaluate_ruleset, make_registry


@pytest.fixture
def dangjian_dataset() -> DatasetBuilder:
    """A dataset builder with a committee ROOT and a branch B1."""
    return DatasetBuilder()


@pytest.fixture
def dangjian_registry() -> Callable[..., Registry]:
    """``dangjian_registry(*plugins)``: built-ins plus the given plugins, nothing else."""
    return make_registry


@pytest.fixture
def dangjian_evaluate() -> Callable[..., object]:
    """``dangjian_evaluate(ruleset, dataset, period="2015", plugins=())`` → RunResult."""
    return evaluate_ruleset
