"""Shared fixtures and a guard: a run that collects no tests is an error, not a pass."""

from __future__ import annotations

from pathlib import Path

import pytest

# The shipped hypothesis profiles (ci, dev, thorough), the one named by
# DANGJIAN_RULES_HYPOTHESIS_PROFILE loaded (ci by default: deterministic and bounded).
import dangjian_rules.testing.profiles  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.items and not session.config.getoption("collectonly"):
        raise pytest.UsageError("no tests were collected: check testpaths and file names")


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def mianchi_ruleset_path() -> Path:
    return ROOT / "rulesets" / "mianchi" / "member-points.toml"
