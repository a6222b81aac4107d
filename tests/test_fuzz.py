"""`dangjian-rules fuzz`: each flaw of the deliberately flawed rulesets is reported, a failed
invariant comes with a minimal example that pastes into the ruleset as a working test
case, the shipped 渑池 card runs clean, and the same seed gives the same report."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules import hookimpl, load_ruleset, parse_ruleset
from dangjian_rules.cli import main
from dangjian_rules.errors import ProblemsFound
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Event
from dangjian_rules.ruleset.rules import Award, BuildContext, RuleKind
from dangjian_rules.testing import make_registry
from dangjian_rules.tools.fuzz import fuzz, needed_rulesets

ROOT = Path(__file__).resolve().parent.parent
FLAWED = ROOT / "tests" / "rulesets" / "flawed"
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"


def cli(*args: str) -> tuple[int, str]:
    buffer = io.StringIO()
    code = main([*args, "--lang", "en"], out=buffer, err=buffer)
    return code, buffer.getvalue()


def fuzz_json(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, output = cli("fuzz", str(path), "--format", "json", *args)
    return code, json.loads(output)


def codes(report: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for warning in report["warnings"]:
        found.setdefault(warning["code"], []).append(warning["subject"])
    return found


@pytest.fixture(scope="module")
def flawed_card() -> tuple[int, dict[str, Any]]:
    return fuzz_json(FLAWED / "member-card.toml", "--examples", "30")


def test_the_flawed_card_loads_without_a_problem() -> None:
    code, output = cli(
        "check", str(FLAWED / "member-card.toml"), str(FLAWED / "star-quota-ties.toml")
    )
    assert code == 0, output


def test_a_grade_nobody_can_reach_is_reported(flawed_card: tuple[int, dict[str, Any]]) -> None:
    _, report = flawed_card
    assert codes(report)["grade-never-reached"] == ["grade full:卓越"]


def test_a_contradictory_condition_is_a_rule_that_never_fires(
    flawed_card: tuple[int, dict[str, Any]],
) -> None:
    _, report = flawed_card
    assert codes(report)["rule-never-fires"] == ["rule online-and-offline"]
    (warning,) = [w for w in report["warnings"] if w["code"] == "rule-never-fires"]
    assert "event.online and not event.online" in warning["message"]


def test_a_cap_below_any_award_always_binds(flawed_card: tuple[int, dict[str, Any]]) -> None:
    _, report = flawed_card
    assert codes(report)["cap-always-binds"] == ["rule volunteer month"]


def test_warnings_alone_exit_zero_unless_strict(flawed_card: tuple[int, dict[str, Any]]) -> None:
    code, report = flawed_card
    assert code == 0
    assert report["failure"] is None
    assert set(report["invariants"].values()) == {"held"}
    strict, _ = cli("fuzz", str(FLAWED / "member-card.toml"), "--examples", "20", "--strict")
    assert strict == 1


def test_ties_at_a_quota_and_a_selection_boundary_are_reported() -> None:
    code, report = fuzz_json(FLAWED / "star-quota-ties.toml", "--examples", "30")
    assert code == 0
    found = codes(report)
    assert found["quota-tie"] == ["quota 2"]
    assert found["selection-tie"] == ["selection"]


def test_a_base_above_the_maximum_is_stopped_by_the_loader() -> None:
    # It once loaded and fuzz found members scoring 105 of 100; now check rejects it.
    code, output = cli("fuzz", str(FLAWED / "base-above-max.toml"), "--examples", "5")
    assert code == 1
    assert "DJ104 score.base (105) lies outside score.min..score.max (0..100)" in output


def test_a_failed_invariant_comes_with_a_pasteable_minimal_case(tmp_path: Path) -> None:
    calls = [0]

    def amount(event: Event, period: Period) -> Decimal | None:
        calls[0] += 1
        return Decimal(calls[0] % 2)

    report = _fuzz_with("counting", _plugin_kind("counting", amount))
    assert report.failure is not None and report.failure.invariant == "order"
    case = report.failure.case
    assert case.startswith("# dangjian-rules fuzz") and case.count("[[tests]]") == 1
    assert 'type = "volunteer"' in case


def test_the_mianchi_card_runs_clean() -> None:
    code, report = fuzz_json(CARD, "--examples", "40")
    assert code == 0
    assert report["failure"] is None
    assert set(report["invariants"].values()) == {"held"}
    assert report["examples"] >= 40
    assert report["ruleset"] == "mianchi.member-points"


def test_the_same_seed_gives_the_same_report() -> None:
    first = cli("fuzz", str(FLAWED / "member-card.toml"), "--examples", "10", "--seed", "7")
    again = cli("fuzz", str(FLAWED / "member-card.toml"), "--examples", "10", "--seed", "7")
    assert first == again


def test_rulesets_read_are_found_beside_the_ruleset() -> None:
    stars = load_ruleset(ROOT / "rulesets" / "lushi" / "star-branches.toml")
    found = {r.id for r in needed_rulesets(stars)}
    assert {"lingbao.venue-checklist", "mianchi.member-points"} <= found
    report = fuzz(stars, needed_rulesets(stars), examples=5)
    assert report.failure is None
    # a year from the star rating's own start in which a version of each ruleset it reads is
    # in force
    assert report.period.isdigit() and int(report.period) >= 2014


def test_bad_arguments_and_bad_rulesets() -> None:
    code, output = cli("fuzz", str(CARD), "--examples", "0")
    assert code == 2 and "--examples must be at least 1" in output
    code, output = cli("fuzz", str(ROOT / "tests" / "rulesets" / "bad" / "wrong-types.toml"))
    assert code == 1 and "DJ103" in output


# -------------------------------------------------- invariants a plugin can break


def _plugin_kind(name: str, amount: Any) -> object:
    def build(options: Any, context: BuildContext) -> Award:
        return Award("points", amount, None, name, name)

    kind = RuleKind(name, name, (), build)

    class Plugin:
        @hookimpl
        def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
            return (kind,)

    return Plugin()


PLUGIN_CARD = """
[ruleset]
id = "t.plugin-card"
name = "插件规则"
version = "1"
subject = "member"

[score]
base = 60
max = 100

[event_types.volunteer]
label = "志愿服务"
quantity = "hours"

[[rules]]
id = "volunteer"
label = "志愿服务"
kind = "KIND"
on = "volunteer"
"""


def _fuzz_with(kind: str, plugin: object, examples: int = 30) -> Any:
    registry = make_registry(plugin)
    ruleset, problems = parse_ruleset(PLUGIN_CARD.replace("KIND", kind), "plugin.toml", registry)
    assert ruleset is not None, problems
    return fuzz(ruleset, examples=examples, registry=registry)


def test_an_error_in_a_rule_kind_is_reported_with_the_record_that_raises_it() -> None:
    def amount(event: Event, period: Period) -> Decimal | None:
        if event.quantity is not None and event.quantity >= 5:
            raise ValueError("too many hours")
        return Decimal(1)

    report = _fuzz_with("fragile", _plugin_kind("fragile", amount))
    assert report.failure is not None
    assert report.failure.invariant == "no-crash"
    assert "too many hours" in report.failure.message
    case = report.failure.case
    assert case.count('type = "volunteer"') == 1  # shrunk to the one record that raises
    assert "quantity = 5" in case


def test_a_rule_kind_with_memory_breaks_order_independence() -> None:
    calls = [0]

    def amount(event: Event, period: Period) -> Decimal | None:
        calls[0] += 1
        return Decimal(calls[0] % 2)

    report = _fuzz_with("counting", _plugin_kind("counting", amount))
    assert report.failure is not None
    assert report.failure.invariant == "order"


def test_a_ruleset_read_but_found_nowhere_is_the_located_dj121_of_check(tmp_path: Path) -> None:
    card = tmp_path / "card.toml"
    card.write_text(
        '[ruleset]\nid = "t.reader"\nname = "读者"\nversion = "1"\nsubject = "organization"\n'
        '\n[event_types.visit]\nlabel = "检查"\n'
        '\n[[measures]]\nid = "venue"\nlabel = "场所"\nkind = "result"\n'
        'ruleset = "t.nowhere"\nvalue = "measure.venue"\ntype = "string"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProblemsFound) as caught:
        needed_rulesets(load_ruleset(card))
    (problem,) = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.path) == (
        "DJ121",
        str(card),
        14,
        "measures[0].ruleset",
    )
    assert 'reads ruleset "t.nowhere"' in problem.message
