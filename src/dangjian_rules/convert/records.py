"""Records from raw values: the one place where a JSON object, a sheet row, a line of a JSON
Lines stream, a ``[[tests]]`` case or a test's keyword arguments become an
:class:`~dangjian_rules.model.records.Organization`, ``Member`` or ``Event``.

The rules live here once: ids and text stripped, Chinese kinds and statuses mapped to the
canonical values (:data:`~dangjian_rules.model.records.ALIASES`), missing statuses defaulted,
dates read from ISO text (``2015/3/1`` too) or taken as dates, quantities exact (floats
refused), roles split on ``;``, extra fields typed by the :class:`DataSchema`.  A value that
does not fit is reported through the ``report`` callback with the field it belongs to, so
each reader puts the problem at its own place (file:line:col, or sheet!cell); the codes and
words are the loaders' (DJ207, DJ210, DJ211, DJ217).

The hot CSV reader (:mod:`dangjian_rules.io.csv_reader`) applies the same rules to its
columns directly, for speed; a differential property test checks it agrees with this
builder.  :func:`structure_record` is the builder behind the one cattrs converter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from dangjian_rules.convert import NUMBER_RANGE, converter, in_range
from dangjian_rules.errors import Problem, ProblemsFound, suggestion
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
    FieldValueError,
    coerce,
    parse_date,
    parse_decimal,
)
from dangjian_rules.model.records import (
    KIND_OF,
    MEMBER_STATUS_OF,
    REVIEW_STATUS_OF,
    AttributeValue,
    Event,
    Member,
    Organization,
)
from dangjian_rules.model.validate import (
    FIELD_LABEL_EN,
    FIELD_LABEL_ZH,
    RECORD_WORD,
    RECORD_WORD_ZH,
    record_name,
)

__all__ = [
    "CORE_COLUMNS",
    "CORE_FIELDS",
    "DATE_HINT",
    "DATE_HINT_ZH",
    "RecordBuilder",
    "split_roles",
    "structure_record",
]

K = TypeVar("K")

#: The core fields of each kind of record, in the order of a CSV file's columns.
CORE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kind", "parent", "region"),
    "members": ("id", "name", "organization", "status", "joined", "left", "roles"),
    "events": ("id", "type", "member", "organization", "date", "end", "quantity", "status"),
}
#: The keys of a record that are not extra fields (an attribute): its core fields and
#: ``attributes``, the mapping of extra fields.
CORE_FIELDS: dict[str, frozenset[str]] = {
    section: frozenset((*columns, "attributes")) for section, columns in CORE_COLUMNS.items()
}
DATE_HINT = "write dates as 2015-03-01 (2015/3/1 also works)"
DATE_HINT_ZH = "日期请写成 2015-03-01 或 2015/3/1 的形式"
_NUMBER_HINT = ("write a plain number such as 2 or 1.5", "请填写数字，如 2 或 1.5")
_TYPE_HINT_ZH = {
    "decimal": "请填写数字，如 2 或 1.5",
    "integer": "请填写整数，如 3",
    "boolean": "请填写 是 或 否（true/false）",
    "date": "日期请写成 2015-03-01 的形式",
}
_VALUE_TYPES = {
    dict: "an object",
    list: "a list",
    tuple: "a list",
    str: "text",
    int: "a number",
    Decimal: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}
_NO_SPECS: Mapping[str, FieldSpec] = {}

#: ``report(key, field, code, message, message_zh, hint, hint_zh)``: a problem with one field
#: (``attributes.late`` for a nested one) of the record the reader knows as ``key``.
Report = Callable[[K, str, str, str, str, "str | None", "str | None"], None]


def value_type(value: object) -> str:
    """How a message names the type of a value: "text", "a number", "a list" …"""
    return _VALUE_TYPES.get(type(value), type(value).__name__)


def split_roles(text: str) -> tuple[str, ...]:
    """Roles from one cell: ``书记;委员`` (also ``；`` and ``|``), blanks dropped."""
    if not text:
        return ()
    unified = text.replace("；", ";").replace("|", ";")
    return tuple(part for part in (p.strip() for p in unified.split(";")) if part)


class RecordBuilder(Generic[K]):
    """Builds records from raw mappings, typing extra fields by ``schema``.

    Raw values are what a document holds: text, ``None``, exact numbers, booleans, dates,
    lists of text (roles) and, under ``"attributes"``, a mapping of extra fields (extra
    fields may also be keys of their own).  Dates and numbers read from text are cached:
    a year holds few distinct dates.
    """

    def __init__(
        self,
        schema: DataSchema | None,
        report: Report[K],
        date_hint: tuple[str, str] = (DATE_HINT, DATE_HINT_ZH),
        name_records: bool = True,
    ) -> None:
        self.schema = schema if schema is not None else DataSchema()
        self.report = report
        self.date_hint = date_hint
        #: whether a wrong extra field's message starts with the record ("event "E1": …");
        #: a ``[[tests]]`` case names itself instead
        self.name_records = name_records
        self.dates: dict[str, dt.date] = {}
        self.decimals: dict[str, Decimal] = {}

    # -- records ----------------------------------------------------------------------------

    def organization(self, key: K, raw: Mapping[str, Any]) -> Organization:
        rid = self.id(key, "organizations", raw.get("id"))
        kind = self.text(key, "organizations", rid, "kind", raw.get("kind")) or ""
        return Organization(
            rid,
            self.text(key, "organizations", rid, "name", raw.get("name")) or "",
            KIND_OF.get(kind, kind),
            self.text(key, "organizations", rid, "parent", raw.get("parent")),
            self.text(key, "organizations", rid, "region", raw.get("region")),
            self.attributes(key, "organizations", rid, raw, self.schema.organization),
        )

    def member(self, key: K, raw: Mapping[str, Any]) -> Member:
        rid = self.id(key, "members", raw.get("id"))
        status = self.text(key, "members", rid, "status", raw.get("status"))
        return Member(
            rid,
            self.text(key, "members", rid, "name", raw.get("name")) or "",
            self.text(key, "members", rid, "organization", raw.get("organization")) or "",
            MEMBER_STATUS_OF.get(status, status) if status else "full",
            self.date(key, "members", rid, "joined", raw.get("joined"), required=False),
            self.date(key, "members", rid, "left", raw.get("left"), required=False),
            self.roles(key, rid, raw.get("roles")),
            self.attributes(key, "members", rid, raw, self.schema.member),
        )

    def event(self, key: K, raw: Mapping[str, Any]) -> Event | None:
        """The event, or None when it has no usable date (the problem is reported)."""
        rid = self.id(key, "events", raw.get("id"))
        value = raw.get("date")
        date = self.dates.get(value) if type(value) is str else None
        if date is None:
            date = self.date(key, "events", rid, "date", value, required=True)
            if date is None:
                return None
        value = raw.get("end")
        end = None if value is None else self.date(key, "events", rid, "end", value, False)
        etype = self.text(key, "events", rid, "type", raw.get("type")) or ""
        status = self.text(key, "events", rid, "status", raw.get("status"))
        value = raw.get("quantity")
        return Event(
            rid,
            etype,
            date,
            self.text(key, "events", rid, "member", raw.get("member")),
            self.text(key, "events", rid, "organization", raw.get("organization")),
            end,
            None if value is None else self.quantity(key, rid, value),
            REVIEW_STATUS_OF.get(status, status) if status else "approved",
            self.attributes(key, "events", rid, raw, self.schema.events.get(etype, _NO_SPECS)),
        )

    # -- fields -----------------------------------------------------------------------------

    def id(self, key: K, section: str, value: object) -> str:
        if type(value) is str:
            return value.strip()
        if value is None:
            return ""
        return self._not_text(key, section, "", "id", value) or ""

    def text(self, key: K, section: str, rid: str, field: str, value: object) -> str | None:
        """An optional text field: stripped, empty as None."""
        if type(value) is str:
            return value.strip() or None
        if value is None:
            return None
        return self._not_text(key, section, rid, field, value)

    def _not_text(self, key: K, section: str, rid: str, field: str, value: object) -> str | None:
        if field == "id":
            who, who_zh = f"this {RECORD_WORD[section]}", f"这条{RECORD_WORD_ZH[section]}"
        else:
            who, who_zh = record_name(section, rid)
        self.report(
            key,
            field,
            "DJ210",
            f"the {FIELD_LABEL_EN.get(field, field)} of {who} must be text in quotes, "
            f"not {value_type(value)}",
            f"{who_zh}的{FIELD_LABEL_ZH.get(field, field)}应为带引号的文字",
            f'write "{field}": "..."',
            f'请写成 "{field}": "..."',
        )
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)  # keeps references to this id from being reported too
        return None

    def date(
        self, key: K, section: str, rid: str, field: str, value: object, required: bool
    ) -> dt.date | None:
        """A date from text or a date; None when absent (reported if required) or wrong."""
        if value is None or (type(value) is str and not value.strip()):
            if required:
                who, who_zh = record_name(section, rid)
                self.report(
                    key,
                    field,
                    "DJ211",
                    f"{who} has no {field}",
                    f"{who_zh}没有填写{FIELD_LABEL_ZH.get(field, field)}",
                    *self.date_hint,
                )
            return None
        if type(value) is str:
            found = self.dates.get(value)
            if found is None:
                found = self._date_text(key, section, rid, field, value)
            return found
        if type(value) is dt.date:
            return value
        who, who_zh = record_name(section, rid)
        label, label_zh = FIELD_LABEL_EN.get(field, field), FIELD_LABEL_ZH.get(field, field)
        self.report(
            key,
            field,
            "DJ207",
            f"the {label} of {who} must be a date in quotes, not {value_type(value)}",
            f"{who_zh}的{label_zh}应为带引号的日期",
            'write dates as "2015-03-01"',
            '日期请写成 "2015-03-01"',
        )
        return None

    def _date_text(self, key: K, section: str, rid: str, field: str, text: str) -> dt.date | None:
        cleaned = text.strip()
        try:
            found = parse_date(cleaned)
        except ValueError:
            who, who_zh = record_name(section, rid)
            label, label_zh = FIELD_LABEL_EN.get(field, field), FIELD_LABEL_ZH.get(field, field)
            self.report(
                key,
                field,
                "DJ207",
                f'the {label} of {who} is "{cleaned}", which is not a valid date',
                f"{who_zh}的{label_zh}“{cleaned}”不是有效的日期",
                *self.date_hint,
            )
            return None
        self.dates[text] = found
        return found

    def quantity(self, key: K, rid: str, value: object) -> Decimal | None:
        """An exact quantity from a number or text; floats are refused, they are inexact,
        and so are numbers outside the range computed exactly (DJ223)."""
        number = self._quantity(key, rid, value)
        if number is not None and not in_range(number):
            self.out_of_range(key, "events", rid, "quantity", number)
            return None
        return number

    def out_of_range(self, key: K, section: str, rid: str, field: str, number: object) -> None:
        """A number outside :data:`~dangjian_rules.convert.NUMBER_RANGE` (DJ223)."""
        who, who_zh = record_name(section, rid)
        name = field.removeprefix("attributes.")
        label, label_zh = (
            ("quantity", "数量")
            if field == "quantity"
            else (f'attribute "{name}"', f"附加字段“{name}”")
        )
        self.report(
            key,
            field,
            "DJ223",
            f"the {label} of {who} is {number}, outside the numbers computed exactly "
            f"({NUMBER_RANGE[0]})",
            f"{who_zh}的{label_zh}为 {number}，超出可精确计算的范围（{NUMBER_RANGE[1]}）",
            "round it, or give it in a larger or smaller unit",
            "请取整，或换用更大或更小的单位",
        )

    def _quantity(self, key: K, rid: str, value: object) -> Decimal | None:
        if type(value) is Decimal:
            return value
        if type(value) is int:  # not bool, which is an int too
            return Decimal(value)
        who, who_zh = record_name("events", rid)
        if type(value) is not str:
            self.report(
                key,
                "quantity",
                "DJ210",
                f"the quantity of {who} must be a number, not {value_type(value)}"
                + (" (floats are inexact: give text or a Decimal)" if type(value) is float else ""),
                f"{who_zh}的数量应为数字",
                *_NUMBER_HINT,
            )
            return None
        if not value.strip():
            return None
        found = self.decimals.get(value)
        if found is None:
            try:
                found = parse_decimal(value)
            except ValueError:
                self.report(
                    key,
                    "quantity",
                    "DJ210",
                    f'the quantity of {who} is "{value}", which is not a number',
                    f"{who_zh}的数量“{value}”不是数字",
                    *_NUMBER_HINT,
                )
                return None
            self.decimals[value] = found
        return found

    def roles(self, key: K, rid: str, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if type(value) is str:
            return split_roles(value)
        if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
            return tuple(v.strip() for v in value if v.strip())
        who, who_zh = record_name("members", rid)
        self.report(
            key,
            "roles",
            "DJ210",
            f"the roles of {who} must be a list of text, not {value_type(value)}",
            f"{who_zh}的职务应为文字列表",
            'write "roles": ["书记", "委员"]',
            '请写成 "roles": ["书记", "委员"]',
        )
        return ()

    # -- extra fields -------------------------------------------------------------------

    def attributes(
        self,
        key: K,
        section: str,
        rid: str,
        raw: Mapping[str, Any],
        specs: Mapping[str, FieldSpec],
    ) -> dict[str, AttributeValue]:
        """Extra fields, from the ``attributes`` mapping and from keys that are not core
        fields, typed by their declarations."""
        nested = raw.get("attributes")
        core = CORE_FIELDS[section]
        if raw.keys() <= core:
            if not nested:
                return {}
            if type(nested) is dict:
                fast = _plain_attributes(nested, specs)
                if fast is not None:
                    return fast
        pairs: list[tuple[str, str, object]] = []
        if isinstance(nested, Mapping):
            pairs.extend((f"attributes.{k}", k, v) for k, v in nested.items())
        elif nested is not None:
            self._not_mapping(key, section, rid, nested)
        pairs.extend((k, k, raw[k]) for k in sorted(raw.keys() - core))
        attributes: dict[str, AttributeValue] = {}
        seen: set[str] = set()
        for field, name, value in pairs:
            if name in seen:
                self._twice(key, field, name)
                continue
            seen.add(name)
            if value is None:
                continue
            typed = self.attribute(key, section, rid, field, specs.get(name), value)
            if isinstance(typed, (int, Decimal)) and not in_range(typed):
                self.out_of_range(key, section, rid, field, typed)
            elif typed is not None:
                attributes[name] = typed
        return attributes

    def attribute(
        self,
        key: K,
        section: str,
        rid: str,
        field: str,
        spec: FieldSpec | None,
        value: object,
    ) -> AttributeValue:
        """One extra field's value: typed by its declaration, or kept as given (text
        stripped, exact numbers, true/false, dates); None after a problem or when empty."""
        if spec is not None:
            try:
                return coerce(spec, value)
            except FieldValueError as exc:
                who, who_zh = record_name(section, rid) if self.name_records else ("", "")
                if spec.type == "string" and spec.values is not None:
                    hint_zh = suggestion(str(value).strip(), spec.values)[1]
                else:
                    hint_zh = _TYPE_HINT_ZH.get(spec.type)
                self.report(
                    key, field, "DJ210",
                    f"{who}: {exc.message}" if who else exc.message,
                    f"{who_zh}：{exc.message_zh}" if who_zh else exc.message_zh,
                    exc.hint, hint_zh,
                )  # fmt: skip
                return None
        kind = type(value)
        if isinstance(value, str):
            return value.strip() or None
        if kind is bool or kind is int or kind is Decimal or kind is dt.date:
            return value  # type: ignore[return-value]
        who, who_zh = record_name(section, rid)
        name = field.removeprefix("attributes.")
        self.report(
            key,
            field,
            "DJ210",
            f'attribute "{name}" of {who} must be one value (text, a number or true/false), '
            f"not {value_type(value)}",
            f"{who_zh}的附加字段“{name}”只能是一个值（文字、数字或 true/false）",
            "write a single value",
            "请只写一个值",
        )
        return None

    def _not_mapping(self, key: K, section: str, rid: str, nested: object) -> None:
        who, who_zh = record_name(section, rid)
        self.report(
            key,
            "attributes",
            "DJ210",
            f"the attributes of {who} must be an object {{...}}, not {value_type(nested)}",
            f"{who_zh}的附加字段（attributes）应为一个对象 {{...}}",
            'write "attributes": {"name": value, ...}',
            '请写成 "attributes": {"字段名": 值, ...}',
        )

    def _twice(self, key: K, field: str, name: str) -> None:
        self.report(
            key,
            field,
            "DJ217",
            f'attribute "{name}" is given twice, inside and outside "attributes"',
            f"附加字段“{name}”在 attributes 内外各写了一次",
            "keep only one of them",
            "请只保留一个",
        )


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
            if isinstance(typed, (int, Decimal)) and not in_range(typed):
                return None
            if typed is not None:
                attributes[name] = typed
            continue
        kind = type(value)
        if kind is str:
            text = value.strip()
            if text:
                attributes[name] = text
        elif (kind is int or kind is Decimal) and not in_range(value):
            return None
        elif kind is int or kind is Decimal or kind is bool or kind is dt.date:
            attributes[name] = value
        else:
            return None
    return attributes


_SECTION_OF: dict[type, str] = {
    Organization: "organizations",
    Member: "members",
    Event: "events",
}
R = TypeVar("R", Organization, Member, Event)


def structure_record(
    raw: Mapping[str, Any],
    cls: type[R],
    schema: DataSchema | None = None,
    *,
    file: str | None = None,
    line: int | None = None,
    path: str | None = None,
) -> R:
    """One record from a raw mapping, or :class:`ProblemsFound` with every problem, each at
    ``file``/``line`` and the field's path (``path.field``)."""
    problems: list[Problem] = []

    def report(
        _: None, field: str, code: str, en: str, zh: str, hint: str | None, hint_zh: str | None
    ) -> None:
        where = f"{path}.{field}" if path else field
        problems.append(Problem(code, en, zh, file, line, None, where, hint, hint_zh))

    builder: RecordBuilder[None] = RecordBuilder(schema, report)
    section = _SECTION_OF[cls]
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                "DJ214",
                f"each {RECORD_WORD[section]} must be an object {{...}}, not {value_type(raw)}",
                f"每条{RECORD_WORD_ZH[section]}都应为一个对象 {{...}}",
                file,
                line,
                None,
                path,
            )
        )
        raise ProblemsFound(problems)
    built: Organization | Member | Event | None
    if section == "organizations":
        built = builder.organization(None, raw)
    elif section == "members":
        built = builder.member(None, raw)
    else:
        built = builder.event(None, raw)
    if problems or built is None:
        raise ProblemsFound(problems)
    return built  # type: ignore[return-value]


for _cls in _SECTION_OF:
    converter.register_structure_hook(_cls, lambda raw, cls: structure_record(raw, cls))
