"""Declared fields: the types of the extra attributes that data carries.

A ruleset declares the fields its conditions may use (per event type, and for
members and organizations).  Loaders use the same declarations to turn the text
of a CSV cell into a typed value, so a bad cell is reported where it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

import attrs

from dangjian_rules.model.records import AttributeValue

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
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
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
            from dangjian_rules.errors import suggestion

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
