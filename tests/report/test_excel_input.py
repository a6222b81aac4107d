"""Excel workbooks as data: a round trip, and every problem located by sheet and cell."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules.api import evaluate
from dangjian_rules.cli import main
from dangjian_rules.convert.results import dumps
from dangjian_rules.errors import ProblemsFound
from dangjian_rules.io.xlsx import SheetProblem, column_letter
from dangjian_rules.io.xlsx_data import dump_xlsx_dataset, load_xlsx_dataset
from dangjian_rules.model.fields import DataSchema, FieldSpec
from dangjian_rules.model.period import Period
from dangjian_rules.plugins.manager import default_registry


def openpyxl() -> Any:
    try:
        import openpyxl as module
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail('openpyxl is missing in CI: install the test extra with "[excel]"')
        pytest.skip('openpyxl is not installed (pip install "dangjian-rules[excel]")')
    return module


ORGANIZATIONS = ["id", "name", "kind", "parent", "region"]
MEMBERS = ["id", "name", "organization", "status", "joined", "left", "roles"]
EVENTS = ["id", "type", "member", "organization", "date", "end", "quantity", "status"]


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    xl = openpyxl()
    book = xl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def good_sheets() -> dict[str, list[list[object]]]:
    return {
        "organizations": [
            ORGANIZATIONS,
            ["W", "某县直机关工委", "工委", None, "某县"],
            ["B1", "第一支部", "支部", "W", "某县"],
        ],
        "members": [
            MEMBERS,
            ["M1", "张三", "B1", "正式", dt.datetime(2001, 7, 1), None, "书记；组织委员"],
            ["M2", "李四", "B1", "预备", "2015/3/1", None, None],
        ],
        "events": [
            [*EVENTS, "late"],
            ["E1", "dues", "M1", None, dt.datetime(2015, 1, 5), None, None, "通过", False],
            ["E2", "volunteer", "M1", None, "2015-02-01", None, 1.5, None, None],
            ["E3", "volunteer", "M2", None, dt.date(2015, 4, 2), "2015-04-03", 2, "待审核", None],
            [None, None, None, None, None, None, None, None, None],  # a blank row: skipped
            ["E4", "branch_meeting", None, "B1", dt.datetime(2015, 5, 6), None, None, None, None],
        ],
    }


def test_cells_become_typed_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "good.xlsx", good_sheets())
    schema = DataSchema(events={"dues": {"late": FieldSpec("late", "boolean")}})
    dataset = load_xlsx_dataset(path, schema)
    assert dataset.organizations["W"].kind == "work_committee"
    assert dataset.organizations["B1"].parent == "W"
    first, second = dataset.members["M1"], dataset.members["M2"]
    assert first.joined == dt.date(2001, 7, 1) and first.roles == ("书记", "组织委员")
    assert second.status == "probationary" and second.joined == dt.date(2015, 3, 1)
    events = {e.id: e for e in dataset.events}
    assert events["E1"].attributes == {"late": False} and events["E1"].status == "approved"
    assert events["E2"].quantity == Decimal("1.5") and events["E2"].date == dt.date(2015, 2, 1)
    assert events["E3"].end == dt.date(2015, 4, 3) and events["E3"].status == "pending"
    assert events["E4"].organization == "B1" and events["E4"].member is None
    assert len(dataset.events) == 4


def test_chinese_sheet_names_are_accepted(tmp_path: Path) -> None:
    sheets = good_sheets()
    renamed = {
        "党组织": sheets["organizations"],
        "党员": sheets["members"],
        "活动记录": sheets["events"],
    }
    dataset = load_xlsx_dataset(workbook(tmp_path / "zh.xlsx", renamed))
    assert len(dataset.members) == 2


def test_round_trip_gives_the_same_data_and_the_same_results(small: Any, tmp_path: Path) -> None:
    openpyxl()
    path = tmp_path / "small.xlsx"
    dump_xlsx_dataset(small.dataset, path)
    loaded = default_registry().load_data(path, schema=small.schema)  # through the loader plugin
    assert loaded.fingerprint == small.dataset.fingerprint
    assert loaded.counts() == small.dataset.counts()
    run = evaluate(small.rulesets, loaded, Period.parse("2015"))
    assert dumps(run) == dumps(small.run)


def test_evaluate_reads_a_workbook_from_the_command_line(small: Any, tmp_path: Path) -> None:
    openpyxl()
    path = tmp_path / "small.xlsx"
    dump_xlsx_dataset(small.dataset, path)
    folders = sorted({str(Path(r.source).parent) for r in small.rulesets})
    named = [arg for folder in folders for arg in ("-r", folder)]
    outputs = []
    for data in (path, small.folder):
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["evaluate", *named, "-d", str(data), "-p", "2015", "--format", "json"], out, err
        )
        assert code == 0, err.getvalue()
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]


def bad_sheets() -> dict[str, list[list[object]]]:
    return {
        "organizations": [
            ORGANIZATIONS,
            ["W", "工委", "工委", None, None],
            ["B1", "第一支部", "支部", "W", None],
            ["B2", "第二支部", "支部", "Z", None],  # D4: unknown parent
        ],
        "members": [
            MEMBERS,
            ["M1", "张三", "B1", "正式", None, None, None],
            ["M2", "李四", "X", "预备", "2015/13/1", None, None],  # C3 unknown org, E3 date
            ["M3", "王五", "B1", "群众", None, None, None],  # D4: unknown status
        ],
        "events": [
            EVENTS,
            ["E1", "study", "M1", None, dt.datetime(2015, 3, 1), None, 2, None],
            ["E2", "study", "M9", None, dt.datetime(2015, 3, 2), None, None, None],  # C3
            ["E3", "study", "M1", None, "not a date", None, None, None],  # E4
            ["E4", "study", "M1", None, dt.datetime(2015, 3, 4), None, "abc", None],  # G5
            ["E1", "study", "M1", None, dt.datetime(2015, 3, 5), None, None, None],  # A6 twice
            ["E6", "study", "M1", None, dt.datetime(2015, 3, 6, 10, 30), None, None, None],  # E7
            ["E7", "study", "M1", "B1", dt.datetime(2015, 3, 7), None, None, None],  # C8 both
            ["E8", "study", "M1", None, None, None, None, None],  # E9: no date
            ["E9", "study", "M1", None, dt.datetime(2015, 3, 9), None, None, "拒绝"],  # H10
        ],
    }


EXPECTED = {
    ("organizations!D4", "DJ202"),
    ("members!C3", "DJ205"),
    ("members!E3", "DJ207"),
    ("members!D4", "DJ209"),
    ("events!C3", "DJ206"),
    ("events!E4", "DJ207"),
    ("events!G5", "DJ210"),
    ("events!A6", "DJ201"),
    ("events!E7", "DJ207"),
    ("events!C8", "DJ212"),
    ("events!E9", "DJ211"),
    ("events!H10", "DJ209"),
}


def test_every_problem_is_located_by_sheet_and_cell(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", bad_sheets())
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(path)
    problems = caught.value.problems
    assert {(p.path, p.code) for p in problems} == EXPECTED
    for problem in problems:
        assert isinstance(problem, SheetProblem)
        assert problem.file == str(path)
        assert problem.location() == f"{path}:{problem.path}"
        assert problem.message and problem.message_zh
        column = "".join(c for c in (problem.path or "").split("!")[1] if c.isalpha())
        assert column_letter(problem.column or 0) == column


def test_the_command_line_prints_sheet_and_cell(tmp_path: Path, rulesets_dir: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", bad_sheets())
    out, err = io.StringIO(), io.StringIO()
    argv = ["evaluate", "-r", str(rulesets_dir / "mianchi"), "-d", str(path), "-p", "2015"]
    assert main([*argv, "--lang", "zh"], out, err) == 1
    text = err.getvalue()
    assert f"{path}:events!C3: DJ206 " in text
    assert f"{path}:members!E3: DJ207 " in text
    assert "不存在" in text
    assert f"发现 {len(EXPECTED)} 个错误" in text


def test_structure_problems(tmp_path: Path) -> None:
    sheets = good_sheets()
    del sheets["events"]
    sheets["event"] = [EVENTS]
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(workbook(tmp_path / "missing.xlsx", sheets))
    (problem,) = caught.value.problems
    assert problem.code == "DJ211" and "events" in problem.message
    assert problem.hint is not None and '"event"' in problem.hint

    sheets = good_sheets()
    sheets["members"][0] = ["id", "name", "org", "status", "status"]  # no organization, twice
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(workbook(tmp_path / "columns.xlsx", sheets))
    found = {(p.path, p.code) for p in caught.value.problems}
    assert found == {("members!E1", "DJ217"), ("members!A1", "DJ211")}

    sheets = good_sheets()
    sheets["members"][1] = [*sheets["members"][1], "stray"]
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(workbook(tmp_path / "stray.xlsx", sheets))
    assert [(p.path, p.code) for p in caught.value.problems] == [("members!H2", "DJ214")]

    sheets = good_sheets()
    sheets["organizations"] = []
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(workbook(tmp_path / "empty.xlsx", sheets))
    assert [(p.path, p.code) for p in caught.value.problems] == [("organizations!A1", "DJ214")]


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    openpyxl()
    path = tmp_path / "text.xlsx"
    path.write_text("id,name\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(path)
    (problem,) = caught.value.problems
    assert problem.code == "DJ214" and ".xlsx" in (problem.hint or "")
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(tmp_path / "nowhere.xlsx")
    assert caught.value.problems[0].code == "DJ219"


def test_typed_attribute_cells_are_checked(tmp_path: Path) -> None:
    sheets = good_sheets()
    sheets["events"][1][8] = "maybe"
    schema = DataSchema(events={"dues": {"late": FieldSpec("late", "boolean")}})
    with pytest.raises(ProblemsFound) as caught:
        load_xlsx_dataset(workbook(tmp_path / "attr.xlsx", sheets), schema)
    assert [(p.path, p.code) for p in caught.value.problems] == [("events!I2", "DJ210")]
