"""The structure of a ruleset document: the keys of each table and their types, and
the :class:`Checker` that reports, located and bilingual, where a document departs from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

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


# --------------------------------------------------------------------- key specs
# Each table's keys: name → (expected type, required).  Types: "string", "decimal",
# "date", "boolean", "table", "tables" (array of tables), "strings" (string or list
# of strings), "caps", "condition".

KeySpec = Mapping[str, tuple[str, bool]]

TOP: KeySpec = {
    "ruleset": ("table", True),
    "score": ("table", False),
    "event_types": ("table", False),
    "fields": ("table", False),
    "categories": ("tables", False),
    "rules": ("tables", False),
    "grades": ("tables", False),
    "measures": ("tables", False),
    "flags": ("tables", False),
    "stars": ("table", False),
    "tiers": ("table", False),
    "selection": ("table", False),
    "tests": ("tables", False),
}
TEST: KeySpec = {
    "name": ("string", True),
    "period": ("string", True),
    "subject": ("string", False),
    "given": ("table", True),
    "expect": ("table", True),
    "previous": ("table", False),
}
GIVEN: KeySpec = {
    "organizations": ("tables", False),
    "members": ("tables", False),
    "events": ("tables", False),
}
PREVIOUS: KeySpec = {
    "score": ("decimal", False),
    "grade": ("string", False),
    "stars": ("decimal", False),
    "tier": ("string", False),
}
HEADER: KeySpec = {
    "id": ("string", True),
    "name": ("string", True),
    "version": ("string", True),
    "subject": ("string", True),
    "description": ("string", False),
    "in_force": ("table", False),
    "organizations": ("strings", False),
    "members": ("condition", False),
    "extends": ("string", False),
}
MEASURE_COMMON: KeySpec = {
    "id": ("string", True),
    "label": ("string", True),
    "kind": ("string", True),
    "on": ("strings", False),
    "when": ("condition", False),
    "description": ("string", False),
}
STARS: KeySpec = {
    "mode": ("string", False),
    "levels": ("tables", False),
    "named": ("tables", False),
    "requires": ("condition", False),
    "max_up": ("decimal", False),
    "max_down": ("decimal", False),
    "quota": ("tables", False),
    "rank_by": ("strings", False),
    "strip_on_veto": ("boolean", False),
}
STAR_LEVEL: KeySpec = {
    "stars": ("decimal", True),
    "label": ("string", True),
    "when": ("condition", True),
}
NAMED_STAR: KeySpec = {
    "id": ("string", True),
    "label": ("string", True),
    "when": ("condition", True),
}
QUOTA: KeySpec = {"stars": ("decimal", True), "at_most": ("decimal", True)}
TIERS: KeySpec = {
    "order": ("strings", True),
    "rules": ("tables", False),
    "default": ("string", True),
    "max_up": ("decimal", False),
    "max_down": ("decimal", False),
}
TIER_RULE: KeySpec = {"tier": ("string", True), "when": ("condition", True)}
SELECTION: KeySpec = {
    "label": ("string", False),
    "count": ("decimal", True),
    "eligible": ("condition", False),
    "rank_by": ("strings", True),
    "scope": ("string", False),
}
FLAG: KeySpec = {"id": ("string", True), "label": ("string", True), "when": ("condition", True)}
IN_FORCE: KeySpec = {"from": ("date", False), "until": ("date", False)}
SCORE: KeySpec = {"base": ("decimal", False), "min": ("decimal", False), "max": ("decimal", False)}
EVENT_TYPE: KeySpec = {
    "label": ("string", True),
    "quantity": ("string", False),
    "fields": ("table", False),
    "description": ("string", False),
}
FIELD: KeySpec = {
    "type": ("string", True),
    "values": ("strings", False),
    "label": ("string", False),
}
CATEGORY: KeySpec = {
    "id": ("string", True),
    "label": ("string", True),
    "max": ("decimal", False),
    "min": ("decimal", False),
    "caps": ("caps", False),
    "description": ("string", False),
}
RULE_COMMON: KeySpec = {
    "id": ("string", True),
    "label": ("string", True),
    "kind": ("string", True),
    "category": ("string", False),
    "on": ("strings", True),
    "when": ("condition", False),
    "caps": ("caps", False),
    "description": ("string", False),
}
CAP: KeySpec = {"per": ("string", True), "max": ("decimal", True)}
GRADES: KeySpec = {
    "id": ("string", True),
    "label": ("string", False),
    "applies": ("condition", False),
    "veto": ("string", False),
    "bands": ("tables", True),
}
BAND: KeySpec = {"grade": ("string", True), "min": ("decimal", True)}

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

OPTION_TYPES = {
    "decimal": "decimal",
    "positive_decimal": "decimal",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "strings": "strings",
    "tables": "tables",
    "condition": "condition",
}

TYPE_WORDS = {
    "string": ("text in quotes", "带引号的文本"),
    "decimal": ("a number", "数字"),
    "date": ("a date like 2015-01-01", "日期（如 2015-01-01）"),
    "boolean": ("true or false", "true 或 false"),
    "table": ("a table", "表（table）"),
    "tables": ("an array of tables [[…]]", "表数组 [[…]]"),
    "strings": ("text or a list of texts", "文本或文本列表"),
    "caps": ('a list of caps like [{ per = "month", max = 2 }]', "封顶列表"),
    "condition": ("a condition in quotes", "带引号的条件"),
}

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

    def table(self, raw: object, spec: KeySpec, path: PathT) -> dict[str, Any]:
        """Check keys and value types of one table; returns the values that passed."""
        if not isinstance(raw, dict):
            got, got_zh = describe(raw)
            self.report(
                "DJ103",
                path,
                f"{path_text(path)} must be a table, got {got}",
                f"{path_text(path)} 应为表（table），实际为{got_zh}",
                at_value=True,
            )
            return {}
        accepted: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in spec:
                hint, hint_zh = suggestion(key, spec.keys())
                self.report(
                    "DJ101",
                    (*path, key),
                    f'unknown key "{key}" in {path_text(path) or "the top level"}',
                    f"{path_text(path) or '顶层'} 中有未知的键“{key}”",
                    hint,
                    hint_zh,
                )
                continue
            checked = self.value(value, spec[key][0], (*path, key))
            if checked is not None:
                accepted[key] = checked
        for key, (_, required) in spec.items():
            if required and key not in raw:
                self.report(
                    "DJ102",
                    path,
                    f'{path_text(path) or "the ruleset"} is missing the required key "{key}"',
                    f"{path_text(path) or '规则集'} 缺少必填的键“{key}”",
                    f"add {key} = …",
                    f"请补充 {key} = …",
                )
        return accepted

    def value(self, value: object, kind: str, path: PathT) -> Any:
        ok: bool
        if kind == "string":
            ok = isinstance(value, str)
            if ok and not str(value).strip():
                self.report(
                    "DJ104",
                    path,
                    f"{path_text(path)} is empty",
                    f"{path_text(path)} 不能为空",
                    at_value=True,
                )
                return None
        elif kind == "any":
            ok = True
        elif kind in ("condition",):
            ok = isinstance(value, str)
        elif kind == "decimal":
            ok = isinstance(value, (int, Decimal)) and not isinstance(value, bool)
            if ok:
                value = Decimal(value)  # type: ignore[arg-type]
                if not value.is_finite():  # TOML allows nan and inf; points cannot be
                    self.report(
                        "DJ104",
                        path,
                        f"{path_text(path)} must be a finite number, got {value}",
                        f"{path_text(path)} 应为有限的数字，实际为 {value}",
                        "write an ordinary number such as 2 or 1.5",
                        "请写普通数字，如 2 或 1.5",
                        at_value=True,
                    )
                    return None
        elif kind == "date":
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind == "table":
            ok = isinstance(value, dict)
        elif kind == "tables":
            ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        elif kind == "strings":
            if isinstance(value, str):
                value = [value]
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif kind == "caps":
            ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
            if isinstance(value, dict):
                value, ok = [value], True
        else:
            raise AssertionError(kind)
        if not ok:
            want, want_zh = TYPE_WORDS[kind]
            got, got_zh = describe(value)
            hint = hint_zh = None
            if kind == "decimal" and isinstance(value, str):
                hint, hint_zh = "write the number without quotes", "数字不要加引号"
            elif kind == "date" and isinstance(value, str):
                hint, hint_zh = "write the date without quotes: 2015-01-01", "日期不要加引号"
            elif kind == "string" and not isinstance(value, (dict, list)):
                hint, hint_zh = "put the text in quotes", "文本要加引号"
            self.report(
                "DJ103",
                path,
                f"{path_text(path)} must be {want}, got {got}",
                f"{path_text(path)} 应为{want_zh}，实际为{got_zh}",
                hint,
                hint_zh,
                at_value=True,
            )
            return None
        return value

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
            return _compile_condition(text, env, self.vocabulary.functions, choices)
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
