"""The structure of a ruleset document: the keys of each table and their types, and
the :class:`Checker` that reports, located and bilingual, where a document departs from it."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, NewType, TypedDict, get_type_hints

from cattrs.errors import BaseValidationError

from dangjian_rules.convert import NUMBER_RANGE, converter, failures, in_range
from dangjian_rules.errors import Problem, suggestion
from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.records import MEMBER_STATUSES, ORGANIZATION_KINDS, REVIEW_STATUSES
from dangjian_rules.ruleset import tomlpos
from dangjian_rules.ruleset.expr import (
    BOOLEAN,
    DATE,
    DECIMAL,
    LIST_OF_STRING,
    STRING,
    Condition,
    ExprError,
)
from dangjian_rules.ruleset.expr import compile_condition as _compile_condition
from dangjian_rules.ruleset.vocabulary import Vocabulary

SUBJECTS = ("member", "organization")

PathT = tuple[str | int, ...]


# --------------------------------------------------------------------- value types
# What a key's value must be.  Each type's hook (registered on the ruleset's copy of
# the one converter, below) refuses anything else with the words of TYPE_WORDS.

Text = NewType("Text", str)  #: text in quotes, not empty
ConditionText = NewType("ConditionText", str)  #: a condition, compiled later
Number = NewType("Number", Decimal)  #: an exact, finite number (TOML floats are Decimals)
Day = NewType("Day", dt.date)  #: a date without a time
Boolean = NewType("Boolean", bool)
Table = NewType("Table", dict[str, Any])
Tables = NewType("Tables", list[dict[str, Any]])  #: an array of tables [[…]]
Texts = NewType("Texts", list[str])  #: text, or a list of texts
Caps = NewType("Caps", list[dict[str, Any]])  #: a cap table, or a list of them

TYPE_WORDS: Mapping[object, tuple[str, str]] = {
    Text: ("text in quotes", "带引号的文本"),
    Number: ("a number", "数字"),
    Day: ("a date like 2015-01-01", "日期（如 2015-01-01）"),
    Boolean: ("true or false", "true 或 false"),
    Table: ("a table", "表（table）"),
    Tables: ("an array of tables [[…]]", "表数组 [[…]]"),
    Texts: ("text or a list of texts", "文本或文本列表"),
    Caps: ('a list of caps like [{ per = "month", max = 2 }]', "封顶列表"),
    ConditionText: ("a condition in quotes", "带引号的条件"),
}

#: The value type of each type a rule or measure kind's option may declare.
OPTION_TYPES: Mapping[str, object] = {
    "decimal": Number,
    "positive_decimal": Number,
    "string": Text,
    "boolean": Boolean,
    "date": Day,
    "strings": Texts,
    "tables": Tables,
    "condition": ConditionText,
}


class Refused(ValueError):
    """A value not of its key's type (DJ103)."""

    def __init__(self, kind: object, value: object) -> None:
        super().__init__(kind, value)
        self.kind = kind
        self.value = value


class Unusable(ValueError):
    """A value of the right type that cannot be used (DJ104); ``{where}`` in the
    messages is the key's path."""

    def __init__(
        self, message: str, message_zh: str, hint: str | None = None, hint_zh: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.hint = hint
        self.hint_zh = hint_zh


def _text(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise Refused(Text, value)
    if not value.strip():
        raise Unusable("{where} is empty", "{where} 不能为空")
    return value


def _condition(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise Refused(ConditionText, value)
    return value


def _number(value: object, _: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Refused(Number, value)
    number = Decimal(value)
    if not number.is_finite():  # TOML allows nan and inf; points cannot be
        raise Unusable(
            f"{{where}} must be a finite number, got {number}",
            f"{{where}} 应为有限的数字，实际为 {number}",
            "write an ordinary number such as 2 or 1.5",
            "请写普通数字，如 2 或 1.5",
        )
    if not in_range(number):  # beyond it, sums and products could no longer be exact
        raise Unusable(
            f"{{where}} is {number}, outside the numbers computed exactly ({NUMBER_RANGE[0]})",
            f"{{where}} 为 {number}，超出可精确计算的范围（{NUMBER_RANGE[1]}）",
            "round it, or use a larger or smaller unit",
            "请取整，或换用更大或更小的单位",
        )
    return number


def _day(value: object, _: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise Refused(Day, value)
    return value


def _boolean(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise Refused(Boolean, value)
    return value


def _table(value: object, _: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused(Table, value)
    return value


def _tables(value: object, _: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Refused(Tables, value)
    return value


def _texts(value: object, _: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused(Texts, value)
    return value


def _caps(value: object, _: object) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Refused(Caps, value)
    return value


#: The one converter, with the ruleset's value types: TOML has types of its own, so a
#: quoted number or date is refused here (data files may write them as text).
ruleset_converter = converter.copy()
for _type, _hook in (
    (Text, _text),
    (ConditionText, _condition),
    (Number, _number),
    (Day, _day),
    (Boolean, _boolean),
    (Table, _table),
    (Tables, _tables),
    (Texts, _texts),
    (Caps, _caps),
):
    ruleset_converter.register_structure_hook(_type, _hook)


# --------------------------------------------------------------------- tables
# The keys of each table and their value types, as TypedDicts: the converter structures
# a table into one (unknown keys refused), and keys marked REQUIRED must be present.
# A table with a key that is a Python keyword ("from") uses the functional syntax.

#: Marks a key that must be present: ``Annotated[Text, REQUIRED]``.
REQUIRED = "required"


class Document(TypedDict, total=False):
    ruleset: Annotated[Table, REQUIRED]
    score: Table
    event_types: Table
    fields: Table
    categories: Tables
    rules: Tables
    grades: Tables
    measures: Tables
    flags: Tables
    stars: Table
    tiers: Table
    selection: Table
    tests: Tables


class TestCaseTable(TypedDict, total=False):
    name: Annotated[Text, REQUIRED]
    period: Annotated[Text, REQUIRED]
    subject: Text
    given: Annotated[Table, REQUIRED]
    expect: Annotated[Table, REQUIRED]
    previous: Table


class GivenTable(TypedDict, total=False):
    organizations: Tables
    members: Tables
    events: Tables


class PreviousTable(TypedDict, total=False):
    score: Number
    grade: Text
    stars: Number
    tier: Text


class Header(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    name: Annotated[Text, REQUIRED]
    version: Annotated[Text, REQUIRED]
    subject: Annotated[Text, REQUIRED]
    description: Text
    in_force: Table
    organizations: Texts
    members: ConditionText
    extends: Text


class MeasureTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Annotated[Text, REQUIRED]
    kind: Annotated[Text, REQUIRED]
    on: Texts
    when: ConditionText
    description: Text


class StarsTable(TypedDict, total=False):
    mode: Text
    levels: Tables
    named: Tables
    requires: ConditionText
    max_up: Number
    max_down: Number
    quota: Tables
    rank_by: Texts
    strip_on_veto: Boolean


class StarLevelTable(TypedDict, total=False):
    stars: Annotated[Number, REQUIRED]
    label: Annotated[Text, REQUIRED]
    when: Annotated[ConditionText, REQUIRED]


class NamedStarTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Annotated[Text, REQUIRED]
    when: Annotated[ConditionText, REQUIRED]


class QuotaTable(TypedDict, total=False):
    stars: Annotated[Number, REQUIRED]
    at_most: Annotated[Number, REQUIRED]


class TiersTable(TypedDict, total=False):
    order: Annotated[Texts, REQUIRED]
    rules: Tables
    default: Annotated[Text, REQUIRED]
    max_up: Number
    max_down: Number


class TierRuleTable(TypedDict, total=False):
    tier: Annotated[Text, REQUIRED]
    when: Annotated[ConditionText, REQUIRED]


class SelectionTable(TypedDict, total=False):
    label: Text
    count: Annotated[Number, REQUIRED]
    eligible: ConditionText
    rank_by: Annotated[Texts, REQUIRED]
    scope: Text


class FlagTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Annotated[Text, REQUIRED]
    when: Annotated[ConditionText, REQUIRED]


InForceTable = TypedDict("InForceTable", {"from": Day, "until": Day}, total=False)


class ScoreTable(TypedDict, total=False):
    base: Number
    min: Number
    max: Number


class EventTypeTable(TypedDict, total=False):
    label: Annotated[Text, REQUIRED]
    quantity: Text
    fields: Table
    description: Text


class FieldTable(TypedDict, total=False):
    type: Annotated[Text, REQUIRED]
    values: Texts
    label: Text


class CategoryTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Annotated[Text, REQUIRED]
    max: Number
    min: Number
    caps: Caps
    description: Text


class RuleTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Annotated[Text, REQUIRED]
    kind: Annotated[Text, REQUIRED]
    category: Text
    on: Annotated[Texts, REQUIRED]
    when: ConditionText
    caps: Caps
    description: Text


class CapTable(TypedDict, total=False):
    per: Annotated[Text, REQUIRED]
    max: Annotated[Number, REQUIRED]


class GradeScaleTable(TypedDict, total=False):
    id: Annotated[Text, REQUIRED]
    label: Text
    applies: ConditionText
    veto: Text
    bands: Annotated[Tables, REQUIRED]


class BandTable(TypedDict, total=False):
    grade: Annotated[Text, REQUIRED]
    min: Annotated[Number, REQUIRED]


#: The structure of a ``<ruleset>.tests.toml`` file.
class TestsFile(TypedDict, total=False):
    tests: Annotated[Tables, REQUIRED]


#: ``[fields]``: the extra fields of members and organizations.
class FieldsTable(TypedDict, total=False):
    member: Table
    organization: Table


#: Fields every event has, readable in conditions as event.<name>.
EVENT_CORE_FIELDS = {
    "id": STRING,
    "type": STRING,
    "date": DATE,
    "end": DATE,
    "quantity": DECIMAL,
    "status": STRING,
    "days": DECIMAL,
}

#: What rankings (quotas, selection) may sort by: values every subject of the ruleset has.
RANK_ROOTS = ("measure", "result", "subject", "previous")

FIELD_TYPE_TO_EXPR = {
    "string": STRING,
    "decimal": DECIMAL,
    "integer": DECIMAL,
    "boolean": BOOLEAN,
    "date": DATE,
}


def path_text(path: PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe(value: object) -> tuple[str, str]:
    if isinstance(value, bool):
        return "true/false", "true/false"
    if isinstance(value, (int, Decimal, float)):
        return "a number", "数字"
    if isinstance(value, str):
        return "text", "文本"
    if isinstance(value, dt.datetime):
        return "a date and time", "日期时间"
    if isinstance(value, dt.date):
        return "a date", "日期"
    if isinstance(value, dict):
        return "a table", "表"
    if isinstance(value, list):
        return "a list", "列表"
    return type(value).__name__, type(value).__name__


#: A table's spec: one of the TypedDicts above, or one made by :func:`extended`.
TableSpec = Any


@functools.cache
def extended(
    spec: TableSpec, drop: tuple[str, ...] = (), add: tuple[tuple[str, object, bool], ...] = ()
) -> TableSpec:
    """``spec`` without the keys ``drop`` and with ``add`` (key, value type, required):
    the keys of one kind of rule or measure, or of an entry whose kind is unknown."""
    keys = {k: v for k, v in keys_of(spec).items() if k not in drop}
    for key, kind, required in add:
        keys[key] = Annotated[kind, REQUIRED] if required else kind
    return TypedDict(spec.__name__, keys, total=False)  # type: ignore[operator]


@functools.cache
def keys_of(spec: TableSpec) -> Mapping[str, object]:
    """The keys of ``spec`` and their value types, in the spec's order."""
    return get_type_hints(spec, include_extras=True)


@functools.cache
def required_keys(spec: TableSpec) -> tuple[str, ...]:
    """The keys of ``spec`` that must be present, in the spec's order."""
    return tuple(k for k, v in keys_of(spec).items() if REQUIRED in getattr(v, "__metadata__", ()))


class Checker:
    """Collects problems, each located in the source, while one document is checked."""

    def __init__(self, source: str, file: str, vocabulary: Vocabulary) -> None:
        self.source = source
        self.file = file
        self.vocabulary = vocabulary
        self.problems: list[Problem] = []
        self.positions = tomlpos.scan(source)

    def report(
        self,
        code: str,
        path: PathT,
        message: str,
        message_zh: str,
        hint: str | None = None,
        hint_zh: str | None = None,
        *,
        at_value: bool = False,
        offset: int = 0,
        severity: str = "error",
    ) -> None:
        place = self.positions.value(path) if at_value else None
        if place is not None and offset:
            place = (place[0], place[1] + offset)
        if place is None:
            place = self.positions.locate(path)
        line, column = place if place is not None else (None, None)
        self.problems.append(
            Problem(
                code=code,
                message=message,
                message_zh=message_zh,
                file=self.file,
                line=line,
                column=column,
                path=path_text(path) or None,
                hint=hint,
                hint_zh=hint_zh or hint,
                severity="warning" if severity == "warning" else "error",
            )
        )

    def table(self, raw: object, spec: TableSpec, path: PathT) -> dict[str, Any]:
        """Check one table against its spec (a TypedDict): every problem reported,
        the keys that passed returned, structured."""
        if not isinstance(raw, dict):
            self.value(raw, Table, path)
            return {}
        structured: Mapping[str, Any] | None = None
        failed: dict[str, BaseException] = {}
        try:
            structured = ruleset_converter.structure(raw, spec)
        except BaseValidationError as exc:
            failed = {str(where[0]): leaf for where, leaf in failures(exc) if where}
        keys = keys_of(spec)
        for key in raw:
            if key not in keys:
                hint, hint_zh = suggestion(key, keys)
                self.report(
                    "DJ101",
                    (*path, key),
                    f'unknown key "{key}" in {path_text(path) or "the top level"}',
                    f"{path_text(path) or '顶层'} 中有未知的键“{key}”",
                    hint,
                    hint_zh,
                )
            elif key in failed:
                self.refused(failed[key], (*path, key))
        for key in required_keys(spec):
            if key not in raw:
                self.report(
                    "DJ102",
                    path,
                    f'{path_text(path) or "the ruleset"} is missing the required key "{key}"',
                    f"{path_text(path) or '规则集'} 缺少必填的键“{key}”",
                    f"add {key} = …",
                    f"请补充 {key} = …",
                )
        if structured is None:  # again, without the keys that failed
            passed = {k: v for k, v in raw.items() if k in keys and k not in failed}
            structured = ruleset_converter.structure(passed, spec)
        return dict(structured)

    def value(self, value: object, kind: Any, path: PathT) -> Any:
        """One value of a value type (``Table`` …), or None with the problem reported."""
        try:
            return ruleset_converter.structure(value, kind)
        except (Refused, Unusable) as exc:
            self.refused(exc, path)
            return None

    def refused(self, exc: BaseException, path: PathT) -> None:
        """A value its type's hook refused, in words."""
        where = path_text(path)
        if isinstance(exc, Unusable):
            self.report(
                "DJ104",
                path,
                exc.message.format(where=where),
                exc.message_zh.format(where=where),
                exc.hint,
                exc.hint_zh,
                at_value=True,
            )
            return
        assert isinstance(exc, Refused), exc
        want, want_zh = TYPE_WORDS[exc.kind]
        got, got_zh = describe(exc.value)
        hint = hint_zh = None
        if exc.kind is Number and isinstance(exc.value, str):
            hint, hint_zh = "write the number without quotes", "数字不要加引号"
        elif exc.kind is Day and isinstance(exc.value, str):
            hint, hint_zh = "write the date without quotes: 2015-01-01", "日期不要加引号"
        elif exc.kind is Text and not isinstance(exc.value, (dict, list)):
            hint, hint_zh = "put the text in quotes", "文本要加引号"
        self.report(
            "DJ103",
            path,
            f"{where} must be {want}, got {got}",
            f"{where} 应为{want_zh}，实际为{got_zh}",
            hint,
            hint_zh,
            at_value=True,
        )

    def condition(
        self,
        text: str,
        path: PathT,
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]] | None = None,
    ) -> Condition | None:
        choices: dict[tuple[str, str], Sequence[str]] = {
            ("member", "status"): MEMBER_STATUSES,
            ("organization", "kind"): ORGANIZATION_KINDS,
            ("event", "status"): REVIEW_STATUSES,
        }
        for root, specs in (fields or {}).items():
            for name, spec in specs.items():
                if spec.values is not None:
                    choices[(root, name)] = spec.values
        try:
            return _compile_condition(
                text, env, self.vocabulary.functions, choices, (self.file, path_text(path))
            )
        except ExprError as exc:
            code = "DJ108" if exc.kind == "type" else "DJ107"
            self.report(
                code,
                path,
                f"condition {path_text(path)}: {exc.message}",
                f"条件 {path_text(path)}：{exc.message_zh}",
                exc.hint,
                exc.hint_zh,
                at_value=True,
                offset=1 + exc.offset,
            )
            return None

    def unique(self, items: Sequence[Mapping[str, Any]], section: str) -> None:
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            if item_id in seen:
                self.report(
                    "DJ105",
                    (section, index, "id"),
                    f'id "{item_id}" is used twice in {section} (first at '
                    f"{section}[{seen[item_id]}])",
                    f"{section} 中的 id“{item_id}”重复（首次出现在 {section}[{seen[item_id]}]）",
                    "give each one its own id",
                    "每项须有唯一的 id",
                    at_value=True,
                )
            else:
                seen[item_id] = index

    def whole(self, value: Decimal | None, path: PathT, low: int = 0) -> int | None:
        """A whole number at least ``low``, or a located problem."""
        if value is None:
            return None
        if value != value.to_integral_value() or value < low:
            self.report(
                "DJ104",
                path,
                f"{path_text(path)} must be a whole number of at least {low}, got {value}",
                f"{path_text(path)} 应为不小于 {low} 的整数，实际为 {value}",
                at_value=True,
            )
            return None
        return int(value)


def environment(
    subject: str,
    member_fields: Mapping[str, FieldSpec],
    org_fields: Mapping[str, FieldSpec],
    event_fields: Mapping[str, FieldSpec] | None,
) -> dict[str, dict[str, str]]:
    org = {
        "id": STRING,
        "name": STRING,
        "kind": STRING,
        "parent": STRING,
        "region": STRING,
        **{n: FIELD_TYPE_TO_EXPR[s.type] for n, s in org_fields.items()},
    }
    env: dict[str, dict[str, str]] = {"organization": org}
    if subject == "member":
        env["member"] = {
            "id": STRING,
            "name": STRING,
            "status": STRING,
            "joined": DATE,
            "left": DATE,
            "roles": LIST_OF_STRING,
            "organization": STRING,
            **{n: FIELD_TYPE_TO_EXPR[s.type] for n, s in member_fields.items()},
        }
    if event_fields is not None:
        env["event"] = {
            **EVENT_CORE_FIELDS,
            **{n: FIELD_TYPE_TO_EXPR[s.type] for n, s in event_fields.items()},
        }
    return env
