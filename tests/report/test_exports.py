"""Every reporter as a user runs it: CSV with a BOM, JSON Lines, the Excel workbook."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules.cli import main
from dangjian_rules.io.excel import MAX_ROWS, render_workbook
from dangjian_rules.io.formats import Reporter, ReportOptions
from dangjian_rules.model.result import BUCKETS, format_decimal
from dangjian_rules.plugins.manager import default_registry


def openpyxl() -> Any:
    """openpyxl, which reads the workbooks back; in CI (CI=true) it must be installed."""
    try:
        import openpyxl as module
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail('openpyxl is missing in CI: install the test extra with "[excel]"')
        pytest.skip('openpyxl is not installed (pip install "dangjian-rules[excel]")')
    return module


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def evaluate_args(city: Any, rulesets_dir: Path, *more: str) -> list[str]:
    folders = sorted({str(Path(r.source).parent) for r in city.rulesets})
    named = [arg for folder in folders for arg in ("-r", folder)]
    return ["evaluate", *named, "-d", str(city.folder), "-p", "2015", *more]


def test_the_exports_are_registered_reporters() -> None:
    reporters = default_registry().reporters
    assert {"table", "json", "csv", "jsonl", "xlsx"} <= set(reporters)
    assert reporters["xlsx"].binary and not reporters["jsonl"].binary
    assert reporters["csv"].file_encoding == "utf-8-sig"


def test_csv_written_to_a_file_has_a_bom_and_one_row_per_result(
    city: Any, rulesets_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    code, _, err = run_cli(*evaluate_args(city, rulesets_dir, "--format", "csv", "-o", str(target)))
    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(city.run.results)


def test_jsonl_has_one_parseable_line_per_result_with_provenance(
    city: Any, rulesets_dir: Path
) -> None:
    code, out, err = run_cli(*evaluate_args(city, rulesets_dir, "--format", "jsonl"))
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(city.run.results)
    refs = {r.id: r for r in city.run.rulesets}
    for line, result in zip(lines, city.run.results, strict=True):
        record = json.loads(line)
        assert record["schema"] == "dangjian-rules/result-line/1"
        assert record["subject"]["id"] == result.subject.id
        assert record["ruleset"] == result.ruleset
        assert record["score"] == format_decimal(result.score)
        provenance = record["provenance"]
        assert provenance["ruleset"]["sha256"] == refs[result.ruleset].sha256
        assert provenance["data"] == city.run.data.sha256
        assert provenance["period"]["label"] == "2015"
        assert len(record["trace"]) == len(result.trace)
    code, summary, _ = run_cli(*evaluate_args(city, rulesets_dir, "--format", "jsonl", "--summary"))
    assert all("trace" not in json.loads(line) for line in summary.splitlines())


def test_xlsx_has_a_sheet_per_ruleset_frozen_chinese_headers_and_the_traces(
    small: Any, rulesets_dir: Path, tmp_path: Path
) -> None:
    xl = openpyxl()
    target = tmp_path / "out.xlsx"
    args = evaluate_args(small, rulesets_dir, "--format", "xlsx", "-o", str(target), "--lang", "zh")
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert out == ""
    book = xl.load_workbook(target)
    names = book.sheetnames
    assert names[0] == "概览"
    assert names[1:-1] == [r.id for r in small.run.rulesets]
    assert names[-1] == "记录明细"
    for name in names:
        assert book[name].freeze_panes is not None
    card = book["mianchi.member-points"]
    header = [c.value for c in card[1]]
    assert header[:7] == ["编号", "姓名", "所在组织", "状态", "得分", "等次", "等次表"]
    assert card.freeze_panes == "C2"
    assert card.auto_filter.ref == f"A1:{card.cell(1, len(header)).column_letter}{card.max_row}"
    results = [r for r in small.run.results if r.ruleset == "mianchi.member-points"]
    assert card.max_row == len(results) + 1
    for row, result in zip(card.iter_rows(min_row=2, values_only=True), results, strict=True):
        assert row[0] == result.subject.id
        assert format_decimal(result.score) == format_decimal(_decimal(row[4]))
        assert row[5] == result.grade
    stars = book["lushi.star-branches"]
    assert "星级" in [c.value for c in stars[1]]
    traces = book["记录明细"]
    assert traces.freeze_panes == "D2"
    assert [c.value for c in traces[1]][:4] == ["规则集", "编号", "名称", "记录编号"]
    assert traces.max_row == 1 + sum(len(r.trace) for r in small.run.results)
    overview = [list(r) for r in book["概览"].iter_rows(values_only=True)]
    flat = [str(v) for row in overview for v in row if v is not None]
    assert small.run.data.sha256 in flat
    assert all(r.sha256 in flat for r in small.run.rulesets)


def _decimal(value: object) -> Any:
    from decimal import Decimal

    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def test_xlsx_in_english_and_deterministic(small: Any) -> None:
    xl = openpyxl()
    data = render_workbook(small.run, small.rulesets, "en")
    assert data == render_workbook(small.run, small.rulesets, "en")
    book = xl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "Overview" and book.sheetnames[-1] == "Records"
    header = [c.value for c in book["mianchi.member-points"][1]]
    assert header[:3] == ["Id", "Name", "Organization"]
    assert "records counted" in header


def test_xlsx_trace_rows_continue_on_another_sheet_past_excels_limit(
    small: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    xl = openpyxl()
    import dangjian_rules.io.excel as excel

    monkeypatch.setattr(excel, "MAX_ROWS", 101)
    book = xl.load_workbook(io.BytesIO(excel.render_workbook(small.run, small.rulesets, "zh")))
    trace_sheets = [n for n in book.sheetnames if n.startswith("记录明细")]
    total = sum(len(r.trace) for r in small.run.results)
    assert len(trace_sheets) == -(-total // 100)
    assert sum(book[n].max_row - 1 for n in trace_sheets) == total
    assert MAX_ROWS == 1_048_576


def test_xlsx_is_never_written_onto_a_terminal_or_text_stream(
    small: Any, rulesets_dir: Path
) -> None:
    code, out, err = run_cli(*evaluate_args(small, rulesets_dir, "--format", "xlsx"))
    assert code == 2
    assert "--output" in err and out == ""


def test_xlsx_goes_to_a_piped_stdout_as_bytes(small: Any, rulesets_dir: Path) -> None:
    class Pipe(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    raw = io.BytesIO()
    pipe = Pipe(raw, encoding="utf-8")
    code = main(evaluate_args(small, rulesets_dir, "--format", "xlsx"), pipe, io.StringIO())
    pipe.flush()
    assert code == 0
    assert raw.getvalue().startswith(b"PK")


def test_reading_xlsx_without_openpyxl_says_what_to_install(
    small: Any, rulesets_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "data.xlsx"
    from dangjian_rules.io.excel import dump_xlsx_dataset

    dump_xlsx_dataset(small.dataset, target)  # writing needs no third-party library
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    code, _, err = run_cli("evaluate", "-r", str(rulesets_dir), "-d", str(target), "-p", "2015")
    assert code == 2
    assert "dangjian-rules[excel]" in err


def test_reporter_render_bytes_encodes_text_formats(city: Any) -> None:
    text = Reporter("t", "text", lambda run, rulesets, options: "统计\n", "utf-8-sig")
    assert text.render_bytes(city.run, city.rulesets, ReportOptions()) == "\ufeff统计\n".encode()
    binary = Reporter("b", "bytes", lambda run, rulesets, options: b"\x00", binary=True)
    assert binary.render_bytes(city.run, city.rulesets, ReportOptions()) == b"\x00"


def test_bucket_columns_add_up_to_the_records(small: Any) -> None:
    xl = openpyxl()
    book = xl.load_workbook(io.BytesIO(render_workbook(small.run, small.rulesets, "zh")))
    sheet = book["mianchi.member-points"]
    header = [c.value for c in sheet[1]]
    columns = [header.index(f"记录数·{name}") for name in _bucket_names()]
    for row, result in zip(
        sheet.iter_rows(min_row=2, values_only=True),
        [r for r in small.run.results if r.ruleset == "mianchi.member-points"],
        strict=True,
    ):
        assert sum(row[i] for i in columns) == sum(result.events.values())


def _bucket_names() -> list[str]:
    from dangjian_rules.io.messages import message

    return [message(f"bucket.{b}", "zh") for b in BUCKETS]
