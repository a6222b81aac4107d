"""The ledger rule kind, the workdays function, the packaged ruleset and the HB101 check,
tested with the fixtures dangjian-rules ships for plugin authors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dangjian_rules_hubin as hubin

from dangjian_rules.plugin import parse_ruleset
from dangjian_rules.testing import DatasetBuilder, assert_trace, make_registry, problem_codes

HERE = Path(__file__).resolve().parent.parent
CARD = """
[ruleset]
id = "test.ledger"
name = "台账"
version = "1"
subject = "member"

[event_types.issue]
label = "民生问题"

[[categories]]
id = "ledger"
label = "台账"
max = 10

[[rules]]
id = "issues"
label = "办结"
kind = "ledger"
category = "ledger"
on = "issue"
resolved_points = 1
fast_days = 10
fast_points = 0.5
open_points = 0.5
rate_target = 0.75
rate_points = 2

[[grades]]
id = "default"
bands = [{ grade = "好", min = 5 }, { grade = "一般", min = 0 }]
"""


def test_workdays_counts_monday_to_friday() -> None:
    monday = dt.date(2015, 3, 2)
    assert hubin.workdays(monday, monday) == 1
    assert hubin.workdays(monday, monday + dt.timedelta(days=6)) == 5  # Mon..Sun
    assert hubin.workdays(dt.date(2015, 3, 7), dt.date(2015, 3, 8)) == 0  # a weekend
    assert hubin.workdays(monday, monday + dt.timedelta(days=13)) == 10
    assert hubin.workdays(monday, monday - dt.timedelta(days=1)) == 0


def test_ledger_adds_resolved_deducts_open_and_judges_the_rate(
    dangjian_dataset: DatasetBuilder, dangjian_evaluate: object
) -> None:
    data = (
        dangjian_dataset.event("issue", "2015-03-01", member="M1", id="fast", end="2015-03-05")
        .event("issue", "2015-04-01", member="M1", id="slow", end="2015-06-01")
        .event("issue", "2015-05-01", member="M1", id="late", end="2016-01-10")
        .event("issue", "2015-06-01", member="M1", id="open")
        .build()
    )
    run = dangjian_evaluate(CARD, data, plugins=[hubin])  # type: ignore[operator]
    result = run.results[0]
    assert_trace(result, "fast", bucket="counted", points="1.5", rule="issues")
    assert_trace(result, "slow", points=1)
    assert_trace(result, "late", points="-0.5")  # resolved only after the period
    assert_trace(result, "open", points="-0.5")
    (adjustment,) = result.adjustments
    assert adjustment.points == Decimal(-2)
    assert adjustment.reason == "resolution rate 2/4 is below the target 75%"
    assert result.score == Decimal("-0.5")


def test_rate_bonus_is_bounded_by_the_category(dangjian_dataset: DatasetBuilder) -> None:
    for n in range(7):
        dangjian_dataset.event(
            "issue", f"2015-0{n + 1}-01", member="M1", id=f"I{n}", end=f"2015-0{n + 1}-03"
        )
    from dangjian_rules.testing import evaluate_ruleset

    result = evaluate_ruleset(CARD, dangjian_dataset.build(), plugins=[hubin]).results[0]
    (adjustment,) = result.adjustments
    assert (adjustment.nominal, adjustment.points) == (Decimal(2), Decimal(0))  # category full
    assert adjustment.limit is not None and adjustment.limit.scope == "category"
    assert result.score == 10 and result.grade == "好"


def test_option_problems_are_located() -> None:
    bad = CARD.replace("rate_points = 2", "").replace("fast_points = 0.5", "fast_points = -1")
    _, problems = parse_ruleset(bad, "card.toml", make_registry(hubin))
    assert [(p.code, p.line, p.message) for p in problems] == [
        ("DJ104", 24, "rules[0].fast_points must be greater than 0 (got -1)"),
    ]
    bad = CARD.replace("rate_points = 2", "")
    _, problems = parse_ruleset(bad, "card.toml", make_registry(hubin))
    assert [(p.code, p.line, p.message) for p in problems] == [
        ("DJ104", 26, "rate_target and rate_points go together"),
    ]


def test_hb101_warns_about_perverse_incentives() -> None:
    risky = CARD.replace("open_points = 0.5", "open_points = 3")
    ruleset, problems = parse_ruleset(risky, "card.toml", make_registry(hubin))
    assert ruleset is not None  # a warning does not stop the ruleset
    (problem,) = problems
    assert (problem.code, problem.severity, problem.file, problem.line) == (
        "HB101",
        "warning",
        "card.toml",
        25,
    )


def test_without_the_plugin_the_kind_is_unknown() -> None:
    _, problems = parse_ruleset(CARD, "card.toml", make_registry())
    assert problem_codes(problems) == ["DJ111"]
    assert problems[0].message == 'unknown rule kind "ledger"'


def dangjian_rules(*args: str, **environment: str) -> tuple[int, str]:
    """The command as a user runs it (exit code, stdout and stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "dangjian_rules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **environment},
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_packaged_ruleset_by_id_from_the_cli(tmp_path: Path) -> None:
    data = HERE / "examples" / "ledger-2015.json"
    code, output = dangjian_rules(
        "evaluate", "-r", "hubin.ledger", "-d", str(data), "-p", "2015", "--format", "json"
    )
    assert code == 0, output
    result = json.loads(output)
    assert result["rulesets"][0]["id"] == "hubin.ledger"
    assert {r["subject"]["id"] for r in result["results"]} == {"H001", "H002", "H003", "H004"}
    assert all("adjustments" in r for r in result["results"])


def test_plugins_command_lists_what_it_adds() -> None:
    code, output = dangjian_rules("plugins", "--format", "json")
    assert code == 0, output
    (info,) = [p for p in json.loads(output) if p["name"] == "hubin"]
    assert info["rule_kinds"] == ["ledger"]
    assert info["functions"] == ["workdays"]
    assert info["rulesets"] == ["hubin.ledger"]
    assert info["version"] == hubin.__version__


def test_blocking_the_plugin_removes_its_kind() -> None:
    card = str(Path(hubin.__file__).parent / "rulesets" / "ledger.toml")
    assert dangjian_rules("check", card)[0] == 0
    code, output = dangjian_rules("check", "--block-plugin", "hubin", "--lang", "en", card)
    assert code == 1
    assert 'DJ111 unknown rule kind "ledger"' in output
    assert dangjian_rules("check", card, DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD="1")[0] == 1
