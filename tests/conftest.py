"""Shared fixtures and a guard: a run that collects no tests is an error, not a pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("DANGJIAN_RULES_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.items and not session.config.getoption("collectonly"):
        raise pytest.UsageError("no tests were collected: check testpaths and file names")


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def mianchi_ruleset_path() -> Path:
    return ROOT / "rulesets" / "mianchi" / "member-points.toml"
