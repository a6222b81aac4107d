"""What a ruleset says about verdicts: flags, stars, tiers and selection, as compiled specs.

The engine judges subjects by these (:mod:`dangjian_rules.engine.verdicts`); the ruleset compiler
builds them and checks their conditions against :func:`verdict_environment`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.model.result import (
    Criterion,
    scalar_text,
)
from dangjian_rules.ruleset.expr import Condition, fields_used

Facts = dict[str, dict[str, Any]]


@attrs.frozen
class CriterionSpec:
    """A star level, a named star, a tier rule or a flag: a condition with a label."""

    id: str
    label: str
    when: Condition
    stars: int = 0  # for cumulative star levels

    def judge(self, facts: Facts, member: Any, organization: Any) -> Criterion:
        held = bool(self.when(facts, member, organization))
        return Criterion(self.id, self.label, self.when.source, held, _values(self.when, facts))


def _values(condition: Condition, facts: Facts) -> dict[str, str]:
    """The figures a condition looked at: "measure.life" → "0.75"."""
    shown: dict[str, str] = {}
    for root, name in sorted(fields_used(condition.tree)):
        if root in facts:
            shown[f"{root}.{name}"] = scalar_text(facts[root].get(name))
    return shown


@attrs.frozen
class RankKey:
    """One key of a ranking: a field such as result.score, highest or lowest first."""

    source: str
    field: tuple[str, str]
    descending: bool

    def value(self, facts: Facts) -> Any:
        return facts.get(self.field[0], {}).get(self.field[1])


def rank_order(keys: Sequence[RankKey], facts: Facts, subject_id: str) -> tuple[Any, ...]:
    """A sort key: the keys in order (missing values last), then the subject id."""
    out: list[Any] = []
    for key in keys:
        value = key.value(facts)
        if value is None:
            out.append((1, 0))
            continue
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, (int, Decimal)):
            out.append((0, -value if key.descending else value))
        else:  # text: descending text order is not offered; checked at load time
            out.append((0, value))
    out.append(subject_id)
    return tuple(out)


@attrs.frozen
class Quota:
    stars: int
    at_most: Decimal  # a share of the rated subjects, 0..1


@attrs.frozen
class StarsSpec:
    mode: str  # "cumulative" or "named"
    criteria: tuple[CriterionSpec, ...]
    requires: Condition | None
    max_up: int | None
    max_down: int | None
    quotas: tuple[Quota, ...]
    rank_by: tuple[RankKey, ...]
    strip_on_veto: bool = True

    @property
    def highest(self) -> int:
        if self.mode == "named":
            return len(self.criteria)
        return max((c.stars for c in self.criteria), default=0)


@attrs.frozen
class TierSpec:
    order: tuple[str, ...]  # best first
    rules: tuple[CriterionSpec, ...]  # id is the tier; first that holds
    default: str
    max_up: int | None
    max_down: int | None


@attrs.frozen
class SelectionSpec:
    label: str
    count: int
    eligible: Condition | None
    rank_by: tuple[RankKey, ...]
    scope: str | None  # an organization kind: rank within each such organization's subtree


@attrs.frozen
class FlagSpec:
    id: str
    label: str
    when: Condition


def verdict_environment(
    measure_types: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Types of the facts for checking verdict conditions before any data is read."""
    return {
        "measure": dict(measure_types),
        "result": {
            "score": "decimal",
            "grade": "string",
            "vetoed": "boolean",
            "stars": "decimal",
            "tier": "string",
            "flagged": "boolean",
        },
        "subject": {"id": "string", "name": "string", "kind": "string"},
        "previous": {
            "score": "decimal",
            "grade": "string",
            "stars": "decimal",
            "tier": "string",
            "rank": "decimal",
            "selected": "boolean",
        },
    }
