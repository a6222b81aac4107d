"""Hypothesis settings profiles for property tests of rulesets and plugins.

Importing this module registers three profiles and loads the one named by the environment
variable ``DANGJIAN_RULES_HYPOTHESIS_PROFILE`` (default ``ci``):

``ci``
    deterministic (``derandomize=True``: the same examples on every run and machine), 60
    examples a test, no deadline, no example database: reproducible and bounded in time,
    for CI pipelines;
``dev``
    random, 100 examples a test, no deadline, the example database kept (a failure found
    once is tried first next time): for working on a ruleset or plugin;
``thorough``
    random, 2,000 examples a test, no deadline: before a release, or overnight.

In a ``conftest.py``::

    import dangjian_rules.testing.profiles  # noqa: F401  (registers and loads a profile)

``load(name)`` switches profile by hand; an unknown name is a
:class:`~dangjian_rules.errors.UsageError` that lists the known ones.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from dangjian_rules.errors import UsageError

__all__ = ["DEFAULT", "ENVIRONMENT_VARIABLE", "PROFILES", "load", "register"]

ENVIRONMENT_VARIABLE = "DANGJIAN_RULES_HYPOTHESIS_PROFILE"
DEFAULT = "ci"
PROFILES: tuple[str, ...] = ("ci", "dev", "thorough")


def register() -> None:
    """Register the ``ci``, ``dev`` and ``thorough`` profiles (idempotent)."""
    settings.register_profile(
        "ci",
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("dev", max_examples=100, deadline=None)
    settings.register_profile(
        "thorough",
        max_examples=2000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def load(name: str | None = None) -> str:
    """Load a profile: ``name``, else the environment variable's, else ``ci``; returns it."""
    chosen = name or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT
    if chosen not in PROFILES:
        raise UsageError(
            f'unknown hypothesis profile "{chosen}" (from {ENVIRONMENT_VARIABLE}); '
            f"choose one of: {', '.join(PROFILES)}"
        )
    settings.load_profile(chosen)
    return chosen


register()
load()
