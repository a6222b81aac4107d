"""A checked ruleset document compiled into a :class:`Ruleset`."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from dangjian_rules.errors import suggestion
from dangjian_rules.model.fields import FIELD_TYPES, EventType, FieldSpec
from dangjian_rules.model.records import ORGANIZATION_KINDS
from dangjian_rules.ruleset.cases import compile_tests
from dangjian_rules.ruleset.compile_rules import (
    Declared,
    compile_categories,
    compile_measures,
    compile_rules,
    measure_types,
)
from dangjian_rules.ruleset.compile_verdicts import (
    compile_flags,
    compile_grades,
    compile_selection,
    compile_stars,
    compile_tiers,
)
from dangjian_rules.ruleset.compiled import (
    Category,
    GradeScale,
    Ruleset,
)
from dangjian_rules.ruleset.expr import Condition
from dangjian_rules.ruleset.rules import Rule
from dangjian_rules.ruleset.spec import (
    EVENT_CORE_FIELDS,
    SUBJECTS,
    Checker,
    Document,
    EventTypeTable,
    FieldsTable,
    FieldTable,
    Header,
    InForceTable,
    PathT,
    ScoreTable,
    Table,
    environment,
)
from dangjian_rules.ruleset.verdicts import (
    verdict_environment,
)


def compile_document(c: Checker, document: Mapping[str, Any], sha256: str) -> Ruleset | None:
    """The whole ruleset, or None when the document has an error (each one reported)."""
    top = c.table(dict(document), Document, ())
    header = c.table(top.get("ruleset", {}), Header, ("ruleset",)) if "ruleset" in top else {}
    subject = _subject(c, header)
    start, until = _in_force(c, header)
    base, low, high = _score(c, top)
    member_fields, org_fields = compile_declared_fields(c, top.get("fields", {}))
    fields = {"member": member_fields, "organization": org_fields}
    own_types = compile_event_types(c, top.get("event_types", {}))
    event_types = {**c.vocabulary.event_types, **own_types}
    declared = Declared(subject, event_types, member_fields, org_fields)
    categories = compile_categories(c, top.get("categories", []))
    measures = compile_measures(c, top.get("measures", []), declared)
    rules = compile_rules(c, top.get("rules", []), declared, categories, measure_types(measures))
    grades = compile_grades(c, top.get("grades", []), subject, member_fields, org_fields)
    check_veto_grades(c, rules, grades)
    check_lowest_bands(c, grades, base, low, rules, categories, top.get("grades", []))
    organization_kinds = _organization_kinds(c, header, subject)
    env = environment(subject, member_fields, org_fields, None)
    member_filter = _member_filter(c, header, subject, env, fields)
    verdict_env = {**env, **verdict_environment(measure_types(measures))}
    flags = compile_flags(c, top.get("flags", []), verdict_env, fields)
    stars = compile_stars(c, top["stars"], verdict_env, fields) if "stars" in top else None
    tiers = compile_tiers(c, top["tiers"], verdict_env, fields) if "tiers" in top else None
    selection = (
        compile_selection(c, top["selection"], verdict_env, fields) if "selection" in top else None
    )
    if c.problems and any(p.severity == "error" for p in c.problems):
        return None
    return Ruleset(
        id=header["id"],
        name=header["name"],
        version=header["version"],
        subject=subject,
        description=header.get("description", ""),
        in_force_from=start,
        in_force_until=until,
        base=base,
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
        source=c.file,
        sha256=sha256,
        organization_kinds=organization_kinds,
        member_filter=member_filter,
        measures=tuple(measures),
        flags=flags,
        stars=stars,
        tiers=tiers,
        selection=selection,
        tests=compile_tests(c, top.get("tests", [])),
    )


def _subject(c: Checker, header: Mapping[str, Any]) -> str:
    subject: str = header.get("subject", "member")
    if "subject" in header and subject not in SUBJECTS:
        hint, hint_zh = suggestion(subject, SUBJECTS)
        c.report(
            "DJ104",
            ("ruleset", "subject"),
            f'subject must be "member" or "organization", got "{subject}"',
            f"subject 应为 member（党员）或 organization（党组织），实际为“{subject}”",
            hint,
            hint_zh,
            at_value=True,
        )
        subject = "member"
    return subject


def _in_force(c: Checker, header: Mapping[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    in_force = (
        c.table(header["in_force"], InForceTable, ("ruleset", "in_force"))
        if "in_force" in header
        else {}
    )
    start, until = in_force.get("from"), in_force.get("until")
    if start is not None and until is not None and until < start:
        c.report(
            "DJ112",
            ("ruleset", "in_force", "until"),
            f"in_force ends ({until}) before it starts ({start})",
            f"生效期的结束日期（{until}）早于开始日期（{start}）",
            "swap the two dates",
            "请交换两个日期",
            at_value=True,
        )
    return start, until


def _score(c: Checker, top: Mapping[str, Any]) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """The base score and the bounds of the total (score.base, score.min, score.max)."""
    score = c.table(top["score"], ScoreTable, ("score",)) if "score" in top else {}
    low, high = score.get("min"), score.get("max")
    base: Decimal = score.get("base", Decimal(0))
    if (low is not None and base < low) or (high is not None and base > high):
        c.report(
            "DJ104",
            ("score", "base"),
            f"score.base ({base}) lies outside score.min..score.max "
            f"({low if low is not None else '…'}..{high if high is not None else '…'})",
            f"score.base（{base}）不在 score.min..score.max 范围内",
            "make the base a score the card allows",
            "基础分须在总分允许的范围内",
            at_value=True,
        )
    if low is not None and high is not None and high < low:
        c.report(
            "DJ104",
            ("score", "max"),
            f"score.max ({high}) is below score.min ({low})",
            f"score.max（{high}）小于 score.min（{low}）",
            at_value=True,
        )
    return base, low, high


def _organization_kinds(c: Checker, header: Mapping[str, Any], subject: str) -> tuple[str, ...]:
    """``organizations = [...]``: the kinds of organization an organization ruleset rates."""
    kinds = tuple(header.get("organizations", ()))
    if kinds and subject == "member":
        c.report(
            "DJ104",
            ("ruleset", "organizations"),
            "organizations = [...] chooses the kinds of organization an organization "
            "ruleset rates; this ruleset rates members",
            "organizations = [...] 用于选择党组织规则集考核的党组织类型；本规则集考核的是党员",
            "to choose members, write members = '\"联系干部\" in member.roles'",
            "如需选择党员，请写 members = '\"联系干部\" in member.roles'",
        )
    for index, kind in enumerate(kinds):
        if kind not in ORGANIZATION_KINDS:
            hint, hint_zh = suggestion(kind, ORGANIZATION_KINDS)
            c.report(
                "DJ104",
                ("ruleset", "organizations", index),
                f'"{kind}" is not a kind of organization',
                f"“{kind}”不是党组织类型",
                hint,
                hint_zh,
                at_value=True,
            )
    return kinds


def _member_filter(
    c: Checker,
    header: Mapping[str, Any],
    subject: str,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> Condition | None:
    """``members = "…"``: which members a member ruleset rates."""
    if "members" not in header:
        return None
    if subject != "member":
        c.report(
            "DJ104",
            ("ruleset", "members"),
            "members = … chooses the members a member ruleset rates; this ruleset "
            "rates organizations",
            "members = … 用于选择党员规则集考核的党员；本规则集考核的是党组织",
            "use organizations = [...] to choose kinds of organization",
            "请用 organizations = [...] 选择党组织类型",
        )
        return None
    return c.condition(header["members"], ("ruleset", "members"), env, fields)


def check_veto_grades(
    c: Checker, rules: Sequence[tuple[int, Rule]], grades: Sequence[GradeScale]
) -> None:
    """A veto rule's own grade must be a grade of some scale."""
    names = {band.grade for scale in grades for band in scale.bands}
    for index, rule in rules:
        grade = rule.award.veto_grade
        if grade is not None and grades and grade not in names:
            hint, hint_zh = suggestion(grade, names)
            c.report(
                "DJ106",
                ("rules", index, "grade"),
                f'veto grade "{grade}" of rule "{rule.id}" is not a grade of any scale',
                f"规则“{rule.id}”的否决等次“{grade}”不在任何等次表中",
                hint,
                hint_zh,
                at_value=True,
            )


def check_lowest_bands(
    c: Checker,
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
            c.report(
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


def compile_field_specs(c: Checker, raw: object, path: PathT) -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    if not isinstance(raw, dict):
        c.value(raw, Table, path)
        return specs
    for name, definition in raw.items():
        if isinstance(definition, str):  # shorthand: late = "boolean"
            definition = {"type": definition}
        entry = c.table(definition, FieldTable, (*path, name))
        kind = entry.get("type")
        if kind is None:
            continue
        if kind not in FIELD_TYPES:
            hint, hint_zh = suggestion(kind, FIELD_TYPES)
            c.report(
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
            c.report(
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


def compile_declared_fields(
    c: Checker, raw: object
) -> tuple[dict[str, FieldSpec], dict[str, FieldSpec]]:
    fields = c.table(raw, FieldsTable, ("fields",))
    return (
        compile_field_specs(c, fields.get("member", {}), ("fields", "member")),
        compile_field_specs(c, fields.get("organization", {}), ("fields", "organization")),
    )


def compile_event_types(c: Checker, raw: Mapping[str, Any]) -> dict[str, EventType]:
    declared: dict[str, EventType] = {}
    for type_id, definition in raw.items():
        path: PathT = ("event_types", type_id)
        entry = c.table(definition, EventTypeTable, path)
        fields = compile_field_specs(c, entry.get("fields", {}), (*path, "fields"))
        clash = sorted(set(fields) & set(EVENT_CORE_FIELDS))
        for name in clash:
            c.report(
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
