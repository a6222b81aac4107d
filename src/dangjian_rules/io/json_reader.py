"""Reading one JSON file into a dataset, each problem at its line and column."""

from __future__ import annotations

import bisect
import itertools
import json
import os
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from dangjian_rules.collector import collector_paused
from dangjian_rules.convert.jsonpos import (
    KeyChecker,
    path_text,
    repeated_key_words,
    repeated_keys,
)
from dangjian_rules.convert.records import value_type
from dangjian_rules.errors import ProblemsFound, suggestion
from dangjian_rules.io.load import (
    SECTIONS,
    LoadState,
    Where,
)
from dangjian_rules.io.safe_text import LONE_SURROGATE, lone_surrogates
from dangjian_rules.limits import json_int
from dangjian_rules.model.fields import (
    DataSchema,
)
from dangjian_rules.model.records import (
    Dataset,
)
from dangjian_rules.model.validate import (
    Location,
)

_T = TypeVar("_T")

# -- JSON ----------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
#: ``_space(text, i).end()`` is where the JSON whitespace at ``i`` ends (the pattern
#: matches the empty string, so there is always a match).
_space = cast(Callable[[str, int], "re.Match[str]"], _WS.match)
_JSON_ERRORS_ZH = {
    "Expecting value": "这里缺少一个值（或多了一个逗号）",
    "Expecting ',' delimiter": "这里缺少逗号",
    "Expecting ':' delimiter": "这里缺少冒号",
    "Expecting property name enclosed in double quotes": (
        "这里应为用双引号括起来的键名（或多了一个逗号）"
    ),
    "Unterminated string starting at": "字符串缺少结尾的双引号",
    "Invalid control character at": "字符串里有不允许的控制字符（如没有转义的换行）",
    "Invalid \\escape": "字符串里有无效的反斜杠转义",
}
_JSON_HINT = "check for a missing or extra comma, quote or bracket near this place"
_JSON_HINT_ZH = "请检查这里附近是否缺少或多了逗号、引号或括号"


class _JsonSyntax(Exception):
    """A structural mistake found while walking the document (not by the json module)."""

    def __init__(self, pos: int, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message
        self.message_zh = message_zh


class _JsonDocument:
    """The text of a JSON file, where its sections' lists start, and a way from character
    offsets to lines and columns.  Record offsets are found only when a problem needs one."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self.arrays: dict[str, int] = {}
        self._offsets: dict[str, list[int]] = {}
        self._starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            lengths = (len(line) + 1 for line in self.text.split("\n"))
            self._starts = list(itertools.accumulate(lengths, initial=0))
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def at(self, offset: int, path: str | None = None) -> Location:
        line, column = self.position(offset)
        return Location(self.file, line, column, path)

    def offsets(self, section: str) -> list[int]:
        """Where each record of a section starts: the list is walked record by record with
        ``raw_decode``; it is known to be valid JSON."""
        if section not in self._offsets:
            text = self.text
            decode = json.JSONDecoder(parse_int=json_int).raw_decode
            found: list[int] = []
            i = _space(text, self.arrays[section] + 1).end()
            while text[i : i + 1] not in ("]", ""):
                found.append(i)
                _, i = decode(text, i)
                i = _space(text, i).end()
                if text[i : i + 1] == ",":
                    i = _space(text, i + 1).end()
            self._offsets[section] = found
        return self._offsets[section]

    def record(self, section: str, index: int) -> Location:
        offset = self.offsets(section)[index]
        line, column = self.position(offset)
        fields = {k: self.position(v) for k, v in _field_offsets(self.text, offset).items()}
        return Location(self.file, line, column, f"{section}[{index}]", fields)

    def field(self, section: str, index: int, name: str) -> Location:
        return self.record(section, index).field(name)


def _field_offsets(text: str, start: int) -> dict[str, int]:
    """Where each value of the JSON object at ``start`` begins (``attributes.x`` inside
    its ``attributes`` object); the document is known to be valid JSON."""
    decode = json.JSONDecoder(parse_float=Decimal, parse_int=json_int).raw_decode
    out: dict[str, int] = {}
    i = _space(text, start).end()
    if text[i : i + 1] != "{":
        return out
    i = _space(text, i + 1).end()
    while text[i : i + 1] == '"':
        key, i = decode(text, i)
        i = _space(text, _space(text, i).end() + 1).end()
        out[str(key)] = i
        if key == "attributes" and text[i : i + 1] == "{":
            for name, at in _field_offsets(text, i).items():
                out[f"attributes.{name}"] = at
        _, i = decode(text, i)
        i = _space(text, i).end()
        if text[i : i + 1] != ",":
            break
        i = _space(text, i + 1).end()
    return out


def _walk_json(load: LoadState, doc: _JsonDocument, keys: KeyChecker) -> dict[str, list[object]]:
    """The records of each section.

    The top-level object is walked key by key so that unknown or repeated sections are
    reported where they are; each section's list is decoded by the json module in one go,
    ``keys`` noting whether any of its objects repeats a key.
    """
    text = doc.text
    decode = json.JSONDecoder(
        parse_float=Decimal, parse_int=json_int, object_pairs_hook=keys
    ).raw_decode
    sections: dict[str, list[object]] = {}
    i = _space(text, 0).end()
    if text[i : i + 1] != "{":
        raise _JsonSyntax(
            i,
            'the file must hold one JSON object: {"organizations": [...], "members": [...], '
            '"events": [...]}',
            '文件内容应为一个 JSON 对象：{"organizations": [...], "members": [...], '
            '"events": [...]}',
        )
    i = _space(text, i + 1).end()
    if text[i : i + 1] == "}":
        i += 1
    else:
        while True:
            if text[i : i + 1] != '"':
                raise _JsonSyntax(
                    i,
                    "Expecting property name enclosed in double quotes",
                    _JSON_ERRORS_ZH["Expecting property name enclosed in double quotes"],
                )
            key_at = i
            key, i = decode(text, i)
            i = _space(text, i).end()
            if text[i : i + 1] != ":":
                raise _JsonSyntax(
                    i, "Expecting ':' delimiter", _JSON_ERRORS_ZH["Expecting ':' delimiter"]
                )
            value_at = _space(text, i + 1).end()
            value, i = decode(text, value_at)
            if key in SECTIONS and key not in sections and type(value) is list:
                sections[key] = value
                doc.arrays[key] = value_at
            else:
                _top_level_problem(load, doc, key, key_at, value_at, value, sections)
            i = _space(text, i).end()
            if text[i : i + 1] == ",":
                i = _space(text, i + 1).end()
                continue
            if text[i : i + 1] == "}":
                i += 1
                break
            raise _JsonSyntax(
                i, "Expecting ',' delimiter", _JSON_ERRORS_ZH["Expecting ',' delimiter"]
            )
    i = _space(text, i).end()
    if i != len(text):
        raise _JsonSyntax(
            i, "extra text after the end of the JSON object", "JSON 对象结束后还有多余的内容"
        )
    return sections


def _top_level_problem(
    load: LoadState,
    doc: _JsonDocument,
    key: object,
    key_at: int,
    value_at: int,
    value: object,
    sections: dict[str, list[object]],
) -> None:
    name = str(key)
    if name not in SECTIONS:
        hint, hint_zh = suggestion(name, SECTIONS)
        load.add(
            "DJ216",
            doc.at(key_at, name),
            f'unknown section "{name}"; a dataset has "organizations", "members" and "events"',
            f"无法识别的部分“{name}”；数据只包含 organizations、members 和 events 三部分",
            hint,
            hint_zh,
        )
    elif name in sections:
        load.add(
            "DJ217",
            doc.at(key_at, name),
            f'section "{name}" appears twice',
            f"“{name}”部分出现了两次",
            "merge the two lists into one",
            "请把两个列表合并为一个",
        )
    else:
        load.incomplete.add(name)
        load.add(
            "DJ214",
            doc.at(value_at, name),
            f'"{name}" must be a list of records [...], not {value_type(value)}',
            f"“{name}”应为记录的列表 [...]",
            f'write "{name}": [{{...}}, {{...}}]',
            f'请写成 "{name}": [{{...}}, {{...}}]',
        )


def _repeated_keys(load: LoadState, doc: _JsonDocument) -> None:
    """Every key a record writes twice (DJ217), then stop: the json module keeps the last
    one, and guessing which one the clerk meant would change results silently."""
    for section, start in doc.arrays.items():
        for path, offset in repeated_keys(doc.text, start, (section,)):
            load.add("DJ217", doc.at(offset, path_text(path)), *repeated_key_words(path))
    raise ProblemsFound(load.problems)


_JKey = tuple[str, int]  # section, index in its JSON list


def _not_object(load: LoadState, doc: _JsonDocument, key: _JKey, value: object) -> None:
    section, index = key
    load.add(
        "DJ214",
        doc.at(doc.offsets(section)[index], f"{section}[{index}]"),
        f"each entry of {section} must be an object {{...}}, not {value_type(value)}",
        f"{section} 中的每一项都应为一个对象 {{...}}",
        'write each record as {"id": "...", ...}',
        '每条记录请写成 {"id": "...", ...}',
    )
    if section != "events":
        load.incomplete.add(section)  # a lost organization or member makes references noisy


def _json_records(
    load: LoadState,
    doc: _JsonDocument,
    section: str,
    items: list[object],
    build: Callable[[Where, dict[str, Any]], _T | None],
) -> list[_T]:
    """The records of one section, each built by the one record builder; its problems
    are placed at the field's line and column in the document."""
    records: list[_T] = []
    positions: list[int] = []
    for index, value in enumerate(items):
        if type(value) is not dict:
            _not_object(load, doc, (section, index), value)
            continue
        record = build(partial(doc.field, section, index), value)
        if record is not None:
            records.append(record)
            positions.append(index)

    def make(i: int) -> Location:
        return doc.record(section, positions[i])

    load.locations.add(section, positions, make)
    return records


def load_json_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load ``{"organizations": [...], "members": [...], "events": [...]}`` from a file.

    Numbers are read as exact decimals.  Raises :class:`ProblemsFound` with every problem.
    """
    load = LoadState(schema, encoding)
    with collector_paused():
        return _load_json(load, path)


def _load_json(load: LoadState, path: str | os.PathLike[str]) -> Dataset:
    text = load.read_text(Path(path))
    if text is None:
        raise ProblemsFound(load.problems)
    doc = _JsonDocument(str(path), text)
    for offset in lone_surrogates(text):
        load.add("DJ240", doc.at(offset), *LONE_SURROGATE)
    if load.problems:
        raise ProblemsFound(load.problems)
    keys = KeyChecker()
    try:
        sections = _walk_json(load, doc, keys)
    except json.JSONDecodeError as exc:
        message = exc.msg
        load.add(
            "DJ214",
            Location(doc.file, exc.lineno, exc.colno),
            f"{doc.file} is not valid JSON: {message}",
            f"{doc.file} 不是有效的 JSON：{_JSON_ERRORS_ZH.get(message, message)}",
            _JSON_HINT,
            _JSON_HINT_ZH,
        )
        raise ProblemsFound(load.problems) from None
    except RecursionError:  # [[[[… thousands deep: the json module recurses
        load.add(
            "DJ214",
            Location(doc.file),
            f"{doc.file} is not valid JSON: arrays or objects nested too deeply",
            f"{doc.file} 不是有效的 JSON：数组或对象嵌套层次过深",
            _JSON_HINT,
            _JSON_HINT_ZH,
        )
        raise ProblemsFound(load.problems) from None
    except _JsonSyntax as exc:
        load.add(
            "DJ214",
            doc.at(exc.pos),
            f"{doc.file} is not valid JSON: {exc.message}",
            f"{doc.file} 不是有效的 JSON：{exc.message_zh}",
            _JSON_HINT,
            _JSON_HINT_ZH,
        )
        raise ProblemsFound(load.problems) from None
    if keys.repeated:
        _repeated_keys(load, doc)
    build = load.builder
    get = sections.get
    organizations = _json_records(
        load, doc, "organizations", get("organizations", []), build.organization
    )
    members = _json_records(load, doc, "members", get("members", []), build.member)
    events = _json_records(load, doc, "events", get("events", []), build.event)
    return load.finish(organizations, members, events, str(path))
