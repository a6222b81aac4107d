"""Rulesets: TOML files that county committees write, loaded, checked and compiled.

:func:`load_ruleset` reads one file and returns a :class:`Ruleset` ready to evaluate,
or raises :class:`~dangjian_rules.errors.ProblemsFound` with every problem found,
each located at ``file:line:col`` with the path inside the ruleset.  The format is
described in ``docs/ruleset-format.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import tomli

from dangjian_rules.errors import Problem, ProblemsFound, UsageError, suggestion
from dangjian_rules.model.fields import FIELD_TYPES, EventType, FieldSpec
from dangjian_rules.model.period import PER_WINDOW_ZH, WINDOW_KINDS, Period
from dangjian_rules.model.records import MEMBER_STATUSES, ORGANIZATION_KINDS, REVIEW_STATUSES, Event
from dangjian_rules.plugins.manager import BUILTIN_PLUGINS, PluginError, Registry, default_registry
from dangjian_rules.ruleset import tomlpos
from dangjian_rules.ruleset.compiled import (
    EXPECT_KEYS,
    Category,
    GradeBand,
    GradeScale,
    Ruleset,
    TestCase,
)
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
from dangjian_rules.ruleset.extends import RulesetIndex, SourceIndex, resolve
from dangjian_rules.ruleset.measures import Measure, MeasureBuildContext, MeasureKind
from dangjian_rules.ruleset.rules import (
    Award,
    BuildContext,
    Cap,
    EndContext,
    Rule,
    RuleKind,
    RuleOptionError,
    SubjectChange,
)
from dangjian_rules.ruleset.verdicts import (
    CriterionSpec,
    FlagSpec,
    Quota,
    RankKey,
    SelectionSpec,
    StarsSpec,
    TierSpec,
    verdict_environment,
)

SUBJECTS = ("member", "organization")

PathT = tuple[str | int, ...]


# --------------------------------------------------------------------- key specs
# Each table's keys: name → (expected type, required).  Types: "string", "decimal",
# "date", "boolean", "table", "tables" (array of tables), "strings" (string or list
# of strings), "caps", "condition".

_Spec = Mapping[str, tuple[str, bool]]

TOP: _Spec = {
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
TEST: _Spec = {
    "name": ("string", True),
    "period": ("string", True),
    "subject": ("string", False),
    "given": ("table", True),
    "expect": ("table", True),
    "previous": ("table", False),
}
GIVEN: _Spec = {
    "organizations": ("tables", False),
    "members": ("tables", False),
    "events": ("tables", False),
}
PREVIOUS: _Spec = {
    "score": ("decimal", False),
    "grade": ("string", False),
    "stars": ("decimal", False),
    "tier": ("string", False),
}
HEADER: _Spec = {
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
MEASURE_COMMON: _Spec = {
    "id": ("string", True),
    "label": ("string", True),
    "kind": ("string", True),
    "on": ("strings", False),
    "when": ("condition", False),
    "description": ("string", False),
}
STARS: _Spec = {
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
STAR_LEVEL: _Spec = {
    "stars": ("decimal", True),
    "label": ("string", True),
    "when": ("condition", True),
}
NAMED_STAR: _Spec = {"id": ("string", True), "label": ("string", True), "when": ("condition", True)}
QUOTA: _Spec = {"stars": ("decimal", True), "at_most": ("decimal", True)}
TIERS: _Spec = {
    "order": ("strings", True),
    "rules": ("tables", False),
    "default": ("string", True),
    "max_up": ("decimal", False),
    "max_down": ("decimal", False),
}
TIER_RULE: _Spec = {"tier": ("string", True), "when": ("condition", True)}
SELECTION: _Spec = {
    "label": ("string", False),
    "count": ("decimal", True),
    "eligible": ("condition", False),
    "rank_by": ("strings", True),
    "scope": ("string", False),
}
FLAG: _Spec = {"id": ("string", True), "label": ("string", True), "when": ("condition", True)}
IN_FORCE: _Spec = {"from": ("date", False), "until": ("date", False)}
SCORE: _Spec = {"base": ("decimal", False), "min": ("decimal", False), "max": ("decimal", False)}
EVENT_TYPE: _Spec = {
    "label": ("string", True),
    "quantity": ("string", False),
    "fields": ("table", False),
    "description": ("string", False),
}
FIELD: _Spec = {
    "type": ("string", True),
    "values": ("strings", False),
    "label": ("string", False),
}
CATEGORY: _Spec = {
    "id": ("string", True),
    "label": ("string", True),
    "max": ("decimal", False),
    "min": ("decimal", False),
    "caps": ("caps", False),
    "description": ("string", False),
}
RULE_COMMON: _Spec = {
    "id": ("string", True),
    "label": ("string", True),
    "kind": ("string", True),
    "category": ("string", False),
    "on": ("strings", True),
    "when": ("condition", False),
    "caps": ("caps", False),
    "description": ("string", False),
}
CAP: _Spec = {"per": ("string", True), "max": ("decimal", True)}
GRADES: _Spec = {
    "id": ("string", True),
    "label": ("string", False),
    "applies": ("condition", False),
    "veto": ("string", False),
    "bands": ("tables", True),
}
BAND: _Spec = {"grade": ("string", True), "min": ("decimal", True)}

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

_OPTION_TYPES = {
    "decimal": "decimal",
    "positive_decimal": "decimal",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "strings": "strings",
    "tables": "tables",
    "condition": "condition",
}

_TYPE_WORDS = {
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

_FIELD_TYPE_TO_EXPR = {
    "string": STRING,
    "decimal": DECIMAL,
    "integer": DECIMAL,
    "boolean": BOOLEAN,
    "date": DATE,
}


def _path_text(path: PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(value: object) -> tuple[str, str]:
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


class _Loader:
    """Collects problems while walking one ruleset document."""

    def __init__(self, source: str, file: str, registry: Registry) -> None:
        self.source = source
        self.file = file
        self.registry = registry
        self.problems: list[Problem] = []
        self.positions = tomlpos.scan(source)

    # -- reporting -----------------------------------------------------------------

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
                path=_path_text(path) or None,
                hint=hint,
                hint_zh=hint_zh or hint,
                severity="warning" if severity == "warning" else "error",
            )
        )

    # -- generic table checks ----------------------------------------------------------

    def table(self, raw: object, spec: _Spec, path: PathT) -> dict[str, Any]:
        """Check keys and value types of one table; returns the values that passed."""
        if not isinstance(raw, dict):
            got, got_zh = _describe(raw)
            self.report(
                "DJ103",
                path,
                f"{_path_text(path)} must be a table, got {got}",
                f"{_path_text(path)} 应为表（table），实际为{got_zh}",
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
                    f'unknown key "{key}" in {_path_text(path) or "the top level"}',
                    f"{_path_text(path) or '顶层'} 中有未知的键“{key}”",
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
                    f'{_path_text(path) or "the ruleset"} is missing the required key "{key}"',
                    f"{_path_text(path) or '规则集'} 缺少必填的键“{key}”",
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
                    f"{_path_text(path)} is empty",
                    f"{_path_text(path)} 不能为空",
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
                        f"{_path_text(path)} must be a finite number, got {value}",
                        f"{_path_text(path)} 应为有限的数字，实际为 {value}",
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
            want, want_zh = _TYPE_WORDS[kind]
            got, got_zh = _describe(value)
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
                f"{_path_text(path)} must be {want}, got {got}",
                f"{_path_text(path)} 应为{want_zh}，实际为{got_zh}",
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
            return _compile_condition(text, env, self.registry.functions, choices)
        except ExprError as exc:
            code = "DJ108" if exc.kind == "type" else "DJ107"
            self.report(
                code,
                path,
                f"condition {_path_text(path)}: {exc.message}",
                f"条件 {_path_text(path)}：{exc.message_zh}",
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

    # -- the document ------------------------------------------------------------------

    def load(self, document: Mapping[str, Any], sha256: str) -> Ruleset | None:
        top = self.table(dict(document), TOP, ())
        header = (
            self.table(top.get("ruleset", {}), HEADER, ("ruleset",)) if "ruleset" in top else {}
        )
        subject = header.get("subject", "member")
        if "subject" in header and subject not in SUBJECTS:
            hint, hint_zh = suggestion(subject, SUBJECTS)
            self.report(
                "DJ104",
                ("ruleset", "subject"),
                f'subject must be "member" or "organization", got "{subject}"',
                f"subject 应为 member（党员）或 organization（党组织），实际为“{subject}”",
                hint,
                hint_zh,
                at_value=True,
            )
            subject = "member"
        in_force = (
            self.table(header["in_force"], IN_FORCE, ("ruleset", "in_force"))
            if "in_force" in header
            else {}
        )
        start, until = in_force.get("from"), in_force.get("until")
        if start is not None and until is not None and until < start:
            self.report(
                "DJ112",
                ("ruleset", "in_force", "until"),
                f"in_force ends ({until}) before it starts ({start})",
                f"生效期的结束日期（{until}）早于开始日期（{start}）",
                "swap the two dates",
                "请交换两个日期",
                at_value=True,
            )
        score = self.table(top["score"], SCORE, ("score",)) if "score" in top else {}
        low, high = score.get("min"), score.get("max")
        base_value = score.get("base", Decimal(0))
        if (low is not None and base_value < low) or (high is not None and base_value > high):
            self.report(
                "DJ104",
                ("score", "base"),
                f"score.base ({base_value}) lies outside score.min..score.max "
                f"({low if low is not None else '…'}..{high if high is not None else '…'})",
                f"score.base（{base_value}）不在 score.min..score.max 范围内",
                "make the base a score the card allows",
                "基础分须在总分允许的范围内",
                at_value=True,
            )
        if low is not None and high is not None and high < low:
            self.report(
                "DJ104",
                ("score", "max"),
                f"score.max ({high}) is below score.min ({low})",
                f"score.max（{high}）小于 score.min（{low}）",
                at_value=True,
            )
        member_fields, org_fields = self.declared_fields(top.get("fields", {}))
        own_types = self.event_types(top.get("event_types", {}))
        event_types = {**self.registry.event_types, **own_types}
        categories = self.categories(top.get("categories", []))
        measures = self.measures(
            top.get("measures", []), subject, event_types, member_fields, org_fields
        )
        rules = self.rules(
            top.get("rules", []),
            subject,
            event_types,
            member_fields,
            org_fields,
            categories,
            self.measure_types(measures),
        )
        grades = self.grades(top.get("grades", []), subject, member_fields, org_fields)
        self.check_veto_grades(rules, grades)
        self.check_lowest_bands(
            grades, score.get("base", Decimal(0)), low, rules, categories, top.get("grades", [])
        )
        organization_kinds = tuple(header.get("organizations", ()))
        if organization_kinds and subject == "member":
            self.report(
                "DJ104",
                ("ruleset", "organizations"),
                "organizations = [...] chooses the kinds of organization an organization "
                "ruleset rates; this ruleset rates members",
                "organizations = [...] 用于选择党组织规则集考核的党组织类型；本规则集考核的是党员",
                "to choose members, write members = '\"联系干部\" in member.roles'",
                "如需选择党员，请写 members = '\"联系干部\" in member.roles'",
            )
        for index, kind in enumerate(organization_kinds):
            if kind not in ORGANIZATION_KINDS:
                hint, hint_zh = suggestion(kind, ORGANIZATION_KINDS)
                self.report(
                    "DJ104",
                    ("ruleset", "organizations", index),
                    f'"{kind}" is not a kind of organization',
                    f"“{kind}”不是党组织类型",
                    hint,
                    hint_zh,
                    at_value=True,
                )
        env = self.environment(subject, member_fields, org_fields, None)
        member_filter = None
        if "members" in header:
            if subject != "member":
                self.report(
                    "DJ104",
                    ("ruleset", "members"),
                    "members = … chooses the members a member ruleset rates; this ruleset "
                    "rates organizations",
                    "members = … 用于选择党员规则集考核的党员；本规则集考核的是党组织",
                    "use organizations = [...] to choose kinds of organization",
                    "请用 organizations = [...] 选择党组织类型",
                )
            else:
                member_filter = self.condition(
                    header["members"],
                    ("ruleset", "members"),
                    env,
                    {"member": member_fields, "organization": org_fields},
                )
        verdict_env = {**env, **verdict_environment(self.measure_types(measures))}
        fields = {"member": member_fields, "organization": org_fields}
        flags = self.flags(top.get("flags", []), verdict_env, fields)
        stars = self.stars(top["stars"], verdict_env, fields) if "stars" in top else None
        tiers = self.tiers(top["tiers"], verdict_env, fields) if "tiers" in top else None
        selection = (
            self.selection(top["selection"], verdict_env, fields) if "selection" in top else None
        )
        if self.problems and any(p.severity == "error" for p in self.problems):
            return None
        return Ruleset(
            id=header["id"],
            name=header["name"],
            version=header["version"],
            subject=subject,
            description=header.get("description", ""),
            in_force_from=start,
            in_force_until=until,
            base=score.get("base", Decimal(0)),
            min=low,
            max=high,
            event_types={
                t: event_types[t]
                for t in sorted({*own_types, *(t for _, r in rules for t in r.on)})
                if t in event_types
            },
            member_fields=member_fields,
            organization_fields=org_fields,
            categories=tuple(categories),
            rules=tuple(rule for _, rule in rules),
            grades=tuple(grades),
            source=self.file,
            sha256=sha256,
            organization_kinds=organization_kinds,
            member_filter=member_filter,
            measures=tuple(measures),
            flags=flags,
            stars=stars,
            tiers=tiers,
            selection=selection,
            tests=self.tests(top.get("tests", [])),
        )

    @staticmethod
    def measure_types(measures: Sequence[Measure]) -> dict[str, str]:
        """measure id (and id.part) → type, for conditions that read measures."""
        types: dict[str, str] = {}
        for measure in measures:
            types[measure.id] = measure.type
            for part, kind in measure.parts.items():
                types[f"{measure.id}.{part}"] = kind
        return types

    def measures(
        self,
        raw: list[Any],
        subject: str,
        event_types: Mapping[str, EventType],
        member_fields: Mapping[str, FieldSpec],
        org_fields: Mapping[str, FieldSpec],
    ) -> list[Measure]:
        self.unique(raw, "measures")
        built: list[Measure] = []
        for index, item in enumerate(raw):
            path: PathT = ("measures", index)
            if not isinstance(item, dict):
                self.table(item, MEASURE_COMMON, path)
                continue
            kind_name = item.get("kind")
            kind: MeasureKind | None = None
            if isinstance(kind_name, str):
                kind = self.registry.measure_kinds.get(kind_name)
                if kind is None:
                    hint, hint_zh = suggestion(kind_name, self.registry.measure_kinds)
                    self.report(
                        "DJ111",
                        (*path, "kind"),
                        f'unknown measure kind "{kind_name}"',
                        f"未知的指标类型“{kind_name}”",
                        hint,
                        hint_zh,
                        at_value=True,
                    )
            spec = dict(MEASURE_COMMON)
            if kind is not None:
                if not kind.uses_events:
                    spec.pop("on")
                    spec.pop("when")
                for option in kind.options:
                    spec[option.name] = (_OPTION_TYPES[option.type], option.required)
            else:
                spec.update({k: ("any", False) for k in item if k not in MEASURE_COMMON})
            entry = self.table(item, spec, path)
            if kind is None or "id" not in entry:
                continue
            on: list[str] = entry.get("on", [])
            if kind.uses_events and not on and "on" not in item:
                self.report(
                    "DJ102",
                    path,
                    f'measures[{index}] is missing the required key "on"',
                    f"measures[{index}] 缺少必填的键“on”",
                    'add on = "<event type>"',
                    '请补充 on = "<活动类型>"',
                )
            for position, type_id in enumerate(on):
                if type_id not in event_types:
                    hint, hint_zh = suggestion(
                        type_id,
                        event_types,
                        (
                            f"declare it as [event_types.{type_id}]",
                            f"请声明 [event_types.{type_id}]",
                        ),
                    )
                    self.report(
                        "DJ106",
                        (*path, "on", position)
                        if isinstance(item.get("on"), list)
                        else (*path, "on"),
                        f'measure "{entry["id"]}" is on event type "{type_id}", which is not '
                        "declared",
                        f"指标“{entry['id']}”引用了未声明的活动类型“{type_id}”",
                        hint,
                        hint_zh,
                        at_value=True,
                    )
            known = [t for t in on if t in event_types]
            condition = None
            shared: dict[str, FieldSpec] = {}
            if known:
                shared = dict(event_types[known[0]].fields)
                for type_id in known[1:]:
                    other = event_types[type_id].fields
                    shared = {
                        k: v
                        for k, v in shared.items()
                        if k in other and (other[k].type, other[k].values) == (v.type, v.values)
                    }
            if "when" in entry and known:
                env = self.environment(subject, member_fields, org_fields, shared)
                declared = {"event": shared, "member": member_fields, "organization": org_fields}
                condition = self.condition(entry["when"], (*path, "when"), env, declared)
            options = {o.name: entry[o.name] for o in kind.options if o.name in entry}
            if any(o.name in item and o.name not in entry for o in kind.options):
                continue  # a badly typed option was reported; building would mislead
            negative = [
                o
                for o in kind.options
                if o.type == "positive_decimal"
                and options.get(o.name) is not None
                and options[o.name] <= 0
            ]
            for option in negative:
                shown = _path_text((*path, option.name))
                self.report(
                    "DJ104",
                    (*path, option.name),
                    f"{shown} must be greater than 0 (got {options[option.name]})",
                    f"{shown} 应大于 0（实际为 {options[option.name]}）",
                    at_value=True,
                )
            if negative:
                continue
            context = MeasureBuildContext(
                measure_id=entry["id"],
                subject=subject,
                earlier={m.id: (m.type, m.parts) for m in built},
                quantity_units={t: event_types[t].quantity for t in known},
                event_fields=shared,
                environment=self.environment(subject, member_fields, org_fields, shared),
                functions=self.registry.functions,
            )
            try:
                with self.registry.guard(f'building measure "{entry["id"]}" of kind "{kind.name}"'):
                    made = kind.build(options, context)
            except RuleOptionError as exc:
                self.report(
                    "DJ104",
                    (*path, exc.key) if exc.key else path,
                    exc.message,
                    exc.message_zh,
                    exc.hint,
                    exc.hint_zh,
                    at_value=exc.key is not None,
                )
                continue
            built.append(
                Measure(
                    id=entry["id"],
                    label=entry.get("label", entry["id"]),
                    kind=kind.name,
                    on=tuple(on),
                    condition=condition,
                    compute=made.compute,
                    type=made.type,
                    parts=made.parts,
                    needs=made.needs,
                )
            )
        return built

    def criterion(
        self,
        item: object,
        spec: _Spec,
        path: PathT,
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]],
        id_key: str,
    ) -> CriterionSpec | None:
        entry = self.table(item, spec, path)
        if "when" not in entry or id_key not in entry:
            return None
        condition = self.condition(entry["when"], (*path, "when"), env, fields)
        if condition is None:
            return None
        stars = entry.get("stars", Decimal(0))
        return CriterionSpec(
            id=str(entry[id_key]),
            label=entry.get("label", str(entry[id_key])),
            when=condition,
            stars=int(stars),
        )

    def flags(
        self,
        raw: list[Any],
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]],
    ) -> tuple[FlagSpec, ...]:
        self.unique(raw, "flags")
        out: list[FlagSpec] = []
        for index, item in enumerate(raw):
            criterion = self.criterion(item, FLAG, ("flags", index), env, fields, "id")
            if criterion is not None:
                out.append(FlagSpec(criterion.id, criterion.label, criterion.when))
        return tuple(out)

    def whole(self, value: Decimal | None, path: PathT, low: int = 0) -> int | None:
        """A whole number at least ``low``, or a located problem."""
        if value is None:
            return None
        if value != value.to_integral_value() or value < low:
            self.report(
                "DJ104",
                path,
                f"{_path_text(path)} must be a whole number of at least {low}, got {value}",
                f"{_path_text(path)} 应为不小于 {low} 的整数，实际为 {value}",
                at_value=True,
            )
            return None
        return int(value)

    def rank_keys(
        self, raw: Sequence[str], path: PathT, env: Mapping[str, Mapping[str, str]]
    ) -> tuple[RankKey, ...]:
        keys: list[RankKey] = []
        for index, text in enumerate(raw):
            words = text.split()
            direction = "desc"
            if len(words) == 2 and words[1] in ("asc", "desc"):
                direction = words[1]
                words = words[:1]
            parts = words[0].split(".", 1) if len(words) == 1 else []
            root, name = (parts[0], parts[1]) if len(parts) == 2 else ("", "")
            kind = env.get(root, {}).get(name) if root in RANK_ROOTS else None
            if len(words) != 1 or kind is None:
                known = [
                    f"{r}.{n}" for r in ("measure", "result", "subject") for n in env.get(r, {})
                ]
                hint, hint_zh = suggestion(words[0] if words else text, known)
                if len(words) == 1:
                    message = f'{_path_text(path)}: unknown field "{words[0]}"'
                    message_zh = f"{_path_text(path)}：未知字段“{words[0]}”"
                else:
                    message = f'"{text}" is not a field to rank by; write e.g. "result.score desc"'
                    message_zh = f"“{text}”不能作为排序依据；请写成如“result.score desc”"
                self.report(
                    "DJ104", (*path, index), message, message_zh, hint, hint_zh, at_value=True
                )
                continue
            if kind not in ("decimal", "boolean") and direction == "desc":
                if kind == "string" and len(text.split()) == 1:
                    direction = "asc"  # text sorts A→Z unless told otherwise
                else:
                    self.report(
                        "DJ104",
                        (*path, index),
                        f"{words[0]} is text and can only be ranked asc",
                        f"{words[0]} 为文本，只能按升序（asc）排序",
                        at_value=True,
                    )
                    continue
            keys.append(RankKey(text, (root, name), direction == "desc"))
        return tuple(keys)

    def stars(
        self,
        raw: object,
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]],
    ) -> StarsSpec | None:
        path: PathT = ("stars",)
        entry = self.table(raw, STARS, path)
        mode = entry.get("mode", "cumulative")
        if mode not in ("cumulative", "named"):
            hint, hint_zh = suggestion(mode, ("cumulative", "named"))
            self.report(
                "DJ104",
                (*path, "mode"),
                f'stars.mode must be "cumulative" or "named", got "{mode}"',
                f"stars.mode 应为 cumulative（逐级累进）或 named（独立命名星），实际为“{mode}”",
                hint,
                hint_zh,
                at_value=True,
            )
            return None
        key = "levels" if mode == "cumulative" else "named"
        other = "named" if mode == "cumulative" else "levels"
        if other in entry:
            self.report(
                "DJ101",
                (*path, other),
                f'stars.{other} does not go with mode = "{mode}"',
                f'stars.{other} 与 mode = "{mode}" 不能同时使用',
                f"use stars.{key}",
                f"请使用 stars.{key}",
            )
        criteria: list[CriterionSpec] = []
        item_spec = STAR_LEVEL if mode == "cumulative" else NAMED_STAR
        for index, item in enumerate(entry.get(key, [])):
            made = self.criterion(
                item,
                item_spec,
                (*path, key, index),
                env,
                fields,
                "stars" if mode == "cumulative" else "id",
            )
            if made is not None:
                criteria.append(made)
        if not criteria and key not in entry:
            self.report(
                "DJ102",
                path,
                f"stars needs {key} = [...]",
                f"stars 须填写 {key} = [...]",
            )
        if mode == "cumulative":
            for index, level in enumerate(criteria, start=1):
                if level.stars != index:
                    self.report(
                        "DJ109",
                        (*path, "levels", index - 1, "stars"),
                        f"star levels must be 1, 2, 3 … in order; level {index} says {level.stars}",
                        f"星级须按 1、2、3……顺序排列；第 {index} 级写的是 {level.stars}",
                        at_value=True,
                    )
                    break
        requires = None
        if "requires" in entry:
            requires = self.condition(entry["requires"], (*path, "requires"), env, fields)
        quotas: list[Quota] = []
        highest = len(criteria) if mode == "named" else max((c.stars for c in criteria), default=0)
        for index, item in enumerate(entry.get("quota", [])):
            quota = self.table(item, QUOTA, (*path, "quota", index))
            stars_at = self.whole(quota.get("stars"), (*path, "quota", index, "stars"), 1)
            share = quota.get("at_most")
            if stars_at is None or share is None:
                continue
            if not Decimal(0) <= share <= 1:
                self.report(
                    "DJ104",
                    (*path, "quota", index, "at_most"),
                    f"a quota is a share between 0 and 1 (0.1 for 10%), got {share}",
                    f"名额比例应在 0 到 1 之间（10% 写作 0.1），实际为 {share}",
                    at_value=True,
                )
                continue
            if stars_at > highest:
                self.report(
                    "DJ106",
                    (*path, "quota", index, "stars"),
                    f"quota for {stars_at} stars, but at most {highest} can be earned",
                    f"为 {stars_at} 星设了名额，但最多只能评 {highest} 星",
                    at_value=True,
                )
                continue
            quotas.append(Quota(stars_at, share))
        rank_by = self.rank_keys(
            entry.get("rank_by", ["result.score desc"]), (*path, "rank_by"), env
        )
        return StarsSpec(
            mode=mode,
            criteria=tuple(criteria),
            requires=requires,
            max_up=self.whole(entry.get("max_up"), (*path, "max_up")),
            max_down=self.whole(entry.get("max_down"), (*path, "max_down")),
            quotas=tuple(quotas),
            rank_by=rank_by,
            strip_on_veto=entry.get("strip_on_veto", True),
        )

    def tiers(
        self,
        raw: object,
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]],
    ) -> TierSpec | None:
        path: PathT = ("tiers",)
        entry = self.table(raw, TIERS, path)
        order = tuple(entry.get("order", ()))
        default = entry.get("default")
        rules: list[CriterionSpec] = []
        for index, item in enumerate(entry.get("rules", [])):
            made = self.criterion(item, TIER_RULE, (*path, "rules", index), env, fields, "tier")
            if made is None:
                continue
            if made.id not in order:
                hint, hint_zh = suggestion(made.id, order, keep_order=True)
                self.report(
                    "DJ106",
                    (*path, "rules", index, "tier"),
                    f'tier "{made.id}" is not in tiers.order',
                    f"类别“{made.id}”不在 tiers.order 中",
                    hint,
                    hint_zh,
                    at_value=True,
                )
                continue
            rules.append(made)
        if default is not None and default not in order:
            hint, hint_zh = suggestion(default, order, keep_order=True)
            self.report(
                "DJ106",
                (*path, "default"),
                f'default tier "{default}" is not in tiers.order',
                f"默认类别“{default}”不在 tiers.order 中",
                hint,
                hint_zh,
                at_value=True,
            )
            return None
        if not order or default is None:
            return None
        return TierSpec(
            order=order,
            rules=tuple(rules),
            default=default,
            max_up=self.whole(entry.get("max_up"), (*path, "max_up")),
            max_down=self.whole(entry.get("max_down"), (*path, "max_down")),
        )

    def selection(
        self,
        raw: object,
        env: Mapping[str, Mapping[str, str]],
        fields: Mapping[str, Mapping[str, FieldSpec]],
    ) -> SelectionSpec | None:
        path: PathT = ("selection",)
        entry = self.table(raw, SELECTION, path)
        count = self.whole(entry.get("count"), (*path, "count"), 1)
        eligible = None
        if "eligible" in entry:
            eligible = self.condition(entry["eligible"], (*path, "eligible"), env, fields)
        scope = entry.get("scope")
        if scope is not None and scope not in ORGANIZATION_KINDS:
            hint, hint_zh = suggestion(scope, ORGANIZATION_KINDS)
            self.report(
                "DJ104",
                (*path, "scope"),
                f"selection.scope must be a kind of organization ({', '.join(ORGANIZATION_KINDS)}), "
                f'got "{scope}"',
                f"selection.scope 应为党组织类型（{', '.join(ORGANIZATION_KINDS)}），实际为“{scope}”",
                hint,
                hint_zh,
                at_value=True,
            )
        rank_by = self.rank_keys(entry.get("rank_by", []), (*path, "rank_by"), env)
        if count is None:
            return None
        return SelectionSpec(
            label=entry.get("label", ""),
            count=count,
            eligible=eligible,
            rank_by=rank_by,
            scope=scope,
        )

    def tests(self, raw: list[Any], prefix: PathT = ()) -> tuple[TestCase, ...]:
        """The ``[[tests]]`` cases, their shape checked (their records are checked when run)."""
        cases: list[TestCase] = []
        names: dict[str, int] = {}
        for index, item in enumerate(raw):
            path: PathT = (*prefix, "tests", index)
            entry = self.table(item, TEST, path)
            if "given" in entry:
                self.table(entry["given"], GIVEN, (*path, "given"))
            if "previous" in entry:
                self.table(entry["previous"], PREVIOUS, (*path, "previous"))
            expect = entry.get("expect", {})
            for key in expect:
                if key not in EXPECT_KEYS:
                    hint, hint_zh = suggestion(key, EXPECT_KEYS)
                    self.report(
                        "DJ101",
                        (*path, "expect", key),
                        f'unknown expectation "{key}" in tests[{index}]',
                        f"tests[{index}] 中有未知的预期项“{key}”",
                        hint,
                        hint_zh,
                    )
            name = entry.get("name")
            if name in names:
                self.report(
                    "DJ105",
                    (*path, "name"),
                    f'two test cases are named "{name}" (first at tests[{names[name]}])',
                    f"测试用例名称“{name}”重复（首次出现在 tests[{names[name]}]）",
                    "give each case its own name",
                    "每个测试用例须有不同的名称",
                    at_value=True,
                )
            if isinstance(name, str):
                names.setdefault(name, index)
            period = entry.get("period")
            if period is not None:
                try:
                    Period.parse(period)
                except UsageError as exc:
                    self.report(
                        "DJ104",
                        (*path, "period"),
                        str(exc),
                        f"测试用例的考核期“{period}”无法识别",
                        "write 2015, 2015-H1, 2015-Q2, 2015-03 or 2015-01-01..2015-06-30",
                        at_value=True,
                    )
                    continue
            if {"name", "period", "given", "expect"} <= set(entry):
                place = self.positions.locate(path)
                cases.append(
                    TestCase(
                        name=entry["name"],
                        period=entry["period"],
                        subject=entry.get("subject"),
                        given=entry["given"],
                        expect=expect,
                        previous=entry.get("previous"),
                        file=self.file,
                        line=place[0] if place else None,
                    )
                )
        return tuple(cases)

    def check_lowest_bands(
        self,
        grades: Sequence[GradeScale],
        base: Decimal,
        score_min: Decimal | None,
        rules: Sequence[tuple[int, Rule]],
        categories: Sequence[Category],
        raw: list[Any],
    ) -> None:
        """Warn when a score can fall below every band of a scale (it would get no grade)."""
        lowest: Decimal | None = score_min
        if lowest is None:
            mins = {c.id: c.min for c in categories}
            lowest = base
            for _, rule in rules:
                if rule.award.effect == "veto":
                    continue
                if rule.category is None or mins.get(rule.category) is None:
                    if rule.kind in ("deduction", "measure") or rule.award.finish is not None:
                        return  # unbounded below: nothing sensible to compare with
                    continue
            lowest += sum((m for m in mins.values() if m is not None and m < 0), Decimal(0))
        for index, scale in enumerate(grades):
            band_mins = [band.min for band in scale.bands]
            if any(a <= b for a, b in itertools.pairwise(band_mins)):
                continue  # bands out of order are reported already
            if scale.bands and scale.bands[-1].min > lowest:
                band_index = len(scale.bands) - 1
                self.report(
                    "DJ109",
                    ("grades", index, "bands", band_index, "min"),
                    f'a score can be as low as {lowest}, below the lowest grade "'
                    f'{scale.bands[-1].grade}" (min {scale.bands[-1].min}): such a subject gets '
                    "no grade",
                    f"得分最低可能为 {lowest}，低于最低等次“{scale.bands[-1].grade}”的下限 "
                    f"{scale.bands[-1].min}，这样的对象将没有等次",
                    f"set this min to {lowest}, or set score.min",
                    f"请将此下限改为 {lowest}，或设置 score.min",
                    at_value=True,
                    severity="warning",
                )

    def check_veto_grades(
        self, rules: Sequence[tuple[int, Rule]], grades: Sequence[GradeScale]
    ) -> None:
        """A veto rule's own grade must be a grade of some scale."""
        names = {band.grade for scale in grades for band in scale.bands}
        for index, rule in rules:
            grade = rule.award.veto_grade
            if grade is not None and grades and grade not in names:
                hint, hint_zh = suggestion(grade, names)
                self.report(
                    "DJ106",
                    ("rules", index, "grade"),
                    f'veto grade "{grade}" of rule "{rule.id}" is not a grade of any scale',
                    f"规则“{rule.id}”的否决等次“{grade}”不在任何等次表中",
                    hint,
                    hint_zh,
                    at_value=True,
                )

    def field_specs(self, raw: object, path: PathT) -> dict[str, FieldSpec]:
        specs: dict[str, FieldSpec] = {}
        if not isinstance(raw, dict):
            self.value(raw, "table", path)
            return specs
        for name, definition in raw.items():
            if isinstance(definition, str):  # shorthand: late = "boolean"
                definition = {"type": definition}
            entry = self.table(definition, FIELD, (*path, name))
            kind = entry.get("type")
            if kind is None:
                continue
            if kind not in FIELD_TYPES:
                hint, hint_zh = suggestion(kind, FIELD_TYPES)
                self.report(
                    "DJ104",
                    (*path, name, "type"),
                    f'field type "{kind}" is not one of {", ".join(FIELD_TYPES)}',
                    f"字段类型“{kind}”无效，可选：{', '.join(FIELD_TYPES)}",
                    hint,
                    hint_zh,
                    at_value=True,
                )
                continue
            values = entry.get("values")
            if values is not None and kind != "string":
                self.report(
                    "DJ104",
                    (*path, name, "values"),
                    f'values can only be listed for a string field; "{name}" is {kind}',
                    f"只有文本字段可以列出取值（values）；“{name}”的类型是 {kind}",
                    'remove values, or make the field type = "string"',
                    '请删除 values，或将字段类型改为 "string"',
                    at_value=True,
                )
                values = None
            specs[name] = FieldSpec(
                name=name,
                type=kind,
                values=tuple(values) if values is not None else None,
                label=entry.get("label"),
            )
        return specs

    def declared_fields(self, raw: object) -> tuple[dict[str, FieldSpec], dict[str, FieldSpec]]:
        fields = self.table(
            raw, {"member": ("table", False), "organization": ("table", False)}, ("fields",)
        )
        return (
            self.field_specs(fields.get("member", {}), ("fields", "member")),
            self.field_specs(fields.get("organization", {}), ("fields", "organization")),
        )

    def event_types(self, raw: Mapping[str, Any]) -> dict[str, EventType]:
        declared: dict[str, EventType] = {}
        for type_id, definition in raw.items():
            path: PathT = ("event_types", type_id)
            entry = self.table(definition, EVENT_TYPE, path)
            fields = self.field_specs(entry.get("fields", {}), (*path, "fields"))
            clash = sorted(set(fields) & set(EVENT_CORE_FIELDS))
            for name in clash:
                self.report(
                    "DJ104",
                    (*path, "fields", name),
                    f'"{name}" is a built-in event field and cannot be declared again',
                    f"“{name}”是活动记录的内置字段，不能重复声明",
                    "choose another name",
                    "请换一个字段名",
                )
            declared[type_id] = EventType(
                id=type_id,
                label=entry.get("label", type_id),
                quantity=entry.get("quantity"),
                fields=fields,
            )
        return declared

    def caps(
        self, raw: list[Any], path: PathT, largest_award: Decimal | None = None
    ) -> tuple[Cap, ...]:
        """Caps of a rule or category; warns about a cap below a single award."""
        caps: list[Cap] = []
        seen: set[str] = set()
        for index, item in enumerate(raw):
            entry = self.table(item, CAP, (*path, index))
            per, limit = entry.get("per"), entry.get("max")
            if per is None or limit is None:
                continue
            if per not in WINDOW_KINDS:
                hint, hint_zh = suggestion(per, WINDOW_KINDS)
                self.report(
                    "DJ104",
                    (*path, index, "per"),
                    f'cap window "{per}" is not one of {", ".join(WINDOW_KINDS)}',
                    f"封顶周期“{per}”无效，可选：{', '.join(WINDOW_KINDS)}",
                    hint,
                    hint_zh,
                    at_value=True,
                )
                continue
            if limit < 0:
                self.report(
                    "DJ104",
                    (*path, index, "max"),
                    f"a cap cannot be negative (got {limit})",
                    f"封顶分值不能为负数（实际为 {limit}）",
                    "write the largest number of points allowed",
                    "请填写允许的最高分值",
                    at_value=True,
                )
                continue
            if per in seen:
                self.report(
                    "DJ105",
                    (*path, index, "per"),
                    f'two caps per "{per}" on the same rule or category',
                    f"同一规则或类别有两个“{per}”封顶",
                    "keep the smaller one",
                    "保留较小的一个即可",
                    at_value=True,
                )
            seen.add(per)
            if largest_award is not None and limit < largest_award:
                self.report(
                    "DJ110",
                    (*path, index, "max"),
                    f"cap {limit} per {per} is below a single award ({largest_award}): "
                    "every matching event is cut",
                    f"{PER_WINDOW_ZH[per]}封顶 {limit} 分，低于单次分值 {largest_award}，每条记录都会被削减",
                    "raise the cap or lower the points",
                    "请提高封顶或降低单次分值",
                    at_value=True,
                    severity="warning",
                )
            caps.append(Cap(per=per, max=limit))
        return tuple(caps)

    def categories(self, raw: list[Any]) -> list[Category]:
        self.unique(raw, "categories")
        categories: list[Category] = []
        for index, item in enumerate(raw):
            path: PathT = ("categories", index)
            entry = self.table(item, CATEGORY, path)
            if "id" not in entry:
                continue
            low, high = entry.get("min"), entry.get("max")
            if low is not None and high is not None and high < low:
                self.report(
                    "DJ104",
                    (*path, "max"),
                    f"category max ({high}) is below its min ({low})",
                    f"类别上限（{high}）小于下限（{low}）",
                    at_value=True,
                )
            categories.append(
                Category(
                    id=entry["id"],
                    label=entry.get("label", entry["id"]),
                    max=high,
                    min=low,
                    caps=self.caps(entry.get("caps", []), (*path, "caps")),
                )
            )
        return categories

    def environment(
        self,
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
            **{n: _FIELD_TYPE_TO_EXPR[s.type] for n, s in org_fields.items()},
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
                **{n: _FIELD_TYPE_TO_EXPR[s.type] for n, s in member_fields.items()},
            }
        if event_fields is not None:
            env["event"] = {
                **EVENT_CORE_FIELDS,
                **{n: _FIELD_TYPE_TO_EXPR[s.type] for n, s in event_fields.items()},
            }
        return env

    def rules(
        self,
        raw: list[Any],
        subject: str,
        event_types: Mapping[str, EventType],
        member_fields: Mapping[str, FieldSpec],
        org_fields: Mapping[str, FieldSpec],
        categories: Sequence[Category],
        measure_types: Mapping[str, str],
    ) -> list[tuple[int, Rule]]:
        """The rules that built, each with its index in the document."""
        self.unique(raw, "rules")
        category_ids = [c.id for c in categories]
        rules: list[tuple[int, Rule]] = []
        for index, item in enumerate(raw):
            path: PathT = ("rules", index)
            if not isinstance(item, dict):
                self.table(item, RULE_COMMON, path)
                continue
            kind_name = item.get("kind")
            kind: RuleKind | None = None
            if isinstance(kind_name, str):
                kind = self.registry.rule_kinds.get(kind_name)
                if kind is None:
                    hint, hint_zh = suggestion(kind_name, self.registry.rule_kinds)
                    self.report(
                        "DJ111",
                        (*path, "kind"),
                        f'unknown rule kind "{kind_name}"',
                        f"未知的规则类型“{kind_name}”",
                        hint,
                        hint_zh,
                        at_value=True,
                    )
            spec = dict(RULE_COMMON)
            if kind is not None and not kind.uses_events:
                for key in ("on", "when", "caps"):
                    spec.pop(key)
            if kind is not None:
                for option in kind.options:
                    spec[option.name] = (_OPTION_TYPES[option.type], option.required)
            else:  # the kind's own keys are unknown: report the kind, not each of its keys
                spec.update({k: ("any", False) for k in item if k not in RULE_COMMON})
            entry = self.table(item, spec, path)
            if kind is None or "id" not in entry:
                continue
            category = entry.get("category")
            if category is not None and category not in category_ids:
                hint, hint_zh = suggestion(
                    category,
                    category_ids,
                    ("declare it under [[categories]]", "请在 [[categories]] 中声明"),
                )
                self.report(
                    "DJ106",
                    (*path, "category"),
                    f'rule "{entry["id"]}" names category "{category}", which is not declared',
                    f"规则“{entry['id']}”引用了未声明的类别“{category}”",
                    hint,
                    hint_zh,
                    at_value=True,
                )
            on: list[str] = entry.get("on", [])
            unknown = [t for t in on if t not in event_types]
            for type_id in unknown:
                hint, hint_zh = suggestion(
                    type_id,
                    event_types,
                    (f"declare it as [event_types.{type_id}]", f"请声明 [event_types.{type_id}]"),
                )
                where: PathT = (*path, "on")
                if isinstance(item.get("on"), list):
                    where = (*path, "on", item["on"].index(type_id))
                self.report(
                    "DJ106",
                    where,
                    f'rule "{entry["id"]}" is on event type "{type_id}", which is not declared',
                    f"规则“{entry['id']}”引用了未声明的活动类型“{type_id}”",
                    hint,
                    hint_zh,
                    at_value=True,
                )
            known = [t for t in on if t in event_types]
            if "on" in entry and not on:
                self.report(
                    "DJ104",
                    (*path, "on"),
                    f'rule "{entry["id"]}" is on no event type',
                    f"规则“{entry['id']}”未指定活动类型",
                    'write on = "<event type>"',
                    '请写 on = "<活动类型>"',
                    at_value=True,
                )
            condition = None
            if "when" in entry and known:
                # A condition may read the fields every one of its event types declares.
                shared = dict(event_types[known[0]].fields)
                for type_id in known[1:]:
                    other = event_types[type_id].fields
                    shared = {
                        k: v
                        for k, v in shared.items()
                        if k in other and (other[k].type, other[k].values) == (v.type, v.values)
                    }
                env = self.environment(subject, member_fields, org_fields, shared)
                declared = {"event": shared, "member": member_fields, "organization": org_fields}
                condition = self.condition(entry["when"], (*path, "when"), env, declared)
            options = {o.name: entry[o.name] for o in kind.options if o.name in entry}
            # An option that failed its type check was reported; building without it
            # would only add a second, misleading problem.
            bad_option = any(o.name in item and o.name not in entry for o in kind.options)
            for option in kind.options:
                value = options.get(option.name)
                if option.type == "positive_decimal" and value is not None and value <= 0:
                    bad_option = True
                    shown = _path_text((*path, option.name))
                    self.report(
                        "DJ104",
                        (*path, option.name),
                        f"{shown} must be greater than 0 (got {value})",
                        f"{shown} 应大于 0（实际为 {value}）",
                        'a deduction is written as a positive number under kind = "deduction"',
                        '扣分请写正数并使用 kind = "deduction"',
                        at_value=True,
                    )
            if bad_option:
                self.caps(entry.get("caps", []), (*path, "caps"))
                continue
            try:
                with self.registry.guard(f'building rule "{entry["id"]}" of kind "{kind.name}"'):
                    award = kind.build(
                        options,
                        BuildContext(
                            rule_id=entry["id"],
                            quantity_units={t: event_types[t].quantity for t in known},
                            measures=measure_types,
                        ),
                    )
                owner = self.registry.owners.get(("rule kind", kind.name), "")
                if owner not in BUILTIN_PLUGINS:
                    award = _guarded(award, owner, kind.name, entry["id"])
            except RuleOptionError as exc:
                self.caps(entry.get("caps", []), (*path, "caps"))
                self.report(
                    "DJ104",
                    (*path, exc.key) if exc.key else path,
                    exc.message,
                    exc.message_zh,
                    exc.hint,
                    exc.hint_zh,
                )
                continue
            largest = award.largest if award.effect != "veto" else None
            caps = self.caps(entry.get("caps", []), (*path, "caps"), largest)
            if award.effect == "veto" and caps:
                self.report(
                    "DJ104",
                    (*path, "caps"),
                    "a veto rule cannot have caps",
                    "一票否决规则不能设封顶",
                    "remove caps",
                    "请删除 caps",
                )
            rules.append(
                (
                    index,
                    Rule(
                        id=entry["id"],
                        label=entry.get("label", entry["id"]),
                        kind=kind.name,
                        category=category if category in category_ids else None,
                        on=tuple(on),
                        condition=condition,
                        caps=caps,
                        award=award,
                    ),
                )
            )
        return rules

    def grades(
        self,
        raw: list[Any],
        subject: str,
        member_fields: Mapping[str, FieldSpec],
        org_fields: Mapping[str, FieldSpec],
    ) -> list[GradeScale]:
        self.unique(raw, "grades")
        scales: list[GradeScale] = []
        env = self.environment(subject, member_fields, org_fields, None)
        for index, item in enumerate(raw):
            path: PathT = ("grades", index)
            entry = self.table(item, GRADES, path)
            if "id" not in entry:
                continue
            bands: list[GradeBand] = []
            for band_index, band in enumerate(entry.get("bands", [])):
                band_entry = self.table(band, BAND, (*path, "bands", band_index))
                if "grade" in band_entry and "min" in band_entry:
                    bands.append(GradeBand(band_entry["grade"], band_entry["min"]))
            for band_index in range(1, len(bands)):
                if bands[band_index].min >= bands[band_index - 1].min:
                    self.report(
                        "DJ109",
                        (*path, "bands", band_index, "min"),
                        f'grade "{bands[band_index].grade}" (min {bands[band_index].min}) must '
                        f'have a lower min than "{bands[band_index - 1].grade}" '
                        f"(min {bands[band_index - 1].min})",
                        f"等次“{bands[band_index].grade}”的下限（{bands[band_index].min}）应低于"
                        f"“{bands[band_index - 1].grade}”（{bands[band_index - 1].min}）",
                        "list the bands from the highest grade to the lowest",
                        "请按从高到低的顺序列出等次",
                        at_value=True,
                    )
            names = [b.grade for b in bands]
            for band_index, name in enumerate(names):
                if name in names[:band_index]:
                    self.report(
                        "DJ105",
                        (*path, "bands", band_index, "grade"),
                        f'grade "{name}" appears twice in scale "{entry["id"]}"',
                        f"等次“{name}”在等次表“{entry['id']}”中重复出现",
                        "give each band its own grade",
                        "每个等次只能出现一次",
                        at_value=True,
                    )
            veto = entry.get("veto")
            if veto is not None and veto not in names:
                hint, hint_zh = suggestion(veto, names)
                self.report(
                    "DJ106",
                    (*path, "veto"),
                    f'veto grade "{veto}" is not one of the grades of scale "{entry["id"]}"',
                    f"否决等次“{veto}”不在等次表“{entry['id']}”中",
                    hint,
                    hint_zh,
                    at_value=True,
                )
            applies = None
            if "applies" in entry:
                applies = self.condition(
                    entry["applies"],
                    (*path, "applies"),
                    env,
                    {"member": member_fields, "organization": org_fields},
                )
            elif index != len(raw) - 1:
                self.report(
                    "DJ109",
                    (*path,),
                    f'scale "{entry["id"]}" has no "applies" condition, so the scales after it '
                    "are never used",
                    f"等次表“{entry['id']}”没有 applies 条件，其后的等次表永远不会被使用",
                    "put the scale without applies last",
                    "请把没有 applies 的等次表放在最后",
                )
            scales.append(
                GradeScale(
                    id=entry["id"],
                    label=entry.get("label", entry["id"]),
                    applies=applies,
                    veto=veto,
                    bands=tuple(bands),
                )
            )
        if scales and all(scale.applies is not None for scale in scales):
            self.report(
                "DJ109",
                ("grades", len(raw) - 1, "applies"),
                "every grade scale has an applies condition; a subject none applies to gets "
                "no grade",
                "所有等次表都有 applies 条件，不满足任何条件的对象将没有等次",
                "remove applies from the last scale so it is the default",
                "去掉最后一个等次表的 applies，作为默认等次表",
                severity="warning",
            )
        return scales


def _guarded(award: Award, owner: str, kind: str, rule_id: str) -> Award:
    """The award with a plugin's code wrapped, so an exception in it names the plugin."""

    def failed(exc: Exception) -> PluginError:
        return PluginError(
            f'plugin "{owner}" failed in rule "{rule_id}" (kind "{kind}"): '
            f"{type(exc).__name__}: {exc}"
        )

    amount = award.amount

    def guarded_amount(event: Event, period: Period) -> Decimal | None:
        try:
            return amount(event, period)
        except Exception as exc:
            raise failed(exc) from exc

    finish = award.finish
    guarded_finish = None
    if finish is not None:

        def guarded_finish(
            counted: Sequence[tuple[Event, Decimal]], context: EndContext
        ) -> Sequence[SubjectChange]:
            assert finish is not None
            try:
                return finish(counted, context)
            except Exception as exc:
                raise failed(exc) from exc

    return attrs.evolve(award, amount=guarded_amount, finish=guarded_finish)


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(
            code="DJ113",
            message="the ruleset is not UTF-8 text",
            message_zh="规则集文件不是 UTF-8 编码",
            file=file,
            line=line,
            hint="save the file as UTF-8 (in WPS/Notepad: Save As → Encoding → UTF-8)",
            hint_zh="请以 UTF-8 编码另存（另存为 → 编码 → UTF-8）",
        )
    return text.removeprefix("\ufeff"), None


def _syntax_problem(exc: tomli.TOMLDecodeError, file: str) -> Problem:
    message = getattr(exc, "msg", str(exc))
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    return Problem(
        code="DJ100",
        message=f"TOML syntax error: {message}",
        message_zh=f"TOML 语法错误：{message}",
        file=file,
        line=line,
        column=column,
        hint='check quotes, brackets and "=" on this line',
        hint_zh="请检查本行的引号、括号和等号",
    )


def parse_ruleset(
    text: str | bytes,
    file: str = "<ruleset>",
    registry: Registry | None = None,
    index: RulesetIndex | None = None,
) -> tuple[Ruleset | None, list[Problem]]:
    """Load a ruleset from its source; returns it (or None) and every problem found.

    ``index`` finds the baselines a ruleset ``extends`` (see inheritance.py).
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    source, problem = _decode(data, file)
    if source is None:
        assert problem is not None
        return None, [problem]
    try:
        document = tomli.loads(source, parse_float=Decimal)
    except tomli.TOMLDecodeError as exc:
        return None, [_syntax_problem(exc, file)]
    registry = registry or default_registry()
    loader = _Loader(source, file, registry)
    header = document.get("ruleset")
    if isinstance(header, dict) and "extends" in header:
        for key in ("id", "name", "version"):  # a county ruleset names itself
            if key not in header:
                loader.report(
                    "DJ102",
                    ("ruleset",),
                    f'a ruleset that extends another still needs its own "{key}"',
                    f"继承其他规则集的规则集仍须填写自己的“{key}”",
                    f"add {key} = …",
                    f"请补充 {key} = …",
                )
    document, baselines, found = resolve(document, file, index)
    place = loader.positions.value(("ruleset", "extends"))
    if place is not None:  # baseline problems point at the extends value
        found = [attrs.evolve(p, line=place[0], column=place[1]) for p in found]
    if found or loader.problems:
        return None, sorted([*loader.problems, *found], key=Problem.sort_key)
    digest = hashlib.sha256(data)
    for _, _, baseline in baselines:  # the provenance covers every source used
        digest.update(b"\0")
        digest.update(baseline)
    ruleset = loader.load(document, digest.hexdigest())
    if ruleset is not None:
        ruleset = attrs.evolve(
            ruleset,
            extends=tuple(b[0] for b in baselines),
            origin=(file, data, tuple((b[1], b[2]) for b in baselines)),
        )
    problems = loader.problems
    if ruleset is not None:
        for found in registry.call(
            "dangjian_rules_check_ruleset",
            ruleset=ruleset,
            document=document,
            positions=loader.positions,
        ):
            problems.extend(attrs.evolve(p, file=p.file or file) for p in found)
        if any(p.severity == "error" for p in problems):
            ruleset = None
    return ruleset, sorted(problems, key=Problem.sort_key)


def rebuild(origin: tuple[str, bytes, tuple[tuple[str, bytes], ...]]) -> Ruleset:
    """A ruleset from its sources, in another process (see Ruleset.__reduce__)."""
    file, data, baselines = origin
    ruleset, problems = parse_ruleset(data, file, None, SourceIndex(baselines))
    if ruleset is None:
        raise ProblemsFound(problems)
    return ruleset


def index_for(
    paths: Iterable[str | os.PathLike[str]], registry: Registry | None = None
) -> RulesetIndex:
    """Where baselines are looked for: the given folders, the folders of the given files
    and the folder above each, and the rulesets installed plugins ship."""
    registry = registry or default_registry()
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        folder = path if path.is_dir() else path.parent
        for root in (folder, folder.parent):
            if root not in roots:
                roots.append(root)
    packaged, _ = ruleset_files(registry.ruleset_paths)
    return RulesetIndex(roots, packaged)


def load_ruleset(
    path: str | os.PathLike[str],
    registry: Registry | None = None,
    index: RulesetIndex | None = None,
) -> Ruleset:
    """Load, check and compile one ruleset file.

    Raises :class:`ProblemsFound` if it has any error (warnings alone do not raise).
    """
    file = os.fspath(path)
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise ProblemsFound([_unreadable(file, exc)]) from None
    ruleset, problems = parse_ruleset(data, file, registry, index or index_for([file], registry))
    sibling = Path(file).with_suffix(".tests.toml")
    if ruleset is not None and sibling.is_file():
        cases, found = _sibling_tests(sibling, registry or default_registry())
        problems = [*problems, *found]
        ruleset = None if found else attrs.evolve(ruleset, tests=(*ruleset.tests, *cases))
    if ruleset is None:
        raise ProblemsFound(problems)
    return ruleset


def _sibling_tests(path: Path, registry: Registry) -> tuple[tuple[TestCase, ...], list[Problem]]:
    """The ``[[tests]]`` of ``<ruleset>.tests.toml``, kept beside the ruleset."""
    file = os.fspath(path)
    source, problem = _decode(path.read_bytes(), file)
    if source is None:
        assert problem is not None
        return (), [problem]
    try:
        document = tomli.loads(source, parse_float=Decimal)
    except tomli.TOMLDecodeError as exc:
        return (), [_syntax_problem(exc, file)]
    loader = _Loader(source, file, registry)
    top = loader.table(document, {"tests": ("tables", True)}, ())
    cases = loader.tests(top.get("tests", []))
    return cases, loader.problems


def _unreadable(file: str, exc: OSError) -> Problem:
    return Problem(
        code="DJ114",
        message=f"cannot read the ruleset: {exc.strerror or exc}",
        message_zh=f"无法读取规则集文件：{exc.strerror or exc}",
        file=file,
        hint="check the path",
        hint_zh="请检查路径是否正确",
    )


#: TOML files that tools keep beside rulesets; a folder scan passes over them.
TOOL_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", "Cargo.toml", "config.toml")


def _not_a_ruleset(relative: Path) -> bool:
    """Test-case files, tools' configuration, and anything in a hidden folder (.venv …)."""
    return (
        relative.name.endswith(".tests.toml")
        or relative.name in TOOL_FILES
        or any(part.startswith(".") for part in relative.parts[:-1])
    )


def ruleset_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively, ``*.toml``) into ruleset files, sorted."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*.toml")
                if p.is_file() and not _not_a_ruleset(p.relative_to(path))
            )
            if not found:
                problems.append(
                    Problem(
                        code="DJ114",
                        message="no ruleset files (*.toml) in this folder",
                        message_zh="此文件夹中没有规则集文件（*.toml）",
                        file=os.fspath(path),
                        hint="check the path",
                        hint_zh="请检查路径是否正确",
                    )
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem(
                    code="DJ114",
                    message="no such file or folder",
                    message_zh="文件或文件夹不存在",
                    file=os.fspath(path),
                    hint="check the path",
                    hint_zh="请检查路径是否正确",
                )
            )
    return files, problems


def check_paths(
    paths: Iterable[str | os.PathLike[str]], registry: Registry | None = None
) -> list[Problem]:
    """Every problem (errors and warnings) in the rulesets under ``paths``."""
    paths = list(paths)
    files, problems = ruleset_files(paths)
    index = index_for(files, registry)
    checked: list[Ruleset] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            problems.append(_unreadable(os.fspath(file), exc))
            continue
        loaded, found = parse_ruleset(data, os.fspath(file), registry, index)
        problems.extend(found)
        sibling = file.with_suffix(".tests.toml")
        if sibling.is_file():  # the cases kept beside the ruleset are checked too
            problems.extend(_sibling_tests(sibling, registry or default_registry())[1])
        if loaded is not None:
            checked.append(loaded)
    problems.extend(_duplicate_ids(checked))
    problems.extend(_unknown_references(checked, index))
    problems.extend(_reference_cycles(checked))
    return sorted(problems, key=Problem.sort_key)


def _overlaps(a: Ruleset, b: Ruleset) -> bool:
    low = max(a.in_force_from or dt.date.min, b.in_force_from or dt.date.min)
    high = min(a.in_force_until or dt.date.max, b.in_force_until or dt.date.max)
    return low <= high


def _duplicate_ids(rulesets: Sequence[Ruleset]) -> list[Problem]:
    """Versions of one id must differ and be in force on different dates."""
    problems: list[Problem] = []
    by_id: dict[str, list[Ruleset]] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, []).append(ruleset)
    for ruleset_id, versions in sorted(by_id.items()):
        for later_index, later in enumerate(versions):
            for earlier in versions[:later_index]:
                if earlier.version == later.version:
                    problems.append(
                        Problem(
                            code="DJ105",
                            message=f'ruleset "{ruleset_id}" version {later.version} is also '
                            f"in {earlier.source}",
                            message_zh=f"规则集“{ruleset_id}”版本 {later.version} 与 "
                            f"{earlier.source} 重复",
                            file=later.source,
                            path="ruleset.version",
                            hint="give each version its own version and in-force dates, or "
                            "pass only one of them",
                            hint_zh="每个版本须有不同的版本号和生效期，或只传入其中一个",
                        )
                    )
                elif _overlaps(earlier, later):
                    problems.append(
                        Problem(
                            code="DJ128",
                            message=f"versions {earlier.version} ({earlier.source}) and "
                            f'{later.version} of ruleset "{ruleset_id}" are in force on the '
                            "same dates",
                            message_zh=f"规则集“{ruleset_id}”的版本 {earlier.version}"
                            f"（{earlier.source}）与 {later.version} 生效期重叠",
                            file=later.source,
                            path="ruleset.in_force",
                            hint="end the older version the day before the newer one starts",
                            hint_zh="请让旧版本在新版本生效的前一天失效",
                        )
                    )
    return problems


def _unknown_references(rulesets: Sequence[Ruleset], index: RulesetIndex) -> list[Problem]:
    """Measures that read a ruleset no file checked, nor any nearby or installed, defines."""
    known = {r.id for r in rulesets} | set(index.ids())
    problems: list[Problem] = []
    for ruleset in rulesets:
        positions = None
        for number, measure in enumerate(ruleset.measures):
            for needed in measure.needs:
                if needed in known:
                    continue
                if positions is None:
                    try:
                        text = Path(ruleset.source).read_text(encoding="utf-8-sig")
                    except (OSError, UnicodeDecodeError):
                        text = ""
                    positions = tomlpos.scan(text)
                place = positions.locate_value(("measures", number, "ruleset"))
                hint, hint_zh = suggestion(
                    needed,
                    known,
                    (
                        "check the id, or check it together with that ruleset",
                        "请检查 id，或与该规则集一起检查",
                    ),
                )
                problems.append(
                    Problem(
                        code="DJ121",
                        message=f'measure "{measure.id}" reads ruleset "{needed}", which none of '
                        "the rulesets checked or found nearby defines",
                        message_zh=f"指标“{measure.id}”引用的规则集“{needed}”不存在",
                        file=ruleset.source,
                        line=place[0] if place else None,
                        column=place[1] if place else None,
                        path=f"measures[{number}].ruleset",
                        hint=hint,
                        hint_zh=hint_zh,
                    )
                )
    return problems


def _reference_cycles(rulesets: Sequence[Ruleset]) -> list[Problem]:
    """Rulesets that read each other's results in a circle (DJ122), found by ``check``."""
    by_id: dict[str, Ruleset] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, ruleset)
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()

    def walk(ruleset_id: str, chain: list[str]) -> None:
        if ruleset_id in chain:
            cycle = [*chain[chain.index(ruleset_id) :], ruleset_id]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                shown = " → ".join(cycle)
                problems.append(
                    Problem(
                        code="DJ122",
                        message=f"rulesets read each other's results in a circle: {shown}",
                        message_zh=f"规则集之间循环引用结果：{shown}",
                        file=by_id[ruleset_id].source,
                        path="measures",
                        hint="one of them must not read the other",
                        hint_zh="请去掉其中一个引用",
                    )
                )
            return
        ruleset = by_id.get(ruleset_id)
        if ruleset is None:
            return
        for needed in ruleset.needs:
            walk(needed, [*chain, ruleset_id])

    for ruleset_id in sorted(by_id):
        walk(ruleset_id, [])
    return problems


def in_force_versions(
    rulesets: Sequence[Ruleset], start: dt.date, end: dt.date, pinned: Mapping[str, str] = {}
) -> tuple[list[Ruleset], list[Problem]]:
    """For each ruleset id, the version in force for the whole of [start, end], or the
    pinned version; problems for ids with none."""
    chosen: list[Ruleset] = []
    problems: list[Problem] = []
    by_id: dict[str, list[Ruleset]] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, []).append(ruleset)
    for ruleset_id, versions in sorted(by_id.items()):
        if ruleset_id in pinned:
            match = [r for r in versions if r.version == pinned[ruleset_id]]
            if not match:
                known = ", ".join(r.version for r in versions)
                problems.append(
                    Problem(
                        code="DJ120",
                        message=f'ruleset "{ruleset_id}" has no version {pinned[ruleset_id]} '
                        f"(versions: {known})",
                        message_zh=f"规则集“{ruleset_id}”没有版本 {pinned[ruleset_id]}"
                        f"（已有版本：{known}）",
                        file=versions[0].source,
                        path="ruleset.version",
                    )
                )
                continue
            chosen.append(match[0])
            continue
        fitting = [r for r in versions if r.in_force_on(start, end)]
        if len(versions) == 1 or not fitting:
            chosen.append(fitting[0] if fitting else versions[0])  # the engine reports DJ120
        else:
            chosen.append(fitting[0])
    return chosen, problems


def packaged_rulesets(registry: Registry | None = None) -> dict[str, Path]:
    """Ruleset id → file, for the rulesets that installed plugins ship."""
    registry = registry or default_registry()
    files, _ = ruleset_files(registry.ruleset_paths)
    found: dict[str, Path] = {}
    for file in files:
        try:
            document = tomli.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError):
            continue  # reported when the ruleset is used or checked
        header = document.get("ruleset")
        if isinstance(header, dict) and isinstance(header.get("id"), str):
            found.setdefault(header["id"], file)
    return found


def load_rulesets(
    references: Sequence[str | os.PathLike[str]], registry: Registry | None = None
) -> list[Ruleset]:
    """Load rulesets named by file, folder or (for plugins' rulesets) id.

    Raises :class:`ProblemsFound` with every problem of every ruleset, including two
    rulesets sharing an id.
    """
    registry = registry or default_registry()
    paths: list[str | os.PathLike[str]] = []
    packaged: dict[str, Path] | None = None
    problems: list[Problem] = []
    for reference in references:
        if Path(reference).exists():
            paths.append(reference)
            continue
        if packaged is None:
            packaged = packaged_rulesets(registry)
        text = os.fspath(reference)
        if text in packaged:
            paths.append(packaged[text])
        else:
            hint, hint_zh = suggestion(text, packaged)
            problems.append(
                Problem(
                    code="DJ114",
                    message="no such ruleset file, folder or installed ruleset id",
                    message_zh="找不到该规则集文件、文件夹或已安装的规则集 id",
                    file=text,
                    hint=hint
                    or "check the path; `dangjian-rules plugins` lists installed rulesets",
                    hint_zh=hint_zh or "请检查路径；`dangjian-rules plugins` 可列出已安装的规则集",
                )
            )
    files, missing = ruleset_files(paths)
    problems.extend(missing)
    rulesets: list[Ruleset] = []
    index = index_for(files, registry)
    for file in files:
        try:
            rulesets.append(load_ruleset(file, registry, index))
        except ProblemsFound as exc:
            problems.extend(exc.problems)
    problems.extend(_duplicate_ids(rulesets))
    if problems:
        raise ProblemsFound(problems)
    if not rulesets:
        raise ProblemsFound(
            [
                Problem(
                    code="DJ114",
                    message="no ruleset files (*.toml) found here",
                    message_zh="此处没有规则集文件（*.toml）",
                    file=", ".join(os.fspath(r) for r in references),
                    hint="pass a .toml file or a folder holding some",
                    hint_zh="请传入 .toml 文件或包含它们的文件夹",
                )
            ]
        )
    return rulesets
