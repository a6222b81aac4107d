"""Output memory (issue 13): results are written as they are produced.

The streamed JSON is ``dumps`` byte for byte (generated runs and the shipped samples);
every built-in reporter writes piece by piece, none holding the whole output; a file is
only replaced once complete, so a reporter failing midway leaves no half-written file."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dangjian_rules.plugins.manager as manager
from dangjian_rules import Period, dumps, evaluate, hookimpl, load_ruleset, loads
from dangjian_rules.api import load_dataset
from dangjian_rules.cli import main
from dangjian_rules.convert.results import json_chunks, subject_result_json, write_json
from dangjian_rules.io.excel import render_workbook, write_workbook
from dangjian_rules.io.formats import Reporter, ReportOptions
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.manager import default_registry
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.testing import make_registry
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
LUSHI = (
    ROOT / "rulesets" / "lushi" / "star-branches.toml",
    ROOT / "rulesets" / "lingbao" / "venue-checklist.toml",
    CARD,
)


@cache
def rulesets_of(profile: str) -> tuple[Ruleset, ...]:
    return tuple(load_ruleset(p) for p in (LUSHI if profile == "full" else (CARD,)))


def generated_run(members: int, seed: int, profile: str = "mianchi") -> RunResult:
    dataset = generate_county(members, seed=seed, profile=profile)
    return evaluate(list(rulesets_of(profile)), dataset, Period.parse("2015"))


class Recording(io.StringIO):
    """A text stream that keeps the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return super().write(text)


@settings(max_examples=12, deadline=None)
@given(
    members=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=10_000),
    profile=st.sampled_from(["mianchi", "full"]),
    with_trace=st.booleans(),
)
def test_the_streamed_json_is_dumps_byte_for_byte_on_generated_runs(
    members: int, seed: int, profile: str, with_trace: bool
) -> None:
    run = generated_run(members, seed, profile)
    expected = dumps(run, with_trace=with_trace)
    assert "".join(json_chunks(run, with_trace)) == expected
    stream = Recording()
    default_registry().reporters["json"].write_to(
        run, rulesets_of(profile), ReportOptions(with_trace=with_trace), stream
    )
    assert stream.getvalue() == expected
    assert len(stream.sizes) >= len(run.results)  # at least one write per result


def _shipped_runs() -> list[tuple[str, RunResult]]:
    small = evaluate(
        [load_ruleset(EXAMPLES / "small-card.toml")],
        load_dataset(EXAMPLES / "small-data.json"),
        Period.parse("2015"),
    )
    star = evaluate(
        [load_ruleset(EXAMPLES / "star-branch.toml")],
        load_dataset(EXAMPLES / "star-data.json"),
        Period.parse("2015"),
    )
    previous = loads((EXAMPLES / "star-2014.json").read_text(encoding="utf-8"))
    return [("small-card", small), ("star-branch", star), ("star-2014.json", previous)]


@pytest.mark.parametrize("with_trace", [True, False])
def test_the_streamed_json_is_dumps_on_the_shipped_samples(with_trace: bool) -> None:
    for name, run in _shipped_runs():
        streamed = io.StringIO()
        write_json(run, streamed, with_trace)
        assert streamed.getvalue() == dumps(run, with_trace), name
    shipped = (EXAMPLES / "star-2014.json").read_text(encoding="utf-8").rstrip("\n")
    assert '"trace"' not in shipped  # a summary
    assert "".join(json_chunks(loads(shipped), with_trace=False)) == shipped


def _evaluate_small(*more: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["evaluate", "-r", str(EXAMPLES / "small-card.toml")]
    args += ["-d", str(EXAMPLES / "small-data.json"), "-p", "2015", "--lang", "en", *more]
    code = main(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_evaluate_writes_the_json_file_and_stdout_as_dumps(tmp_path: Path) -> None:
    (_, run), *_ = _shipped_runs()
    target = tmp_path / "result.json"
    code, out, err = _evaluate_small("--format", "json", "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_bytes() == dumps(run).encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no partial file left
    code, out, _ = _evaluate_small("--format", "json", "--summary")
    assert (code, out) == (0, dumps(run, with_trace=False) + "\n")


def test_jsonl_and_csv_are_written_a_line_at_a_time() -> None:
    run = generated_run(30, seed=7)
    registry = default_registry()
    jsonl = Recording()
    registry.reporters["jsonl"].write_to(run, rulesets_of("mianchi"), ReportOptions(), jsonl)
    lines = jsonl.getvalue().splitlines()
    assert len(jsonl.sizes) == len(lines) == len(run.results)
    assert [json.loads(line)["subject"]["id"] for line in lines] == [
        r.subject.id for r in run.results
    ]
    assert json.loads(lines[0])["trace"] == subject_result_json(run.results[0])["trace"]
    table = Recording()
    registry.reporters["csv"].write_to(run, rulesets_of("mianchi"), ReportOptions(), table)
    assert len(table.sizes) == len(run.results) + 1  # the header, then a write per row
    assert table.getvalue() == registry.reporters["csv"].render(
        run, rulesets_of("mianchi"), ReportOptions()
    )


def _writing_peak(run: RunResult) -> int:
    """The peak of the memory allocated while writing the full-trace JSON to a file."""
    with open(os.devnull, "w", encoding="utf-8") as sink:
        write_json(run, sink)  # once before measuring: the converter's first-use caches
        tracemalloc.start()
        try:
            write_json(run, sink)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_the_memory_of_writing_the_json_does_not_grow_with_the_output() -> None:
    """The benchmark row's measurement, small: 4× the output, about the same peak."""
    small, large = generated_run(100, seed=3), generated_run(400, seed=3)
    growth = len(dumps(large).encode()) - len(dumps(small).encode())
    assert growth > 2_000_000
    assert _writing_peak(large) - _writing_peak(small) < growth / 20


class _Pipe(io.BytesIO):
    """A binary stream that cannot seek, like a pipe."""

    def seekable(self) -> bool:
        return False

    def seek(self, *args: Any) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


def test_the_workbook_written_to_a_pipe_is_the_same_bytes(tmp_path: Path) -> None:
    run = generated_run(12, seed=5)
    rulesets = rulesets_of("mianchi")
    expected = render_workbook(run, list(rulesets), "zh")
    pipe = _Pipe()
    write_workbook(run, list(rulesets), pipe, "zh")
    assert pipe.getvalue() == expected
    target = tmp_path / "book.xlsx"
    with target.open("wb") as file:
        default_registry().reporters["xlsx"].write_to(run, rulesets, ReportOptions(lang="zh"), file)
    assert target.read_bytes() == expected


def _failing_midway(stream: IO[str]) -> None:
    stream.write('{"partial":')
    raise RuntimeError("disk quota exceeded")


class HalfWriter:
    @hookimpl
    def dangjian_rules_reporters(self) -> Sequence[Reporter]:
        return [
            Reporter.streaming(
                "half",
                "writes a little, then fails",
                lambda run, rulesets, options, stream: _failing_midway(stream),
            ),
            Reporter("whole", "render only", lambda run, rulesets, options: "whole"),
        ]


def test_a_reporter_failing_midway_leaves_the_old_file_and_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = make_registry(HalfWriter())
    monkeypatch.setattr(manager, "registry_for", lambda blocked=(), autoload=None: registry)
    target = tmp_path / "out.json"
    target.write_text("last year's", encoding="utf-8")
    code, out, err = _evaluate_small("--format", "half", "-o", str(target))
    assert code == 2
    assert 'failed while writing the "half" format: RuntimeError: disk quota exceeded' in err
    assert target.read_text(encoding="utf-8") == "last year's"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    # a plugin reporter with ``render`` only is still written whole, as before
    code, out, err = _evaluate_small("--format", "whole")
    assert (code, out, err) == (0, "whole\n", "")


def test_an_output_in_a_missing_folder_names_the_file_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "result.json"
    code, out, err = _evaluate_small("--format", "json", "-o", str(target))
    assert (code, out) == (2, "")
    assert err == f"dangjian-rules: No such file or directory: {target}\n"
    assert not (tmp_path / "missing").exists()


def test_an_output_that_is_not_a_regular_file_is_written_in_place(tmp_path: Path) -> None:
    code, out, err = _evaluate_small("--format", "jsonl", "-o", os.devnull)
    assert (code, out, err) == (0, "", "")
    code, out, err = _evaluate_small("--format", "json", "-o", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"dangjian-rules: Is a directory: {tmp_path}\n"


def test_xlsx_piped_to_stdout_is_the_bytes_written_to_a_file(tmp_path: Path) -> None:
    class Pipe(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    raw = _Pipe()
    pipe = Pipe(raw, encoding="utf-8")
    args = ["evaluate", "-r", str(EXAMPLES / "small-card.toml"), "--format", "xlsx"]
    args += ["-d", str(EXAMPLES / "small-data.json"), "-p", "2015"]
    assert main(args, pipe, io.StringIO()) == 0
    pipe.flush()
    target = tmp_path / "book.xlsx"
    assert main([*args, "-o", str(target)], io.StringIO(), io.StringIO()) == 0
    assert raw.getvalue() == target.read_bytes()
    assert raw.getvalue().startswith(b"PK")
