"""Grades, flags, stars, tiers and the selection: the verdicts on a subject, compiled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from dangjian_rules.errors import suggestion
from dangjian_rules.model.fields import FieldSpec
from dangjian_rules.model.records import ORGANIZATION_KINDS
from dangjian_rules.ruleset.compiled import (
    GradeBand,
    GradeScale,
)
from dangjian_rules.ruleset.spec import (
    RANK_ROOTS,
    BandTable,
    Checker,
    FlagTable,
    GradeScaleTable,
    NamedStarTable,
    PathT,
    QuotaTable,
    SelectionTable,
    StarLevelTable,
    StarsTable,
    TableSpec,
    TierRuleTable,
    TiersTable,
    environment,
    path_text,
)
from dangjian_rules.ruleset.verdicts import (
    CriterionSpec,
    FlagSpec,
    Quota,
    RankKey,
    SelectionSpec,
    StarsSpec,
    TierSpec,
)


def compile_grades(
    c: Checker,
    raw: list[Any],
    subject: str,
    member_fields: Mapping[str, FieldSpec],
    org_fields: Mapping[str, FieldSpec],
) -> list[GradeScale]:
    c.unique(raw, "grades")
    scales: list[GradeScale] = []
    env = environment(subject, member_fields, org_fields, None)
    for index, item in enumerate(raw):
        path: PathT = ("grades", index)
        entry = c.table(item, GradeScaleTable, path)
        if "id" not in entry:
            continue
        bands = _bands(c, entry, path)
        names = [b.grade for b in bands]
        veto = entry.get("veto")
        if veto is not None and veto not in names:
            hint, hint_zh = suggestion(veto, names)
            c.report(
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
            applies = c.condition(
                entry["applies"],
                (*path, "applies"),
                env,
                {"member": member_fields, "organization": org_fields},
            )
        elif index != len(raw) - 1:
            c.report(
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
                bands=bands,
            )
        )
    if scales and all(scale.applies is not None for scale in scales):
        c.report(
            "DJ109",
            ("grades", len(raw) - 1, "applies"),
            "every grade scale has an applies condition; a subject none applies to gets no grade",
            "所有等次表都有 applies 条件，不满足任何条件的对象将没有等次",
            "remove applies from the last scale so it is the default",
            "去掉最后一个等次表的 applies，作为默认等次表",
            severity="warning",
        )
    return scales


def _bands(c: Checker, entry: Mapping[str, Any], path: PathT) -> tuple[GradeBand, ...]:
    """A scale's bands, highest grade first, each grade once."""
    bands: list[GradeBand] = []
    for band_index, band in enumerate(entry.get("bands", [])):
        band_entry = c.table(band, BandTable, (*path, "bands", band_index))
        if "grade" in band_entry and "min" in band_entry:
            bands.append(GradeBand(band_entry["grade"], band_entry["min"]))
    for band_index in range(1, len(bands)):
        if bands[band_index].min >= bands[band_index - 1].min:
            c.report(
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
            c.report(
                "DJ105",
                (*path, "bands", band_index, "grade"),
                f'grade "{name}" appears twice in scale "{entry["id"]}"',
                f"等次“{name}”在等次表“{entry['id']}”中重复出现",
                "give each band its own grade",
                "每个等次只能出现一次",
                at_value=True,
            )
    return tuple(bands)


def compile_criterion(
    c: Checker,
    item: object,
    spec: TableSpec,
    path: PathT,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
    id_key: str,
) -> CriterionSpec | None:
    entry = c.table(item, spec, path)
    if "when" not in entry or id_key not in entry:
        return None
    condition = c.condition(entry["when"], (*path, "when"), env, fields)
    if condition is None:
        return None
    stars = entry.get("stars", Decimal(0))
    return CriterionSpec(
        id=str(entry[id_key]),
        label=entry.get("label", str(entry[id_key])),
        when=condition,
        stars=int(stars),
    )


def compile_flags(
    c: Checker,
    raw: list[Any],
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> tuple[FlagSpec, ...]:
    c.unique(raw, "flags")
    out: list[FlagSpec] = []
    for index, item in enumerate(raw):
        criterion = compile_criterion(c, item, FlagTable, ("flags", index), env, fields, "id")
        if criterion is not None:
            out.append(FlagSpec(criterion.id, criterion.label, criterion.when))
    return tuple(out)


def compile_rank_keys(
    c: Checker, raw: Sequence[str], path: PathT, env: Mapping[str, Mapping[str, str]]
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
            known = [f"{r}.{n}" for r in ("measure", "result", "subject") for n in env.get(r, {})]
            hint, hint_zh = suggestion(words[0] if words else text, known)
            if len(words) == 1:
                message = f'{path_text(path)}: unknown field "{words[0]}"'
                message_zh = f"{path_text(path)}：未知字段“{words[0]}”"
            else:
                message = f'"{text}" is not a field to rank by; write e.g. "result.score desc"'
                message_zh = f"“{text}”不能作为排序依据；请写成如“result.score desc”"
            c.report("DJ104", (*path, index), message, message_zh, hint, hint_zh, at_value=True)
            continue
        if kind not in ("decimal", "boolean") and direction == "desc":
            if kind == "string" and len(text.split()) == 1:
                direction = "asc"  # text sorts A→Z unless told otherwise
            else:
                c.report(
                    "DJ104",
                    (*path, index),
                    f"{words[0]} is text and can only be ranked asc",
                    f"{words[0]} 为文本，只能按升序（asc）排序",
                    at_value=True,
                )
                continue
        keys.append(RankKey(text, (root, name), direction == "desc"))
    return tuple(keys)


def compile_stars(
    c: Checker,
    raw: object,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> StarsSpec | None:
    path: PathT = ("stars",)
    entry = c.table(raw, StarsTable, path)
    mode = entry.get("mode", "cumulative")
    if mode not in ("cumulative", "named"):
        hint, hint_zh = suggestion(mode, ("cumulative", "named"))
        c.report(
            "DJ104",
            (*path, "mode"),
            f'stars.mode must be "cumulative" or "named", got "{mode}"',
            f"stars.mode 应为 cumulative（逐级累进）或 named（独立命名星），实际为“{mode}”",
            hint,
            hint_zh,
            at_value=True,
        )
        return None
    criteria = _star_criteria(c, entry, mode, env, fields)
    requires = None
    if "requires" in entry:
        requires = c.condition(entry["requires"], (*path, "requires"), env, fields)
    highest = len(criteria) if mode == "named" else max((k.stars for k in criteria), default=0)
    quotas = _quotas(c, entry.get("quota", []), highest)
    rank_by = compile_rank_keys(
        c, entry.get("rank_by", ["result.score desc"]), (*path, "rank_by"), env
    )
    return StarsSpec(
        mode=mode,
        criteria=tuple(criteria),
        requires=requires,
        max_up=c.whole(entry.get("max_up"), (*path, "max_up")),
        max_down=c.whole(entry.get("max_down"), (*path, "max_down")),
        quotas=quotas,
        rank_by=rank_by,
        strip_on_veto=entry.get("strip_on_veto", True),
    )


def _star_criteria(
    c: Checker,
    entry: Mapping[str, Any],
    mode: str,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> list[CriterionSpec]:
    """The star levels (cumulative: 1, 2, 3 … in order) or the named stars."""
    path: PathT = ("stars",)
    key = "levels" if mode == "cumulative" else "named"
    other = "named" if mode == "cumulative" else "levels"
    if other in entry:
        c.report(
            "DJ101",
            (*path, other),
            f'stars.{other} does not go with mode = "{mode}"',
            f'stars.{other} 与 mode = "{mode}" 不能同时使用',
            f"use stars.{key}",
            f"请使用 stars.{key}",
        )
    criteria: list[CriterionSpec] = []
    item_spec = StarLevelTable if mode == "cumulative" else NamedStarTable
    for index, item in enumerate(entry.get(key, [])):
        made = compile_criterion(
            c,
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
        c.report(
            "DJ102",
            path,
            f"stars needs {key} = [...]",
            f"stars 须填写 {key} = [...]",
        )
    if mode == "cumulative":
        for index, level in enumerate(criteria, start=1):
            if level.stars != index:
                c.report(
                    "DJ109",
                    (*path, "levels", index - 1, "stars"),
                    f"star levels must be 1, 2, 3 … in order; level {index} says {level.stars}",
                    f"星级须按 1、2、3……顺序排列；第 {index} 级写的是 {level.stars}",
                    at_value=True,
                )
                break
    return criteria


def _quotas(c: Checker, raw: list[Any], highest: int) -> tuple[Quota, ...]:
    """``[[stars.quota]]``: at most this share of subjects gets this many stars."""
    quotas: list[Quota] = []
    for index, item in enumerate(raw):
        quota = c.table(item, QuotaTable, ("stars", "quota", index))
        stars_at = c.whole(quota.get("stars"), ("stars", "quota", index, "stars"), 1)
        share = quota.get("at_most")
        if stars_at is None or share is None:
            continue
        if not Decimal(0) <= share <= 1:
            c.report(
                "DJ104",
                ("stars", "quota", index, "at_most"),
                f"a quota is a share between 0 and 1 (0.1 for 10%), got {share}",
                f"名额比例应在 0 到 1 之间（10% 写作 0.1），实际为 {share}",
                at_value=True,
            )
            continue
        if stars_at > highest:
            c.report(
                "DJ106",
                ("stars", "quota", index, "stars"),
                f"quota for {stars_at} stars, but at most {highest} can be earned",
                f"为 {stars_at} 星设了名额，但最多只能评 {highest} 星",
                at_value=True,
            )
            continue
        quotas.append(Quota(stars_at, share))
    return tuple(quotas)


def compile_tiers(
    c: Checker,
    raw: object,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> TierSpec | None:
    path: PathT = ("tiers",)
    entry = c.table(raw, TiersTable, path)
    order = tuple(entry.get("order", ()))
    default = entry.get("default")
    rules: list[CriterionSpec] = []
    for index, item in enumerate(entry.get("rules", [])):
        made = compile_criterion(
            c, item, TierRuleTable, (*path, "rules", index), env, fields, "tier"
        )
        if made is None:
            continue
        if made.id not in order:
            hint, hint_zh = suggestion(made.id, order, keep_order=True)
            c.report(
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
        c.report(
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
        max_up=c.whole(entry.get("max_up"), (*path, "max_up")),
        max_down=c.whole(entry.get("max_down"), (*path, "max_down")),
    )


def compile_selection(
    c: Checker,
    raw: object,
    env: Mapping[str, Mapping[str, str]],
    fields: Mapping[str, Mapping[str, FieldSpec]],
) -> SelectionSpec | None:
    path: PathT = ("selection",)
    entry = c.table(raw, SelectionTable, path)
    count = c.whole(entry.get("count"), (*path, "count"), 1)
    eligible = None
    if "eligible" in entry:
        eligible = c.condition(entry["eligible"], (*path, "eligible"), env, fields)
    scope = entry.get("scope")
    if scope is not None and scope not in ORGANIZATION_KINDS:
        hint, hint_zh = suggestion(scope, ORGANIZATION_KINDS)
        c.report(
            "DJ104",
            (*path, "scope"),
            f"selection.scope must be a kind of organization ({', '.join(ORGANIZATION_KINDS)}), "
            f'got "{scope}"',
            f"selection.scope 应为党组织类型（{', '.join(ORGANIZATION_KINDS)}），实际为“{scope}”",
            hint,
            hint_zh,
            at_value=True,
        )
    rank_by = compile_rank_keys(c, entry.get("rank_by", []), (*path, "rank_by"), env)
    if count is None:
        return None
    return SelectionSpec(
        label=entry.get("label", ""),
        count=count,
        eligible=eligible,
        rank_by=rank_by,
        scope=scope,
    )
