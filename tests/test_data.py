"""Loading, checking and writing datasets (``dangjian_rules.io.data``)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import string
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dangjian_rules
from dangjian_rules.api import load_dataset, load_ruleset, load_rulesets
from dangjian_rules.cli import main
from dangjian_rules.convert import records as record_builder
from dangjian_rules.convert.results import dumps
from dangjian_rules.errors import Problem, ProblemsFound, UsageError
from dangjian_rules.io import csv_reader, data, json_reader, xlsx_data
from dangjian_rules.io import load as data_load
from dangjian_rules.io.data import (
    DATA_PROBLEM_CODES,
    Location,
    check_records,
    dump_csv_folder,
    dump_json_dataset,
    load_csv_folder,
    load_json_dataset,
    validate_records,
)
from dangjian_rules.io.xlsx_data import dump_xlsx_dataset
from dangjian_rules.model import fields, validate
from dangjian_rules.model.fields import DataSchema, FieldSpec, mistyped_attributes
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import AttributeValue, Dataset, Event, Member, Organization
from dangjian_rules.ruleset.compiled import Ruleset

ORGS = (
    "id,name,kind,parent,region\n"
    "C,县直工委,work_committee,,城区\n"
    "B1,第一支部,branch,C,\n"
    "B2,第二支部,党支部,C,\n"
)
MEMBERS = (
    "id,name,organization,status,joined,left,roles\n"
    "M1,张三,B1,full,2010-07-01,,书记；委员\n"
    "M2,李四,B2,预备党员,2015/3/1,,\n"
)
EVENTS = (
    "id,type,member,organization,date,end,quantity,status,hours\n"
    "E1,meeting,M1,,2015-03-01,,,approved,2\n"
    "E2,volunteer,M2,,2015-03-05,2015-03-06,3.5,待审核,\n"
    "E3,inspection,,B1,2015-04-01,,,,\n"
)

SCHEMA = DataSchema(
    organization={"area": FieldSpec("area", "decimal")},
    member={"birth": FieldSpec("birth", "date")},
    events={
        "meeting": {
            "hours": FieldSpec("hours", "decimal"),
            "count": FieldSpec("count", "integer"),
            "online": FieldSpec("online", "boolean"),
            "day": FieldSpec("day", "date"),
            "form": FieldSpec("form", values=("会议", "讲座")),
        },
        "lesson": {"hours": FieldSpec("hours", "decimal")},
    },
)


def write_folder(
    folder: Path,
    organizations: str | None = ORGS,
    members: str | None = MEMBERS,
    events: str | None = EVENTS,
    encoding: str = "utf-8",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("organizations", organizations),
        ("members", members),
        ("events", events),
    ):
        if text is not None:
            (folder / f"{name}.csv").write_bytes(text.encode(encoding))
    return folder


def problems_of(call: Callable[[], object]) -> tuple[Problem, ...]:
    with pytest.raises(ProblemsFound) as info:
        call()
    return info.value.problems


def only(problems: tuple[Problem, ...], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def csv_problems(
    tmp_path: Path,
    organizations: str | None = ORGS,
    members: str | None = MEMBERS,
    events: str | None = EVENTS,
) -> tuple[Problem, ...]:
    folder = write_folder(tmp_path / "data", organizations, members, events)
    return problems_of(lambda: load_dataset(folder))


# -- good data -----------------------------------------------------------------------------


def test_load_csv_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    ds = load_dataset(folder)
    assert ds.source == str(folder)
    assert ds.counts() == {"organizations": 3, "members": 2, "events": 3}
    assert ds.organizations["C"] == Organization("C", "县直工委", "work_committee", None, "城区")
    assert ds.organizations["B2"].kind == "branch"  # 党支部
    m1, m2 = ds.members["M1"], ds.members["M2"]
    assert m1.roles == ("书记", "委员")
    assert m1.joined == dt.date(2010, 7, 1)
    assert m2.status == "probationary"  # 预备党员
    assert m2.joined == dt.date(2015, 3, 1)
    e1, e2, e3 = ds.events
    assert e1 == Event("E1", "meeting", dt.date(2015, 3, 1), member="M1", attributes={"hours": "2"})
    assert e2.end == dt.date(2015, 3, 6)
    assert e2.quantity == Decimal("3.5")
    assert e2.status == "pending"  # 待审核
    assert e2.attributes == {}  # empty cells are not attributes
    assert e3.status == "approved"  # the default
    assert e3.subject == "B1"
    assert load_csv_folder(folder) == ds


def test_load_json(tmp_path: Path) -> None:
    document = {
        "organizations": [
            {"id": "C", "name": "县直工委", "kind": "机关工委", "region": "城区"},
            {"id": "B1", "name": "第一支部", "kind": "branch", "parent": "C", "area": 20.5},
        ],
        "members": [
            {
                "id": "M1",
                "name": "张三",
                "organization": "B1",
                "status": "预备",
                "roles": ["书记", "委员"],
                "attributes": {"birth": "1980-01-02"},
            }
        ],
        "events": [
            {
                "id": "E1",
                "type": "meeting",
                "member": "M1",
                "date": "2015-03-01",
                "quantity": 1.5,
                "attributes": {"hours": 2, "online": True, "note": "好"},
            },
            {"id": "E2", "type": "inspection", "organization": "B1", "date": "2015-04-01"},
        ],
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    ds = load_json_dataset(path, SCHEMA)
    assert ds.organizations["C"].kind == "work_committee"
    assert ds.organizations["B1"].attributes == {"area": Decimal("20.5")}
    member = ds.members["M1"]
    assert member.status == "probationary"
    assert member.roles == ("书记", "委员")
    assert member.attributes == {"birth": dt.date(1980, 1, 2)}
    e1 = ds.events[0]
    assert e1.quantity == Decimal("1.5")
    assert e1.attributes == {"hours": Decimal(2), "online": True, "note": "好"}
    assert load_dataset(path, SCHEMA) == ds
    # without a schema, JSON values keep their JSON types; numbers are exact
    plain = load_json_dataset(path)
    assert plain.organizations["B1"].attributes == {"area": Decimal("20.5")}
    assert plain.members["M1"].attributes == {"birth": "1980-01-02"}


def test_byte_order_mark(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", encoding="utf-8-sig")
    assert (folder / "organizations.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    ds = load_dataset(folder)
    plain = load_dataset(write_folder(tmp_path / "plain"))
    assert (ds.organizations, ds.members, ds.events) == (
        plain.organizations,
        plain.members,
        plain.events,
    )
    assert load_dataset(folder, encoding="utf-8") == ds


def test_gb18030(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", encoding="gb18030")
    ds = load_dataset(folder, encoding="gb18030")
    assert ds.organizations["C"].name == "县直工委"
    assert ds.members["M1"].roles == ("书记", "委员")

    problems = problems_of(lambda: load_dataset(folder))
    assert [p.code for p in problems] == ["DJ213", "DJ213", "DJ213"]
    first = problems[0]
    assert (first.file, first.line, first.column) == (str(folder / "events.csv"), 3, 44)
    org = next(p for p in problems if p.file == str(folder / "organizations.csv"))
    assert (org.line, org.column) == (2, 3)
    assert "gb18030" in (org.hint or "")
    assert "gb18030" in (org.hint_zh or "")
    assert (
        org.message
        == f"{folder / 'organizations.csv'} is not valid UTF-8 text: unreadable bytes at line 2"
    )


def test_gb18030_hint_points_back_to_utf8(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b'{"events": []}\n\xff\n')
    problem = only(problems_of(lambda: load_dataset(path, encoding="gb18030")), "DJ213")
    assert (problem.line, problem.column) == (2, 1)
    assert "utf-8" in (problem.hint or "")


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_dataset(write_folder(tmp_path / "data"), encoding="no-such-codec")


def test_blank_and_short_rows_and_quoted_newlines(tmp_path: Path) -> None:
    events = (
        "id,type,member,organization,date,end,quantity,status,hours\n"
        '"E1",meeting,M1,,2015-03-01,,,,"two\nlines"\n'
        ",,,,,,,,\n"
        "\n"
        "E2,meeting,M1,,2015-03-02\n"
        "E3,meeting,M1,,2015-02-30,,,,\n"
    )
    problems = csv_problems(tmp_path, events=events)
    problem = only(problems, "DJ207")
    assert (problem.line, problem.column) == (7, 5)
    ds = load_dataset(write_folder(tmp_path / "ok", events=events.rsplit("E3", 1)[0]))
    assert [e.id for e in ds.events] == ["E1", "E2"]
    assert ds.events[0].attributes == {"hours": "two\nlines"}


# -- one test per problem --------------------------------------------------------------------


def test_duplicate_id(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    problems = csv_problems(tmp_path, organizations=ORGS + "B1,又一个支部,branch,C,\n")
    p = only(problems, "DJ201")
    assert (p.file, p.line, p.column) == (str(folder / "organizations.csv"), 5, 1)
    assert p.message == (
        f'organization id "B1" is used twice; it is first used at {folder / "organizations.csv"}:3'
    )
    assert "重复" in p.message_zh
    assert p.hint is not None and p.hint_zh is not None


def test_duplicate_event_id(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, events=EVENTS + "E2,meeting,M1,,2015-05-01,,,,\n"), "DJ201")
    assert (p.line, p.column) == (5, 1)
    assert p.message.startswith('event id "E2" is used twice')


def test_unknown_parent(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, organizations=ORGS + "B3,第三支部,branch,B11,\n"), "DJ202")
    assert (p.line, p.column) == (5, 4)
    assert p.message == 'the parent organization "B11" of organization "B3" does not exist'
    assert p.message_zh == "党组织“B3”的上级党组织“B11”不存在"
    assert p.hint == 'did you mean "B1"?'
    assert p.hint_zh == "是否想写“B1”？"


def test_parent_cycle(tmp_path: Path) -> None:
    orgs = ORGS + "X2,甲,branch,X1,\nX1,乙,branch,X3,\nX3,丙,branch,X2,\nS,自己,branch,S,\n"
    problems = [p for p in csv_problems(tmp_path, organizations=orgs) if p.code == "DJ203"]
    assert [(p.line, p.column) for p in problems] == [(6, 4), (8, 4)]
    assert problems[0].message.startswith(
        "the parents of these organizations go round in a loop: X1 → X3 → X2 → X1"
    )
    assert "X1 → X3 → X2 → X1" in problems[0].message_zh
    assert "S → S" in problems[1].message


def test_unknown_kind(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, organizations=ORGS + "B3,第三支部,brnch,C,\n"), "DJ204")
    assert (p.line, p.column) == (5, 3)
    assert p.message == 'organization "B3" has an unknown kind "brnch"'
    assert p.hint == 'did you mean "branch"?'


def test_member_of_unknown_organization(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, members=MEMBERS + "M3,王五,B9,,,,\n"), "DJ205")
    assert (p.line, p.column) == (4, 3)
    assert p.message == 'member "M3" belongs to organization "B9", which does not exist'
    assert "B9" in p.message_zh


def test_event_of_unknown_organization(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, events=EVENTS + "E4,inspection,,Q,2015-05-01,,,,\n"), "DJ205")
    assert (p.line, p.column) == (5, 4)
    assert p.message == 'event "E4" is about organization "Q", which does not exist'


def test_event_of_unknown_member(tmp_path: Path) -> None:
    p = only(csv_problems(tmp_path, events=EVENTS + "E4,meeting,M11,,2015-05-01,,,,\n"), "DJ206")
    assert (p.line, p.column) == (5, 3)
    assert p.message == 'event "E4" is about member "M11", who does not exist'
    assert p.hint == 'did you mean "M1"?'


def test_bad_dates(tmp_path: Path) -> None:
    events = EVENTS + "E4,meeting,M1,,2015-13-01,,,,\nE5,meeting,M1,,2015-03-01,3月2日,,,\n"
    members = MEMBERS + "M3,王五,B1,,1999-9-31,,\n"
    problems = [p for p in csv_problems(tmp_path, events=events, members=members)]
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("DJ207", 5, 5),
        ("DJ207", 6, 6),
        ("DJ207", 4, 5),
    ]
    assert (
        problems[0].message == 'the date of event "E4" is "2015-13-01", which is not a valid date'
    )
    assert problems[0].message_zh == "活动记录“E4”的日期“2015-13-01”不是有效的日期"
    assert (
        problems[1].message == 'the end date of event "E5" is "3月2日", which is not a valid date'
    )
    assert problems[2].message.startswith('the joining date of member "M3" is "1999-9-31"')


def test_end_before_start(tmp_path: Path) -> None:
    p = only(
        csv_problems(tmp_path, events=EVENTS + "E4,meeting,M1,,2015-05-02,2015-05-01,,,\n"), "DJ208"
    )
    assert (p.line, p.column) == (5, 6)
    assert p.message == 'event "E4" ends (2015-05-01) before it starts (2015-05-02)'


def test_unknown_statuses(tmp_path: Path) -> None:
    problems = csv_problems(
        tmp_path,
        members=MEMBERS + "M3,王五,B1,ful,,,\n",
        events=EVENTS + "E4,meeting,M1,,2015-05-02,,,aproved,\n",
    )
    event, member = (p for p in problems if p.code == "DJ209")
    assert (event.line, event.column) == (5, 8)
    assert event.message == 'event "E4" has an unknown review status "aproved"'
    assert event.hint == 'did you mean "approved"?'
    assert (member.line, member.column) == (4, 4)
    assert member.hint == 'did you mean "full"?'


def test_bad_values(tmp_path: Path) -> None:
    events = EVENTS + "E4,meeting,M1,,2015-05-02,,abc,,x\nE5,lesson,M1,,2015-05-02,,-1,,\n"
    problems = problems_of(
        lambda: load_dataset(write_folder(tmp_path / "data", events=events), SCHEMA)
    )
    quantity, hours = (p for p in problems if p.code == "DJ210")
    assert (quantity.line, quantity.column) == (5, 7)
    assert quantity.message == 'the quantity of event "E4" is "abc", which is not a number'
    assert (hours.line, hours.column) == (5, 9)
    assert hours.message == 'event "E4": hours must be a number, got "x"'
    assert hours.message_zh == "活动记录“E4”：字段 hours 应为数字，实际为“x”"
    assert hours.hint_zh == "请填写数字，如 2 或 1.5"
    negative = only(problems, "DJ218")
    assert (negative.line, negative.column) == (6, 7)
    assert negative.message == 'the quantity of event "E5" is negative (-1)'
    # the first meeting's hours ("2") fit the schema, so they are no problem
    assert len(problems) == 3


def test_typed_attributes_under_a_schema(tmp_path: Path) -> None:
    orgs = ORGS.replace("region\n", "region,area\n", 1)
    members = MEMBERS.replace("roles\n", "roles,birth\n", 1).replace(
        "2015/3/1,,\n", "2015/3/1,,,1990/1/2\n"
    )
    events = (
        "id,type,member,organization,date,hours,count,online,day,form,other\n"
        "E1,meeting,M1,,2015-03-01,1.5,3,是,2015-03-01,讲座,x\n"
        "E2,lesson,M1,,2015-03-01,2,3,no,,,\n"
        "E3,meeting,M1,,2015-03-01,,,,,课,\n"
    )
    folder = write_folder(tmp_path / "data", organizations=orgs, members=members, events=events)
    p = only(problems_of(lambda: load_dataset(folder, SCHEMA)), "DJ210")
    assert (p.line, p.column) == (4, 10)
    assert p.message == 'event "E3": "课" is not an allowed value of form'
    assert (p.hint, p.hint_zh) == ('expected one of: "会议", "讲座"', '可选值："会议", "讲座"')
    events = events.replace(",课,", ",,")
    ds = load_dataset(
        write_folder(folder, organizations=orgs, members=members, events=events), SCHEMA
    )
    assert ds.members["M2"].attributes == {"birth": dt.date(1990, 1, 2)}
    e1, e2, _ = ds.events
    assert e1.attributes == {
        "hours": Decimal("1.5"),
        "count": 3,
        "online": True,
        "day": dt.date(2015, 3, 1),
        "form": "讲座",
        "other": "x",
    }
    # a lesson declares only hours: the other columns stay text
    assert e2.attributes == {"hours": Decimal(2), "count": "3", "online": "no"}


def test_missing_columns(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    problems = csv_problems(
        tmp_path,
        organizations="id,nam,kind,parent\nC,x,committee,\n",
        events="id,type,date\nE1,meeting,2015-01-01\n",
    )
    assert [(p.code, p.file, p.line, p.column) for p in problems] == [
        ("DJ211", str(folder / "events.csv"), 1, None),
        ("DJ211", str(folder / "organizations.csv"), 1, None),
    ]
    events, orgs = problems
    assert (
        events.message
        == f'{folder / "events.csv"} has neither a "member" nor an "organization" column'
    )
    assert (
        orgs.message
        == f'{folder / "organizations.csv"} has no "name" column; the first row must name the columns'
    )
    assert orgs.hint is not None and '"nam"' in orgs.hint
    # the organizations could not be read, so the members' references are not checked


def test_missing_cells(tmp_path: Path) -> None:
    problems = csv_problems(
        tmp_path,
        organizations=ORGS + ",无编号,branch,C,\n",
        members=MEMBERS + "M3,,B1,,,,\n",
        events=EVENTS + "E4,meeting,M1,,,,,,\n",
    )
    assert [(p.code, p.line, p.column) for p in problems] == [
        ("DJ211", 5, 5),
        ("DJ211", 4, 2),
        ("DJ211", 5, 1),
    ]
    assert problems[0].message == 'event "E4" has no date'
    assert problems[1].message == 'member "M3" has no name'
    assert problems[2].message == "this organization has no id"


def test_event_subject_both_or_neither(tmp_path: Path) -> None:
    events = EVENTS + "E4,meeting,M1,B1,2015-05-02,,,,\nE5,meeting,,,2015-05-02,,,,\n"
    both, neither = (p for p in csv_problems(tmp_path, events=events) if p.code == "DJ212")
    assert (both.line, both.column) == (5, 3)
    assert both.message == 'event "E4" names both a member and an organization'
    assert (neither.line, neither.column) == (6, 3)
    assert neither.message == 'event "E5" names neither a member nor an organization'


def test_malformed_csv(tmp_path: Path) -> None:
    problems = csv_problems(
        tmp_path,
        events=EVENTS + "E4,meeting,M1,,2015-05-02,,,,,1,2\n",
        members="",
    )
    long = next(p for p in problems if p.line == 5)
    assert (long.code, long.column) == ("DJ214", 10)
    assert long.message == "this row has 11 cells but the first row names 9 columns"
    empty = next(p for p in problems if p.file and p.file.endswith("members.csv"))
    assert (empty.code, empty.line) == ("DJ214", 1)


def test_unnamed_column_with_a_value(tmp_path: Path) -> None:
    orgs = ORGS.replace("region\n", "region,\n").replace("城区\n", "城区,多余\n")
    p = only(csv_problems(tmp_path, organizations=orgs), "DJ214")
    assert (p.line, p.column) == (2, 6)


def test_left_before_joined(tmp_path: Path) -> None:
    p = only(
        csv_problems(tmp_path, members=MEMBERS + "M3,王五,B1,,2015-01-02,2015-01-01,\n"), "DJ215"
    )
    assert (p.line, p.column) == (4, 6)
    assert p.message == 'member "M3" left (2015-01-01) before joining (2015-01-02)'
    assert p.message_zh == "党员“M3”的离开日期（2015-01-01）早于入党日期（2015-01-02）"


def test_duplicate_column(tmp_path: Path) -> None:
    p = only(
        csv_problems(tmp_path, organizations=ORGS.replace("region\n", "region,Name\n")), "DJ217"
    )
    assert (p.line, p.column) == (1, 6)


def test_missing_files(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    p = only(problems_of(lambda: load_dataset(missing)), "DJ219")
    assert p.file == str(missing)
    p = only(problems_of(lambda: load_dataset(missing / "data.json")), "DJ219")
    assert p.message == f"the data file {missing / 'data.json'} does not exist"
    folder = write_folder(tmp_path / "data", events=None)
    p = only(problems_of(lambda: load_dataset(folder)), "DJ219")
    assert p.file == str(folder / "events.csv")
    assert p.hint is not None and "events.csv" in p.hint
    p = only(problems_of(lambda: load_dataset(folder / "members.csv")), "DJ219")
    assert "folder" in p.message


def test_many_problems_in_one_run(tmp_path: Path) -> None:
    problems = csv_problems(
        tmp_path,
        organizations=ORGS + "B3,第三支部,brnch,C,\n",
        members=MEMBERS + "M3,王五,B9,,,,\n",
        events=EVENTS + "E4,meeting,M11,,2015-02-30,,,,\nE5,meeting,M11,,2015-03-01,,,,\n",
    )
    assert sorted(p.code for p in problems) == ["DJ204", "DJ205", "DJ206", "DJ207"]
    assert all(p.file and p.line and p.column for p in problems)


def test_every_code_is_listed() -> None:
    """Every code the loaders and the record checks raise is listed, and nothing else."""
    modules = (
        data,
        data_load,
        csv_reader,
        json_reader,
        xlsx_data,
        record_builder,
        validate,
        fields,
    )
    texts = [Path(m.__file__ or "").read_text(encoding="utf-8") for m in modules]
    # the list itself does not count as a use
    texts = [re.sub(r"DATA_PROBLEM_CODES[^=\n]*= \{.*?\n\}", "", t, flags=re.S) for t in texts]
    used = {code for text in texts for code in re.findall(r'"(DJ2\d\d)"', text)}
    assert used == set(DATA_PROBLEM_CODES)


# -- JSON problems ---------------------------------------------------------------------------

JSON_TEXT = """{
  "organizations": [
    {"id": "C", "name": "县直工委", "kind": "work_committee"}
  ],
  "members": [],
  "events": [
    {"id": "E1", "type": "meeting", "organization": "X", "date": "2015-03-01"},
    {
      "id": "E2",
      "type": "meeting",
      "organization": "C",
      "date": "2015-02-30",
      "attributes": {"hours": "many"}
    }
  ]
}
"""


def test_json_problems_are_located(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(JSON_TEXT, encoding="utf-8")
    problems = problems_of(lambda: load_dataset(path, SCHEMA))
    assert [(p.code, p.line, p.column, p.path) for p in problems] == [
        ("DJ205", 7, 53, "events[0].organization"),
        ("DJ207", 12, 15, "events[1].date"),
    ]
    assert problems[0].file == str(path)
    text = JSON_TEXT.replace('"2015-02-30"', '"2015-03-30"')
    path.write_text(text.replace('"organization": "X"', '"organization": "C"'), encoding="utf-8")
    p = only(problems_of(lambda: load_dataset(path, SCHEMA)), "DJ210")
    assert (p.line, p.column, p.path) == (13, 31, "events[1].attributes.hours")


def test_json_missing_sections_are_empty(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(
        '\ufeff{"organizations": [{"id": "C", "name": "n", "kind": "党委"}]}', encoding="utf-8"
    )
    ds = load_dataset(path)
    assert ds.counts() == {"organizations": 1, "members": 0, "events": 0}
    assert ds.organizations["C"].kind == "committee"


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"events": [\n  {"id": "E1",}\n]}\n', encoding="utf-8")
    p = only(problems_of(lambda: load_dataset(path)), "DJ214")
    assert (p.line, p.column) == (2, 15)
    assert (
        p.message == f"{path} is not valid JSON: Expecting property name enclosed in double quotes"
    )
    assert "键名" in p.message_zh
    path.write_text('{"events": [] "members": []}', encoding="utf-8")
    p = only(problems_of(lambda: load_dataset(path)), "DJ214")
    assert (p.line, p.column) == (1, 15)
    path.write_text("[]", encoding="utf-8")
    p = only(problems_of(lambda: load_dataset(path)), "DJ214")
    assert (p.line, p.column) == (1, 1)


def test_json_structure_problems(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(
        '{"event": [],\n "members": {},\n "events": [1, {"id": 7, "type": "x", '
        '"organization": "C", "date": "2015-01-01", "quantity": true, "roles": 1, '
        '"attributes": {"a": [1]}, "b": 1}],\n "events": []}',
        encoding="utf-8",
    )
    problems = problems_of(lambda: load_dataset(path))
    summary = [(p.code, p.line, p.column, p.path) for p in problems]
    assert summary == [
        ("DJ216", 1, 2, "event"),
        ("DJ214", 2, 13, "members"),
        ("DJ214", 3, 13, "events[0]"),
        ("DJ210", 3, 23, "events[1].id"),
        ("DJ205", 3, 55, "events[1].organization"),
        ("DJ210", 3, 94, "events[1].quantity"),
        ("DJ210", 3, 132, "events[1].attributes.a"),
        ("DJ217", 4, 2, "events"),
    ]
    assert problems[3].message == "the id of this event must be text in quotes, not a number"
    assert problems[4].message == 'event "7" is about organization "C", which does not exist'
    unknown = problems[0]
    assert unknown.hint == 'did you mean "events"?'


def test_json_attribute_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(
        '{"organizations": [{"id": "C", "name": "n", "kind": "committee", "area": "1",'
        ' "attributes": {"area": "2"}}]}',
        encoding="utf-8",
    )
    p = only(problems_of(lambda: load_dataset(path)), "DJ217")
    assert p.path == "organizations[0].area"


# -- in memory ---------------------------------------------------------------------------


def test_validate_records_in_memory() -> None:
    orgs = [Organization("C", "县直工委", "committee")]
    members = [Member("M1", "张三", "C")]
    events = [
        Event("E1", "meeting", dt.date(2015, 1, 1), member="M1"),
        Event("E2", "meeting", dt.date(2015, 1, 1), member="M2"),
        Event("E3", "meeting", dt.date(2015, 1, 1), organization="C", quantity=1.5),  # type: ignore[arg-type]
    ]
    problems = problems_of(lambda: Dataset.build(orgs, members, events))
    assert [(p.code, p.file, p.line, p.path) for p in problems] == [
        ("DJ206", None, None, "events[1].member"),
        ("DJ210", None, None, "events[2].quantity"),
    ]
    ds = validate_records(orgs, members, events[:1], "mine")
    assert ds.source == "mine"
    assert ds.members["M1"].organization == "C"
    located = check_records(
        orgs, members, events[1:2], {("events", 0): Location("db", 9, 1, None, {"member": (9, 4)})}
    )
    assert [(p.file, p.line, p.column) for p in located] == [("db", 9, 4)]


# -- round trips and order -----------------------------------------------------------------


def test_round_trip_csv_and_json(tmp_path: Path) -> None:
    orgs = ORGS.replace("region\n", "region,area\n", 1).replace("城区\n", "城区,12.50\n")
    ds = load_dataset(write_folder(tmp_path / "data", organizations=orgs), SCHEMA)
    dump_csv_folder(ds, tmp_path / "csv")
    dump_json_dataset(ds, tmp_path / "data.json")
    again_csv = load_dataset(tmp_path / "csv", SCHEMA)
    again_json = load_dataset(tmp_path / "data.json", SCHEMA)
    for again in (again_csv, again_json):
        assert (again.organizations, again.members, again.events) == (
            ds.organizations,
            ds.members,
            ds.events,
        )
        assert again.fingerprint == ds.fingerprint
    header = (tmp_path / "csv" / "events.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "id,type,member,organization,date,end,quantity,status,hours"
    assert "书记;委员" in (tmp_path / "csv" / "members.csv").read_text(encoding="utf-8-sig")


def test_dump_refuses_attribute_named_like_a_core_column(tmp_path: Path) -> None:
    ds = Dataset.build([Organization("C", "n", "committee", attributes={"Name": "x"})], [], [])
    with pytest.raises(UsageError):
        dump_csv_folder(ds, tmp_path)


_ID = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=4)
_TEXT = (
    st.text(alphabet=string.ascii_letters + "党支部 ,\"'\n", min_size=1, max_size=8)
    .map(str.strip)
    .filter(bool)
)
_LOW, _HIGH = dt.date(1950, 1, 1), dt.date(2030, 12, 31)
_DATES = st.dates(min_value=_LOW, max_value=_HIGH)
_QUANTITY = st.none() | st.decimals(min_value=0, max_value=10_000, places=2)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    org_ids = draw(st.lists(_ID, min_size=1, max_size=5, unique=True))
    orgs = []
    for i, oid in enumerate(org_ids):
        parent = draw(st.none() | st.sampled_from(org_ids[:i])) if i else None
        area = draw(st.none() | st.decimals(min_value=0, max_value=999, places=1))
        orgs.append(
            Organization(
                oid,
                draw(_TEXT),
                draw(st.sampled_from(["committee", "branch", "group"])),
                parent,
                draw(st.none() | _TEXT),
                {} if area is None else {"area": area},
            )
        )
    member_ids = draw(st.lists(_ID, max_size=5, unique=True))
    members = []
    for mid in member_ids:
        joined = draw(st.none() | _DATES)
        left = draw(st.none() | st.dates(min_value=joined or _LOW, max_value=_HIGH))
        members.append(
            Member(
                mid,
                draw(_TEXT),
                draw(st.sampled_from(org_ids)),
                draw(st.sampled_from(["full", "probationary"])),
                joined,
                left,
                tuple(draw(st.lists(_TEXT.filter(lambda t: ";" not in t), max_size=2))),
                {} if joined is None else {"birth": joined},
            )
        )
    events = []
    for eid in draw(st.lists(_ID, max_size=8, unique=True)):
        date = draw(_DATES)
        use_member = bool(member_ids) and draw(st.booleans())
        attributes: dict[str, AttributeValue] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "hours": st.decimals(min_value=0, max_value=99, places=1),
                    "count": st.integers(0, 50),
                    "online": st.booleans(),
                    "day": _DATES,
                    "note": _TEXT,
                },
            )
        )
        events.append(
            Event(
                eid,
                "meeting",
                date,
                draw(st.sampled_from(member_ids)) if use_member else None,
                None if use_member else draw(st.sampled_from(org_ids)),
                draw(st.none() | st.dates(min_value=date, max_value=_HIGH)),
                draw(_QUANTITY),
                draw(st.sampled_from(["approved", "pending", "returned"])),
                attributes,
            )
        )
    return Dataset.build(orgs, members, events)


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_round_trip_property(ds: Dataset) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dump_csv_folder(ds, Path(tmp) / "csv")
        dump_json_dataset(ds, Path(tmp) / "data.json")
        for loaded in (
            load_dataset(Path(tmp) / "csv", SCHEMA),
            load_dataset(Path(tmp) / "data.json", SCHEMA),
        ):
            assert loaded.organizations == ds.organizations
            assert loaded.members == ds.members
            assert loaded.events == ds.events
            assert loaded.fingerprint == ds.fingerprint


@settings(max_examples=40, deadline=None)
@given(datasets(), st.randoms(use_true_random=False))
def test_fingerprint_ignores_order(ds: Dataset, rnd: random.Random) -> None:
    orgs = list(ds.organizations.values())
    members = list(ds.members.values())
    events = list(ds.events)
    for records in (orgs, members, events):
        rnd.shuffle(records)
    shuffled = Dataset.build(orgs, members, events)
    assert shuffled.fingerprint == ds.fingerprint


# -- the public load_dataset: the loader plugins, and the schema never silently different ----

SAMPLES = [
    ("examples/sanmenxia-2015", "2015", ["rulesets/lushi", "rulesets/lingbao", "rulesets/mianchi"]),
    ("examples/sanmenxia-2015", "2015", ["rulesets/hubin/tiers.toml", "rulesets/lingbao"]),
    ("examples/sanmenxia-2015", "2015", ["rulesets/kaifaqu"]),
    ("examples/sanmenxia-2015", "2015", ["rulesets/yima"]),
    ("examples/sanmenxia-2015", "2015", ["rulesets/national"]),
]


def _run_json(path: str, period: str, evaluated: list[Ruleset], typed: bool) -> str:
    dataset = dangjian_rules.load_dataset(path, rulesets=evaluated if typed else ())
    run = dangjian_rules.evaluate(evaluated, dataset, Period.parse(period), with_trace=False)
    return dumps(run, with_trace=False)


@pytest.mark.parametrize(("path", "period", "ruleset_paths"), SAMPLES)
def test_load_dataset_with_and_without_rulesets(
    path: str, period: str, ruleset_paths: list[str]
) -> None:
    """Without the rulesets' fields the results are the same, or DJ220 says why they
    cannot be; with them, the results are the command line's."""
    rulesets = load_rulesets(ruleset_paths)
    typed = _run_json(path, period, rulesets, typed=True)
    cli = io.StringIO()
    args = ["evaluate", "-d", path, "-p", period, "--summary", "--format", "json"]
    for ruleset_path in ruleset_paths:
        args += ["-r", ruleset_path]
    assert main(args, out=cli) == 0
    assert cli.getvalue() == typed + "\n"
    try:
        untyped = _run_json(path, period, rulesets, typed=False)
    except ProblemsFound as exc:
        assert {p.code for p in exc.problems} == {"DJ220"}
        assert all(p.file == path for p in exc.problems)
    else:
        assert untyped == typed


def test_untyped_mianchi_is_reported_not_evaluated() -> None:
    """The 渑池 sample loaded without the card: late dues would read as text, so evaluating
    reports the fields instead of grading M00001 合格 rather than 优秀."""
    rulesets = load_rulesets(["rulesets/mianchi"])
    typed = dangjian_rules.load_dataset("examples/mianchi-2015", rulesets=rulesets)
    run = dangjian_rules.evaluate(rulesets, typed, Period.parse("2015"), with_trace=False)
    first = next(r for r in run.results if r.subject.id == "M00001")
    assert (first.score, first.grade) == (Decimal("95.05"), "优秀")
    untyped = dangjian_rules.load_dataset("examples/mianchi-2015")
    with pytest.raises(ProblemsFound) as caught:
        dangjian_rules.evaluate(rulesets, untyped, Period.parse("2015"))
    messages = [p.message for p in caught.value.problems]
    assert any('"late" of events of type "dues" is declared boolean' in m for m in messages)
    assert all(p.message_zh and p.hint for p in caught.value.problems)


def test_load_dataset_reads_a_workbook(tmp_path: Path) -> None:
    """An .xlsx path goes through the loader plugins like the command line's --data."""
    card = load_ruleset("docs/examples/small-card.toml")
    data = dangjian_rules.load_dataset("docs/examples/small-data.json", rulesets=card)
    book = tmp_path / "data.xlsx"
    dump_xlsx_dataset(data, book)
    assert dangjian_rules.load_dataset(book, rulesets=card).fingerprint == data.fingerprint
    with pytest.raises(ProblemsFound) as caught:
        dangjian_rules.load_dataset(tmp_path / "data.txt")
    assert [p.code for p in caught.value.problems] == ["DJ219"]


def test_mistyped_attributes_in_memory() -> None:
    """A dataset built in memory is checked the same way: a text where a number is declared."""
    schema = DataSchema(events={"meeting": {"hours": FieldSpec("hours", "decimal")}})
    good = _meeting_dataset(Decimal("2"))
    assert mistyped_attributes(good, schema) == []
    bad = _meeting_dataset("2")
    (problem,) = mistyped_attributes(bad, schema)
    assert problem.code == "DJ220" and '"E1"' in problem.message and problem.file is None


def test_require_typed_fails_every_time_and_remembers_only_a_pass() -> None:
    decimal = DataSchema(events={"meeting": {"hours": FieldSpec("hours", "decimal")}})
    text = DataSchema(events={"meeting": {"hours": FieldSpec("hours", "string")}})
    bad = _meeting_dataset("2")
    for _ in range(2):
        with pytest.raises(ProblemsFound):
            fields.require_typed(bad, decimal)
    fields.require_typed(bad, text)
    fields.require_typed(bad, text)  # remembered, and still right for another schema:
    with pytest.raises(ProblemsFound):
        fields.require_typed(bad, decimal)


def _meeting_dataset(hours: AttributeValue) -> Dataset:
    return Dataset.build(
        [Organization("B1", "支部", "branch")],
        [Member("M1", "张三", "B1")],
        [Event("E1", "meeting", dt.date(2015, 3, 1), "M1", attributes={"hours": hours})],
    )


# -- the CSV reader's fast path and the one record builder agree --------------------------

_CELL_TEXT = st.sampled_from(["", " ", "x", "党支部", "branch", "预备", "full", "通过", "退回"])
_DATE_TEXT = st.sampled_from(["", "2015-03-01", "2015/3/1", " 2015.12.31 ", "2015-02-30", "三月"])
_NUMBER_TEXT = st.sampled_from(["", "2", "1.50", " -3 ", "two", "1e3", "NaN"])
_BOOL_TEXT = st.sampled_from(["", "true", "否", "maybe"])
_EVENT_ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["E1", " E2 ", ""]),
        "type": st.sampled_from(["meeting", "dues", ""]),
        "member": st.sampled_from(["M1", ""]),
        "organization": st.sampled_from(["B1", ""]),
        "date": _DATE_TEXT,
        "end": _DATE_TEXT,
        "quantity": _NUMBER_TEXT,
        "status": _CELL_TEXT,
        "late": _BOOL_TEXT,
        "note": _CELL_TEXT,
    }
)
_DIFF_SCHEMA = DataSchema(
    member={"level": FieldSpec("level", "integer")},
    events={"dues": {"late": FieldSpec("late", "boolean")}},
)


def _built_by_builder(rows: list[dict[str, str]], line: int = 2) -> tuple[list[Event], list[str]]:
    reports: list[str] = []

    def report(at: int, field: str, code: str, *_: object) -> None:
        reports.append(f"{at}:{field}:{code}")

    builder: record_builder.RecordBuilder[int] = record_builder.RecordBuilder(_DIFF_SCHEMA, report)
    built = [builder.event(line + i, row) for i, row in enumerate(rows)]
    return [e for e in built if e is not None], reports


@settings(max_examples=150, deadline=None)
@given(st.lists(_EVENT_ROW, min_size=1, max_size=4))
def test_csv_events_are_what_the_record_builder_makes(rows: list[dict[str, str]]) -> None:
    """Differential: the hot CSV path and RecordBuilder give the same events and report the
    same fields with the same codes, for every row (aliases, bad dates, numbers, typed
    fields, blanks)."""
    expected, reported = _built_by_builder(rows)
    header = list(rows[0])
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "organizations.csv").write_text(ORGS, encoding="utf-8")
        (base / "members.csv").write_text("id,name,organization\nM1,张三,B1\n", encoding="utf-8")
        lines = [",".join(header)] + [",".join(row[h] for h in header) for row in rows]
        (base / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        load = data_load.LoadState(_DIFF_SCHEMA, None)
        events = csv_reader._read_events_csv(load, base / "events.csv")
    column = {name: number for number, name in enumerate(header, start=1)}
    found = [
        f"{p.line}:{next(n for n, c in column.items() if c == p.column)}:{p.code}"
        for p in load.problems
    ]
    assert events == expected
    assert sorted(found) == sorted(r.replace(":attributes.", ":") for r in reported)


def test_records_structure_through_the_one_converter() -> None:
    """converter.structure(raw, Event) is the record builder: aliases read, problems located."""
    from dangjian_rules.convert import converter

    raw = {"id": "E1", "type": "meeting", "date": "2015/3/1", "member": "M1", "status": "退回"}
    event = converter.structure(raw, Event)
    assert (event.date, event.status) == (dt.date(2015, 3, 1), "returned")
    member = converter.structure({"id": "M1", "name": "张三", "organization": "B1",
                                  "status": "预备党员", "roles": "书记；委员"}, Member)  # fmt: skip
    assert (member.status, member.roles) == ("probationary", ("书记", "委员"))
    with pytest.raises(ProblemsFound) as caught:
        record_builder.structure_record(
            {"id": "E2", "type": "meeting", "date": "2015-03-01", "quantity": 1.5},
            Event,
            file="in.json",
            line=4,
            path="events[1]",
        )
    (problem,) = caught.value.problems
    assert (problem.code, problem.file, problem.line, problem.path) == (
        "DJ210",
        "in.json",
        4,
        "events[1].quantity",
    )
    assert "floats are inexact" in problem.message


def test_dataset_builder_uses_the_record_builder() -> None:
    """testing.DatasetBuilder reads aliases like the loaders and refuses what they refuse."""
    from dangjian_rules.testing import DatasetBuilder

    data = DatasetBuilder().event("meeting", "2015/3/1", member="M1", status="待审核").build()
    assert (data.events[0].status, data.events[0].date) == ("pending", dt.date(2015, 3, 1))
    builder = DatasetBuilder().event("meeting", "2015-03-01", member="M1", hours=1.5)  # type: ignore[arg-type]
    with pytest.raises(ProblemsFound) as caught:
        builder.build()
    assert [(p.code, p.path) for p in caught.value.problems] == [
        ("DJ210", "events[0].attributes.hours")
    ]


_MEMBER_ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["M1", " M2 ", ""]),
        "name": _CELL_TEXT,
        "organization": st.sampled_from(["B1", " B2", ""]),
        "status": _CELL_TEXT,
        "joined": _DATE_TEXT,
        "left": _DATE_TEXT,
        "roles": st.sampled_from(["", "书记", "书记；委员", " a | b ;"]),
        "level": _NUMBER_TEXT,
    }
)
_ORGANIZATION_ROW = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["B1", " C ", ""]),
        "name": _CELL_TEXT,
        "kind": _CELL_TEXT,
        "parent": st.sampled_from(["", "C", " B1 "]),
        "region": _CELL_TEXT,
        "area": _NUMBER_TEXT,
    }
)


def _csv_section(section: str, rows: list[dict[str, str]]) -> tuple[list[object], list[str]]:
    """What the CSV reader makes of these rows of one file, and where it reports problems
    (line:column name:code)."""
    header = list(rows[0])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{section}.csv"
        lines = [",".join(header)] + [",".join(row[h] for h in header) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load = data_load.LoadState(_DIFF_SCHEMA, None)
        read = {
            "organizations": csv_reader._read_organizations_csv,
            "members": csv_reader._read_members_csv,
        }[section]
        records: list[object] = list(read(load, path))
    name_of = {number: name for number, name in enumerate(header, start=1)}
    return records, [f"{p.line}:{name_of[p.column or 1]}:{p.code}" for p in load.problems]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(_MEMBER_ROW, min_size=1, max_size=4),
    st.lists(_ORGANIZATION_ROW, min_size=1, max_size=3),
)
def test_csv_members_and_organizations_are_what_the_record_builder_makes(
    members: list[dict[str, str]], organizations: list[dict[str, str]]
) -> None:
    """Differential, as for events: Chinese kinds and statuses, roles, dates, typed fields."""
    reports: list[str] = []

    def report(at: int, field: str, code: str, *_: object) -> None:
        reports.append(f"{at}:{field}:{code}")

    builder: record_builder.RecordBuilder[int] = record_builder.RecordBuilder(_DIFF_SCHEMA, report)
    expected: list[object] = [builder.member(i, row) for i, row in enumerate(members, start=2)]
    assert _csv_section("members", members) == (expected, reports)
    reports.clear()
    expected = [builder.organization(i, row) for i, row in enumerate(organizations, start=2)]
    assert _csv_section("organizations", organizations) == (expected, reports)
