"""The ruleset layer on its own: compiled from a vocabulary (no plugin registry),
its tables structured by the converter, the rulesets ordered by what they read."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import attrs
import pytest

from dangjian_rules import ProblemsFound, parse_ruleset
from dangjian_rules.model.fields import EventType
from dangjian_rules.ruleset import files
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.corpus import dependency_order
from dangjian_rules.ruleset.expr import Function
from dangjian_rules.ruleset.measures import MeasureKind
from dangjian_rules.ruleset.rules import RuleKind
from dangjian_rules.testing import make_registry, problem_codes

REGISTRY = make_registry()

CARD = """
[ruleset]
id = "t.card"
name = "卡"
version = "1"
subject = "member"

[event_types.meeting]
label = "三会一课"

[[rules]]
id = "meeting"
label = "参加三会一课"
kind = "points"
on = "meeting"
points = 1
"""


@attrs.frozen
class Words:
    """A vocabulary that is not the plugin registry: only what the ruleset may use."""

    rule_kinds: Mapping[str, RuleKind]
    measure_kinds: Mapping[str, MeasureKind]
    functions: Mapping[str, Function]
    event_types: Mapping[str, EventType]
    ruleset_paths: Sequence[Path] = ()

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        yield


def test_a_ruleset_compiles_from_a_vocabulary_that_is_not_the_registry() -> None:
    words = Words({"points": REGISTRY.rule_kinds["points"]}, {}, {}, {})
    ruleset, problems = files.parse_ruleset(CARD, "card.toml", words)
    assert problems == []
    assert ruleset is not None and [r.kind for r in ruleset.rules] == ["points"]
    # Without a kind in the vocabulary the same card names it unknown (DJ111).
    _, problems = files.parse_ruleset(CARD, "card.toml", Words({}, {}, {}, {}))
    assert problem_codes(problems) == ["DJ111"]


def test_a_ruleset_loaded_without_a_way_to_rebuild_it_refuses_to_pickle() -> None:
    words = Words({"points": REGISTRY.rule_kinds["points"]}, {}, {}, {})
    ruleset, _ = files.parse_ruleset(CARD, "card.toml", words)
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(ruleset)
    loaded, _ = parse_ruleset(CARD, "card.toml", REGISTRY)  # the api gives the way
    assert loaded is not None
    rebuilt = pickle.loads(pickle.dumps(loaded))
    assert (rebuilt.id, rebuilt.sha256, rebuilt.rebuild) == (
        loaded.id,
        loaded.sha256,
        loaded.rebuild,
    )


def test_each_wrongly_typed_key_is_reported_and_the_others_still_used() -> None:
    text = CARD.replace('version = "1"', "version = 1").replace("points = 1", 'points = "1"')
    text += '\n[score]\nbase = "60"\nmax = 100\nmin = 120\n'
    _, problems = parse_ruleset(text, "card.toml", REGISTRY)
    found = {(p.code, p.path, p.hint) for p in problems}
    assert ("DJ103", "ruleset.version", "put the text in quotes") in found
    assert ("DJ103", "rules[0].points", "write the number without quotes") in found
    assert ("DJ103", "score.base", "write the number without quotes") in found
    # score.min and score.max passed their types, so their own check still ran.
    assert ("DJ104", "score.max", None) in found


def test_a_measure_reports_a_badly_typed_and_a_non_positive_option_together() -> None:
    text = CARD + (
        '\n[[measures]]\nid = "monthly"\nlabel = "每月"\nkind = "cadence"\non = "meeting"\n'
        "per = 3\nat_least = 0\n"
    )
    _, problems = parse_ruleset(text, "card.toml", REGISTRY)
    assert {(p.code, p.path) for p in problems} == {
        ("DJ103", "measures[0].per"),
        ("DJ104", "measures[0].at_least"),
    }


def test_an_unknown_event_type_listed_twice_is_located_at_each_place() -> None:
    text = CARD.replace('on = "meeting"', 'on = ["missing", "meeting", "missing"]')
    _, problems = parse_ruleset(text, "card.toml", REGISTRY)
    assert [(p.code, p.path) for p in problems] == [
        ("DJ106", "rules[0].on[0]"),
        ("DJ106", "rules[0].on[2]"),
    ]


def _reader(ruleset_id: str, *reads: str) -> Ruleset:
    """A compiled ruleset whose measures read the results of ``reads``."""
    measures = "".join(
        f'\n[[measures]]\nid = "m{n}"\nlabel = "读"\nkind = "result"\nruleset = "{r}"\n'
        'value = "score"\n'
        for n, r in enumerate(reads)
    )
    text = CARD.replace("t.card", ruleset_id) + measures
    ruleset, problems = parse_ruleset(text, f"{ruleset_id}.toml", REGISTRY)
    assert ruleset is not None, problems
    return ruleset


def test_dependency_order_puts_each_ruleset_after_those_it_reads() -> None:
    a, b, c = _reader("a", "b"), _reader("b", "c"), _reader("c")
    assert [r.id for r in dependency_order([a, b, c])] == ["c", "b", "a"]
    with pytest.raises(ProblemsFound) as caught:
        dependency_order([a, b])
    assert problem_codes(caught.value) == ["DJ121"]
    with pytest.raises(ProblemsFound) as caught:
        dependency_order([_reader("a", "b"), _reader("b", "a")])
    assert problem_codes(caught.value) == ["DJ122"]
    assert "a → b → a" in caught.value.problems[0].message
