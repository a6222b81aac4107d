"""Checking records against each other: ids, references, the organization tree, dates.

This is about the model, not about files: the loaders call :func:`check_loaded`, and
:meth:`~dangjian_rules.model.records.Dataset.build` calls it too (through ``validate_records``);
given the records' places (:class:`Location`), every problem names its file, line and column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

import attrs

from dangjian_rules.errors import Problem, did_you_mean, suggestion
from dangjian_rules.limits import LIMITS, limit
from dangjian_rules.model.entities import (
    KIND_OF,
    MEMBER_STATUS_OF,
    MEMBER_STATUSES,
    ORGANIZATION_KINDS,
    REVIEW_STATUS_OF,
    REVIEW_STATUSES,
    Event,
    Member,
    Organization,
)

__all__ = [
    "DATA_PROBLEM_CODES",
    "Location",
    "RecordKey",
    "check_loaded",
    "check_records",
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
    "DJ220": "declared field holds a value of another type",
    "DJ221": "formula cell without a computed value",
    "DJ222": "two sheets for the same table",
    "DJ223": "number outside the range computed exactly",
    "DJ231": "file not read: not a regular file, or over the size limit",
    "DJ232": "organization tree deeper than the limit",
    "DJ240": "lone surrogate in a JSON string",
}

_KINDS = frozenset(ORGANIZATION_KINDS)
_MEMBER_STATUSES = frozenset(MEMBER_STATUSES)
_REVIEW_STATUSES = frozenset(REVIEW_STATUSES)

RECORD_WORD = {"organizations": "organization", "members": "member", "events": "event"}
RECORD_WORD_ZH = {"organizations": "党组织", "members": "党员", "events": "活动记录"}
# Field names as they read in an English sentence ("the joining date of member M3").
FIELD_LABEL_EN = {"joined": "joining date", "left": "leaving date", "end": "end date"}
FIELD_LABEL_ZH = {
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
_MAX_SUGGESTIONS = 50

RecordKey = tuple[str, int]
"""A record's position: its section (``"events"`` …) and its index in the list checked."""


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


def located_problem(
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


def record_name(kind: str, rid: object) -> tuple[str, str]:
    """How a message names a record, in English and Chinese."""
    if isinstance(rid, str) and rid:
        return f'{RECORD_WORD[kind]} "{rid}"', f"{RECORD_WORD_ZH[kind]}“{rid}”"
    article = "a" if kind == "members" else "an"
    return f"{article} {RECORD_WORD[kind]} without id", f"一条没有编号的{RECORD_WORD_ZH[kind]}"


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
        self.problems.append(located_problem(code, where, message, message_zh, hint, hint_zh))

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
                f"the id of this {RECORD_WORD[kind]} must be text, not {type(rid).__name__}",
                f"这条{RECORD_WORD_ZH[kind]}的编号应为文字",
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
                f"this {RECORD_WORD[kind]} has no id",
                f"这条{RECORD_WORD_ZH[kind]}没有填写编号",
                f"give every {RECORD_WORD[kind]} an id of its own",
                f"每条{RECORD_WORD_ZH[kind]}都要有一个不重复的编号",
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
                f'{RECORD_WORD[kind]} id "{rid}" is used twice; it is first used at {place}',
                f"{RECORD_WORD_ZH[kind]}编号“{rid}”重复出现，第一次出现在 {place}",
                f"give every {RECORD_WORD[kind]} an id of its own, or delete the repeated record",
                f"每条{RECORD_WORD_ZH[kind]}的编号必须唯一，请修改编号或删除重复的记录",
            )

    def check_text(self, kind: str, index: int, rid: str, field: str, value: object) -> None:
        """A required text field: present and text."""
        who, who_zh = record_name(kind, rid)
        label_zh = FIELD_LABEL_ZH.get(field, field)
        if type(value) is not str:
            self.add(
                "DJ210",
                kind,
                index,
                field,
                f"the {FIELD_LABEL_EN.get(field, field)} of {who} must be text, not {type(value).__name__}",
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
        who, who_zh = record_name(kind, rid)
        self.add(
            "DJ210",
            kind,
            index,
            field,
            f"the {FIELD_LABEL_EN.get(field, field)} of {who} must be a date, not {type(value).__name__}",
            f"{who_zh}的{FIELD_LABEL_ZH.get(field, field)}应为日期（不含时间）",
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
            hint = f'add {RECORD_WORD[target]} "{word}" to the {target} data, or correct the id'
            hint_zh = f"请先在{RECORD_WORD_ZH[target]}数据中添加“{word}”，或改正编号"
        self.add(code, kind, index, field, message, message_zh, hint, hint_zh)


def check_records(
    organizations: Sequence[Organization],
    members: Sequence[Member],
    events: Sequence[Event],
    locations: Mapping[RecordKey, Location] | None = None,
) -> list[Problem]:
    """Every problem of these records (ids, references, the tree, values), unsorted."""
    return check_loaded(organizations, members, events, locations, ())


def check_loaded(
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
        who, who_zh = record_name("organizations", rid)
        c.check_text("organizations", i, rid, "name", org.name)
        kind = org.kind
        if type(kind) is not str or not kind.strip():
            c.check_text("organizations", i, rid, "kind", kind)
        elif kind not in _KINDS:
            hint, hint_zh = suggestion(kind, KIND_OF)
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
    _check_depth(c, parent_of, org_index)


def _check_depth(c: _Checker, parent_of: Mapping[str, str], org_index: dict[str, int]) -> None:
    """Each organization at one level below the deepest allowed (DJ232): trees are
    walked level by level elsewhere, so their depth is bounded."""
    deepest = limit("tree_depth")
    depth: dict[str, int] = {}
    for start in sorted(parent_of):
        walk: list[str] = []
        node: str | None = start
        while node is not None and node not in depth and node not in walk:
            walk.append(node)
            node = parent_of.get(node)
        if node is not None and node in walk:
            continue  # a loop, reported as DJ203
        level = depth.get(node, 0) if node is not None else 0
        for below in reversed(walk):
            level += 1
            depth[below] = level
            if level == deepest + 1:
                variable = LIMITS["tree_depth"][0]
                c.add(
                    "DJ232",
                    "organizations",
                    org_index[below],
                    "parent",
                    f'organization "{below}" is at level {level} of the organization tree '
                    f"(the top is level 1); at most {deepest} levels are allowed",
                    f"党组织“{below}”位于第 {level} 级，最多允许 {deepest} 级",
                    f"check the parents, or raise the limit with {variable}",
                    f"请检查上级党组织，或通过环境变量 {variable} 提高上限",
                )


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
            who, who_zh = record_name("members", rid)
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
            who, who_zh = record_name("members", rid)
            hint, hint_zh = suggestion(str(member.status), MEMBER_STATUS_OF)
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
            who, who_zh = record_name("members", rid)
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
                who, who_zh = record_name("events", rid)
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
            who, who_zh = record_name("events", rid)
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
            _status_problem(c, i, rid, event.status)
        date, end = event.date, event.end
        if type(date) is not date_type or (end is not None and type(end) is not date_type):
            _date_type_problems(c, i, event)
        elif end is not None and end < date:
            _end_problem(c, i, rid, date, end)
        quantity = event.quantity
        if quantity is not None and (type(quantity) is not Decimal or quantity < 0):
            _quantity_problem(c, i, rid, quantity)


def _status_problem(c: _Checker, index: int, rid: str, status: object) -> None:
    who, who_zh = record_name("events", rid)
    hint, hint_zh = suggestion(str(status), REVIEW_STATUS_OF)
    c.add(
        "DJ209",
        "events",
        index,
        "status",
        f'{who} has an unknown review status "{status}"',
        f"{who_zh}的审核状态“{status}”无法识别（应为 通过、待审核 或 退回）",
        hint,
        hint_zh,
    )


def _end_problem(c: _Checker, index: int, rid: str, date: dt.date, end: dt.date) -> None:
    who, who_zh = record_name("events", rid)
    c.add(
        "DJ208",
        "events",
        index,
        "end",
        f"{who} ends ({end}) before it starts ({date})",
        f"{who_zh}的结束日期（{end}）早于开始日期（{date}）",
        "check both dates; a one-day event may leave end empty",
        "请核对两个日期；一天内完成的活动可以不填结束日期",
    )


def _subject_problem(c: _Checker, index: int, rid: str, both: bool) -> None:
    who, who_zh = record_name("events", rid)
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
        who, who_zh = record_name("events", event.id)
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
    who, who_zh = record_name("events", rid)
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
