"""Reading a JSON Lines stream of events, one subject per line, and evaluating it as it
arrives (:func:`~dangjian_rules.engine.stream.evaluate_stream` does the evaluating).

Each line is ``{"subject": "M00001", "events": [ … ]}`` with events in the JSON interchange
form (docs/data-format.md), built by the one record builder; a line that does not fit stops
the stream with every problem of that line, at its line number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from dangjian_rules.collector import collector_paused
from dangjian_rules.convert import DocPath
from dangjian_rules.convert.jsonpos import (
    KeyChecker,
    path_text,
    repeated_key_words,
    repeated_keys,
)
from dangjian_rules.convert.records import RecordBuilder, value_type
from dangjian_rules.engine.stream import evaluate_stream
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.io.safe_text import LONE_SURROGATE, lone_surrogates
from dangjian_rules.limits import json_int, open_regular_file
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Event, Member, Organization
from dangjian_rules.model.result import SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = ["evaluate_file", "read_jsonl_events"]

_LINE_HINT = 'each line is {"subject": "M1", "events": [...]}'
_LINE_HINT_ZH = '每一行应为 {"subject": "M1", "events": [...]}'


class _Line:
    """The problems of one line of the stream."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.number = 0
        self.problems: list[Problem] = []

    def report(
        self,
        index: int,
        field: str,
        code: str,
        message: str,
        message_zh: str,
        hint: str | None,
        hint_zh: str | None,
    ) -> None:
        path = f"events[{index}].{field}"
        self.problems.append(
            Problem(code, message, message_zh, self.file, self.number, None, path, hint, hint_zh)
        )

    def repeated_key(self, path: DocPath, offset: int) -> None:
        message, message_zh, hint, hint_zh = repeated_key_words(path)
        self.problems.append(
            Problem(
                "DJ217", message, message_zh, self.file, self.number, offset + 1,
                path_text(path), hint, hint_zh,
            )
        )  # fmt: skip

    def malformed(self, message: str, message_zh: str) -> None:
        self.problems.append(
            Problem(
                "DJ214", message, message_zh, self.file, self.number, None, None,
                _LINE_HINT, _LINE_HINT_ZH,
            )
        )  # fmt: skip


def read_jsonl_events(
    path: str | os.PathLike[str], schema: DataSchema
) -> Iterator[tuple[str, list[Event]]]:
    """``(member id, events)`` per line of a JSON Lines file, read lazily; extra fields
    typed by ``schema``.  Raises :class:`ProblemsFound` at the first line that does not fit."""
    line = _Line(os.fspath(path))
    build: RecordBuilder[int] = RecordBuilder(schema, line.report)
    with open_regular_file(line.file) as handle:
        for number, raw in enumerate(handle, start=1):
            line.number = number
            try:  # line by line, so that bytes that are not UTF-8 are located
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                line.problems.append(
                    Problem(
                        "DJ213", f"line {number} is not UTF-8 text", f"第 {number} 行不是 UTF-8 文本",
                        line.file, number, None, None, "save the file as UTF-8",
                        "请以 UTF-8 编码保存文件",
                    )
                )  # fmt: skip
                raise ProblemsFound(line.problems) from None
            if not text.strip():
                continue
            subject, events = _subject_events(line, build, text)
            if line.problems:
                raise ProblemsFound(line.problems)
            yield subject, events


def _subject_events(line: _Line, build: RecordBuilder[int], text: str) -> tuple[str, list[Event]]:
    message, message_zh, hint, hint_zh = LONE_SURROGATE
    for offset in lone_surrogates(text):
        line.problems.append(
            Problem("DJ240", message, message_zh, line.file, line.number, offset + 1, None,
                    hint, hint_zh)
        )  # fmt: skip
    if line.problems:
        return "", []
    keys = KeyChecker()
    try:
        record = json.loads(text, parse_float=Decimal, parse_int=json_int, object_pairs_hook=keys)
    except (ValueError, RecursionError) as exc:  # RecursionError: [[[[… thousands deep
        line.malformed(
            f"line {line.number} is not valid JSON: {exc}", f"第 {line.number} 行不是有效的 JSON"
        )
        return "", []
    if keys.repeated:  # the json module kept the last of each: refuse rather than guess
        for path, offset in repeated_keys(text):
            line.repeated_key(path, offset)
        return "", []
    if type(record) is not dict or type(record.get("subject")) is not str:
        line.malformed(
            f"line {line.number} is not a subject with its events (a subject id in quotes)",
            f"第 {line.number} 行不是“对象及其记录”的格式（对象编号应为带引号的文字）",
        )
        return "", []
    subject: str = record["subject"]
    raws = record.get("events")
    if type(raws) is not list:
        line.malformed(
            f'line {line.number}: "events" must be a list of records [...], not {value_type(raws)}',
            f"第 {line.number} 行：events 应为记录列表 [...]",
        )
        return subject, []
    events: list[Event] = []
    for index, raw in enumerate(raws):
        event = _event(line, build, index, raw, subject)
        if event is not None:
            events.append(event)
    return subject, events


def _event(
    line: _Line, build: RecordBuilder[int], index: int, raw: Any, subject: str
) -> Event | None:
    """One event of the subject's line: it belongs to that member (no other subject)."""
    if type(raw) is not dict:
        line.malformed(
            f"line {line.number}: each event must be an object {{...}}, not {value_type(raw)}",
            f"第 {line.number} 行：每条记录都应为一个对象 {{...}}",
        )
        return None
    if raw.get("organization") is not None or raw.setdefault("member", subject) != subject:
        line.report(
            index,
            "member",
            "DJ212",
            f'the events of line {line.number} belong to member "{subject}"; this one names '
            "another subject",
            f"第 {line.number} 行的记录都属于党员“{subject}”；这条记录写了另一个对象",
            'leave out "member" and "organization" in a stream',
            "流式数据中的记录请不要填写 member 和 organization",
        )
        return None
    return build.event(index, raw)


def evaluate_file(
    ruleset: Ruleset,
    organizations: Mapping[str, Organization],
    members: Mapping[str, Member],
    events_jsonl: str | os.PathLike[str],
    period: Period,
    with_trace: bool = False,
) -> Iterator[SubjectResult]:
    """Every active member's result: streamed from the file, then members with no line."""
    seen: set[str] = set()
    with collector_paused():
        for result in evaluate_stream(
            ruleset,
            organizations,
            members,
            read_jsonl_events(events_jsonl, ruleset.schema),
            period,
            with_trace,
        ):
            seen.add(result.subject.id)
            yield result
        quiet: Iterator[tuple[str, list[Event]]] = (
            (m, []) for m in sorted(members) if m not in seen
        )
        yield from evaluate_stream(ruleset, organizations, members, quiet, period, with_trace)
