"""Hostile input meeting the outputs: CSV formula injection, control characters in every
text output, lone surrogates in JSON, consoles that cannot encode every character."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian_rules.cli import main
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.io.data import dump_csv_folder, load_csv_folder
from dangjian_rules.io.formats import format_problems
from dangjian_rules.io.jsonl import read_jsonl_events
from dangjian_rules.io.safe_text import console_safe, plain_cell, printable, spreadsheet_cell
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset, Event, Member, Organization

ROOT = Path(__file__).resolve().parent.parent.parent
CARD = "rulesets/mianchi"
FORMULA = "=cmd|' /C calc'!A0"
HYPERLINK = '+HYPERLINK("http://example.com","x")'
ESCAPES = "\x1b]0;owned\x07\x1b[2J\u202e\x9b"
CONTROLS = set("\x1b\x07\u202e\x9b\r")


def _data(tmp_path: Path) -> Path:
    document = {
        "organizations": [
            {"id": "R", "name": "工委" + ESCAPES, "kind": "work_committee"},
            {"id": "B1", "name": FORMULA, "kind": "branch", "parent": "R"},
        ],
        "members": [
            {"id": "M1", "name": "张伟" + ESCAPES, "organization": "B1", "status": "full"},
            {"id": "M2", "name": HYPERLINK, "organization": "B1", "status": "probationary"},
        ],
        "events": [
            {"id": "E1", "type": "theme_day", "member": "M1", "date": "2015-03-05"},
            {"id": "E2", "type": "dues", "member": "M2", "date": "2015-04-10", "late": True},
        ],
    }
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def _no_controls(text: str) -> None:
    assert not CONTROLS & set(text), [c for c in text if c in CONTROLS]


# -- CSV formula injection ---------------------------------------------------------------


def test_results_csv_neutralises_formulas_and_keeps_numbers(tmp_path: Path) -> None:
    code, out, _ = _cli(
        "evaluate", "-r", CARD, "-d", str(_data(tmp_path)), "-p", "2015", "--format", "csv"
    )
    assert code == 0
    rows = {row[2]: row for row in csv.reader(io.StringIO(out))}
    header = rows["subject"]
    m1 = dict(zip(header, rows["M1"], strict=True))
    m2 = dict(zip(header, rows["M2"], strict=True))
    assert m2["name"] == "'" + HYPERLINK
    assert m2["discipline"] == "-2"  # a negative score stays a number
    assert m1["name"] == "张伟\\u001b]0;owned\\u0007\\u001b[2J\\u202e\\u009b"
    _no_controls(out)


def test_results_csv_file_neutralises_formulas(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    data = str(_data(tmp_path))
    code, _, _ = _cli(
        "evaluate", "-r", CARD, "-d", data, "-p", "2015", "--format", "csv", "-o", str(target)
    )
    assert code == 0
    text = target.read_text(encoding="utf-8-sig")
    assert f'"\'{HYPERLINK.replace(chr(34), chr(34) * 2)}"' in text
    assert not any(line.split(",")[3][:1] in "=+-@" for line in text.splitlines())


def test_data_dump_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    org = Organization("B1", FORMULA, "branch", attributes={"note": "@SUM(1+1)*cmd|' /C calc'!A0"})
    member = Member("M1", "-张伟", "B1", "full", dt.date(2015, 7, 1), attributes={"n": "'=x"})
    event = Event("E1", "theme_day", dt.date(2015, 3, 5), member="M1", attributes={"d": "-3"})
    data = Dataset.build([org], [member], [event])
    dump_csv_folder(data, tmp_path)
    organizations = (tmp_path / "organizations.csv").read_text(encoding="utf-8-sig")
    assert "B1,'=cmd|' /C calc'!A0,branch,,,'@SUM(1+1)*cmd|' /C calc'!A0" in organizations
    members = (tmp_path / "members.csv").read_text(encoding="utf-8-sig")
    assert "M1,'-张伟,B1,full,2015-07-01,,,''=x" in members
    events = (tmp_path / "events.csv").read_text(encoding="utf-8-sig")
    assert events.splitlines()[1].endswith(",-3")  # a number stays a number
    again = load_csv_folder(tmp_path)
    assert again.organizations == data.organizations
    assert again.members == data.members
    assert again.events == data.events


def test_excel_text_apostrophe_is_taken_off_on_reading(tmp_path: Path) -> None:
    """A file neutralised by another tool (or typed as 'text in Excel) reads as the text."""
    (tmp_path / "organizations.csv").write_text(
        "id,name,kind,parent,region\nR,'=工委,work_committee,,\nB1,'支部,branch,R,\n",
        encoding="utf-8",
    )
    (tmp_path / "members.csv").write_text("id,name,organization,status\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("id,type,member,organization,date\n", encoding="utf-8")
    data = load_csv_folder(tmp_path)
    assert data.organizations["R"].name == "=工委"
    assert data.organizations["B1"].name == "'支部"  # not formula-like: left alone


formula_like = st.builds(
    lambda quotes, start, rest: "'" * quotes + start + rest,
    st.integers(0, 3),
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", "1", "-1", "+2.5e3"]),
    st.text(max_size=8),
)
cells = st.one_of(st.text(), formula_like)


@given(cells)
def test_writing_then_reading_a_cell_is_exact(text: str) -> None:
    written = spreadsheet_cell(text)
    assert plain_cell(written) == text
    # what is written cannot start a formula, except a plain number
    if written[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(written)


@given(cells)
def test_reading_then_writing_a_written_cell_is_exact(text: str) -> None:
    written = spreadsheet_cell(text)
    assert spreadsheet_cell(plain_cell(written)) == written


names = st.one_of(st.text(min_size=1, max_size=10), formula_like).filter(
    lambda s: s == s.strip() and s != "" and "\x00" not in s
)


@given(st.lists(names, min_size=1, max_size=4, unique=True))
def test_dumped_csv_folder_reads_back_the_same_records(values: list[str]) -> None:
    import tempfile

    organizations = [
        Organization(f"O{i}", value, "branch", attributes={"note": value})
        for i, value in enumerate(values)
    ]
    members = [Member(f"M{i}", value, f"O{i}") for i, value in enumerate(values)]
    data = Dataset.build(organizations, members, [])
    with tempfile.TemporaryDirectory() as folder:
        dump_csv_folder(data, folder)
        again = load_csv_folder(folder)
    assert again.organizations == data.organizations
    assert again.members == data.members


# -- control characters in text outputs -------------------------------------------------


def test_table_shows_control_characters_as_escapes(tmp_path: Path) -> None:
    code, out, _ = _cli("evaluate", "-r", CARD, "-d", str(_data(tmp_path)), "-p", "2015")
    assert code == 0
    _no_controls(out)
    assert "张伟\\u001b]0;owned\\u0007\\u001b[2J\\u202e\\u009b" in out


def test_explain_shows_control_characters_as_escapes(tmp_path: Path) -> None:
    data = str(_data(tmp_path))
    code, out, _ = _cli("explain", "-r", CARD, "-d", data, "-p", "2015", "--subject", "M1")
    assert code == 0
    _no_controls(out)
    assert out.startswith("M1  张伟\\u001b]0;owned\\u0007\\u001b[2J\\u202e\\u009b  (B1)")


def test_problem_messages_show_control_characters_as_escapes() -> None:
    problem = Problem("DJ210", "bad \x1b[31mred\x07", "坏\x1b[31m", "f\x1b.json", 3, 4)
    assert format_problems([problem], "en") == (
        "f\\u001b.json:3:4: DJ210 bad \\u001b[31mred\\u0007\nFound 1 error(s) and 0 warning(s).\n"
    )


@pytest.fixture
def escaped_key(tmp_path: Path) -> Path:
    path = tmp_path / "card.toml"
    path.write_text(
        '[ruleset]\nid = "x.y"\nname = "n"\nversion = "1"\nsubject = "member"\n'
        '"bad\\u001b]0;owned\\u0007key" = 1\n',
        encoding="utf-8",
    )
    return path


def test_check_text_and_github_show_control_characters_as_escapes(escaped_key: Path) -> None:
    code, out, _ = _cli("check", str(escaped_key))
    assert code == 1
    assert f'{escaped_key}:6:1: DJ101 unknown key "bad\\u001b]0;owned\\u0007key" in ruleset' in out
    _no_controls(out)
    code, out, _ = _cli("check", "--format", "github", str(escaped_key))
    assert code == 1
    assert out.startswith(
        f"::error file={escaped_key},line=6,col=1,title=DJ101::"
        'unknown key "bad\\u001b]0;owned\\u0007key" in ruleset%0Ahint: '
    )
    _no_controls(out)


def test_check_junit_stays_well_formed(escaped_key: Path) -> None:
    code, out, _ = _cli("check", "--format", "junit", str(escaped_key))
    assert code == 1
    failure = ET.fromstring(out.split("\n", 1)[1]).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'DJ101 unknown key "bad\\u001b]0;owned\\u0007key" in ruleset'


def test_check_json_escapes_control_characters(escaped_key: Path) -> None:
    code, out, _ = _cli("check", "--format", "json", str(escaped_key))
    assert code == 1
    assert "\x1b" not in out
    assert (
        json.loads(out)["problems"][0]["message"]
        == 'unknown key "bad\x1b]0;owned\x07key" in ruleset'
    )


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert all(
        c in "\t\n" or (c.isprintable() or c in " \u2028\u2029") or ord(c) > 0x9F for c in shown
    )
    assert not {*"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"} & set(shown)
    shown.encode("utf-8")  # no lone surrogate either
    assert printable(shown) == shown


# -- lone surrogates in JSON ----------------------------------------------------------------


def test_lone_surrogate_in_json_data_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(
        '{"organizations": [{"id": "B1", "kind": "branch", "name": "x\\ud800y"}],\n'
        ' "members": [{"id": "M1", "name": "\\udc00", "organization": "B1"}],\n'
        ' "events": [{"id": "\\ud83d\\ude00", "type": "study", "member": "M1", '
        '"date": "2015-01-01"}]}\n',
        encoding="utf-8",
    )
    code, out, err = _cli("evaluate", "-r", CARD, "-d", str(path), "-p", "2015")
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == (
        f"{path}:1:61: DJ240 a \\u escape here is half of a surrogate pair (\\uD800-\\uDFFF "
        "without its other half): the string is not valid Unicode text"
    )
    assert lines[2].startswith(f"{path}:2:36: DJ240 ")
    assert lines[-1] == "Found 2 error(s) and 0 warning(s)."


def test_lone_surrogate_in_json_lines_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"subject": "M1", "events": []}\n{"subject": "M\\ud800"}\n', encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        list(read_jsonl_events(path, DataSchema()))
    [problem] = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.column) == ("DJ240", str(path), 2, 15)
    assert "surrogate" in problem.message and "代理对" in problem.message_zh


# -- consoles that cannot encode every character -------------------------------------------


def _process(encoding: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "LANG": "C.UTF-8"}
    env.pop("LC_ALL", None)
    return subprocess.run(
        [sys.executable, "-m", "dangjian_rules", *args], cwd=cwd, capture_output=True, env=env
    )


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _data(tmp_path_factory.mktemp("console"))


@pytest.mark.parametrize("encoding", ["ascii", "gbk"])
@pytest.mark.parametrize(
    ("command", "expected_code", "expected"),
    [
        (("test", CARD), 0, b"  v "),
        (("explain", "-r", CARD, "-d", "{data}", "-p", "2015", "--subject", "M2"), 0, b"-2"),
        (("check", "tests/rulesets/bad/wrong-types.toml"), 1, b"DJ103"),
        (("evaluate", "-r", CARD, "-d", "{data}", "-p", "2015", "--format", "table"), 0, b"M2"),
        (("evaluate", "-r", CARD, "-d", "{data}", "-p", "2015", "--lang", "zh"), 0, b"M2"),
    ],
)
def test_commands_work_on_a_console_that_cannot_encode_everything(
    small_data: Path, encoding: str, command: tuple[str, ...], expected_code: int, expected: bytes
) -> None:
    args = [a.replace("{data}", str(small_data)) for a in command]
    done = _process(encoding, *args)
    assert done.returncode == expected_code, done.stderr
    assert b"Traceback" not in done.stderr and b"UnicodeEncodeError" not in done.stderr
    assert expected in done.stdout
    done.stdout.decode(encoding)  # all of it in the console's encoding
    done.stderr.decode(encoding)


def test_an_undecodable_file_name_is_shown_not_a_crash(tmp_path: Path) -> None:
    missing = os.fsdecode(bytes(tmp_path) + b"/\xff.json")
    done = _process("utf-8", "evaluate", "-r", CARD, "-d", missing, "-p", "2015")
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    assert b"/\\udcff.json: DJ219 " in done.stderr


def test_diff_text_shows_control_characters_as_escapes(tmp_path: Path) -> None:
    card = ROOT / "docs" / "examples" / "small-card.toml"
    text = card.read_text(encoding="utf-8")
    proposal = tmp_path / "proposal.toml"
    proposal.write_text(
        text.replace('version = "1"', 'version = "2"', 1).replace("base = 60", "base = 65", 1),
        encoding="utf-8",
    )
    document = json.loads((ROOT / "docs" / "examples" / "small-data.json").read_text("utf-8"))
    document["members"][0]["name"] += ESCAPES
    data = tmp_path / "data.json"
    data.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, _ = _cli("diff", str(card), str(proposal), "-d", str(data), "-p", "2015")
    assert code == 0
    _no_controls(out)
    assert "\\u001b]0;owned\\u0007\\u001b[2J\\u202e\\u009b" in out


def test_table_columns_line_up_with_escaped_names(tmp_path: Path) -> None:
    code, out, _ = _cli("evaluate", "-r", CARD, "-d", str(_data(tmp_path)), "-p", "2015")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(("id ", "M1 ", "M2 "))]
    assert len(rows) == 3

    def column(row: str, text: str) -> int:  # on the screen: Chinese characters are two wide
        before = row[: row.index(text)]
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in before)

    assert column(rows[0], "organization") == column(rows[1], "B1") == column(rows[2], "B1")


def test_usage_errors_show_control_characters_as_escapes(tmp_path: Path) -> None:
    data = str(_data(tmp_path))
    subject = "M\x1b[2J"
    code, out, err = _cli("explain", "-r", CARD, "-d", data, "-p", "2015", "--subject", subject)
    assert out == ""
    assert code == 2
    assert err == (
        'dangjian-rules: no result for subject "M\\u001b[2J" in this period; '
        'expected one of: "M1", "M2"\n'
    )


def test_test_command_shows_case_names_with_escapes(tmp_path: Path) -> None:
    shutil.copy(ROOT / "docs" / "examples" / "small-card.toml", tmp_path / "small-card.toml")
    (tmp_path / "small-card.tests.toml").write_text(
        '[[tests]]\nname = "quiet\\u001b]0;owned\\u0007 member"\nperiod = "2015"\n'
        'subject = "M1"\ngiven.members = [{ id = "M1" }]\ngiven.events = []\n'
        "expect = { score = 60 }\n"
        '[[tests]]\nname = "wrong\\u009b"\nperiod = "2015"\nsubject = "M1"\n'
        'given.members = [{ id = "M1" }]\ngiven.events = []\nexpect = { score = 61 }\n',
        encoding="utf-8",
    )
    code, out, _ = _cli("test", str(tmp_path))
    assert code == 1
    _no_controls(out)
    assert "  ✓ quiet\\u001b]0;owned\\u0007 member\n" in out
    assert "  ✗ wrong\\u009b  (" in out
    assert out.endswith("1 passed, 1 failed\n")


@pytest.mark.parametrize("encoding", ["ascii", "gbk", "utf-8"])
@given(text=st.text())
def test_a_console_stream_writes_any_text(encoding: str, text: str) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding)
    console_safe(stream)
    stream.write(text + "✓−…")
    stream.flush()
    written = raw.getvalue().decode(encoding)
    if encoding == "ascii":
        assert written.endswith("v-...")
    if all(c.isascii() and c.isprintable() for c in text):
        assert written.startswith(text)
