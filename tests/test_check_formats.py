"""``check --format text|json|github|sarif|junit`` and ``--output``: the same problems and
exit codes in every format.

The warnings-only ruleset ``tests/rulesets/bad/warnings/cap-below-award.toml`` sits in a
subfolder because ``check`` exits 0 on it (1 only with ``--strict``); its expected reports
are beside it.  To update them after a deliberate change, run
``python tests/test_check_formats.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules import __version__
from dangjian_rules.cli import build_parser, main
from dangjian_rules.errors import Problem
from dangjian_rules.plugins.builtin.check_reporters import (
    CHECK_REPORTERS,
    render_github,
    render_junit,
    render_sarif,
)
from dangjian_rules.testing import make_registry

FORMATS = [reporter.name for reporter in CHECK_REPORTERS]

ROOT = Path(__file__).resolve().parent.parent
BAD = "tests/rulesets/bad/values-and-vetoes.toml"  # 5 errors and 1 warning
WARNINGS = "tests/rulesets/bad/warnings/cap-below-award.toml"  # 1 warning only
GOOD = "tests/rulesets/good/minimal.toml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["check", *args], out=out, err=out)
    return code, out.getvalue()


def problems_of(*paths: str) -> list[dict[str, Any]]:
    code, output = check("--format", "json", *paths)
    assert code in (0, 1), output
    problems: list[dict[str, Any]] = json.loads(output)["problems"]
    return problems


# ------------------------------------------------------------------------------ all formats


def test_the_formats_offered_are_the_registry() -> None:
    assert FORMATS == ["text", "json", "github", "sarif", "junit"]
    assert list(make_registry().check_reporters) == FORMATS
    for name in FORMATS:
        args = build_parser().parse_args(["check", "--format", name, GOOD])
        assert args.format == name


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize(
    ("paths", "plain", "strict"),
    [
        ([BAD], 1, 1),
        ([WARNINGS], 0, 1),
        ([GOOD], 0, 0),
        ([GOOD, BAD], 1, 1),
    ],
    ids=["errors-and-warnings", "warnings-only", "clean", "clean-and-errors"],
)
def test_exit_codes_do_not_depend_on_the_format(
    fmt: str, paths: list[str], plain: int, strict: int
) -> None:
    assert check("--format", fmt, *paths)[0] == plain
    assert check("--format", fmt, "--strict", *paths)[0] == strict


def test_an_unknown_format_is_a_usage_error() -> None:
    assert check("--format", "xml", GOOD) == (
        2,
        'dangjian-rules: unknown format "xml"; expected one of: '
        '"github", "json", "junit", "sarif", "text"\n',
    )
    code, printed = check("--format", "sarf", GOOD)
    assert code == 2 and printed.startswith('dangjian-rules: unknown format "sarf"; did you mean')


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_output_writes_the_report_to_a_file(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"report.{fmt}"
    code, printed = check("--format", fmt, "--lang", "zh", "--output", str(target), BAD, GOOD)
    assert code == 1
    assert printed == ""
    assert (
        target.read_text(encoding="utf-8") == check("--format", fmt, "--lang", "zh", BAD, GOOD)[1]
    )


def test_output_short_option_and_clean_run(tmp_path: Path) -> None:
    target = tmp_path / "check.txt"
    assert check("-o", str(target), "--lang", "en", GOOD) == (0, "")
    assert target.read_text(encoding="utf-8") == "All checked: 1 ruleset file(s), no problems.\n"


def test_output_to_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    code, printed = check("--output", str(tmp_path / "no" / "such" / "r.txt"), GOOD)
    assert code == 2
    assert "dangjian-rules:" in printed


# ------------------------------------------------------------------------------ text, json


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_is_the_default_and_unchanged(lang: str) -> None:
    expected = Path(BAD).with_suffix(f".{lang}.txt").read_text(encoding="utf-8")
    assert check("--lang", lang, BAD) == (1, expected)
    assert check("--lang", lang, "--format", "text", BAD) == (1, expected)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_warnings_alone_pass_unless_strict(lang: str) -> None:
    expected = Path(WARNINGS).with_suffix(f".{lang}.txt").read_text(encoding="utf-8")
    assert check("--lang", lang, WARNINGS) == (0, expected)
    assert check("--lang", lang, "--strict", WARNINGS) == (1, expected)


def test_json_keeps_its_shape() -> None:
    code, output = check("--format", "json", "--lang", "zh", BAD, GOOD)
    report = json.loads(output)
    assert code == 1
    assert set(report) == {"files", "problems"}
    assert report["files"] == 2
    assert len(report["problems"]) == 6
    assert set(report["problems"][0]) == {
        "code",
        "severity",
        "file",
        "line",
        "column",
        "path",
        "message",
        "message_zh",
        "hint",
        "hint_zh",
    }


# ------------------------------------------------------------------------------ github


def test_github_lines_exactly() -> None:
    code, output = check("--format", "github", "--lang", "en", BAD)
    assert code == 1
    lines = output.splitlines()
    assert len(lines) == 6
    assert lines[0] == (
        "::error file=tests/rulesets/bad/values-and-vetoes.toml,line=10,col=44,title=DJ104::"
        'values can only be listed for a string field; "rank" is integer'
        '%0Ahint: remove values, or make the field type = "string"'
    )
    assert lines[5] == (
        "::warning file=tests/rulesets/bad/values-and-vetoes.toml,line=30,col=1,title=DJ109::"
        "every grade scale has an applies condition; a subject none applies to gets no grade"
        "%0Ahint: remove applies from the last scale so it is the default"
    )
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 5 + ["::warning"]


def test_github_in_chinese_and_warnings_only() -> None:
    code, output = check("--format", "github", "--lang", "zh", WARNINGS)
    assert code == 0
    assert output == (
        "::warning file=tests/rulesets/bad/warnings/cap-below-award.toml,line=23,col=31,"
        "title=DJ110::每年封顶 2 分，低于单次分值 3，每条记录都会被削减"
        "%0A提示：请提高封顶或降低单次分值\n"
    )


def test_github_prints_nothing_for_a_clean_run() -> None:
    assert check("--format", "github", GOOD) == (0, "")


def test_github_escapes_what_would_break_a_workflow_command() -> None:
    problem = Problem(
        code="DJ104",
        message="100% of it,\nreally",
        message_zh="百分之百",
        file="县,区:一/card.toml",
        line=3,
    )
    assert render_github([problem], [], "en") == (
        "::error file=县%2C区%3A一/card.toml,line=3,title=DJ104::100%25 of it,%0Areally\n"
    )


def test_github_leaves_out_what_is_not_known() -> None:
    no_place = Problem(code="DJ114", message="gone", message_zh="没了", severity="warning")
    no_column = Problem(code="DJ127", message="m", message_zh="m", file="a.toml", line=7)
    assert render_github([no_place, no_column], [], "en") == (
        "::warning title=DJ114::gone\n::error file=a.toml,line=7,title=DJ127::m\n"
    )


# ------------------------------------------------------------------------------ sarif


def sarif_of(*args: str) -> tuple[int, dict[str, Any]]:
    code, output = check("--format", "sarif", *args)
    log: dict[str, Any] = json.loads(output)
    return code, log


def test_sarif_structure() -> None:
    code, log = sarif_of("--lang", "en", BAD, GOOD)
    assert code == 1
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dangjian-rules"
    assert driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    expected = problems_of(BAD, GOOD)
    codes = sorted({p["code"] for p in expected})
    assert [rule["id"] for rule in driver["rules"]] == codes
    for rule in driver["rules"]:
        first = next(p for p in expected if p["code"] == rule["id"])
        assert rule["shortDescription"] == {"text": first["message"]}
    results = run["results"]
    assert len(results) == len(expected)
    for result, problem in zip(results, expected, strict=True):
        assert result["ruleId"] == problem["code"]
        assert driver["rules"][result["ruleIndex"]]["id"] == problem["code"]
        assert result["level"] == problem["severity"]
        assert result["message"]["text"] == f"{problem['message']}\nhint: {problem['hint']}"
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": problem["file"]}
        assert physical["region"] == {
            "startLine": problem["line"],
            "startColumn": problem["column"],
        }
        assert location["logicalLocations"] == [{"fullyQualifiedName": problem["path"]}]
    assert {r["level"] for r in results} == {"error", "warning"}


def test_sarif_of_a_clean_run_has_no_results() -> None:
    code, log = sarif_of(GOOD)
    assert code == 0
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_in_chinese() -> None:
    code, log = sarif_of("--lang", "zh", WARNINGS)
    assert code == 0
    (result,) = log["runs"][0]["results"]
    assert result["level"] == "warning"
    assert result["message"]["text"] == (
        "每年封顶 2 分，低于单次分值 3，每条记录都会被削减\n提示：请提高封顶或降低单次分值"
    )


def test_sarif_leaves_out_unknown_region_fields() -> None:
    problems = [
        Problem(code="DJ127", message="no line", message_zh="无行", file="县/a b.toml"),
        Problem(code="DJ113", message="no column", message_zh="无列", file="b.toml", line=3),
        Problem(code="DJ114", message="no file", message_zh="无文件"),
    ]
    results = json.loads(render_sarif(problems, [], "en"))["runs"][0]["results"]
    assert results[0]["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "%E5%8E%BF/a%20b.toml"}}}
    ]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert "locations" not in results[2]


# ------------------------------------------------------------------------------ junit


def junit_of(*args: str) -> tuple[int, ET.Element]:
    code, output = check("--format", "junit", *args)
    return code, ET.fromstring(output)


def test_junit_has_a_testcase_per_file_and_a_failure_per_error() -> None:
    code, root = junit_of("--lang", "en", GOOD, BAD, WARNINGS)
    assert code == 1
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    # ruleset_files keeps the order of the paths given
    assert [c.get("name") for c in cases] == [GOOD, BAD, WARNINGS]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    good, bad, warned = cases
    assert list(good) == []
    failures = bad.findall("failure")
    expected = problems_of(BAD)
    errors = [p for p in expected if p["severity"] == "error"]
    assert [f.get("type") for f in failures] == [p["code"] for p in errors]
    assert failures[0].get("message") == f"DJ104 {errors[0]['message']}"
    assert (failures[0].text or "").startswith(f"{BAD}:10:44: DJ104 values can only")
    bad_out = bad.find("system-out")
    assert bad_out is not None and "DJ109 warning: every grade scale" in (bad_out.text or "")
    assert warned.findall("failure") == []
    warned_out = warned.find("system-out")
    assert warned_out is not None
    assert (warned_out.text or "").startswith(f"{WARNINGS}:23:31: DJ110 warning: cap 2 per year")


def test_junit_of_a_clean_run_is_one_passing_case() -> None:
    code, root = junit_of(GOOD)
    assert code == 0
    (case,) = root.iter("testcase")
    assert case.get("name") == GOOD
    assert list(case) == []
    assert root.get("failures") == "0"


def test_junit_in_chinese_escapes_and_names_missing_paths() -> None:
    code, output = check("--format", "junit", "--lang", "zh", "no/such.toml", BAD)
    assert code == 1
    assert output.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites")
    root = ET.fromstring(output)
    names = [c.get("name") for c in root.iter("testcase")]
    assert names == [BAD, "no/such.toml"]
    messages = [f.get("message") for f in root.iter("failure")]
    assert "DJ114 文件或文件夹不存在" in messages
    assert any("条件 rules[0].when" in (m or "") for m in messages)


def test_junit_quotes_markup_in_messages() -> None:
    problem = Problem(code="DJ107", message='a < b & "c"', message_zh="x", file="a.toml", line=1)
    root = ET.fromstring(render_junit([problem], ["a.toml"], "en"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'DJ107 a < b & "c"'
    assert failure.text == 'a.toml:1: DJ107 a < b & "c"'


if __name__ == "__main__":  # regenerate the expected reports of the warnings-only ruleset
    import os

    os.chdir(ROOT)
    for language in ("en", "zh"):
        _, text = check("--lang", language, WARNINGS)
        Path(WARNINGS).with_suffix(f".{language}.txt").write_text(text, encoding="utf-8")
    sys.exit(0)
