"""Hostile input that used to change results silently (issue 13): each case now gives a
located problem, or, for the fingerprint, tells different data apart."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dangjian_rules
from dangjian_rules.cli import main
from dangjian_rules.convert.results import read_result
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.io.jsonl import read_jsonl_events
from dangjian_rules.io.xlsx_data import load_xlsx_dataset
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Event, Member, Organization, dataset_from

CARD = "docs/examples/small-card.toml"
DATA = Path("docs/examples/small-data.json")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--lang", "en"], out, err)
    return code, out.getvalue(), err.getvalue()


def _where(problem: Problem) -> tuple[str, str | None, int | None, int | None, str | None]:
    return problem.code, problem.file, problem.line, problem.column, problem.path


# -- duplicate keys in JSON ----------------------------------------------------------------


def test_a_record_or_attribute_key_written_twice_is_refused_where_it_is(tmp_path: Path) -> None:
    text = DATA.read_text(encoding="utf-8")
    text = text.replace('"date": "2015-03-20"}', '"date": "2015-03-20", "date": "2016-03-20"}')
    text = text.replace(
        '"roles": ["支部书记"]}', '"roles": ["支部书记"], "attributes": {"a": 1, "a": 2}}'
    )
    data = tmp_path / "data.json"
    data.write_text(text, encoding="utf-8")
    code, out, err = _run("evaluate", "-r", CARD, "-d", str(data), "-p", "2015")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f'{data}:6:139: DJ217 the key "a" is written twice in the object '
        "members[0].attributes: which one is meant is unknown",
        "  hint: keep only one of them",
        f'{data}:12:78: DJ217 the key "date" is written twice in the object events[1]: '
        "which one is meant is unknown",
        "  hint: keep only one of them",
        "Found 2 error(s) and 0 warning(s).",
    ]


def test_a_results_file_with_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    code, written, _ = _run(
        "evaluate", "-r", CARD, "-d", str(DATA), "-p", "2015", "--format", "json"
    )
    assert code == 0
    previous = tmp_path / "previous.json"
    previous.write_text(written.replace('"score":"61"', '"score":"61","score":"99"', 1))
    column = written.index('"score":"61"') + len('"score":"61",') + 1
    with pytest.raises(ProblemsFound) as caught:
        read_result(previous)
    [problem] = caught.value.problems
    assert _where(problem) == ("DJ125", str(previous), 1, column, "results[0].score")
    assert problem.message_zh == "对象 results[0] 中键“score”出现了两次，无法确定应取哪一个"
    code, out, err = _run(
        "evaluate", "-r", CARD, "-d", str(DATA), "-p", "2015", "--previous", str(previous)
    )
    assert (code, out) == (1, "")
    assert f'{previous}:1:{column}: DJ125 the key "score" is written twice' in err


def test_a_stream_line_with_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    stream = tmp_path / "events.jsonl"
    good = {"subject": "M1", "events": [{"id": "E1", "type": "study", "date": "2015-03-01"}]}
    bad = '{"subject": "M2", "events": [{"id": "E2", "type": "study", "status": "approved", '
    bad += '"status": "pending", "date": "2015-03-01"}]}'
    stream.write_text(json.dumps(good) + "\n" + bad + "\n", encoding="utf-8")
    lines = read_jsonl_events(stream, DataSchema())
    assert next(lines)[0] == "M1"
    with pytest.raises(ProblemsFound) as caught:
        next(lines)
    [problem] = caught.value.problems
    column = bad.index('"status": "pending"') + 1
    assert _where(problem) == ("DJ217", str(stream), 2, column, "events[0].status")
    assert problem.message == (
        'the key "status" is written twice in the object events[0]: which one is meant is unknown'
    )


# -- a negative --limit ----------------------------------------------------------------------


def test_a_negative_limit_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run("evaluate", "-r", CARD, "-d", str(DATA), "-p", "2015", "--limit", "-1")
    assert (code, out) == (2, "")
    usage = capsys.readouterr().err  # argparse writes usage errors to the process's stderr
    assert usage.endswith("error: argument --limit: -1 is negative / 不能为负数\n")
    code, out, _ = _run("evaluate", "-r", CARD, "-d", str(DATA), "-p", "2015", "--limit", "1")
    assert code == 0 and "… 2 more" in out


# -- the data fingerprint ------------------------------------------------------------------


def _fingerprint(
    organizations: list[Organization],
    members: list[Member] | None = None,
    events: list[Event] | None = None,
) -> str:
    return dataset_from(organizations, members or [], events or [], "<test>").fingerprint


def test_a_missing_parent_or_region_is_not_the_text_none() -> None:
    branch = Organization("B1", "一支部", "branch")
    assert _fingerprint([branch]) != _fingerprint([Organization("B1", "一支部", "branch", "None")])
    assert _fingerprint([branch]) != _fingerprint(
        [Organization("B1", "一支部", "branch", region="None")]
    )


def test_separators_in_a_value_do_not_pass_for_two_records() -> None:
    one = Organization("B1", "一支部", "branch", region="x\nB2\x1f二支部\x1fbranch\x1fNone\x1fy")
    two = [
        Organization("B1", "一支部", "branch", region="x"),
        Organization("B2", "二支部", "branch"),
    ]
    assert _fingerprint([one]) != _fingerprint(two)


def test_the_text_five_and_the_number_five_differ_but_five_and_five_point_zero_do_not() -> None:
    day = dt.date(2015, 3, 1)

    def event(quantity: Decimal | None, mark: object) -> Event:
        return Event("E1", "study", day, "M1", quantity=quantity, attributes={"mark": mark})

    assert _fingerprint([], [], [event(Decimal(5), "5")]) != _fingerprint(
        [], [], [event(Decimal(5), Decimal(5))]
    )
    assert _fingerprint([], [], [event(Decimal("5.0"), Decimal("2.50"))]) == _fingerprint(
        [], [], [event(Decimal(5), Decimal("2.5"))]
    )
    assert _fingerprint([], [], [event(None, None)]) != _fingerprint([], [], [event(None, "None")])
    long = Decimal("12345678901234567890.123456789")  # more digits than Python's default 28
    assert _fingerprint([], [], [event(long, None)]) != _fingerprint(
        [], [], [event(Decimal("12345678901234567890.12345679"), None)]
    )


_TEXT = st.text(alphabet='aB1 "\\\x1f\n,[]{}:None', max_size=5)
_VALUE = st.one_of(
    st.none(), _TEXT, st.booleans(), st.integers(-3, 3).map(Decimal), st.dates().map(str)
)
_ATTRIBUTES = st.dictionaries(_TEXT, _VALUE, max_size=2)
_ORGANIZATION = st.builds(
    Organization,
    id=_TEXT,
    name=_TEXT,
    kind=st.sampled_from(["branch", "committee"]),
    parent=st.none() | _TEXT,
    region=st.none() | _TEXT,
    attributes=_ATTRIBUTES,
)
_EVENT = st.builds(
    Event,
    id=_TEXT,
    type=_TEXT,
    date=st.dates(),
    member=st.none() | _TEXT,
    organization=st.none() | _TEXT,
    end=st.none() | st.dates(),
    quantity=st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    attributes=_ATTRIBUTES,
)


def _unique(records: list[Organization] | list[Event]) -> list[Organization] | list[Event]:
    return list({r.id: r for r in records}.values())


_DATA = st.tuples(
    st.lists(_ORGANIZATION, max_size=3).map(_unique),
    st.lists(_EVENT, max_size=3).map(_unique),
)


@settings(max_examples=300)
@given(_DATA, _DATA, st.randoms())
def test_the_fingerprint_tells_datasets_apart_and_ignores_order(
    first: tuple[list[Organization], list[Event]],
    second: tuple[list[Organization], list[Event]],
    rnd: random.Random,
) -> None:
    organizations, events = first
    fingerprint = _fingerprint(organizations, [], events)  # type: ignore[arg-type]
    shuffled = (rnd.sample(organizations, len(organizations)), rnd.sample(events, len(events)))
    assert _fingerprint(shuffled[0], [], shuffled[1]) == fingerprint  # type: ignore[arg-type]

    def by_id(data: tuple[list[Organization], list[Event]]) -> tuple[list[object], ...]:
        return tuple(sorted(records, key=lambda r: r.id) for records in data)

    if by_id(first) != by_id(second):
        assert _fingerprint(second[0], [], second[1]) != fingerprint  # type: ignore[arg-type]


def test_members_missing_dates_differ_from_members_with_them() -> None:
    plain = Member("M1", "张伟", "B1")
    joined = Member("M1", "张伟", "B1", joined=dt.date(2015, 1, 1))
    roles = Member("M1", "张伟", "B1", roles=("secretary",))
    fingerprints = {_fingerprint([], [m]) for m in (plain, joined, roles)}
    assert len(fingerprints) == 3


# -- Excel workbooks -------------------------------------------------------------------------


def _workbook(path: Path, events: list[list[object]], extra_sheet: str | None = None) -> None:
    """A small data workbook written by openpyxl: formulas get no computed value, as from
    any program other than Excel."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    organizations = book.active
    organizations.title = "organizations"
    organizations.append(["id", "name", "kind"])
    organizations.append(["B1", "一支部", "branch"])
    members = book.create_sheet("members")
    members.append(["id", "name", "organization"])
    members.append(["M1", "张伟", "B1"])
    for title in ("events", *([extra_sheet] if extra_sheet else [])):
        sheet = book.create_sheet(title)
        sheet.append(["id", "type", "member", "date", "quantity", "late"])
        for row in events:
            sheet.append(row)
    book.save(path)


def test_formulas_without_a_computed_value_are_reported_not_read_as_empty(
    tmp_path: Path,
) -> None:
    book = tmp_path / "branch.xlsx"
    _workbook(
        book,
        [
            ["E1", "volunteer", "M1", "2015-03-01", "=2+3", None],
            ["E2", "dues", "M1", "2015-04-10", None, "=TRUE()"],
            ["E3", "dues", "M1", "2015-05-10", 2, None],
            [None, None, None, None, "=1"],  # a row that would read as blank
        ],
    )
    code, out, err = _run("evaluate", "-r", CARD, "-d", str(book), "-p", "2015")
    assert (code, out) == (1, "")
    problems = [line for line in err.splitlines() if "DJ" in line]
    assert problems == [
        f'{book}:events!E2: DJ221 cell events!E2 holds the formula "=2+3" but no computed value '
        "(the program that saved the file does not compute formulas); it is not read as empty",
        f'{book}:events!F3: DJ221 cell events!F3 holds the formula "=TRUE()" but no computed '
        "value (the program that saved the file does not compute formulas); it is not read as "
        "empty",
        f'{book}:events!E5: DJ221 cell events!E5 holds the formula "=1" but no computed value '
        "(the program that saved the file does not compute formulas); it is not read as empty",
    ]


def test_a_formula_with_its_computed_value_is_read(tmp_path: Path) -> None:
    written = tmp_path / "written.xlsx"
    _workbook(written, [["E1", "volunteer", "M1", "2015-03-01", "=2+3", None]])
    book = tmp_path / "branch.xlsx"  # as Excel saves it: the formula with its computed value
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(book, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            target.writestr(name, part.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>5</v>"))
    assert load_xlsx_dataset(book).events[0].quantity == Decimal(5)


def test_two_sheets_for_the_same_table_are_ambiguous(tmp_path: Path) -> None:
    book = tmp_path / "branch.xlsx"
    _workbook(book, [["E1", "volunteer", "M1", "2015-03-01", 2, None]], extra_sheet="活动记录")
    code, out, err = _run("evaluate", "-r", CARD, "-d", str(book), "-p", "2015")
    assert (code, out) == (1, "")
    assert err.splitlines()[:2] == [
        f'{book}: DJ222 the workbook has 2 sheets for events: "events", "活动记录"; which one '
        "holds the data is unknown",
        "  hint: keep the data in one sheet and delete or rename the others",
    ]


# -- the range of exact numbers --------------------------------------------------------------

_PER_HOUR = """
[ruleset]
id = "test.per-hour"
name = "按小时计分"
version = "1"
subject = "member"

[score]
base = {base}

[event_types.volunteer]
label = "志愿服务"
quantity = "hours"

[[rules]]
id = "volunteer"
label = "志愿服务"
kind = "points"
on = "volunteer"
points_per_unit = {rate}
"""


def _volunteering(quantities: list[object]) -> dict[str, object]:
    events = [
        {"id": f"E{i}", "type": "volunteer", "member": "M1", "date": "2015-03-01", "quantity": q}
        for i, q in enumerate(quantities, start=1)
    ]
    return {
        "organizations": [{"id": "B1", "name": "一支部", "kind": "branch"}],
        "members": [{"id": "M1", "name": "张伟", "organization": "B1"}],
        "events": events,
    }


def test_numbers_outside_the_exact_range_are_refused_in_data(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    text = json.dumps(_volunteering(["1E-28", "12345678901234567890.123456789", "1.50000000000"]))
    data.write_text(text)
    first, second = (text.index(f'"{q}') + 1 for q in ("1E-28", "12345678901234567890.1"))
    card = tmp_path / "card.toml"
    card.write_text(_PER_HOUR.format(base=60, rate=1), encoding="utf-8")
    code, out, err = _run("evaluate", "-r", str(card), "-d", str(data), "-p", "2015")
    assert (code, out) == (1, "")
    range_words = "outside the numbers computed exactly (at most 15 digits before the decimal "
    range_words += "point and 10 after it)"
    assert [line for line in err.splitlines() if "DJ" in line] == [
        f'{data}:1:{first}: DJ223 the quantity of event "E1" is 1E-28, {range_words}',
        f'{data}:1:{second}: DJ223 the quantity of event "E2" is 12345678901234567890.123456789, '
        + range_words,
    ]


def test_numbers_outside_the_exact_range_are_refused_in_rulesets(tmp_path: Path) -> None:
    card = tmp_path / "card.toml"
    card.write_text(_PER_HOUR.format(base=60, rate="0.00000000001"), encoding="utf-8")
    code, out, _ = _run("check", str(card))
    assert code == 1
    assert out.splitlines()[0] == (
        f"{card}:20:19: DJ104 rules[0].points_per_unit is 1E-11, outside the numbers computed "
        "exactly (at most 15 digits before the decimal point and 10 after it)"
    )


def test_numbers_outside_the_exact_range_are_refused_in_results_files(tmp_path: Path) -> None:
    written = _run("evaluate", "-r", CARD, "-d", str(DATA), "-p", "2015", "--format", "json")[1]
    previous = tmp_path / "previous.json"
    previous.write_text(written.replace('"score":"61"', '"score":"1E+20"', 1))
    with pytest.raises(ProblemsFound) as caught:
        read_result(previous)
    [problem] = caught.value.problems
    assert (problem.code, problem.path) == ("DJ125", "results[0].score")
    assert "at most 15 digits before the decimal point and 10 after it" in problem.message


_IN_RANGE = st.decimals(
    min_value=Decimal("-999999999999999.9999999999"),
    max_value=Decimal("999999999999999.9999999999"),
    places=10,
)


@settings(max_examples=60, deadline=None)
@given(
    base=_IN_RANGE,
    rate=_IN_RANGE.filter(lambda rate: rate > 0),  # a points rule awards a positive rate
    quantities=st.lists(_IN_RANGE.map(abs), min_size=1, max_size=6),
)
def test_scores_from_in_range_numbers_are_exact(
    base: Decimal, rate: Decimal, quantities: list[Decimal]
) -> None:
    card, problems = dangjian_rules.parse_ruleset(_PER_HOUR.format(base=base, rate=rate))
    assert card is not None, problems
    day = dt.date(2015, 3, 1)
    events = [Event(f"E{i}", "volunteer", day, "M1", quantity=q) for i, q in enumerate(quantities)]
    data = dataset_from(
        [Organization("B1", "一支部", "branch")], [Member("M1", "张伟", "B1")], events, "<test>"
    )
    run = dangjian_rules.evaluate(card, data, Period.parse("2015"), with_trace=False)
    expected = Fraction(base) + sum(Fraction(rate) * Fraction(q) for q in quantities)
    assert Fraction(run.results[0].score) == expected


def test_a_csv_quantity_outside_the_exact_range_is_refused_at_its_cell(tmp_path: Path) -> None:
    folder = tmp_path / "branch"
    folder.mkdir()
    for name in ("organizations.csv", "members.csv", "events.csv"):
        text = (ROOT / "docs/examples/data/branch-csv" / name).read_text(encoding="utf-8")
        (folder / name).write_text(text.replace(",2015-03-28,,5,", ",2015-03-28,,1E+15,"))
    code, out, err = _run("evaluate", "-r", CARD, "-d", str(folder), "-p", "2015")
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == (
        f'{folder / "events.csv"}:4:7: DJ223 the quantity of event "E03" is 1E+15, outside the '
        "numbers computed exactly (at most 15 digits before the decimal point and 10 after it)"
    )
