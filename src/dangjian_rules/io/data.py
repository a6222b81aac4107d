"""Loading, checking and writing datasets: a JSON file or a folder of three CSV files.

Loaders read everything they can, report every problem with its file, line and column,
and raise :class:`~dangjian_rules.errors.ProblemsFound` once, at the end.  A dataset is
returned only when nothing is wrong: no record is ever skipped silently.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import csv
import datetime as dt
import gc
import io
import itertools
import json
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs

from dangjian_rules.errors import Problem, ProblemsFound, UsageError, did_you_mean, suggestion
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
    FieldValueError,
    coerce,
    parse_date,
    parse_decimal,
)
from dangjian_rules.model.records import (
    ALIASES,
    MEMBER_STATUSES,
    ORGANIZATION_KINDS,
    REVIEW_STATUSES,
    AttributeValue,
    Dataset,
    Event,
    Member,
    Organization,
    record_dict,
)

__all__ = [
    "CSV_COLUMNS",
    "DATA_PROBLEM_CODES",
    "Location",
    "RecordKey",
    "check_records",
    "dump_csv_folder",
    "dump_json_dataset",
    "load_csv_folder",
    "load_dataset",
    "load_json_dataset",
    "validate_records",
]

#: Every code a data problem can carry, with a short title.
DATA_PROBLEM_CODES: dict[str, str] = {
    "DJ201": "duplicate id",
    "DJ202": "unknown parent organization",
    "DJ203": "parent cycle",
    "DJ204": "unknown organization kind",
    "DJ205": "unknown organization",
    "DJ206": "unknown member",
    "DJ207": "bad date",
    "DJ208": "end before start",
    "DJ209": "unknown status",
    "DJ210": "bad value",
    "DJ211": "missing column or field",
    "DJ212": "event subject is both or neither member and organization",
    "DJ213": "encoding error",
    "DJ214": "malformed file",
    "DJ215": "left before joined",
    "DJ216": "unknown section",
    "DJ217": "duplicate column or key",
    "DJ218": "negative quantity",
    "DJ219": "file not found",
}

#: The core columns of each CSV file (and core keys of each JSON record), in file order.
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kind", "parent", "region"),
    "members": ("id", "name", "organization", "status", "joined", "left", "roles"),
    "events": ("id", "type", "member", "organization", "date", "end", "quantity", "status"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kind"),
    "members": ("id", "name", "organization"),
    "events": ("id", "type", "date"),
}
_SECTIONS = ("organizations", "members", "events")
_JSON_CORE: dict[str, frozenset[str]] = {
    kind: frozenset((*columns, "attributes")) for kind, columns in CSV_COLUMNS.items()
}

_KINDS = frozenset(ORGANIZATION_KINDS)
_MEMBER_STATUSES = frozenset(MEMBER_STATUSES)
_REVIEW_STATUSES = frozenset(REVIEW_STATUSES)
_KIND_MAP = {**{k: k for k in ORGANIZATION_KINDS}, **ALIASES["kind"]}
_MEMBER_STATUS_MAP = {**{s: s for s in MEMBER_STATUSES}, **ALIASES["member_status"]}
_REVIEW_STATUS_MAP = {**{s: s for s in REVIEW_STATUSES}, **ALIASES["review_status"]}

_WORD = {"organizations": "organization", "members": "member", "events": "event"}
_WORD_ZH = {"organizations": "党组织", "members": "党员", "events": "活动记录"}
# Field names as they read in an English sentence ("the joining date of member M3").
_LABEL_EN = {"joined": "joining date", "left": "leaving date", "end": "end date"}
_LABEL_ZH = {
    "id": "编号",
    "name": "名称",
    "kind": "类型",
    "parent": "上级党组织",
    "region": "地区",
    "organization": "党组织",
    "status": "状态",
    "joined": "入党日期",
    "left": "离开日期",
    "roles": "职务",
    "type": "类型",
    "member": "党员",
    "date": "日期",
    "end": "结束日期",
    "quantity": "数量",
    "attributes": "附加字段",
}
_TYPE_HINT_ZH = {
    "decimal": "请填写数字，如 2 或 1.5",
    "integer": "请填写整数，如 3",
    "boolean": "请填写 是 或 否（true/false）",
    "date": "日期请写成 2015-03-01 的形式",
}
_DATE_HINT = "write dates as 2015-03-01 (2015/3/1 also works)"
_DATE_HINT_ZH = "日期请写成 2015-03-01 或 2015/3/1 的形式"
_FOLDER_HINT = (
    "a data folder must hold organizations.csv, members.csv and events.csv "
    "(a file with only its header row is fine when there is no data)"
)
_FOLDER_HINT_ZH = (
    "数据文件夹中必须有 organizations.csv、members.csv 和 events.csv 三个文件"
    "（没有数据时，文件里只留第一行列名即可）"
)
#: Beyond this many unknown ids, "did you mean" is not looked up: it is slow on big data.
_MAX_SUGGESTIONS = 50

RecordKey = tuple[str, int]
"""A record's position: its section (``"events"`` …) and its index in the list checked."""

_T = TypeVar("_T")


@attrs.frozen
class Location:
    """Where a record is: file, line and column where it starts, its path in the document
    (``events[3]`` in JSON) and, when known, the line and column of each of its fields."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    fields: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)

    def field(self, name: str) -> Location:
        """The place of one field; the record's own place when the field's is unknown."""
        line, column = self.fields.get(name, (self.line, self.column))
        path = f"{self.path}.{name}" if self.path else None
        return Location(self.file, line, column, path)

    def short(self) -> str:
        """``file:line`` or the path, to mention this place inside a message."""
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        return self.path or self.file or "?"


def _problem(
    code: str,
    where: Location,
    message: str,
    message_zh: str,
    hint: str | None = None,
    hint_zh: str | None = None,
) -> Problem:
    return Problem(
        code=code,
        message=message,
        message_zh=message_zh,
        file=where.file,
        line=where.line,
        column=where.column,
        path=where.path,
        hint=hint,
        hint_zh=hint_zh,
    )


def _who(kind: str, rid: object) -> tuple[str, str]:
    """How a message names a record, in English and Chinese."""
    if isinstance(rid, str) and rid:
        return f'{_WORD[kind]} "{rid}"', f"{_WORD_ZH[kind]}“{rid}”"
    article = "a" if kind == "members" else "an"
    return f"{article} {_WORD[kind]} without id", f"一条没有编号的{_WORD_ZH[kind]}"


# -- checking records --------------------------------------------------------------------


class _Checker:
    """Collects the problems of one check, locating each at its record and field."""

    def __init__(self, locations: Mapping[RecordKey, Location] | None) -> None:
        self.locations = locations
        self.problems: list[Problem] = []
        self._close: dict[tuple[str, str], str | None] = {}

    def where(self, kind: str, index: int, field: str | None = None) -> Location:
        found = self.locations.get((kind, index)) if self.locations is not None else None
        record = found if found is not None else Location(path=f"{kind}[{index}]")
        return record.field(field) if field else record

    def add(
        self,
        code: str,
        kind: str,
        index: int,
        field: str | None,
        message: str,
        message_zh: str,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        where = self.where(kind, index, field)
        self.problems.append(_problem(code, where, message, message_zh, hint, hint_zh))

    def close_id(self, kind: str, word: str, known: Mapping[str, int]) -> str | None:
        key = (kind, word)
        if key not in self._close:
            small = len(self._close) < _MAX_SUGGESTIONS
            self._close[key] = did_you_mean(word, known) if small else None
        return self._close[key]

    def check_id(self, kind: str, index: int, rid: object, seen: dict[str, int]) -> None:
        if type(rid) is not str:
            self.add(
                "DJ210",
                kind,
                index,
                "id",
                f"the id of this {_WORD[kind]} must be text, not {type(rid).__name__}",
                f"这条{_WORD_ZH[kind]}的编号应为文字",
                "write the id as text",
                "请把编号写成文字",
            )
            return
        if not rid.strip():
            self.add(
                "DJ211",
                kind,
                index,
                "id",
                f"this {_WORD[kind]} has no id",
                f"这条{_WORD_ZH[kind]}没有填写编号",
                f"give every {_WORD[kind]} an id of its own",
                f"每条{_WORD_ZH[kind]}都要有一个不重复的编号",
            )
            return
        first = seen.setdefault(rid, index)
        if first != index:
            place = self.where(kind, first).short()
            self.add(
                "DJ201",
                kind,
                index,
                "id",
                f'{_WORD[kind]} id "{rid}" is used twice; it is first used at {place}',
                f"{_WORD_ZH[kind]}编号“{rid}”重复出现，第一次出现在 {place}",
                f"give every {_WORD[kind]} an id of its own, or delete the repeated record",
                f"每条{_WORD_ZH[kind]}的编号必须唯一，请修改编号或删除重复的记录",
            )

    def check_text(self, kind: str, index: int, rid: str, field: str, value: object) -> None:
        """A required text field: present and text."""
        who, who_zh = _who(kind, rid)
        label_zh = _LABEL_ZH.get(field, field)
        if type(value) is not str:
            self.add(
                "DJ210",
                kind,
                index,
                field,
                f"the {_LABEL_EN.get(field, field)} of {who} must be text, not {type(value).__name__}",
                f"{who_zh}的{label_zh}应为文字",
            )
        elif not value.strip():
            self.add(
                "DJ211",
                kind,
                index,
                field,
                f"{who} has no {field}",
                f"{who_zh}没有填写{label_zh}",
                f"fill in the {field}",
                f"请填写{label_zh}",
            )

    def check_date(self, kind: str, index: int, rid: str, field: str, value: object) -> bool:
        """An optional date field holds a date (not a time); False when it does not."""
        if value is None or type(value) is dt.date:
            return True
        who, who_zh = _who(kind, rid)
        self.add(
            "DJ210",
            kind,
            index,
            field,
            f"the {_LABEL_EN.get(field, field)} of {who} must be a date, not {type(value).__name__}",
            f"{who_zh}的{_LABEL_ZH.get(field, field)}应为日期（不含时间）",
            "use datetime.date values",
            "请使用日期（datetime.date）",
        )
        return False

    def unknown(
        self,
        code: str,
        kind: str,
        index: int,
        field: str,
        target: str,
        word: str,
        known: Mapping[str, int],
        message: str,
        message_zh: str,
    ) -> None:
        close = self.close_id(target, word, known)
        if close is not None:
            hint, hint_zh = f'did you mean "{close}"?', f"是否想写“{close}”？"
        else:
            hint = f'add {_WORD[target]} "{word}" to the {target} data, or correct the id'
            hint_zh = f"请先在{_WORD_ZH[target]}数据中添加“{word}”，或改正编号"
        self.add(code, kind, index, field, message, message_zh, hint, hint_zh)


def check_records(
    organizations: Sequence[Organization],
    members: Sequence[Member],
    events: Sequence[Event],
    locations: Mapping[RecordKey, Location] | None = None,
) -> list[Problem]:
    """Every problem of these records (ids, references, the tree, values), unsorted."""
    return _check(organizations, members, events, locations, ())


def _check(
    organizations: Sequence[Organization],
    members: Sequence[Member],
    events: Sequence[Event],
    locations: Mapping[RecordKey, Location] | None,
    incomplete: Collection[str],
) -> list[Problem]:
    """As :func:`check_records`; references into the ``incomplete`` sections (whose file
    could not be read whole) are not checked, since they would only add noise."""
    c = _Checker(locations)
    org_index: dict[str, int] = {}
    for i, org in enumerate(organizations):
        c.check_id("organizations", i, org.id, org_index)
    member_index: dict[str, int] = {}
    for i, member in enumerate(members):
        c.check_id("members", i, member.id, member_index)
    _check_organizations(c, organizations, org_index, "organizations" not in incomplete)
    _check_members(c, members, org_index, "organizations" not in incomplete)
    _check_events(c, events, org_index, member_index, incomplete)
    return c.problems


def _check_organizations(
    c: _Checker,
    organizations: Sequence[Organization],
    org_index: dict[str, int],
    references: bool,
) -> None:
    for i, org in enumerate(organizations):
        rid = org.id
        who, who_zh = _who("organizations", rid)
        c.check_text("organizations", i, rid, "name", org.name)
        kind = org.kind
        if type(kind) is not str or not kind.strip():
            c.check_text("organizations", i, rid, "kind", kind)
        elif kind not in _KINDS:
            hint, hint_zh = suggestion(kind, _KIND_MAP)
            c.add(
                "DJ204",
                "organizations",
                i,
                "kind",
                f'{who} has an unknown kind "{kind}"',
                f"{who_zh}的类型“{kind}”无法识别",
                hint,
                hint_zh,
            )
        parent = org.parent
        if parent is not None and type(parent) is not str:
            c.check_text("organizations", i, rid, "parent", parent)
        elif parent is not None and references and parent not in org_index:
            c.unknown(
                "DJ202",
                "organizations",
                i,
                "parent",
                "organizations",
                str(parent),
                org_index,
                f'the parent organization "{parent}" of {who} does not exist',
                f"{who_zh}的上级党组织“{parent}”不存在",
            )
    _check_cycles(c, organizations, org_index)


def _check_cycles(
    c: _Checker, organizations: Sequence[Organization], org_index: dict[str, int]
) -> None:
    parent_of = {
        org.id: org.parent
        for org in organizations
        if type(org.id) is str and type(org.parent) is str
    }
    state: dict[str, int] = {}  # 1: on the walk being made, 2: done
    for start in sorted(parent_of):
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and node not in state:
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            cycle = walk[walk.index(node) :]
            first = cycle.index(min(cycle))
            cycle = cycle[first:] + cycle[:first]
            text = " → ".join([*cycle, cycle[0]])
            c.add(
                "DJ203",
                "organizations",
                org_index[cycle[0]],
                "parent",
                f"the parents of these organizations go round in a loop: {text} "
                "(each arrow points to the parent)",
                f"这些党组织的上下级关系形成了循环：{text}（箭头指向上级党组织）",
                "give one of them a different parent; the top organization has no parent",
                "请修改其中一个党组织的上级党组织；最上级的党组织不填上级",
            )
        for done in walk:
            state[done] = 2


def _check_members(
    c: _Checker,
    members: Sequence[Member],
    org_index: dict[str, int],
    references: bool,
) -> None:
    for i, member in enumerate(members):
        rid = member.id
        c.check_text("members", i, rid, "name", member.name)
        organization = member.organization
        if type(organization) is not str or not organization.strip():
            c.check_text("members", i, rid, "organization", organization)
        elif references and organization not in org_index:
            who, who_zh = _who("members", rid)
            c.unknown(
                "DJ205",
                "members",
                i,
                "organization",
                "organizations",
                organization,
                org_index,
                f'{who} belongs to organization "{organization}", which does not exist',
                f"{who_zh}所在的党组织“{organization}”不存在（党组织数据中没有这个编号）",
            )
        if member.status not in _MEMBER_STATUSES:
            who, who_zh = _who("members", rid)
            hint, hint_zh = suggestion(str(member.status), _MEMBER_STATUS_MAP)
            c.add(
                "DJ209",
                "members",
                i,
                "status",
                f'{who} has an unknown status "{member.status}"',
                f"{who_zh}的状态“{member.status}”无法识别（应为 正式党员 或 预备党员）",
                hint,
                hint_zh,
            )
        joined, left = member.joined, member.left
        dates_ok = c.check_date("members", i, rid, "joined", joined)
        dates_ok = c.check_date("members", i, rid, "left", left) and dates_ok
        if dates_ok and joined is not None and left is not None and left < joined:
            who, who_zh = _who("members", rid)
            c.add(
                "DJ215",
                "members",
                i,
                "left",
                f"{who} left ({left}) before joining ({joined})",
                f"{who_zh}的离开日期（{left}）早于入党日期（{joined}）",
                "check both dates; leave left empty for a member who has not left",
                "请核对两个日期；没有离开的党员，离开日期不填",
            )


def _check_events(
    c: _Checker,
    events: Sequence[Event],
    org_index: dict[str, int],
    member_index: dict[str, int],
    incomplete: Collection[str],
) -> None:
    check_orgs = "organizations" not in incomplete
    check_members = "members" not in incomplete
    seen: dict[str, int] = {}
    date_type = dt.date
    for i, event in enumerate(events):
        # The happy path is a few lookups per event; every message is built off it.
        rid = event.id
        if type(rid) is not str or not rid or rid in seen:
            c.check_id("events", i, rid, seen)
        else:
            seen[rid] = i
        etype = event.type
        if type(etype) is not str or not etype:
            c.check_text("events", i, rid, "type", etype)
        member, organization = event.member, event.organization
        if member is None:
            if organization is None:
                _subject_problem(c, i, rid, both=False)
            elif check_orgs and organization not in org_index:
                who, who_zh = _who("events", rid)
                c.unknown(
                    "DJ205",
                    "events",
                    i,
                    "organization",
                    "organizations",
                    str(organization),
                    org_index,
                    f'{who} is about organization "{organization}", which does not exist',
                    f"{who_zh}所属的党组织“{organization}”不存在（党组织数据中没有这个编号）",
                )
        elif organization is not None:
            _subject_problem(c, i, rid, both=True)
        elif check_members and member not in member_index:
            who, who_zh = _who("events", rid)
            c.unknown(
                "DJ206",
                "events",
                i,
                "member",
                "members",
                str(member),
                member_index,
                f'{who} is about member "{member}", who does not exist',
                f"{who_zh}所属的党员“{member}”不存在（党员数据中没有这个编号）",
            )
        if event.status not in _REVIEW_STATUSES:
            who, who_zh = _who("events", rid)
            hint, hint_zh = suggestion(str(event.status), _REVIEW_STATUS_MAP)
            c.add(
                "DJ209",
                "events",
                i,
                "status",
                f'{who} has an unknown review status "{event.status}"',
                f"{who_zh}的审核状态“{event.status}”无法识别（应为 通过、待审核 或 退回）",
                hint,
                hint_zh,
            )
        date, end = event.date, event.end
        if type(date) is not date_type or (end is not None and type(end) is not date_type):
            _date_type_problems(c, i, event)
        elif end is not None and end < date:
            who, who_zh = _who("events", rid)
            c.add(
                "DJ208",
                "events",
                i,
                "end",
                f"{who} ends ({end}) before it starts ({date})",
                f"{who_zh}的结束日期（{end}）早于开始日期（{date}）",
                "check both dates; a one-day event may leave end empty",
                "请核对两个日期；一天内完成的活动可以不填结束日期",
            )
        quantity = event.quantity
        if quantity is not None and (type(quantity) is not Decimal or quantity < 0):
            _quantity_problem(c, i, rid, quantity)


def _subject_problem(c: _Checker, index: int, rid: str, both: bool) -> None:
    who, who_zh = _who("events", rid)
    if both:
        message = f"{who} names both a member and an organization"
        message_zh = f"{who_zh}同时填写了党员和党组织"
    else:
        message = f"{who} names neither a member nor an organization"
        message_zh = f"{who_zh}既没有填写党员，也没有填写党组织"
    c.add(
        "DJ212",
        "events",
        index,
        "member",
        message,
        message_zh,
        "fill in exactly one: member for a member's record, organization for an "
        "organization's record",
        "二者只填一个：党员个人的记录填党员，党组织的记录填党组织",
    )


def _date_type_problems(c: _Checker, index: int, event: Event) -> None:
    if type(event.date) is not dt.date:
        who, who_zh = _who("events", event.id)
        c.add(
            "DJ210",
            "events",
            index,
            "date",
            f"the date of {who} must be a date, not {type(event.date).__name__}",
            f"{who_zh}的日期应为日期（不含时间）",
            "use datetime.date values",
            "请使用日期（datetime.date）",
        )
    c.check_date("events", index, event.id, "end", event.end)


def _quantity_problem(c: _Checker, index: int, rid: str, quantity: object) -> None:
    who, who_zh = _who("events", rid)
    if type(quantity) is not Decimal:
        c.add(
            "DJ210",
            "events",
            index,
            "quantity",
            f"the quantity of {who} must be a Decimal, not {type(quantity).__name__}",
            f"{who_zh}的数量应为精确的小数（Decimal）",
            "use decimal.Decimal values; floats are inexact",
            "请使用 decimal.Decimal；浮点数不精确",
        )
    else:
        c.add(
            "DJ218",
            "events",
            index,
            "quantity",
            f"the quantity of {who} is negative ({quantity})",
            f"{who_zh}的数量是负数（{quantity}）",
            "a quantity counts hours, days or units and cannot be below zero",
            "数量表示小时、天数或件数，不能小于 0",
        )


def validate_records(
    organizations: list[Organization],
    members: list[Member],
    events: list[Event],
    source: str = "<memory>",
    locations: Mapping[RecordKey, Location] | None = None,
) -> Dataset:
    """Check the records and build a dataset; raise :class:`ProblemsFound` with every problem.

    ``locations`` maps ``(section, index in its list)`` to the record's place, so problems
    name the file, line and column; without it they name the path (``events[3].date``).
    """
    problems = _check(organizations, members, events, locations, ())
    if problems:
        raise ProblemsFound(problems)
    return _dataset(organizations, members, events, source)


def _dataset(
    organizations: Iterable[Organization],
    members: Iterable[Member],
    events: Iterable[Event],
    source: str,
) -> Dataset:
    return Dataset(
        organizations={o.id: o for o in organizations},
        members={m.id: m for m in members},
        events=tuple(events),
        source=source,
    )


# -- locations, computed only when a problem needs one ----------------------------------


class _Locations(Mapping[RecordKey, Location]):
    """Record places, made on demand: a loader keeps one number per record, no objects."""

    def __init__(self) -> None:
        self._sections: dict[str, tuple[Sequence[int], Callable[[int], Location]]] = {}

    def add(self, section: str, keys: Sequence[int], make: Callable[[int], Location]) -> None:
        self._sections[section] = (keys, make)

    def __getitem__(self, key: RecordKey) -> Location:
        section, index = key
        if section not in self._sections:
            raise KeyError(key)
        keys, make = self._sections[section]
        if not 0 <= index < len(keys):
            raise KeyError(key)
        return make(index)

    def __iter__(self) -> Iterator[RecordKey]:
        for section, (keys, _) in self._sections.items():
            for index in range(len(keys)):
                yield section, index

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._sections.values())


class _Load:
    """The state of one load: options, problems found so far, record places."""

    def __init__(self, schema: DataSchema | None, encoding: str | None) -> None:
        self.schema = schema if schema is not None else DataSchema()
        self.encoding = _codec(encoding)
        self.problems: list[Problem] = []
        self.locations = _Locations()
        self.incomplete: set[str] = set()
        self.dates: dict[str, dt.date] = {}
        self.decimals: dict[str, Decimal] = {}

    def add(
        self,
        code: str,
        where: Location,
        message: str,
        message_zh: str,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        self.problems.append(_problem(code, where, message, message_zh, hint, hint_zh))

    def finish(
        self,
        organizations: list[Organization],
        members: list[Member],
        events: list[Event],
        source: str,
    ) -> Dataset:
        checked = _check(organizations, members, events, self.locations, self.incomplete)
        problems = self.problems + checked
        if problems:
            raise ProblemsFound(problems)
        return _dataset(organizations, members, events, source)

    # -- files and text ----------------------------------------------------------------

    def read_text(self, path: Path) -> str | None:
        """The decoded text of a file, or None after reporting why it cannot be read."""
        shown = str(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.add(
                "DJ219",
                Location(shown),
                f"the data file {shown} does not exist",
                f"数据文件 {shown} 不存在",
                _FOLDER_HINT if path.suffix == ".csv" else "check the path and the file name",
                _FOLDER_HINT_ZH if path.suffix == ".csv" else "请检查路径和文件名",
            )
            return None
        except OSError as exc:
            self.add(
                "DJ219",
                Location(shown),
                f"the data file {shown} cannot be read: {exc.strerror or exc}",
                f"无法读取数据文件 {shown}：{exc.strerror or exc}",
                "check that the path names a file you may read",
                "请检查路径是否指向一个可以读取的文件",
            )
            return None
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.add_decode_problem(shown, data, exc)
            return None

    def add_decode_problem(self, shown: str, data: bytes, exc: UnicodeDecodeError) -> None:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode(self.encoding, errors="replace")) + 1
        name = "UTF-8" if self.encoding == "utf-8-sig" else self.encoding.upper()
        if self.encoding == "utf-8-sig":
            hint = (
                "files saved by Excel or WPS in China are usually GB18030: load with "
                '--encoding gb18030 (encoding="gb18030"), or save the file as "CSV UTF-8"'
            )
            hint_zh = (
                "Excel 或 WPS 保存的文件通常是 GB18030 编码：请加上 --encoding gb18030 再试，"
                "或把文件另存为“CSV UTF-8”格式"
            )
        else:
            hint = "the file may be UTF-8: try --encoding utf-8"
            hint_zh = "文件可能是 UTF-8 编码：请改用 --encoding utf-8 再试"
        self.add(
            "DJ213",
            Location(shown, line, column),
            f"{shown} is not valid {name} text: unreadable bytes at line {line}",
            f"无法按 {name} 编码读取 {shown}：第 {line} 行有无法识别的字符",
            hint,
            hint_zh,
        )

    # -- values shared by both formats -------------------------------------------------

    def date(
        self, text: str, where: Callable[[], Location], kind: str, rid: str, field: str
    ) -> dt.date | None:
        """A date from text (cached: a year has few distinct dates); None after a problem,
        or when the text is empty."""
        found = self.dates.get(text)
        if found is not None:
            return found
        cleaned = text.strip()
        if not cleaned:
            return None
        try:
            found = parse_date(cleaned)
        except ValueError:
            who, who_zh = _who(kind, rid)
            label_zh = _LABEL_ZH.get(field, field)
            self.add(
                "DJ207",
                where(),
                f'the {_LABEL_EN.get(field, field)} of {who} is "{cleaned}", which is not a valid date',
                f"{who_zh}的{label_zh}“{cleaned}”不是有效的日期",
                _DATE_HINT,
                _DATE_HINT_ZH,
            )
            return None
        self.dates[text] = found
        return found

    def missing_date(self, where: Location, kind: str, rid: str, field: str) -> None:
        who, who_zh = _who(kind, rid)
        label_zh = _LABEL_ZH.get(field, field)
        self.add(
            "DJ211",
            where,
            f"{who} has no {field}",
            f"{who_zh}没有填写{label_zh}",
            _DATE_HINT,
            _DATE_HINT_ZH,
        )

    def quantity(self, value: object, where: Callable[[], Location], rid: str) -> Decimal | None:
        try:
            return parse_decimal(value)
        except ValueError:
            who, who_zh = _who("events", rid)
            self.add(
                "DJ210",
                where(),
                f'the quantity of {who} is "{value}", which is not a number',
                f"{who_zh}的数量“{value}”不是数字",
                "write a plain number such as 2 or 1.5",
                "请填写数字，如 2 或 1.5",
            )
            return None

    def bad_attribute(
        self,
        exc: FieldValueError,
        spec: FieldSpec,
        value: object,
        where: Location,
        kind: str,
        rid: str,
    ) -> None:
        who, who_zh = _who(kind, rid)
        if spec.type == "string" and spec.values is not None:
            hint_zh = suggestion(str(value).strip(), spec.values)[1]
        else:
            hint_zh = _TYPE_HINT_ZH.get(spec.type)
        self.add(
            "DJ210",
            where,
            f"{who}: {exc.message}",
            f"{who_zh}：{exc.message_zh}",
            exc.hint,
            hint_zh,
        )


def _codec(encoding: str | None) -> str:
    """The codec to decode with: UTF-8 always accepts a byte-order mark."""
    if encoding is None:
        return "utf-8-sig"
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f'unknown encoding "{encoding}"; use utf-8 or gb18030 (未知的编码“{encoding}”)'
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def _split_roles(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    unified = text.replace("；", ";").replace("|", ";")
    return tuple(part for part in (p.strip() for p in unified.split(";")) if part)


# -- CSV -----------------------------------------------------------------------------------


@attrs.define
class _Table:
    """One CSV file after its header row: which cell holds which field."""

    file: str
    reader: Any  # a csv reader; typeshed names its class _csv.Reader, private
    width: int
    #: core field -> 0-based cell index; an absent column points at the padding cell
    cells: dict[str, int]
    #: attribute columns: (cell index, name)
    extras: list[tuple[int, str]]
    #: field or attribute name -> 1-based column, for locations
    columns: dict[str, int]
    unnamed: list[int]

    def at(self, line: int, field: str | None = None) -> Location:
        return Location(self.file, line, self.columns.get(field, 1) if field else 1)

    def record_location(self, lines: Sequence[int]) -> Callable[[int], Location]:
        def make(index: int) -> Location:
            line = lines[index]
            fields = {name: (line, column) for name, column in self.columns.items()}
            return Location(self.file, line, 1, None, fields)

        return make


def _open_table(load: _Load, path: Path, kind: str) -> _Table | None:
    """Read the header row; None (after reporting) when the file cannot be used."""
    text = load.read_text(path)
    if text is None:
        return None
    shown = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        _csv_error(load, shown, reader.line_num, exc)
        return None
    if header is None or not any(h.strip() for h in header):
        load.add(
            "DJ214",
            Location(shown, 1),
            f"{shown} is empty; its first row must name the columns",
            f"{shown} 是空的；第一行应为列名",
            "columns: " + ", ".join(CSV_COLUMNS[kind]),
            "列名：" + ", ".join(CSV_COLUMNS[kind]),
        )
        return None
    width = len(header)
    core = CSV_COLUMNS[kind]
    cells: dict[str, int] = {}
    columns: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    unnamed: list[int] = []
    for index, raw in enumerate(header):
        name = raw.strip()
        key = name.lower() if name.lower() in core else name
        if not name:
            unnamed.append(index)
        elif key in columns:
            load.add(
                "DJ217",
                Location(shown, 1, index + 1),
                f'{shown} has two columns named "{name}"',
                f"{shown} 中有两列都叫“{name}”",
                "rename or delete one of them",
                "请改名或删除其中一列",
            )
        else:
            columns[key] = index + 1
            if key in core:
                cells[key] = index
            else:
                extras.append((index, key))
    missing = [f for f in _REQUIRED[kind] if f not in cells]
    if kind == "events" and "member" not in cells and "organization" not in cells:
        missing.append("member")
    others = [name for _, name in extras]
    for field in missing:
        close = did_you_mean(field, others)
        also = f' (is "{close}" meant to be "{field}"?)' if close else ""
        also_zh = f"（“{close}”是否应为“{field}”？）" if close else ""
        message = f'{shown} has no "{field}" column; the first row must name the columns'
        message_zh = f"{shown} 缺少“{field}”列（第一行应为列名）"
        if kind == "events" and field == "member":
            message = f'{shown} has neither a "member" nor an "organization" column'
            message_zh = f"{shown} 既没有“member”列，也没有“organization”列"
        load.add(
            "DJ211",
            Location(shown, 1),
            message,
            message_zh,
            f'add a column named "{field}" to the first row{also}; the columns are: '
            + ", ".join(core),
            f"请在第一行加上“{field}”列{also_zh}；列名为：" + ", ".join(core),
        )
    if missing:
        return None
    for field in core:
        cells.setdefault(field, width)
    return _Table(shown, reader, width, cells, extras, columns, unnamed)


def _csv_error(load: _Load, shown: str, line: int, exc: csv.Error) -> None:
    load.add(
        "DJ214",
        Location(shown, line or 1),
        f"{shown} is not valid CSV: {exc}",
        f"{shown} 不是有效的 CSV 文件：{exc}",
        "save the file again from Excel or WPS as CSV",
        "请用 Excel 或 WPS 重新另存为 CSV 文件",
    )


def _rows(load: _Load, table: _Table, kind: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the row starts, cells padded with one empty cell) per row;
    blank rows are not records and are passed over."""
    reader = table.reader
    width = table.width
    last = reader.line_num
    try:
        for row in reader:
            start = last + 1
            last = reader.line_num
            if len(row) != width:
                if not any(row):
                    continue
                if len(row) > width:
                    _long_row(load, table, start, row)
                    del row[width:]
                else:
                    row.extend([""] * (width - len(row)))
            elif not any(row):
                continue
            for index in table.unnamed:
                if row[index].strip():
                    load.add(
                        "DJ214",
                        Location(table.file, start, index + 1),
                        f'cell "{row[index].strip()}" is in a column that has no name',
                        f"单元格“{row[index].strip()}”所在的列没有列名",
                        "name the column in the first row, or clear the cell",
                        "请在第一行填写列名，或清空这个单元格",
                    )
            row.append("")
            yield start, row
    except csv.Error as exc:
        _csv_error(load, table.file, reader.line_num, exc)
        load.incomplete.add(kind)


def _long_row(load: _Load, table: _Table, line: int, row: list[str]) -> None:
    if not any(cell.strip() for cell in row[table.width :]):
        return
    load.add(
        "DJ214",
        Location(table.file, line, table.width + 1),
        f"this row has {len(row)} cells but the first row names {table.width} columns",
        f"这一行有 {len(row)} 个单元格，但第一行只有 {table.width} 个列名",
        "a cell may hold a comma without quotes around it; quote it or delete the extra cells",
        "可能某个单元格里有逗号却没有加引号；请加上引号或删除多余的单元格",
    )


def _csv_attributes(
    table: _Table, specs: Mapping[str, FieldSpec]
) -> list[tuple[int, str, FieldSpec | None]]:
    return [(index, name, specs.get(name)) for index, name in table.extras]


def _read_organizations_csv(load: _Load, path: Path) -> list[Organization]:
    table = _open_table(load, path, "organizations")
    if table is None:
        load.incomplete.add("organizations")
        return []
    c = table.cells
    i_id, i_name, i_kind, i_parent, i_region = (c[f] for f in CSV_COLUMNS["organizations"])
    extras = _csv_attributes(table, load.schema.organization)
    records: list[Organization] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "organizations"):
        rid = row[i_id].strip()
        kind = row[i_kind].strip()
        attributes = _row_attributes(load, table, line, row, extras, "organizations", rid)
        records.append(
            Organization(
                rid,
                row[i_name].strip(),
                _KIND_MAP.get(kind, kind),
                row[i_parent].strip() or None,
                row[i_region].strip() or None,
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("organizations", lines, table.record_location(lines))
    return records


def _read_members_csv(load: _Load, path: Path) -> list[Member]:
    table = _open_table(load, path, "members")
    if table is None:
        load.incomplete.add("members")
        return []
    c = table.cells
    i_id, i_name, i_org, i_status, i_joined, i_left, i_roles = (
        c[f] for f in CSV_COLUMNS["members"]
    )
    extras = _csv_attributes(table, load.schema.member)
    dates = load.dates
    records: list[Member] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "members"):
        rid = row[i_id].strip()
        status = row[i_status].strip()
        text = row[i_joined]
        joined = (
            (dates.get(text) or _csv_date(load, table, line, text, "members", rid, "joined"))
            if text
            else None
        )
        text = row[i_left]
        left = (
            (dates.get(text) or _csv_date(load, table, line, text, "members", rid, "left"))
            if text
            else None
        )
        attributes = _row_attributes(load, table, line, row, extras, "members", rid)
        records.append(
            Member(
                rid,
                row[i_name].strip(),
                row[i_org].strip(),
                _MEMBER_STATUS_MAP.get(status, status) if status else "full",
                joined,
                left,
                _split_roles(row[i_roles]),
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("members", lines, table.record_location(lines))
    return records


def _csv_date(
    load: _Load, table: _Table, line: int, text: str, kind: str, rid: str, field: str
) -> dt.date | None:
    return load.date(text, partial(table.at, line, field), kind, rid, field)


def _read_events_csv(load: _Load, path: Path) -> list[Event]:
    table = _open_table(load, path, "events")
    if table is None:
        load.incomplete.add("events")
        return []
    c = table.cells
    i_id, i_type, i_member, i_org, i_date, i_end, i_quantity, i_status = (
        c[f] for f in CSV_COLUMNS["events"]
    )
    schemas = load.schema.events
    extras_by_type: dict[str, list[tuple[int, str, FieldSpec | None]]] = {}
    dates = load.dates
    decimals = load.decimals
    records: list[Event] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "events"):
        rid = row[i_id].strip()
        text = row[i_date]
        date = dates.get(text)
        if date is None:
            date = _csv_date(load, table, line, text, "events", rid, "date")
            if date is None:
                if not text.strip():
                    load.missing_date(table.at(line, "date"), "events", rid, "date")
                continue  # an event without a date cannot be kept; its problem is reported
        text = row[i_end]
        end = (
            (dates.get(text) or _csv_date(load, table, line, text, "events", rid, "end"))
            if text
            else None
        )
        text = row[i_quantity]
        quantity = None
        if text:
            quantity = decimals.get(text)
            if quantity is None and text.strip():
                quantity = load.quantity(text, partial(table.at, line, "quantity"), rid)
                if quantity is not None:
                    decimals[text] = quantity
        status = row[i_status].strip()
        etype = row[i_type].strip()
        extras = extras_by_type.get(etype)
        if extras is None:
            extras = _csv_attributes(table, schemas.get(etype, {}))
            extras_by_type[etype] = extras
        attributes = (
            _row_attributes(load, table, line, row, extras, "events", rid) if extras else {}
        )
        records.append(
            Event(
                rid,
                etype,
                date,
                row[i_member].strip() or None,
                row[i_org].strip() or None,
                end,
                quantity,
                _REVIEW_STATUS_MAP.get(status, status) if status else "approved",
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("events", lines, table.record_location(lines))
    return records


def _row_attributes(
    load: _Load,
    table: _Table,
    line: int,
    row: list[str],
    extras: list[tuple[int, str, FieldSpec | None]],
    kind: str,
    rid: str,
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    for index, name, spec in extras:
        text = row[index].strip()
        if not text:
            continue
        if spec is None:
            attributes[name] = text
            continue
        try:
            value = coerce(spec, text)
        except FieldValueError as exc:
            load.bad_attribute(exc, spec, text, table.at(line, name), kind, rid)
            continue
        if value is not None:
            attributes[name] = value
    return attributes


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector during a load.

    A load makes hundreds of thousands of objects and no reference cycles; the
    collections those allocations trigger would otherwise cost as much as the load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_csv_folder(
    folder: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load ``organizations.csv``, ``members.csv`` and ``events.csv`` from a folder.

    Extra columns become attributes, typed by ``schema``.  Raises :class:`ProblemsFound`
    with every problem of all three files.
    """
    load = _Load(schema, encoding)
    with _bulk():
        return _load_csv_folder(load, folder)


def _load_csv_folder(load: _Load, folder: str | os.PathLike[str]) -> Dataset:
    base = Path(folder)
    if not base.is_dir():
        load.add(
            "DJ219",
            Location(str(folder)),
            f"the data folder {folder} does not exist",
            f"数据文件夹 {folder} 不存在",
            _FOLDER_HINT,
            _FOLDER_HINT_ZH,
        )
        raise ProblemsFound(load.problems)
    organizations = _read_organizations_csv(load, base / "organizations.csv")
    members = _read_members_csv(load, base / "members.csv")
    events = _read_events_csv(load, base / "events.csv")
    return load.finish(organizations, members, events, str(folder))


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


def _walk_json(load: _Load, doc: _JsonDocument) -> dict[str, list[object]]:
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
            if key in _SECTIONS and key not in sections and type(value) is list:
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
    load: _Load,
    doc: _JsonDocument,
    key: object,
    key_at: int,
    value_at: int,
    value: object,
    sections: dict[str, list[object]],
) -> None:
    name = str(key)
    if name not in _SECTIONS:
        hint, hint_zh = suggestion(name, _SECTIONS)
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
    load: _Load, doc: _JsonDocument, key: _JKey, rid: str, field: str, value: object
) -> str | None:
    """A text field whose JSON value is not a string: null, or a problem."""
    if value is None:
        return None
    if field == "id":
        who, who_zh = f"this {_WORD[key[0]]}", f"这条{_WORD_ZH[key[0]]}"
    else:
        who, who_zh = _who(key[0], rid)
    label_zh = _LABEL_ZH.get(field, field)
    load.add(
        "DJ210",
        _jwhere(doc, key, field),
        f"the {_LABEL_EN.get(field, field)} of {who} must be text in quotes, not {_json_type(value)}",
        f"{who_zh}的{label_zh}应为带引号的文字",
        f'write "{field}": "..."',
        f'请写成 "{field}": "..."',
    )
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)  # keeps references to this id from being reported too
    return None


def _jdate(
    load: _Load,
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
        who, who_zh = _who(key[0], rid)
        load.add(
            "DJ207",
            _jwhere(doc, key, field),
            f"the {_LABEL_EN.get(field, field)} of {who} must be a date in quotes, not {_json_type(value)}",
            f"{who_zh}的{_LABEL_ZH.get(field, field)}应为带引号的日期",
            'write dates as "2015-03-01"',
            '日期请写成 "2015-03-01"',
        )
        return None
    return load.date(value, partial(_jwhere, doc, key, field), key[0], rid, field)


def _jattributes(
    load: _Load,
    doc: _JsonDocument,
    key: _JKey,
    rid: str,
    record: dict[str, Any],
    specs: Mapping[str, FieldSpec],
) -> dict[str, AttributeValue]:
    """Attributes from the ``attributes`` object and from keys that are not core fields."""
    nested = record.get("attributes")
    if record.keys() <= _JSON_CORE[key[0]]:
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
    load: _Load,
    doc: _JsonDocument,
    key: _JKey,
    rid: str,
    record: dict[str, Any],
    specs: Mapping[str, FieldSpec],
) -> dict[str, AttributeValue]:
    nested = record.get("attributes")
    extra = record.keys() - _JSON_CORE[key[0]]
    if nested is None and not extra:
        return {}
    pairs: list[tuple[str, str, object]] = []
    if isinstance(nested, dict):
        pairs.extend((f"attributes.{k}", k, v) for k, v in nested.items())
    elif nested is not None:
        who, who_zh = _who(key[0], rid)
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
            who, who_zh = _who(key[0], rid)
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


def _not_object(load: _Load, doc: _JsonDocument, key: _JKey, value: object) -> None:
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


def _jid(load: _Load, doc: _JsonDocument, key: _JKey, value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    return _jtext(load, doc, key, "", "id", value) or ""


def _jstr(
    load: _Load, doc: _JsonDocument, key: _JKey, rid: str, field: str, value: object
) -> str | None:
    """An optional text field: stripped, empty as None."""
    if isinstance(value, str):
        return value.strip() or None
    return _jtext(load, doc, key, rid, field, value)


def _json_records(
    load: _Load,
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


def _json_organizations(load: _Load, doc: _JsonDocument, items: list[object]) -> list[Organization]:
    specs = load.schema.organization

    def convert(key: _JKey, r: dict[str, Any]) -> Organization:
        rid = _jid(load, doc, key, r.get("id"))
        kind = _jstr(load, doc, key, rid, "kind", r.get("kind")) or ""
        return Organization(
            rid,
            _jstr(load, doc, key, rid, "name", r.get("name")) or "",
            _KIND_MAP.get(kind, kind),
            _jstr(load, doc, key, rid, "parent", r.get("parent")),
            _jstr(load, doc, key, rid, "region", r.get("region")),
            _jattributes(load, doc, key, rid, r, specs),
        )

    return _json_records(load, doc, "organizations", items, convert)


def _json_members(load: _Load, doc: _JsonDocument, items: list[object]) -> list[Member]:
    specs = load.schema.member

    def convert(key: _JKey, r: dict[str, Any]) -> Member:
        rid = _jid(load, doc, key, r.get("id"))
        status = _jstr(load, doc, key, rid, "status", r.get("status"))
        return Member(
            rid,
            _jstr(load, doc, key, rid, "name", r.get("name")) or "",
            _jstr(load, doc, key, rid, "organization", r.get("organization")) or "",
            _MEMBER_STATUS_MAP.get(status, status) if status else "full",
            _jdate(load, doc, key, rid, "joined", r.get("joined"), required=False),
            _jdate(load, doc, key, rid, "left", r.get("left"), required=False),
            _jroles(load, doc, key, rid, r.get("roles")),
            _jattributes(load, doc, key, rid, r, specs),
        )

    return _json_records(load, doc, "members", items, convert)


def _jroles(
    load: _Load, doc: _JsonDocument, key: _JKey, rid: str, value: object
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return _split_roles(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    who, who_zh = _who(key[0], rid)
    load.add(
        "DJ210",
        _jwhere(doc, key, "roles"),
        f"the roles of {who} must be a list of text, not {_json_type(value)}",
        f"{who_zh}的职务应为文字列表",
        'write "roles": ["书记", "委员"]',
        '请写成 "roles": ["书记", "委员"]',
    )
    return ()


def _json_events(load: _Load, doc: _JsonDocument, items: list[object]) -> list[Event]:
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
            status = _REVIEW_STATUS_MAP.get(status, status)
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
    load: _Load, doc: _JsonDocument, key: _JKey, rid: str, value: object
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
    who, who_zh = _who("events", rid)
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
    load = _Load(schema, encoding)
    with _bulk():
        return _load_json(load, path)


def _load_json(load: _Load, path: str | os.PathLike[str]) -> Dataset:
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


def load_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load a dataset from a JSON file or from a folder of three CSV files.

    ``encoding`` defaults to UTF-8 (with or without a byte-order mark); files saved by
    Excel or WPS in China usually need ``"gb18030"``.  Raises :class:`ProblemsFound`
    listing every problem, each with its file, line and column.
    """
    base = Path(path)
    if base.is_dir():
        return load_csv_folder(path, schema, encoding)
    _codec(encoding)
    shown = str(path)
    if not base.exists() or base.suffix.lower() == ".csv":
        if base.suffix.lower() == ".csv":
            message = f"{shown} is one CSV file; give the folder that holds the three files"
            message_zh = f"{shown} 只是一个 CSV 文件；请给出存放三个 CSV 文件的文件夹"
        else:
            message = f"{shown} does not exist"
            message_zh = f"{shown} 不存在"
        raise ProblemsFound(
            [
                _problem(
                    "DJ219",
                    Location(shown),
                    message,
                    message_zh,
                    "give a .json file, or a folder holding organizations.csv, members.csv "
                    "and events.csv",
                    "请给出一个 .json 文件，或存放 organizations.csv、members.csv、events.csv "
                    "的文件夹",
                )
            ]
        )
    return load_json_dataset(path, schema, encoding)


# -- writing -------------------------------------------------------------------------------


def dump_json_dataset(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write the dataset as JSON (UTF-8), records in the dataset's order.

    Dates and decimals are written as text; :func:`load_json_dataset` reads them back.
    """
    document = {
        "organizations": [record_dict(o) for o in dataset.organizations.values()],
        "members": [record_dict(m) for m in dataset.members.values()],
        "events": [record_dict(e) for e in dataset.events],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


def dump_csv_folder(
    dataset: Dataset,
    folder: str | os.PathLike[str],
    encoding: str = "utf-8-sig",
) -> None:
    """Write ``organizations.csv``, ``members.csv`` and ``events.csv`` into a folder.

    Attribute columns (the union of attribute names, sorted) follow the core columns.
    The default encoding writes a byte-order mark so that Excel shows Chinese correctly.
    """
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    sections: tuple[tuple[str, Sequence[Organization | Member | Event]], ...] = (
        ("organizations", list(dataset.organizations.values())),
        ("members", list(dataset.members.values())),
        ("events", dataset.events),
    )
    for section, records in sections:
        core = CSV_COLUMNS[section]
        names = sorted({name for record in records for name in record.attributes})
        for name in names:
            if not name.strip() or name != name.strip() or name.lower() in core:
                raise UsageError(
                    f'{section}: attribute "{name}" cannot be a CSV column (it is empty, has '
                    "spaces around it or is the name of a core column); write JSON instead"
                )
        with (base / f"{section}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*core, *names])
            for record in records:
                attributes = record.attributes
                row = [_cell(getattr(record, field)) for field in core]
                row.extend(_cell(attributes.get(name)) for name in names)
                writer.writerow(row)
