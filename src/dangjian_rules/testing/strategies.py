"""Hypothesis strategies for datasets that fit a ruleset's declared event types and fields.

A county can property-test its own ruleset::

    from hypothesis import given
    from dangjian_rules import load_ruleset, evaluate, Period
    from dangjian_rules.testing.strategies import datasets

    card = load_ruleset("rulesets/mianchi/member-points.toml")

    @given(datasets(card, year=2015))
    def test_scores_stay_in_bounds(dataset):
        for result in evaluate(card, dataset, Period.parse("2015")).results:
            assert 0 <= result.score <= 100
"""

from __future__ import annotations

# The strategies live by what they generate; this module is where they are imported from.
from dangjian_rules.testing.county_strategies import (
    ROLES,
    Hints,
    condition_values,
    county_datasets,
    county_events,
    county_members,
    hinted_attributes,
    hinted_values,
    memberships,
    ruleset_conditions,
)
from dangjian_rules.testing.data_strategies import (
    PERSON_NAMES,
    attributes,
    datasets,
    field_values,
    organization_trees,
    tree_datasets,
)
from dangjian_rules.testing.ruleset_strategies import ruleset_documents, valid_rulesets
from dangjian_rules.testing.toml_strategies import toml_documents, toml_scalars, toml_values

__all__ = [
    "PERSON_NAMES", "ROLES", "Hints", "attributes", "condition_values", "county_datasets",
    "county_events", "county_members", "datasets", "field_values", "hinted_attributes",
    "hinted_values", "memberships", "organization_trees", "ruleset_conditions",
    "ruleset_documents", "toml_documents", "toml_scalars", "toml_values", "tree_datasets",
    "valid_rulesets",
]  # fmt: skip
