"""Hostile input that used to end in a traceback, hang or run away (issue 13): each case now
gives a located problem or a usage error, and every limit of docs/limits.md is tested at its
edge (at the limit passes, one over fails)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from dangjian_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "docs" / "examples" / "small-card.toml"
HEAD = '[ruleset]\nid = "t.{id}"\nname = "限值"\nversion = "1"\nsubject = "member"\n'
STUDY = '\n[event_types.study]\nlabel = "学习"\nquantity = "hours"\n'
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


def _run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*map(str, argv), "--lang", "en"], out, err)
    return code, out.getvalue(), err.getvalue()


def _rule(rule_id: str, when: str | None = None) -> str:
    condition = f"when = '{when}'\n" if when else ""
    return (
        f'\n[[rules]]\nid = "{rule_id}"\nlabel = "学习"\nkind = "points"\non = "study"\n'
        f"{condition}points = 1\n"
    )


def _ruleset(folder: Path, name: str, *rules: str, ruleset_id: str = "limits") -> Path:
    path = folder / name
    path.write_text(HEAD.format(id=ruleset_id) + STUDY + "".join(rules), encoding="utf-8")
    return path


def _data(folder: Path, depth: int = 1, events: str = "2015-03-01") -> Path:
    """organizations.csv, members.csv, events.csv: a chain of ``depth`` organizations, one
    member in the deepest, one study event on each date given."""
    data = folder / "data"
    data.mkdir()
    rows = ["id,name,kind,parent"]
    for level in range(1, depth + 1):
        parent = f"O{level - 1}" if level > 1 else ""
        kind = "branch" if level == depth else "committee"
        rows.append(f"O{level},组织{level},{kind},{parent}")
    (data / "organizations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    members = f"id,name,organization,status\nM1,张伟,O{depth},full\n"
    (data / "members.csv").write_text(members, encoding="utf-8")
    lines = ["id,type,member,date,quantity"]
    lines += [f"E{i},study,M1,{day},1" for i, day in enumerate(events.split(), 1)]
    (data / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


# -- files: regular files only, with a size cap ------------------------------------------


@needs_fifo
def test_a_fifo_beside_a_ruleset_is_refused_not_waited_on(tmp_path: Path) -> None:
    _ruleset(tmp_path, "card.toml", _rule("study"))
    os.mkfifo(tmp_path / "pipe.toml")
    code, out, _ = _run("check", tmp_path)
    assert code == 1
    assert (
        f"{tmp_path / 'pipe.toml'}: DJ131 the ruleset file is not read: "
        "not a regular file (a FIFO, device or socket)"
    ) in out


def test_a_device_through_a_symbolic_link_is_refused_not_read_to_the_end(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    _ruleset(tmp_path, "card.toml", _rule("study"))
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    (tmp_path / "card.tests.toml").symlink_to("/dev/zero")
    code, out, _ = _run("check", tmp_path)
    assert code == 1
    for name in ("zero.toml", "card.tests.toml"):
        assert f"{tmp_path / name}: DJ131 the ruleset file is not read: not a regular file" in out


@needs_fifo
def test_extends_naming_a_baseline_that_is_a_fifo_is_not_found_rather_than_waited_on(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "base.toml")
    card = tmp_path / "card.toml"
    card.write_text(
        HEAD.format(id="card").replace('subject = "member"\n', 'extends = "t.base"\n'),
        encoding="utf-8",
    )
    code, out, _ = _run("check", card)
    assert code == 1
    assert f'{card}:5:11: DJ127 the baseline "t.base" to extend was not found' in out


@needs_fifo
def test_a_data_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path)
    (data / "events.csv").unlink()
    os.mkfifo(data / "events.csv")
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015")
    assert code == 1
    shown = data / "events.csv"
    assert (
        f"{shown}: DJ231 the data file {shown} is not read: "
        "not a regular file (a FIFO, device or socket)"
    ) in err


@needs_fifo
def test_a_workbook_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    os.mkfifo(tmp_path / "data.xlsx")
    code, _, err = _run("evaluate", "-r", card, "-d", tmp_path / "data.xlsx", "-p", "2015")
    assert code == 1
    shown = tmp_path / "data.xlsx"
    assert (
        f"{shown}: DJ231 the data file {shown} is not read: "
        "not a regular file (a FIFO, device or socket)\n"
        "  hint: name a regular file (not a pipe or a device)"
    ) in err


def test_the_ruleset_size_limit_at_its_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    size = card.stat().st_size
    monkeypatch.setenv("DANGJIAN_RULES_MAX_RULESET_BYTES", str(size))
    assert _run("check", card)[0] == 0
    monkeypatch.setenv("DANGJIAN_RULES_MAX_RULESET_BYTES", str(size - 1))
    code, out, _ = _run("check", card)
    assert code == 1
    assert (
        f"{card}: DJ131 the ruleset file is not read: larger than the limit of "
        f"{size - 1:,} bytes (set DANGJIAN_RULES_MAX_RULESET_BYTES to change it)"
    ) in out


def test_the_data_size_limit_at_its_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path)
    size = max(p.stat().st_size for p in data.iterdir())
    biggest = max(data.iterdir(), key=lambda p: p.stat().st_size)
    monkeypatch.setenv("DANGJIAN_RULES_MAX_DATA_BYTES", str(size))
    assert _run("evaluate", "-r", card, "-d", data, "-p", "2015")[0] == 0
    monkeypatch.setenv("DANGJIAN_RULES_MAX_DATA_BYTES", str(size - 1))
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015")
    assert code == 1
    assert f"{biggest}: DJ231 the data file {biggest} is not read: larger than the limit" in err


# -- numbers and dates beyond Python's own limits --------------------------------------------


def test_an_integer_of_5000_digits_in_a_ruleset_is_located(tmp_path: Path) -> None:
    card = tmp_path / "card.toml"
    card.write_text(HEAD.format(id="n") + "\n[score]\nbase = " + "9" * 5000 + "\n", "utf-8")
    code, out, _ = _run("check", card)
    assert code == 1
    assert f"{card}:8:8: DJ132 a number with more than 4300 digits" in out


def test_an_integer_of_5000_digits_in_the_sibling_tests_file_is_located(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    tests = tmp_path / "card.tests.toml"
    tests.write_text('[[tests]]\nname = "x"\nperiod = "2015"\nq = ' + "1" * 5000 + "\n", "utf-8")
    for command in ("check", "test"):
        code, out, err = _run(command, card)
        assert code == 1, command
        assert f"{tests}:4:5: DJ132 a number with more than 4300 digits" in out + err


def test_a_json_integer_of_5000_digits_is_the_fields_problem(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = tmp_path / "data.json"
    records = {
        "organizations": [{"id": "B1", "name": "支部", "kind": "branch"}],
        "members": [{"id": "M1", "name": "张伟", "organization": "B1"}],
        "events": [{"id": "E1", "type": "study", "member": "M1", "date": "2015-03-01"}],
    }
    data.write_text(json.dumps(records).replace('"E1"', "9" * 5000), encoding="utf-8")
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015")
    assert code == 1
    assert "DJ210" in err and "Traceback" not in err and "ValueError" not in err


def test_a_date_with_a_20_digit_year_is_not_a_date(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path, events="20150000000000000000-03-01")
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015")
    assert code == 1
    assert (
        f'{data / "events.csv"}:2:4: DJ207 the date of event "E1" is '
        '"20150000000000000000-03-01", which is not a valid date'
    ) in err


@pytest.mark.parametrize(
    ("when", "column", "words"),
    [
        ("event.date + 4000000 > 2015-01-01", 20, "+ 4000000 days gives a date outside years"),
        ("9999-12-31 + 1 > event.date", 20, "+ 1 days gives a date outside years 1–9999"),
        ("event.date - 3652059 < 2015-01-01", 20, "- 3652059 days gives a date outside years"),
    ],
)
def test_constant_days_that_leave_the_calendar_are_refused_when_checked(
    tmp_path: Path, when: str, column: int, words: str
) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", when))
    code, out, _ = _run("check", card)
    assert code == 1
    assert f"{card}:16:{column}: DJ108 condition rules[0].when: {words}" in out


def test_constant_days_inside_the_calendar_are_accepted(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", "9999-12-30 + 1 > event.date"))
    assert _run("check", card)[0] == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_record_whose_date_leaves_the_calendar_names_the_condition_and_the_event(
    tmp_path: Path, workers: str
) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", "event.date + 3000000 > 2015-01-01"))
    data = _data(tmp_path, events="2015-03-01")
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--workers", workers)
    assert code == 1
    assert (
        f"{card}: DJ230 condition rules[0].when (event.date + 3000000 > 2015-01-01) gives a "
        "date outside years 1–9999 for event E1: 2015-03-01 + 3000000"
    ) in err


def test_constant_days_that_are_not_whole_are_refused_when_checked(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", "event.date + 1.5 > 2015-01-01"))
    code, out, _ = _run("check", card)
    assert code == 1
    assert (
        f"{card}:16:20: DJ108 condition rules[0].when: + 1.5 days: a date moves by whole days"
        in out
    )


def test_a_record_moving_a_date_by_part_of_a_day_is_named_not_truncated(tmp_path: Path) -> None:
    card = _ruleset(
        tmp_path, "card.toml", _rule("study", "event.date + event.quantity > 2015-03-02")
    )
    data = _data(tmp_path, events="2015-03-01")
    (data / "events.csv").write_text(
        "id,type,member,date,quantity\nE1,study,M1,2015-03-01,1.5\n", encoding="utf-8"
    )
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015")
    assert code == 1
    assert (
        f"{card}: DJ233 condition rules[0].when (event.date + event.quantity > 2015-03-02) moves "
        "a date by days that are not a whole number for event E1: 2015-03-01 + 1.5"
    ) in err


def test_a_period_in_the_year_9999_with_monthly_windows_evaluates(tmp_path: Path) -> None:
    data = _data(tmp_path, events="9999-12-31")
    code, out, err = _run("evaluate", "-r", CARD, "-d", data, "-p", "9999", "--format", "csv")
    assert (code, err) == (0, "")
    assert "M1" in out


# -- the condition language's depth ---------------------------------------------------------


def _chain(terms: int) -> str:
    return " + ".join(["event.quantity"] * terms) + " > 0"


def test_a_chain_of_41_terms_is_at_the_depth_limit_and_42_is_over(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", _chain(41)))
    assert _run("check", card)[0] == 0
    card = _ruleset(tmp_path, "card.toml", _rule("study", _chain(42)))
    code, out, _ = _run("check", card)
    assert code == 1
    offset = len(" + ".join(["event.quantity"] * 41)) + 1  # the 41st "+"
    assert f"{card}:16:{9 + offset}: DJ107 condition rules[0].when: condition is nested too " in out


def test_500_terms_are_refused_not_a_recursion_error_in_workers(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study", "1+" * 499 + "1 > 0"))
    data = _data(tmp_path)
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--workers", "2")
    assert code == 1
    assert "DJ107 condition rules[0].when: condition is nested too deeply" in err


def test_the_deepest_allowed_condition_evaluates_alike_in_one_process_and_in_workers(
    tmp_path: Path,
) -> None:
    deepest = "(" * 20 + _chain(21).removesuffix(" > 0") + ")" * 20 + " > 0"
    card = _ruleset(tmp_path, "card.toml", _rule("study", deepest))
    assert _run("check", card)[0] == 0
    data = _data(tmp_path, events="2015-03-01 2015-04-01")
    one = _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--format", "csv")
    two = _run(
        "evaluate", "-r", card, "-d", data, "-p", "2015", "--format", "csv", "--workers", "2"
    )
    assert one == two and one[0] == 0
    assert ",2" in one[1]  # both events scored


# -- ruleset limits ---------------------------------------------------------------------------


def test_the_number_of_rules_at_its_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_RULES_MAX_RULES", "3")
    card = _ruleset(tmp_path, "card.toml", *(_rule(f"r{i}") for i in range(3)))
    assert _run("check", card)[0] == 0
    card = _ruleset(tmp_path, "card.toml", *(_rule(f"r{i}") for i in range(4)))
    code, out, _ = _run("check", card)
    assert code == 1
    assert (
        f"{card}:32:1: DJ133 4 rules; a ruleset may have at most 3\n"
        "  hint: split the ruleset, or raise the limit with DANGJIAN_RULES_MAX_RULES"
    ) in out


def _baselines(folder: Path, count: int) -> Path:
    """t.b0 ← t.b1 ← … ← t.b{count}: the last extends ``count`` baselines in a row."""
    for level in range(count + 1):
        text = HEAD.format(id=f"b{level}")
        if level:
            text = text.replace('subject = "member"\n', f'extends = "t.b{level - 1}"\n')
        else:
            text += STUDY + _rule("study")
        (folder / f"b{level}.toml").write_text(text, encoding="utf-8")
    return folder / f"b{count}.toml"


def test_the_extends_chain_at_its_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at, over = tmp_path / "at" / "here", tmp_path / "over" / "here"  # apart: not one index
    at.mkdir(parents=True)
    over.mkdir(parents=True)
    assert _run("check", _baselines(at, 8))[0] == 0
    top = _baselines(over, 9)
    code, out, _ = _run("check", top)
    assert code == 1
    chain = " → ".join(f"t.b{level}" for level in range(9, -1, -1))
    assert f"{top}:5:11: DJ134 more than 8 baselines in a row: {chain}" in out
    monkeypatch.setenv("DANGJIAN_RULES_MAX_EXTENDS", "9")
    assert _run("check", top)[0] == 0


# -- data limits ------------------------------------------------------------------------------


def test_the_organization_tree_depth_at_its_edge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    (tmp_path / "at").mkdir()
    (tmp_path / "over").mkdir()
    at, over = _data(tmp_path / "at", depth=32), _data(tmp_path / "over", depth=33)
    assert _run("evaluate", "-r", card, "-d", at, "-p", "2015")[0] == 0
    code, _, err = _run("evaluate", "-r", card, "-d", over, "-p", "2015")
    assert code == 1
    assert (
        f'{over / "organizations.csv"}:34:4: DJ232 organization "O33" is at level 33 of the '
        "organization tree (the top is level 1); at most 32 levels are allowed"
    ) in err
    monkeypatch.setenv("DANGJIAN_RULES_MAX_TREE_DEPTH", "33")
    assert _run("evaluate", "-r", card, "-d", over, "-p", "2015")[0] == 0


def test_an_entity_bomb_in_a_workbook_is_the_workbooks_problem(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("organizations", "members", "events"):
        sheet = book.create_sheet(name)
        for line in (data / f"{name}.csv").read_text(encoding="utf-8").splitlines():
            sheet.append(line.split(","))
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(8))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = f"<!DOCTYPE bomb [{entities}]>".encode() + part.replace(
                    b"<t>O1</t>", b"<t>&e7;</t>", 1
                )
            target.writestr(name, part)
    code, _, err = _run("evaluate", "-r", card, "-d", bomb, "-p", "2015")
    assert code == 1
    assert f"{bomb}: DJ214 {bomb} holds XML that cannot be read safely: " in err


# -- command-line arguments ---------------------------------------------------------------------


def test_workers_beyond_the_limit_are_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path)
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--workers", "9" * 20)
    assert code == 2
    assert "--workers must be from 1 to 256 (set DANGJIAN_RULES_MAX_WORKERS for more" in err
    monkeypatch.setenv("DANGJIAN_RULES_MAX_WORKERS", "2")
    assert _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--workers", "2")[0] == 0
    assert _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--workers", "3")[0] == 2


@pytest.mark.parametrize(
    ("year", "code"), [("0", 2), ("1979", 2), ("1980", 0), ("2100", 0), ("2101", 2)]
)
def test_generate_years_at_their_edges(tmp_path: Path, year: str, code: int) -> None:
    found, _, err = _run("generate", "--members", "1", "--year", year, "--out", tmp_path / "g")
    assert found == code
    if code:
        assert "--year must be from 1980 to 2100" in err


def test_generate_members_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DANGJIAN_RULES_MAX_GENERATE_MEMBERS", "5")
    assert _run("generate", "--members", "5", "--out", tmp_path / "at")[0] == 0
    code, _, err = _run("generate", "--members", "6", "--out", tmp_path / "over")
    assert code == 2
    assert "--members must be from 1 to 5 (set DANGJIAN_RULES_MAX_GENERATE_MEMBERS" in err
    assert not (tmp_path / "over").exists()


def test_fuzz_for_the_year_9999_is_a_usage_error() -> None:
    code, _, err = _run("fuzz", CARD, "--period", "9999", "--examples", "1")
    assert code == 2
    assert "fuzz makes data for years 1980 to 2100; --period 9999 is outside them" in err


def test_a_codec_that_is_not_a_text_encoding_is_a_usage_error(tmp_path: Path) -> None:
    card = _ruleset(tmp_path, "card.toml", _rule("study"))
    data = _data(tmp_path)
    code, _, err = _run("evaluate", "-r", card, "-d", data, "-p", "2015", "--encoding", "base64")
    assert code == 2
    assert 'unknown encoding "base64"' in err


# -- [[tests]] cases ----------------------------------------------------------------------------


def test_nan_in_a_test_case_is_located(tmp_path: Path) -> None:
    case = (
        '\n[[tests]]\nname = "nan"\nperiod = "2015"\nsubject = "M1"\n'
        'given.members = [{ id = "M1" }]\n'
        'given.events = [{ type = "study", date = 2015-03-01, quantity = nan }]\n'
        "expect.score = 1\n"
    )
    card = _ruleset(tmp_path, "card.toml", _rule("study"), case)
    code, _, err = _run("test", card)
    assert code == 1
    assert f"{card}:23:65: DJ135 NaN is not a number a record can hold" in err


def test_a_year_as_a_joining_date_in_a_test_case_fails_the_case_with_its_problem(
    tmp_path: Path,
) -> None:
    case = (
        '\n[[tests]]\nname = "joined"\nperiod = "2015"\nsubject = "M1"\n'
        'given.members = [{ id = "M1", joined = "2015" }]\n'
        'given.events = [{ type = "study", date = 2015-03-01 }]\n'
        "expect.score = 1\n"
    )
    card = _ruleset(tmp_path, "card.toml", _rule("study"), case)
    code, out, _ = _run("test", card)
    assert code == 1
    assert (
        'DJ207 test “joined”: the joining date of member "M1" is "2015", which is not a valid date'
    ) in out
