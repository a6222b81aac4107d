"""Reading a JSON Lines stream (``dangjian_rules.io.jsonl``): events built like the JSON
loader's, each problem at its line."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from dangjian_rules.errors import ProblemsFound
from dangjian_rules.io.jsonl import read_jsonl_events
from dangjian_rules.model.fields import DataSchema, FieldSpec

SCHEMA = DataSchema(events={"dues": {"late": FieldSpec("late", "boolean")}})


def stream(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "events.jsonl"
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_events_are_typed_and_aliases_read(tmp_path: Path) -> None:
    path = stream(
        tmp_path,
        {"subject": "M1", "events": [{"id": "E1", "type": "dues", "date": "2015/3/1",
                                      "late": "是", "status": "待审核", "quantity": "2.50"}]},
        "",
        {"subject": "M2", "events": []},
    )  # fmt: skip
    (first, events), second = list(read_jsonl_events(path, SCHEMA))
    assert first == "M1" and second == ("M2", [])
    (event,) = events
    assert (event.member, event.date, event.status) == ("M1", dt.date(2015, 3, 1), "pending")
    assert event.quantity == Decimal("2.50") and event.attributes == {"late": True}


def test_a_bad_line_is_reported_at_its_line(tmp_path: Path) -> None:
    path = stream(
        tmp_path,
        {"subject": "M1", "events": [{"id": "E1", "type": "dues", "date": "2015-03-01"}]},
        {"subject": "M2", "events": [{"id": "E2", "type": "dues", "date": "2015-03-01",
                                      "late": "maybe", "quantity": "two"}]},
    )  # fmt: skip
    read = read_jsonl_events(path, SCHEMA)
    assert next(read)[0] == "M1"
    with pytest.raises(ProblemsFound) as caught:
        next(read)
    found = [(p.code, p.line, p.path) for p in caught.value.problems]
    assert found == [
        ("DJ210", 2, "events[0].quantity"),
        ("DJ210", 2, "events[0].late"),
    ]
    assert all(p.file == str(path) and p.message_zh for p in caught.value.problems)


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("{not json", "DJ214"),
        ('{"subject": 7, "events": []}', "DJ214"),
        ('{"subject": "M1", "events": {}}', "DJ214"),
        ('{"subject": "M1", "events": [{"id": "E1", "type": "x", "date": "2015-03-01", '
         '"member": "M2"}]}', "DJ212"),
        ('{"subject": "M1", "events": [{"id": "E1", "type": "x", "date": "2015-03-01", '
         '"organization": "B1"}]}', "DJ212"),
        ('{"subject": "M1", "events": [{"id": "E1", "type": "x"}]}', "DJ211"),
        ('{"subject": "M1", "events": [{"id": "E1", "type": "x", "date": "2015-02-30"}]}', "DJ207"),
    ],
)  # fmt: skip
def test_lines_that_do_not_fit(tmp_path: Path, line: str, code: str) -> None:
    path = stream(tmp_path, line)
    with pytest.raises(ProblemsFound) as caught:
        list(read_jsonl_events(path, SCHEMA))
    assert [(p.code, p.line) for p in caught.value.problems] == [(code, 1)]
