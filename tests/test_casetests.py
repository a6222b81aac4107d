"""Ruleset test cases: `dangjian-rules test`, coverage, thresholds, located problems."""

from __future__ import annotations

import io
from pathlib import Path

from dangjian_rules.api import check_paths
from dangjian_rules.cli import main

CARD = """
[ruleset]
id = "t.card"
name = "卡"
version = "1"
subject = "member"

[score]
base = 60

[event_types.meeting]
label = "会议"
[event_types.dues]
label = "党费"
fields.late = "boolean"

[[rules]]
id = "meeting"
label = "会议"
kind = "points"
on = "meeting"
points = 1
caps = [{ per = "month", max = 1 }]

[[rules]]
id = "late"
label = "逾期"
kind = "deduction"
on = "dues"
when = "event.late"
points = 2

[[grades]]
id = "default"
bands = [{ grade = "合格", min = 61 }, { grade = "不合格", min = 0 }]

[[tests]]
name = "two meetings in one month count once"
period = "2015"
subject = "M1"
given.members = [{ id = "M1" }]
given.events = [
  { type = "meeting", date = 2015-03-01 },
  { type = "meeting", date = 2015-03-02 },
]
expect = { score = 61, grade = "合格", events = { counted = 1, capped = 1 } }
"""

FAILING = """
[[tests]]
name = "a wrong expectation"
period = "2015"
subject = "M1"
given.members = [{ id = "M1" }]
given.events = [{ type = "dues", date = 2015-03-01, late = true }]
expect = { score = 60, grade = "合格" }
"""


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out, err=out)
    return code, out.getvalue()


def test_passing_cases_and_the_closing_line(tmp_path: Path) -> None:
    (tmp_path / "card.toml").write_text(CARD, encoding="utf-8")
    code, output = run("test", "--lang", "en", str(tmp_path))
    assert code == 0, output
    assert "  ✓ two meetings in one month count once\n" in output
    assert output.endswith("1 passed, 0 failed\n")


def test_a_failure_shows_expected_actual_and_the_trace(tmp_path: Path) -> None:
    (tmp_path / "card.toml").write_text(CARD + FAILING, encoding="utf-8")
    code, output = run("test", "--lang", "en", str(tmp_path))
    assert code == 1
    assert f"  ✗ a wrong expectation  ({tmp_path / 'card.toml'}:48)\n" in output
    assert "      score: expected 60, got 58\n" in output
    assert "      grade: expected 合格, got 不合格\n" in output
    assert "2015-03-01  T001  党费  −2" in output  # the trace of the failing subject
    assert output.endswith("1 passed, 1 failed\n")


def test_coverage_and_threshold(tmp_path: Path) -> None:
    (tmp_path / "card.toml").write_text(CARD, encoding="utf-8")
    code, output = run("test", "--lang", "en", "--coverage", "--threshold", "100", str(tmp_path))
    assert code == 1
    assert "  coverage 50.0% (2/4)\n" in output
    assert "    not covered: rule late, grade default:不合格\n" in output
    assert "coverage below 100.0%: t.card 50.0%\n" in output
    code, _ = run("test", "--threshold", "50", str(tmp_path))
    assert code == 0


def test_cases_in_a_sibling_file(tmp_path: Path) -> None:
    (tmp_path / "card.toml").write_text(CARD, encoding="utf-8")
    (tmp_path / "card.tests.toml").write_text(FAILING, encoding="utf-8")
    code, output = run("test", "--lang", "en", str(tmp_path))
    assert code == 1 and output.endswith("1 passed, 1 failed\n")
    assert f"({tmp_path / 'card.tests.toml'}:2)" in output
    # the sibling file is not mistaken for a ruleset
    assert run("check", str(tmp_path))[0] == 0


def test_bad_cases_are_located_problems(tmp_path: Path) -> None:
    bad = CARD.replace("expect = { score = 61", "expect = { scroe = 61").replace(
        'period = "2015"', 'period = "2015-13"'
    )
    (tmp_path / "card.toml").write_text(bad, encoding="utf-8")
    problems = check_paths([tmp_path])
    assert [(p.code, p.line) for p in problems] == [("DJ104", 39), ("DJ101", 46)]
    assert problems[1].hint == 'did you mean "score"?'


def test_bad_records_in_a_case_name_the_case(tmp_path: Path) -> None:
    bad = CARD.replace(
        '{ type = "meeting", date = 2015-03-02 }',
        '{ type = "meeting", date = 2015-03-02, member = "M9" }',
    )
    (tmp_path / "card.toml").write_text(bad, encoding="utf-8")
    code, output = run("test", "--lang", "en", str(tmp_path))
    assert code == 1
    assert "DJ206 test “two meetings in one month count once”: " in output
    assert "Traceback" not in output


def test_shipped_rulesets_pass_their_cases() -> None:
    root = Path(__file__).resolve().parent.parent
    code, output = run(
        "test",
        "--coverage",
        str(root / "rulesets" / "mianchi"),
        str(root / "rulesets" / "sanmenxia"),
    )
    assert code == 0, output
