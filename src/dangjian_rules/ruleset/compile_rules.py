"""Rules, measures, categories and caps: what scores a subject, compiled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from dangjian_rules.errors import suggestion
from dangjian_rules.model.fields import EventType, FieldSpec
from dangjian_rules.model.period import PER_WINDOW_ZH, WINDOW_KINDS
from dangjian_rules.ruleset.compiled import (
    Category,
)
from dangjian_rules.ruleset.expr import Condition, Environment
from dangjian_rules.ruleset.measures import Measure, MeasureBuildContext, MeasureKind
from dangjian_rules.ruleset.rules import BuildContext, Cap, Option, Rule, RuleKind, RuleOptionError
from dangjian_rules.ruleset.spec import (
    OPTION_TYPES,
    CapTable,
    CategoryTable,
    Checker,
    MeasureTable,
    PathT,
    RuleTable,
    TableSpec,
    environment,
    extended,
    keys_of,
    path_text,
)


def compile_categories(c: Checker, raw: list[Any]) -> list[Category]:
    c.unique(raw, "categories")
    categories: list[Category] = []
    for index, item in enumerate(raw):
        path: PathT = ("categories", index)
        entry = c.table(item, CategoryTable, path)
        if "id" not in entry:
            continue
        low, high = entry.get("min"), entry.get("max")
        if low is not None and high is not None and high < low:
            c.report(
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
                caps=compile_caps(c, entry.get("caps", []), (*path, "caps")),
            )
        )
    return categories


def compile_caps(
    c: Checker, raw: list[Any], path: PathT, largest_award: Decimal | None = None
) -> tuple[Cap, ...]:
    """Caps of a rule or category; warns about a cap below a single award."""
    caps: list[Cap] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = c.table(item, CapTable, (*path, index))
        per, limit = entry.get("per"), entry.get("max")
        if per is None or limit is None:
            continue
        if per not in WINDOW_KINDS:
            hint, hint_zh = suggestion(per, WINDOW_KINDS)
            c.report(
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
            c.report(
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
            c.report(
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
            c.report(
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


def measure_types(measures: Sequence[Measure]) -> dict[str, str]:
    """measure id (and id.part) → type, for conditions that read measures."""
    types: dict[str, str] = {}
    for measure in measures:
        types[measure.id] = measure.type
        for part, kind in measure.parts.items():
            types[f"{measure.id}.{part}"] = kind
    return types


@attrs.frozen
class Declared:
    """What a ruleset declares that its measures and rules may read."""

    subject: str
    event_types: Mapping[str, EventType]
    member_fields: Mapping[str, FieldSpec]
    org_fields: Mapping[str, FieldSpec]

    def environment(self, event_fields: Mapping[str, FieldSpec] | None) -> Environment:
        return environment(self.subject, self.member_fields, self.org_fields, event_fields)


def compile_measures(c: Checker, raw: list[Any], declared: Declared) -> list[Measure]:
    c.unique(raw, "measures")
    built: list[Measure] = []
    for index, item in enumerate(raw):
        measure = _measure(c, item, ("measures", index), declared, built)
        if measure is not None:
            built.append(measure)
    return built


def _measure(
    c: Checker, item: object, path: PathT, declared: Declared, earlier: Sequence[Measure]
) -> Measure | None:
    kinds = c.vocabulary.measure_kinds
    entry, kind = _entry_of_kind(c, item, path, MeasureTable, kinds, ("on", "when"))
    if kind is None or "id" not in entry:
        return None
    assert isinstance(item, dict)
    on: list[str] = entry.get("on", [])
    if kind.uses_events and not on and "on" not in item:
        c.report(
            "DJ102",
            path,
            f'{path_text(path)} is missing the required key "on"',
            f"{path_text(path)} 缺少必填的键“on”",
            'add on = "<event type>"',
            '请补充 on = "<活动类型>"',
        )
    known = _known_event_types(c, item, entry, path, declared.event_types)
    shared = _shared_fields(declared.event_types, known)
    condition = _event_condition(c, entry, path, declared, shared) if known else None
    options = _options(c, item, entry, kind.options, path)
    if options is None:
        return None
    context = MeasureBuildContext(
        measure_id=entry["id"],
        subject=declared.subject,
        earlier={m.id: (m.type, m.parts) for m in earlier},
        quantity_units={t: declared.event_types[t].quantity for t in known},
        event_fields=shared,
        environment=declared.environment(shared),
        functions=c.vocabulary.functions,
    )
    try:
        with c.vocabulary.guard(f'building measure "{entry["id"]}" of kind "{kind.name}"'):
            made = kind.build(options, context)
    except RuleOptionError as exc:
        _option_error(c, exc, path, at_value=exc.key is not None)
        return None
    return Measure(
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


def compile_rules(
    c: Checker,
    raw: list[Any],
    declared: Declared,
    categories: Sequence[Category],
    measure_types: Mapping[str, str],
) -> list[tuple[int, Rule]]:
    """The rules that built, each with its index in the document."""
    c.unique(raw, "rules")
    category_ids = [category.id for category in categories]
    rules: list[tuple[int, Rule]] = []
    for index, item in enumerate(raw):
        rule = _rule(c, item, ("rules", index), declared, category_ids, measure_types)
        if rule is not None:
            rules.append((index, rule))
    return rules


def _rule(
    c: Checker,
    item: object,
    path: PathT,
    declared: Declared,
    category_ids: Sequence[str],
    measure_types: Mapping[str, str],
) -> Rule | None:
    kinds = c.vocabulary.rule_kinds
    entry, kind = _entry_of_kind(c, item, path, RuleTable, kinds, ("on", "when", "caps"))
    if kind is None or "id" not in entry:
        return None
    assert isinstance(item, dict)
    category = _category(c, entry, path, category_ids)
    known = _known_event_types(c, item, entry, path, declared.event_types)
    if "on" in entry and not entry["on"]:
        c.report(
            "DJ104",
            (*path, "on"),
            f'rule "{entry["id"]}" is on no event type',
            f"规则“{entry['id']}”未指定活动类型",
            'write on = "<event type>"',
            '请写 on = "<活动类型>"',
            at_value=True,
        )
    shared = _shared_fields(declared.event_types, known)
    condition = _event_condition(c, entry, path, declared, shared) if known else None
    options = _options(
        c,
        item,
        entry,
        kind.options,
        path,
        (
            'a deduction is written as a positive number under kind = "deduction"',
            '扣分请写正数并使用 kind = "deduction"',
        ),
    )
    if options is None:
        compile_caps(c, entry.get("caps", []), (*path, "caps"))
        return None
    context = BuildContext(
        rule_id=entry["id"],
        quantity_units={t: declared.event_types[t].quantity for t in known},
        measures=measure_types,
    )
    try:
        with c.vocabulary.guard(f'building rule "{entry["id"]}" of kind "{kind.name}"'):
            award = kind.build(options, context)
    except RuleOptionError as exc:
        compile_caps(c, entry.get("caps", []), (*path, "caps"))
        _option_error(c, exc, path, at_value=False)
        return None
    largest = award.largest if award.effect != "veto" else None
    caps = compile_caps(c, entry.get("caps", []), (*path, "caps"), largest)
    if award.effect == "veto" and caps:
        c.report(
            "DJ104",
            (*path, "caps"),
            "a veto rule cannot have caps",
            "一票否决规则不能设封顶",
            "remove caps",
            "请删除 caps",
        )
    return Rule(
        id=entry["id"],
        label=entry.get("label", entry["id"]),
        kind=kind.name,
        category=category,
        on=tuple(entry.get("on", [])),
        condition=condition,
        caps=caps,
        award=award,
    )


def _category(
    c: Checker, entry: Mapping[str, Any], path: PathT, category_ids: Sequence[str]
) -> str | None:
    """The rule's declared category; one not declared is reported."""
    category: str | None = entry.get("category")
    if category is None or category in category_ids:
        return category
    hint, hint_zh = suggestion(
        category,
        category_ids,
        ("declare it under [[categories]]", "请在 [[categories]] 中声明"),
    )
    c.report(
        "DJ106",
        (*path, "category"),
        f'rule "{entry["id"]}" names category "{category}", which is not declared',
        f"规则“{entry['id']}”引用了未声明的类别“{category}”",
        hint,
        hint_zh,
        at_value=True,
    )
    return None


_Kind = TypeVar("_Kind", RuleKind, MeasureKind)

#: How an unknown kind is named, in English and Chinese.
_KIND_WORDS = {"rules": ("rule kind", "规则类型"), "measures": ("measure kind", "指标类型")}


def _entry_of_kind(
    c: Checker,
    item: object,
    path: PathT,
    common: TableSpec,
    kinds: Mapping[str, _Kind],
    event_keys: Sequence[str],
) -> tuple[dict[str, Any], _Kind | None]:
    """The checked keys of a rule or measure and its kind: the keys every entry has,
    the kind's own options, and (for kinds that take events) ``event_keys``."""
    if not isinstance(item, dict):
        c.table(item, common, path)
        return {}, None
    kind_name = item.get("kind")
    kind: _Kind | None = None
    if isinstance(kind_name, str):
        kind = kinds.get(kind_name)
        if kind is None:
            word, word_zh = _KIND_WORDS[str(path[0])]
            hint, hint_zh = suggestion(kind_name, kinds)
            c.report(
                "DJ111",
                (*path, "kind"),
                f'unknown {word} "{kind_name}"',
                f"未知的{word_zh}“{kind_name}”",
                hint,
                hint_zh,
                at_value=True,
            )
    if kind is None:  # the kind's own keys are unknown: report the kind, not each of its keys
        own = tuple((k, Any, False) for k in item if k not in keys_of(common))
        spec = extended(common, (), own)
    else:
        dropped = () if kind.uses_events else tuple(event_keys)
        options = tuple((o.name, OPTION_TYPES[o.type], o.required) for o in kind.options)
        spec = extended(common, dropped, options)
    return c.table(item, spec, path), kind


def _known_event_types(
    c: Checker,
    item: Mapping[str, Any],
    entry: Mapping[str, Any],
    path: PathT,
    event_types: Mapping[str, EventType],
) -> list[str]:
    """The declared event types among ``on``; the others reported."""
    on: list[str] = entry.get("on", [])
    owner, owner_zh = ("rule", "规则") if path[0] == "rules" else ("measure", "指标")
    for position, type_id in enumerate(on):
        if type_id in event_types:
            continue
        hint, hint_zh = suggestion(
            type_id,
            event_types,
            (f"declare it as [event_types.{type_id}]", f"请声明 [event_types.{type_id}]"),
        )
        listed = isinstance(item.get("on"), list)
        c.report(
            "DJ106",
            (*path, "on", position) if listed else (*path, "on"),
            f'{owner} "{entry["id"]}" is on event type "{type_id}", which is not declared',
            f"{owner_zh}“{entry['id']}”引用了未声明的活动类型“{type_id}”",
            hint,
            hint_zh,
            at_value=True,
        )
    return [t for t in on if t in event_types]


def _shared_fields(
    event_types: Mapping[str, EventType], known: Sequence[str]
) -> dict[str, FieldSpec]:
    """The fields every one of ``known`` declares alike: what a condition on them may read."""
    if not known:
        return {}
    shared = dict(event_types[known[0]].fields)
    for type_id in known[1:]:
        other = event_types[type_id].fields
        shared = {
            k: v
            for k, v in shared.items()
            if k in other and (other[k].type, other[k].values) == (v.type, v.values)
        }
    return shared


def _event_condition(
    c: Checker,
    entry: Mapping[str, Any],
    path: PathT,
    declared: Declared,
    shared: Mapping[str, FieldSpec],
) -> Condition | None:
    if "when" not in entry:
        return None
    fields = {
        "event": shared,
        "member": declared.member_fields,
        "organization": declared.org_fields,
    }
    return c.condition(entry["when"], (*path, "when"), declared.environment(shared), fields)


def _options(
    c: Checker,
    item: Mapping[str, Any],
    entry: Mapping[str, Any],
    options: Sequence[Option],
    path: PathT,
    hint: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """The kind's options, or None if one was badly typed or not positive (reported:
    building without it would only add a second, misleading problem)."""
    given = {o.name: entry[o.name] for o in options if o.name in entry}
    bad = any(o.name in item and o.name not in entry for o in options)
    for option in options:
        value = given.get(option.name)
        if option.type == "positive_decimal" and value is not None and value <= 0:
            bad = True
            shown = path_text((*path, option.name))
            c.report(
                "DJ104",
                (*path, option.name),
                f"{shown} must be greater than 0 (got {value})",
                f"{shown} 应大于 0（实际为 {value}）",
                *(hint or ()),
                at_value=True,
            )
    return None if bad else given


def _option_error(c: Checker, exc: RuleOptionError, path: PathT, *, at_value: bool) -> None:
    """A kind's own complaint about its options, at the option it names."""
    c.report(
        "DJ104",
        (*path, exc.key) if exc.key else path,
        exc.message,
        exc.message_zh,
        exc.hint,
        exc.hint_zh,
        at_value=at_value,
    )
