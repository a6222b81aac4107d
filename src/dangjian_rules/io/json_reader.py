"""Reading one JSON file into a dataset, each problem at its line and column."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from dangjian_rules.errors import ProblemsFound, suggestion
from dangjian_rules.io.load import (
    JSON_CORE,
    SECTIONS,
    LoadState,
    bulk_loading,
    split_roles,
)
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
    FieldValueError,
    coerce,
)
from dangjian_rules.model.records import (
    KIND_OF,
    MEMBER_STATUS_OF,
    REVIEW_STATUS_OF,
    AttributeValue,
    Dataset,
    Event,
    Member,
    Organization,
)
from dangjian_rules.model.validate import (
    FIELD_LABEL_EN,
    FIELD_LABEL_ZH,
    RECORD_WORD,
    RECORD_WORD_ZH,
    Location,
    record_name,
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
_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "text",
    int: "a number",
    Decimal: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}


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
            decode = json.JSONDecoder().raw_decode
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
    decode = json.JSONDecoder(parse_float=Decimal).raw_decode
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


def _walk_json(load: LoadState, doc: _JsonDocument) -> dict[str, list[object]]:
    """The records of each section.

    The top-level object is walked key by key so that unknown or repeated sections are
    reported where they are; each section's list is decoded by the json module in one go.
    """
    text = doc.text
    decode = json.JSONDecoder(parse_float=Decimal).raw_decode
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
            f'"{name}" must be a list of records [...], not {_json_type(value)}',
            f"“{name}”应为记录的列表 [...]",
            f'write "{name}": [{{...}}, {{...}}]',
            f'请写成 "{name}": [{{...}}, {{...}}]',
        )


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


_JKey = tuple[str, int]  # section, index in its JSON list


def _jwhere(doc: _JsonDocument, key: _JKey, field: str) -> Location:
    return doc.field(key[0], key[1], field)


def _jtext(
    load: LoadState, doc: _JsonDocument, key: _JKey, rid: str, field: str, value: object
) -> str | None:
    """A text field whose JSON value is not a string: null, or a problem."""
    if value is None:
        return None
    if field == "id":
        who, who_zh = f"this {RECORD_WORD[key[0]]}", f"这条{RECORD_WORD_ZH[key[0]]}"
    else:
        who, who_zh = record_name(key[0], rid)
    label_zh = FIELD_LABEL_ZH.get(field, field)
    load.add(
        "DJ210",
        _jwhere(doc, key, field),
        f"the {FIELD_LABEL_EN.get(field, field)} of {who} must be text in quotes, not {_json_type(value)}",
        f"{who_zh}的{label_zh}应为带引号的文字",
        f'write "{field}": "..."',
        f'请写成 "{field}": "..."',
    )
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)  # keeps references to this id from being reported too
    return None


def _jdate(
    load: LoadState,
    doc: _JsonDocument,
    key: _JKey,
    rid: str,
    field: str,
    value: object,
    required: bool,
) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            load.missing_date(_jwhere(doc, key, field), key[0], rid, field)
        return None
    if not isinstance(value, str):
        who, who_zh = record_name(key[0], rid)
        load.add(
            "DJ207",
            _jwhere(doc, key, field),
            f"the {FIELD_LABEL_EN.get(field, field)} of {who} must be a date in quotes, not {_json_type(value)}",
            f"{who_zh}的{FIELD_LABEL_ZH.get(field, field)}应为带引号的日期",
            'write dates as "2015-03-01"',
            '日期请写成 "2015-03-01"',
        )
        return None
    return load.date(value, partial(_jwhere, doc, key, field), key[0], rid, field)


def _jattributes(
    load: LoadState,
    doc: _JsonDocument,
    key: _JKey,
    rid: str,
    record: dict[str, Any],
    specs: Mapping[str, FieldSpec],
) -> dict[str, AttributeValue]:
    """Attributes from the ``attributes`` object and from keys that are not core fields."""
    nested = record.get("attributes")
    if record.keys() <= JSON_CORE[key[0]]:
        if not nested:
            return {}
        if type(nested) is dict:
            fast = _plain_attributes(nested, specs)
            if fast is not None:
                return fast
    return _jattributes_slow(load, doc, key, rid, record, specs)


def _plain_attributes(
    nested: dict[str, Any], specs: Mapping[str, FieldSpec]
) -> dict[str, AttributeValue] | None:
    """The common case quickly; None when anything needs a closer look (and a report)."""
    attributes: dict[str, AttributeValue] = {}
    for name, value in nested.items():
        if value is None:
            continue
        spec = specs.get(name)
        if spec is not None:
            try:
                typed = coerce(spec, value)
            except FieldValueError:
                return None
            if typed is not None:
                attributes[name] = typed
            continue
        kind = type(value)
        if kind is str:
            text = value.strip()
            if text:
                attributes[name] = text
        elif kind is int or kind is Decimal or kind is bool:
            attributes[name] = value
        else:
            return None
    return attributes


def _jattributes_slow(
    load: LoadState,
    doc: _JsonDocument,
    key: _JKey,
    rid: str,
    record: dict[str, Any],
    specs: Mapping[str, FieldSpec],
) -> dict[str, AttributeValue]:
    nested = record.get("attributes")
    extra = record.keys() - JSON_CORE[key[0]]
    if nested is None and not extra:
        return {}
    pairs: list[tuple[str, str, object]] = []
    if isinstance(nested, dict):
        pairs.extend((f"attributes.{k}", k, v) for k, v in nested.items())
    elif nested is not None:
        who, who_zh = record_name(key[0], rid)
        load.add(
            "DJ210",
            _jwhere(doc, key, "attributes"),
            f"the attributes of {who} must be an object {{...}}, not {_json_type(nested)}",
            f"{who_zh}的附加字段（attributes）应为一个对象 {{...}}",
            'write "attributes": {"name": value, ...}',
            '请写成 "attributes": {"字段名": 值, ...}',
        )
    pairs.extend((k, k, record[k]) for k in sorted(extra))
    attributes: dict[str, AttributeValue] = {}
    seen: set[str] = set()
    for path, name, value in pairs:
        if name in seen:
            load.add(
                "DJ217",
                _jwhere(doc, key, path),
                f'attribute "{name}" is given twice, inside and outside "attributes"',
                f"附加字段“{name}”在 attributes 内外各写了一次",
                "keep only one of them",
                "请只保留一个",
            )
            continue
        seen.add(name)
        if value is None:
            continue
        spec = specs.get(name)
        if spec is not None:
            try:
                typed = coerce(spec, value)
            except FieldValueError as exc:
                load.bad_attribute(exc, spec, value, _jwhere(doc, key, path), key[0], rid)
                continue
            if typed is not None:
                attributes[name] = typed
        elif isinstance(value, str):
            if value.strip():
                attributes[name] = value.strip()
        elif isinstance(value, (bool, int, Decimal)):
            attributes[name] = value
        else:
            who, who_zh = record_name(key[0], rid)
            load.add(
                "DJ210",
                _jwhere(doc, key, path),
                f'attribute "{name}" of {who} must be one value (text, a number or true/false), '
                f"not {_json_type(value)}",
                f"{who_zh}的附加字段“{name}”只能是一个值（文字、数字或 true/false）",
                "write a single value",
                "请只写一个值",
            )
    return attributes


def _not_object(load: LoadState, doc: _JsonDocument, key: _JKey, value: object) -> None:
    section, index = key
    load.add(
        "DJ214",
        doc.at(doc.offsets(section)[index], f"{section}[{index}]"),
        f"each entry of {section} must be an object {{...}}, not {_json_type(value)}",
        f"{section} 中的每一项都应为一个对象 {{...}}",
        'write each record as {"id": "...", ...}',
        '每条记录请写成 {"id": "...", ...}',
    )
    if section != "events":
        load.incomplete.add(section)  # a lost organization or member makes references noisy


def _jid(load: LoadState, doc: _JsonDocument, key: _JKey, value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return _jtext(load, doc, key, "", "id", value) or ""


def _jstr(
    load: LoadState, doc: _JsonDocument, key: _JKey, rid: str, field: str, value: object
) -> str | None:
    """An optional text field: stripped, empty as None."""
    if isinstance(value, str):
        return value.strip() or None
    return _jtext(load, doc, key, rid, field, value)


def _json_records(
    load: LoadState,
    doc: _JsonDocument,
    section: str,
    items: list[object],
    convert: Callable[[_JKey, dict[str, Any]], _T | None],
) -> list[_T]:
    records: list[_T] = []
    positions: list[int] = []
    for index, value in enumerate(items):
        key = (section, index)
        if type(value) is not dict:
            _not_object(load, doc, key, value)
            continue
        record = convert(key, value)
        if record is not None:
            records.append(record)
            positions.append(index)

    def make(i: int) -> Location:
        return doc.record(section, positions[i])

    load.locations.add(section, positions, make)
    return records


def _json_organizations(
    load: LoadState, doc: _JsonDocument, items: list[object]
) -> list[Organization]:
    specs = load.schema.organization

    def convert(key: _JKey, r: dict[str, Any]) -> Organization:
        rid = _jid(load, doc, key, r.get("id"))
        kind = _jstr(load, doc, key, rid, "kind", r.get("kind")) or ""
        return Organization(
            rid,
            _jstr(load, doc, key, rid, "name", r.get("name")) or "",
            KIND_OF.get(kind, kind),
            _jstr(load, doc, key, rid, "parent", r.get("parent")),
            _jstr(load, doc, key, rid, "region", r.get("region")),
            _jattributes(load, doc, key, rid, r, specs),
        )

    return _json_records(load, doc, "organizations", items, convert)


def _json_members(load: LoadState, doc: _JsonDocument, items: list[object]) -> list[Member]:
    specs = load.schema.member

    def convert(key: _JKey, r: dict[str, Any]) -> Member:
        rid = _jid(load, doc, key, r.get("id"))
        status = _jstr(load, doc, key, rid, "status", r.get("status"))
        return Member(
            rid,
            _jstr(load, doc, key, rid, "name", r.get("name")) or "",
            _jstr(load, doc, key, rid, "organization", r.get("organization")) or "",
            MEMBER_STATUS_OF.get(status, status) if status else "full",
            _jdate(load, doc, key, rid, "joined", r.get("joined"), required=False),
            _jdate(load, doc, key, rid, "left", r.get("left"), required=False),
            _jroles(load, doc, key, rid, r.get("roles")),
            _jattributes(load, doc, key, rid, r, specs),
        )

    return _json_records(load, doc, "members", items, convert)


def _jroles(
    load: LoadState, doc: _JsonDocument, key: _JKey, rid: str, value: object
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return split_roles(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    who, who_zh = record_name(key[0], rid)
    load.add(
        "DJ210",
        _jwhere(doc, key, "roles"),
        f"the roles of {who} must be a list of text, not {_json_type(value)}",
        f"{who_zh}的职务应为文字列表",
        'write "roles": ["书记", "委员"]',
        '请写成 "roles": ["书记", "委员"]',
    )
    return ()


def _json_events(load: LoadState, doc: _JsonDocument, items: list[object]) -> list[Event]:
    schemas = load.schema.events
    dates = load.dates
    no_specs: Mapping[str, FieldSpec] = {}

    def convert(key: _JKey, r: dict[str, Any]) -> Event | None:
        get = r.get
        value = get("id")
        rid = value.strip() if type(value) is str else _jid(load, doc, key, value)
        value = get("date")
        date = dates.get(value) if type(value) is str else None
        if date is None:
            date = _jdate(load, doc, key, rid, "date", value, required=True)
            if date is None:
                return None  # an event without a date cannot be kept; its problem is reported
        value = get("end")
        end = None
        if value is not None:
            end = dates.get(value) if type(value) is str else None
            if end is None:
                end = _jdate(load, doc, key, rid, "end", value, required=False)
        value = get("type")
        etype = value.strip() if type(value) is str else _jtext(load, doc, key, rid, "type", value)
        etype = etype or ""
        value = get("status")
        if value is None:
            status = "approved"
        else:
            status = _jstr(load, doc, key, rid, "status", value) or "approved"
            status = REVIEW_STATUS_OF.get(status, status)
        value = get("member")
        if type(value) is str:
            member = value.strip() or None
        else:
            member = None if value is None else _jstr(load, doc, key, rid, "member", value)
        value = get("organization")
        if type(value) is str:
            organization = value.strip() or None
        else:
            organization = _jstr(load, doc, key, rid, "organization", value)
        value = get("quantity")
        quantity = None if value is None else _jquantity(load, doc, key, rid, value)
        return Event(
            rid,
            etype,
            date,
            member,
            organization,
            end,
            quantity,
            status,
            _jattributes(load, doc, key, rid, r, schemas.get(etype, no_specs)),
        )

    return _json_records(load, doc, "events", items, convert)


def _jquantity(
    load: LoadState, doc: _JsonDocument, key: _JKey, rid: str, value: object
) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    if type(value) is int:  # not bool, which is an int too
        return Decimal(value)
    if isinstance(value, str):
        text = value
        if not text.strip():
            return None
        found = load.decimals.get(text)
        if found is None:
            found = load.quantity(text, partial(_jwhere, doc, key, "quantity"), rid)
            if found is not None:
                load.decimals[text] = found
        return found
    who, who_zh = record_name("events", rid)
    load.add(
        "DJ210",
        _jwhere(doc, key, "quantity"),
        f"the quantity of {who} must be a number, not {_json_type(value)}",
        f"{who_zh}的数量应为数字",
        "write a plain number such as 2 or 1.5",
        "请填写数字，如 2 或 1.5",
    )
    return None


def load_json_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load ``{"organizations": [...], "members": [...], "events": [...]}`` from a file.

    Numbers are read as exact decimals.  Raises :class:`ProblemsFound` with every problem.
    """
    load = LoadState(schema, encoding)
    with bulk_loading():
        return _load_json(load, path)


def _load_json(load: LoadState, path: str | os.PathLike[str]) -> Dataset:
    text = load.read_text(Path(path))
    if text is None:
        raise ProblemsFound(load.problems)
    doc = _JsonDocument(str(path), text)
    try:
        sections = _walk_json(load, doc)
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
    organizations = _json_organizations(load, doc, sections.get("organizations", []))
    members = _json_members(load, doc, sections.get("members", []))
    events = _json_events(load, doc, sections.get("events", []))
    return load.finish(organizations, members, events, str(path))
