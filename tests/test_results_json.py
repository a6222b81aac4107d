"""Results as JSON through the one converter: a results file that is wrong is reported
located (file, line, column, path), in English and Chinese, every problem at once."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from dangjian_rules import (
    Period,
    ProblemsFound,
    dumps,
    evaluate,
    load_ruleset,
    loads,
)
from dangjian_rules.cli import main
from dangjian_rules.convert.jsonpos import JsonPlaces
from dangjian_rules.convert.results import read_result
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
PREVIOUS = EXAMPLES / "star-2014.json"


def _spoilt(tmp_path: Path, spoil: Any) -> Path:
    """The shipped 2014 result, changed by ``spoil``, written one key a line."""
    document = json.loads(PREVIOUS.read_text(encoding="utf-8"))
    spoil(document)
    file = tmp_path / "previous.json"
    file.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return file


def _line_of(file: Path, needle: str, after: int = 0) -> int:
    lines = file.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if n > after and needle in line)


def _spoil_many(document: dict[str, Any]) -> None:
    result = document["results"][0]
    result["score"] = 61.5  # a float: inexact
    del result["ruleset"]
    result["stars"]["count"] = "1"  # text, not a whole number
    result["stars"]["criteria"][0]["held"] = "false"  # text, not true/false
    result["measures"]["meetings"]["type"] = "number"
    result["vetoes"] = "none"  # text, not a list
    result["extra"] = 1
    del document["period"]["label"]


def _evaluate_with_previous(file: Path, lang: str) -> tuple[int, str]:
    out = io.StringIO()
    args = ["evaluate", "-r", str(EXAMPLES / "star-branch.toml"), "-p", "2015", "--lang", lang]
    args += ["-d", str(EXAMPLES / "star-one-branch.json"), "--previous", str(file)]
    code = main(args, out=out, err=out)
    return code, out.getvalue()


def _problems(output: str, file: Path) -> dict[str, tuple[int, int, str]]:
    """``path → (line, column, message)`` of the problem lines ``file:line:col: DJ125 …``."""
    found = {}
    for line in output.splitlines():
        match = re.match(r"(.+):(\d+):(\d+): (DJ\d+) (.+)$", line)
        if match:
            shown, row, column, code, message = match.groups()
            assert (code, shown) == ("DJ125", str(file))
            path = re.search(r"(period\.[a-z]+|results\[0\][A-Za-z0-9_.\[\]]*)", message)
            assert path is not None, line
            found[path.group(1)] = (int(row), int(column), message)
    return found


def test_a_bad_previous_file_gives_every_problem_located_and_exit_1(tmp_path: Path) -> None:
    file = _spoilt(tmp_path, _spoil_many)
    code, english = _evaluate_with_previous(file, "en")
    assert code == 1 and "Traceback" not in english
    found = _problems(english, file)
    assert set(found) == {
        "period.label",
        "results[0].ruleset",
        "results[0].score",
        "results[0].stars.count",
        "results[0].stars.criteria[0].held",
        "results[0].measures.meetings.value",
        "results[0].vetoes",
        "results[0].extra",
    }
    assert "Found 8 error(s)" in english
    first_result = _line_of(file, '"results"')
    assert found["results[0].score"][:2] == (_line_of(file, '"score"', first_result), 4)
    assert "floats are refused" in found["results[0].score"][2]
    assert found["results[0].extra"][2] == 'unknown key "results[0].extra"'
    assert found["period.label"][:2] == (_line_of(file, '"period"'), 2)  # where it is missing
    code, chinese = _evaluate_with_previous(file, "zh")
    assert code == 1
    assert {k: v[:2] for k, v in _problems(chinese, file).items()} == {
        k: v[:2] for k, v in found.items()
    }
    assert "results[0].stars.count应为整数" in chinese


def test_text_that_is_not_json_is_placed_where_it_breaks(tmp_path: Path) -> None:
    file = tmp_path / "previous.json"
    file.write_text('{"schema": "dangjian-rules/result/1",\n  "engine": x}', encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        read_result(file)
    (problem,) = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.column) == ("DJ125", str(file), 2, 13)
    assert "not valid JSON" in problem.message and problem.message_zh


def test_another_schema_is_refused_at_its_schema_key() -> None:
    text = '{\n "results": [],\n "schema": "other/1"\n}'
    with pytest.raises(ProblemsFound) as caught:
        loads(text, "x.json")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (3, 2)
    assert "dangjian-rules/result/1" in problem.message


def test_a_summary_reads_back_with_an_empty_trace() -> None:
    run = read_result(PREVIOUS)
    text = dumps(run, with_trace=False)
    assert '"trace"' not in text
    summary = loads(text)
    assert summary.results and all(r.trace == () for r in summary.results)
    assert dumps(summary, with_trace=False) == text


def test_places_of_paths_in_json_text() -> None:
    text = '{\n  "a": [1, {"b": "x",\n     "c": [ 3 ]}],\n  "d": null\n}'
    places = JsonPlaces(text)
    assert places(()) == (1, 1)
    assert places(("a",)) == (2, 3)
    assert places(("a", 1)) == (2, 12)
    assert places(("a", 1, "c")) == (3, 6)
    assert places(("a", 1, "c", 0)) == (3, 13)
    assert places(("d",)) == (4, 3)
    assert places(("a", 1, "missing")) == (2, 12)  # the nearest enclosing item
    assert JsonPlaces("  ")(("a",)) is None
    assert JsonPlaces('{"a": 1,\n "a": "x"}')(("a",)) == (2, 2)  # the value json reads


#: A small committee with every record type the shipped rulesets read (as examples/sanmenxia-2015).
SAMPLE = generate_county(80, seed=2015, year=2015, profile="full")
#: The shipped rulesets as examples/README.md evaluates them: measures, flags, stars, tiers,
#: selections and rulesets reading each other's results.
SHIPPED_SETS = {
    "lingbao": ["lingbao/venue-checklist.toml"],
    "lushi": ["lushi/star-branches.toml", "lingbao/venue-checklist.toml", "mianchi/member-points.toml"],
    "hubin": ["hubin/tiers.toml", "lingbao/venue-checklist.toml", "hubin/contact-cadence.toml"],
    "kaifaqu": ["kaifaqu/member-targets.toml", "kaifaqu/target-responsibility.toml"],
    "shanxian": ["shanxian/top-ten-members.toml", "mianchi/member-points.toml"],
    "national": ["national/streak.toml"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SHIPPED_SETS))
def test_shipped_rulesets_results_round_trip_exactly(name: str) -> None:
    rulesets = [load_ruleset(ROOT / "rulesets" / path) for path in SHIPPED_SETS[name]]
    run = evaluate(rulesets, SAMPLE, Period.parse("2015"))
    assert run.results
    text = dumps(run)
    assert loads(text) == run
    assert dumps(loads(text)) == text
    summary = dumps(run, with_trace=False)
    without_trace = attrs.evolve(run, results=tuple(attrs.evolve(r, trace=()) for r in run.results))
    assert loads(summary) == without_trace
    assert dumps(loads(summary), with_trace=False) == summary
