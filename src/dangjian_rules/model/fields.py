"""Declared fields: the types of the extra attributes that data carries.

A ruleset declares the fields its conditions may use (per event type, and for
members and organizations).  Loaders use the same declarations to turn the text
of a CSV cell into a typed value, so a bad cell is reported where it is.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

import attrs

from dangjian_rules.errors import Problem, ProblemsFound, suggestion
from dangjian_rules.model.records import AttributeValue, Dataset

FieldType = Literal["string", "decimal", "integer", "boolean", "date"]
FIELD_TYPES: tuple[str, ...] = ("string", "decimal", "integer", "boolean", "date")

_TRUE = {"true", "yes", "y", "1", "是", "对", "√"}
_FALSE = {"false", "no", "n", "0", "否", "错", "×"}


@attrs.frozen
class FieldSpec:
    """One declared field: its type and, for strings, the values it may take."""

    name: str
    type: FieldType = "string"
    values: tuple[str, ...] | None = None
    label: str | None = None


class FieldValueError(ValueError):
    """A value does not fit its declared field; carries an English and a Chinese message."""

    def __init__(self, message: str, message_zh: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.hint = hint


def parse_date(text: str) -> dt.date:
    """Parse an ISO date ``2015-03-01``; also ``2015/3/1`` and ``2015.3.1`` as Excel writes."""
    cleaned = text.strip()
    for sep in ("/", ".", "-"):
        if sep in cleaned:
            parts = cleaned.split(sep)
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                try:
                    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
                except OverflowError:  # a 20-digit year: not a date, like any other
                    raise ValueError(cleaned) from None
    raise ValueError(cleaned)


def parse_decimal(value: object) -> Decimal:
    """A decimal from text or a JSON number; floats are refused, they are inexact."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(value) from None
        if not number.is_finite():
            raise ValueError(value)
        return number
    raise ValueError(value)


def coerce(spec: FieldSpec, value: object) -> AttributeValue:
    """Turn a raw value (CSV text or a JSON value) into the field's type.

    Empty text and ``None`` mean "not given" and become ``None``.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    kind = spec.type
    if kind == "string":
        text = str(value).strip() if not isinstance(value, str) else value.strip()
        if spec.values is not None and text not in spec.values:
            hint, _ = suggestion(text, spec.values)
            raise FieldValueError(
                f'"{text}" is not an allowed value of {spec.name}',
                f"“{text}”不是字段 {spec.name} 允许的取值",
                hint,
            )
        return text
    if kind == "decimal":
        try:
            return parse_decimal(value)
        except (ValueError, InvalidOperation):
            raise FieldValueError(
                f'{spec.name} must be a number, got "{value}"',
                f"字段 {spec.name} 应为数字，实际为“{value}”",
                "write a plain number such as 2 or 1.5",
            ) from None
    if kind == "integer":
        try:
            number = parse_decimal(value)
            if number != number.to_integral_value():
                raise ValueError(value)
            return int(number)
        except (ValueError, InvalidOperation):
            raise FieldValueError(
                f'{spec.name} must be a whole number, got "{value}"',
                f"字段 {spec.name} 应为整数，实际为“{value}”",
                "write a whole number such as 3",
            ) from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FieldValueError(
            f'{spec.name} must be true or false, got "{value}"',
            f"字段 {spec.name} 应为 是/否（true/false），实际为“{value}”",
            "write true or false (是 or 否)",
        )
    if kind == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except ValueError:
            raise FieldValueError(
                f'{spec.name} must be a date like 2015-03-01, got "{value}"',
                f"字段 {spec.name} 应为日期（如 2015-03-01），实际为“{value}”",
                "write the date as YYYY-MM-DD",
            ) from None
    raise AssertionError(kind)


@attrs.frozen
class EventType:
    """A declared event type: its label, quantity unit and extra fields."""

    id: str
    label: str
    quantity: str | None = None
    fields: Mapping[str, FieldSpec] = attrs.field(factory=dict)


@attrs.frozen
class DataSchema:
    """The fields that data may carry, as declared by one or more rulesets."""

    organization: Mapping[str, FieldSpec] = attrs.field(factory=dict)
    member: Mapping[str, FieldSpec] = attrs.field(factory=dict)
    events: Mapping[str, Mapping[str, FieldSpec]] = attrs.field(factory=dict)

    def merge(self, other: DataSchema) -> DataSchema:
        """Both schemas' fields; where both declare a field, ``other`` wins."""
        events: dict[str, dict[str, FieldSpec]] = {k: dict(v) for k, v in self.events.items()}
        for etype, specs in other.events.items():
            events.setdefault(etype, {}).update(specs)
        return DataSchema(
            organization={**self.organization, **other.organization},
            member={**self.member, **other.member},
            events=events,
        )


#: The Python type each declared field type holds once typed (see :func:`coerce`).
_TYPED: dict[str, type] = {
    "string": str,
    "decimal": Decimal,
    "integer": int,
    "boolean": bool,
    "date": dt.date,
}


#: The types a field's value may have without a closer look (integers need one).
_PLAINLY_FITTING: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "decimal": (Decimal, int),
    "boolean": (bool,),
    "date": (dt.date,),
}

_TYPE_WORDS = {str: "text", Decimal: "a number", int: "a whole number", bool: "true/false"}
_WORDS = {"organizations": ("organization", "党组织"), "members": ("member", "党员")}
#: Where a declared field is: its section and, for events, the event type ("" otherwise).
_Place = tuple[str, str]


def _mistyped(spec: FieldSpec, value: AttributeValue) -> bool:
    kind = type(value)
    if kind is not _TYPED[spec.type]:
        # exact numbers compare equal whichever of the two they are: 25 and Decimal(25)
        if spec.type not in ("decimal", "integer") or not (kind is int or kind is Decimal):
            return True
        return spec.type == "integer" and value != int(value)  # type: ignore[arg-type]
    return spec.values is not None and value not in spec.values


def mistyped_attributes(dataset: Dataset, schema: DataSchema) -> list[Problem]:
    """A problem for each declared field that some record holds in another type than its
    declaration (text ``"2"`` where a decimal is declared, …): the data was typed with
    another schema, or with none, and its values would compare differently than the rules
    intend.  One problem per field, naming the first such record and how many there are.
    """
    found: dict[tuple[_Place, str], tuple[str, AttributeValue, int]] = {}

    def note(place: _Place, name: str, rid: str, value: AttributeValue) -> None:
        first = found.get((place, name))
        found[place, name] = (rid, value, 1) if first is None else (*first[:2], first[2] + 1)

    for section, specs, records in (
        ("organizations", schema.organization, dataset.organizations.values()),
        ("members", schema.member, dataset.members.values()),
    ):
        for record in records if specs else ():
            for name, value in record.attributes.items():
                spec = specs.get(name)
                if spec is not None and _mistyped(spec, value):
                    note((section, ""), name, record.id, value)
    # Events are many: per event type, the declared fields whose values a glance at their
    # type settles (the rest, e.g. a list of allowed values, take the full check).
    declared = {
        event_type: tuple(
            (name, spec, _PLAINLY_FITTING.get(spec.type, ()) if spec.values is None else ())
            for name, spec in specs.items()
        )
        for event_type, specs in schema.events.items()
        if specs
    }
    for event in dataset.events if declared else ():
        fields = declared.get(event.type)
        if fields is None:
            continue
        attributes = event.attributes
        for name, spec, fitting in fields:
            if name not in attributes:
                continue
            value = attributes[name]
            if type(value) not in fitting and _mistyped(spec, value):
                note(("events", event.type), name, event.id, value)
    return [
        _mistyped_problem(place, _spec_at(schema, place, name), rid, value, count, dataset)
        for (place, name), (rid, value, count) in sorted(found.items())
    ]


def _spec_at(schema: DataSchema, place: _Place, name: str) -> FieldSpec:
    section, event_type = place
    if section == "events":
        return schema.events[event_type][name]
    return (schema.organization if section == "organizations" else schema.member)[name]


def _mistyped_problem(
    place: _Place, spec: FieldSpec, rid: str, value: AttributeValue, count: int, dataset: Dataset
) -> Problem:
    section, event_type = place
    if section == "events":
        where, where_zh = f'events of type "{event_type}"', f"类型为“{event_type}”的活动记录"
        word, word_zh = "event", "活动记录"
    else:
        where, where_zh = section, _WORDS[section][1]
        word, word_zh = _WORDS[section]
    others = f" (and {count - 1:,} more)" if count > 1 else ""
    others_zh = f"（另有 {count - 1} 条）" if count > 1 else ""
    wanted = spec.type if spec.values is None else f"one of {', '.join(spec.values)}"
    held = f"{value!r} ({_TYPE_WORDS.get(type(value), type(value).__name__)})"
    return Problem(
        code="DJ220",
        message=(
            f'the field "{spec.name}" of {where} is declared {wanted}, but {word} "{rid}"'
            f"{others} holds {held}: the data was not typed with the rulesets' fields"
        ),
        message_zh=(
            f"{where_zh}的字段“{spec.name}”声明为 {wanted}，但{word_zh}“{rid}”{others_zh}的值为 "
            f"{value!r}：读取数据时未按规则集声明的字段类型转换"
        ),
        file=dataset.source if dataset.source != "<memory>" else None,
        hint="load the data with the rulesets: load_dataset(path, rulesets=[...]) "
        "(or schema=ruleset.schema)",
        hint_zh="请带上规则集读取数据：load_dataset(path, rulesets=[...])（或 schema=ruleset.schema）",
    )


def require_typed(dataset: Dataset, schema: DataSchema) -> None:
    """Raise :class:`ProblemsFound` when a declared field holds a value of another type
    (see :func:`mistyped_attributes`)."""
    key = id(dataset)
    passed = _PASSED.get(key)
    if passed is not None and passed[0]() is dataset and schema in passed[1]:
        return  # the same data was checked against these fields before (datasets are frozen)
    problems = mistyped_attributes(dataset, schema)
    if problems:
        raise ProblemsFound(problems)
    if passed is None or passed[0]() is not dataset:
        passed = (weakref.ref(dataset), [])
        _PASSED[key] = passed
        weakref.finalize(dataset, _PASSED.pop, key, None)
    passed[1].append(schema)


#: Datasets that passed :func:`require_typed`, by id, with the schemas they passed: each
#: evaluation of the same data (explain after evaluate, diff, a report) checks it once.
_PASSED: dict[int, tuple[weakref.ref[Dataset], list[DataSchema]]] = {}
