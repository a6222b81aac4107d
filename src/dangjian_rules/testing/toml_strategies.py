"""Hypothesis strategies for arbitrary TOML documents, and valid rulesets mutated, to
show that loading never raises anything but located problems."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from dangjian_rules.testing.ruleset_strategies import ruleset_documents

#: Keys the ruleset format knows, so that arbitrary documents reach past the top level.
_RULESET_WORDS = (
    "ruleset",
    "id",
    "name",
    "version",
    "subject",
    "extends",
    "in_force",
    "from",
    "until",
    "organizations",
    "score",
    "base",
    "min",
    "max",
    "event_types",
    "label",
    "quantity",
    "fields",
    "member",
    "organization",
    "type",
    "values",
    "categories",
    "caps",
    "per",
    "rules",
    "kind",
    "on",
    "when",
    "points",
    "points_per_unit",
    "category",
    "grade",
    "grades",
    "applies",
    "veto",
    "bands",
    "measures",
    "flags",
    "stars",
    "levels",
    "quota",
    "at_most",
    "rank_by",
    "tiers",
    "order",
    "default",
    "selection",
    "count",
    "eligible",
    "tests",
    "given",
    "expect",
    "period",
    "events",
    "members",
    "deduction",
    "cadence",
)


def toml_scalars(nan: bool = False) -> st.SearchStrategy[Any]:
    """Any TOML scalar: texts, integers, decimals (TOML floats, ``inf`` and ``nan`` only
    when ``nan``), booleans, dates, date-times with and without an offset, times."""
    decimals = st.decimals(allow_nan=nan, allow_infinity=nan)
    if not nan:
        decimals = decimals.filter(lambda d: d.is_finite())
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from(_RULESET_WORDS),
        st.integers(-(2**63), 2**63 - 1),
        decimals,
        st.booleans(),
        st.dates(),
        st.datetimes(
            timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=8))])
        ),
        st.times(),
    )


def toml_values(nan: bool = False) -> st.SearchStrategy[Any]:
    """Any TOML value: scalars, arrays and tables, nested."""
    keys = st.one_of(st.sampled_from(_RULESET_WORDS), st.text(max_size=6))
    return st.recursive(
        toml_scalars(nan),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=4),
        ),
        max_leaves=16,
    )


def toml_documents(nan: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary TOML documents whose keys are often the ruleset format's words, and
    valid ruleset documents with one part replaced by an arbitrary value or removed."""
    keys = st.one_of(st.sampled_from(_RULESET_WORDS), st.text(max_size=6))
    return st.one_of(
        st.dictionaries(keys, toml_values(nan), max_size=6),
        _mutated_documents(nan),
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


@st.composite
def _mutated_documents(draw: st.DrawFn, nan: bool = False) -> dict[str, Any]:
    document = copy.deepcopy(draw(ruleset_documents()))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(document))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.integers(0, 3)) == 3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(toml_values(nan))
    return document
