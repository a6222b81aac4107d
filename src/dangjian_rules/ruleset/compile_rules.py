"""Rules, measures, categories and caps: what scores a subject, compiled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from dangjian_rules.errors import suggestion
from dangjian_rules.model.fields import EventType, FieldSpec
from dangjian_rules.model.period import PER_WINDOW_ZH, WINDOW_KINDS
from dangjian_rules.ruleset.compiled import (
    Category,
)
from dangjian_rules.ruleset.measures import Measure, MeasureBuildContext, MeasureKind
from dangjian_rules.ruleset.rules import BuildContext, Cap, Rule, RuleKind, RuleOptionError
from dangjian_rules.ruleset.spec import (
    CAP,
    CATEGORY,
    MEASURE_COMMON,
    OPTION_TYPES,
    RULE_COMMON,
    Checker,
    PathT,
    environment,
    path_text,
)


def compile_categories(c: Checker, raw: list[Any]) -> list[Category]:
    c.unique(raw, "categories")
    categories: list[Category] = []
    for index, item in enumerate(raw):
        path: PathT = ("categories", index)
        entry = c.table(item, CATEGORY, path)
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
        entry = c.table(item, CAP, (*path, index))
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


def compile_measures(
    c: Checker,
    raw: list[Any],
    subject: str,
    event_types: Mapping[str, EventType],
    member_fields: Mapping[str, FieldSpec],
    org_fields: Mapping[str, FieldSpec],
) -> list[Measure]:
    c.unique(raw, "measures")
    built: list[Measure] = []
    for index, item in enumerate(raw):
        path: PathT = ("measures", index)
        if not isinstance(item, dict):
            c.table(item, MEASURE_COMMON, path)
            continue
        kind_name = item.get("kind")
        kind: MeasureKind | None = None
        if isinstance(kind_name, str):
            kind = c.vocabulary.measure_kinds.get(kind_name)
            if kind is None:
                hint, hint_zh = suggestion(kind_name, c.vocabulary.measure_kinds)
                c.report(
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
                spec[option.name] = (OPTION_TYPES[option.type], option.required)
        else:
            spec.update({k: ("any", False) for k in item if k not in MEASURE_COMMON})
        entry = c.table(item, spec, path)
        if kind is None or "id" not in entry:
            continue
        on: list[str] = entry.get("on", [])
        if kind.uses_events and not on and "on" not in item:
            c.report(
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
                c.report(
                    "DJ106",
                    (*path, "on", position) if isinstance(item.get("on"), list) else (*path, "on"),
                    f'measure "{entry["id"]}" is on event type "{type_id}", which is not declared',
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
            env = environment(subject, member_fields, org_fields, shared)
            declared = {"event": shared, "member": member_fields, "organization": org_fields}
            condition = c.condition(entry["when"], (*path, "when"), env, declared)
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
            shown = path_text((*path, option.name))
            c.report(
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
            environment=environment(subject, member_fields, org_fields, shared),
            functions=c.vocabulary.functions,
        )
        try:
            with c.vocabulary.guard(f'building measure "{entry["id"]}" of kind "{kind.name}"'):
                made = kind.build(options, context)
        except RuleOptionError as exc:
            c.report(
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


def compile_rules(
    c: Checker,
    raw: list[Any],
    subject: str,
    event_types: Mapping[str, EventType],
    member_fields: Mapping[str, FieldSpec],
    org_fields: Mapping[str, FieldSpec],
    categories: Sequence[Category],
    measure_types: Mapping[str, str],
) -> list[tuple[int, Rule]]:
    """The rules that built, each with its index in the document."""
    c.unique(raw, "rules")
    category_ids = [c.id for c in categories]
    rules: list[tuple[int, Rule]] = []
    for index, item in enumerate(raw):
        path: PathT = ("rules", index)
        if not isinstance(item, dict):
            c.table(item, RULE_COMMON, path)
            continue
        kind_name = item.get("kind")
        kind: RuleKind | None = None
        if isinstance(kind_name, str):
            kind = c.vocabulary.rule_kinds.get(kind_name)
            if kind is None:
                hint, hint_zh = suggestion(kind_name, c.vocabulary.rule_kinds)
                c.report(
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
                spec[option.name] = (OPTION_TYPES[option.type], option.required)
        else:  # the kind's own keys are unknown: report the kind, not each of its keys
            spec.update({k: ("any", False) for k in item if k not in RULE_COMMON})
        entry = c.table(item, spec, path)
        if kind is None or "id" not in entry:
            continue
        category = entry.get("category")
        if category is not None and category not in category_ids:
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
            c.report(
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
            c.report(
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
            env = environment(subject, member_fields, org_fields, shared)
            declared = {"event": shared, "member": member_fields, "organization": org_fields}
            condition = c.condition(entry["when"], (*path, "when"), env, declared)
        options = {o.name: entry[o.name] for o in kind.options if o.name in entry}
        # An option that failed its type check was reported; building without it
        # would only add a second, misleading problem.
        bad_option = any(o.name in item and o.name not in entry for o in kind.options)
        for option in kind.options:
            value = options.get(option.name)
            if option.type == "positive_decimal" and value is not None and value <= 0:
                bad_option = True
                shown = path_text((*path, option.name))
                c.report(
                    "DJ104",
                    (*path, option.name),
                    f"{shown} must be greater than 0 (got {value})",
                    f"{shown} 应大于 0（实际为 {value}）",
                    'a deduction is written as a positive number under kind = "deduction"',
                    '扣分请写正数并使用 kind = "deduction"',
                    at_value=True,
                )
        if bad_option:
            compile_caps(c, entry.get("caps", []), (*path, "caps"))
            continue
        try:
            with c.vocabulary.guard(f'building rule "{entry["id"]}" of kind "{kind.name}"'):
                award = kind.build(
                    options,
                    BuildContext(
                        rule_id=entry["id"],
                        quantity_units={t: event_types[t].quantity for t in known},
                        measures=measure_types,
                    ),
                )
        except RuleOptionError as exc:
            compile_caps(c, entry.get("caps", []), (*path, "caps"))
            c.report(
                "DJ104",
                (*path, exc.key) if exc.key else path,
                exc.message,
                exc.message_zh,
                exc.hint,
                exc.hint_zh,
            )
            continue
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
