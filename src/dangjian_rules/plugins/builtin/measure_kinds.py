"""Built-in measure kinds: cadence, streak, checklist, count, members, result, weighted."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from dangjian_rules.convert import EXACT_OR_RAISE, NUMBER_RANGE, in_range
from dangjian_rules.model.period import PER_WINDOW_ZH, WINDOW_KINDS, window_label
from dangjian_rules.model.records import Event
from dangjian_rules.model.result import Measured, SubjectResult, format_decimal, scalar_text
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.expr import BOOLEAN, DECIMAL, STRING, ExprError, compile_condition
from dangjian_rules.ruleset.measures import (
    MeasureBuild,
    MeasureBuildContext,
    MeasureKind,
    SubjectContext,
    rate,
)
from dangjian_rules.ruleset.rules import Option, RuleOptionError

ZERO = Decimal(0)


def _window(options: Mapping[str, Any], key: str = "per") -> str:
    per = options.get(key, "month")
    if per not in WINDOW_KINDS:
        from dangjian_rules.errors import suggestion

        hint, hint_zh = suggestion(per, WINDOW_KINDS)
        raise RuleOptionError(
            f'{key} must be one of {", ".join(WINDOW_KINDS)}, got "{per}"',
            f"{key} 应为 {', '.join(WINDOW_KINDS)} 之一，实际为“{per}”",
            key,
            hint,
            hint_zh,
        )
    return str(per)


def _whole(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key)
    if value is None:
        return default
    if value != value.to_integral_value() or value < 1:
        raise RuleOptionError(
            f"{key} must be a whole number of at least 1, got {value}",
            f"{key} 应为不小于 1 的整数，实际为 {value}",
            key,
        )
    return int(value)


def _long_enough(min_days: Decimal | None, min_hours: Decimal | None) -> Callable[[Event], bool]:
    def check(event: Event) -> bool:
        if min_days is not None and event.days < min_days:
            return False
        return not (min_hours is not None and (event.quantity or ZERO) < min_hours)

    return check


# ------------------------------------------------------------------------- cadence


def build_cadence(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    per = _window(options)
    at_least = _whole(options, "at_least", 1)
    min_days: Decimal | None = options.get("min_days")
    min_hours: Decimal | None = options.get("min_hours")
    if min_hours is not None and any(u != "hours" for u in context.quantity_units.values()):
        raise RuleOptionError(
            'min_hours needs event types whose quantity is "hours"',
            "min_hours 要求活动类型的数量单位为 hours（小时）",
            "min_hours",
            'add quantity = "hours" to the event type, or use min_days',
            '请在活动类型中加 quantity = "hours"，或改用 min_days',
        )
    long_enough = _long_enough(min_days, min_hours)
    length_en = length_zh = ""
    if min_days is not None:
        length_en, length_zh = f", each at least {min_days} day(s)", f"，每次不少于 {min_days} 天"
    if min_hours is not None:
        length_en += f", each at least {min_hours} hour(s)"
        length_zh += f"，每次不少于 {min_hours} 小时"

    def compute(subject: SubjectContext) -> Measured:
        windows = subject.exposed_windows(per)  # type: ignore[arg-type]
        counts: dict[str, list[str]] = {window_label(per, s): [] for s, _ in windows}  # type: ignore[arg-type]
        short: list[str] = []
        for event in subject.events:
            label = window_label(per, event.date)  # type: ignore[arg-type]
            if label not in counts:
                continue  # in a window the member was not exposed to
            if long_enough(event):
                counts[label].append(event.id)
            else:
                short.append(event.id)
        met = sum(1 for ids in counts.values() if len(ids) >= at_least)
        exposed = len(counts)
        value = rate(met, exposed)
        missed = [label for label, ids in counts.items() if len(ids) < at_least]
        per_zh = PER_WINDOW_ZH[per]
        if value is None:
            en = "not assessed: no window of the period while a member"
            zh = "未考核：考核期内无在册期间"
        else:
            en = f"{met} of {exposed} {per}(s) had at least {at_least}{length_en}" + (
                f"; missed: {', '.join(missed)}" if missed else ""
            )
            zh = f"{exposed} 个周期中 {met} 个达到{per_zh}至少 {at_least} 次{length_zh}" + (
                f"；未达标：{'、'.join(missed)}" if missed else ""
            )
        if short:
            en += f"; {len(short)} record(s) too short to count"
            zh += f"；{len(short)} 条记录时长不足，不计"
        return Measured(
            value,
            {
                "met": Decimal(met),
                "exposed": Decimal(exposed),
                "missed": Decimal(exposed - met),
            },
            en,
            zh,
            tuple(e for ids in counts.values() for e in ids),
            tuple(
                {"window": label, "count": len(ids), "met": len(ids) >= at_least}
                for label, ids in counts.items()
            ),
        )

    return MeasureBuild(compute, DECIMAL, {"met": DECIMAL, "exposed": DECIMAL, "missed": DECIMAL})


CADENCE = MeasureKind(
    name="cadence",
    description=(
        "Share of the windows (months, quarters …) the subject was exposed to that had at "
        "least `at_least` qualifying records, each lasting at least min_days / min_hours."
    ),
    options=(
        Option("per", "string", "the window: week, month, quarter, half, year"),
        Option("at_least", "positive_decimal", "qualifying records needed per window (1)"),
        Option("min_days", "positive_decimal", "a record counts only if it lasts this long"),
        Option("min_hours", "positive_decimal", "… or has at least this many hours"),
    ),
    uses_events=True,
    build=build_cadence,
)


# ------------------------------------------------------------------------- streak


def build_streak(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    per = _window(options)
    length = _whole(options, "length", 6)

    def compute(subject: SubjectContext) -> Measured:
        windows = subject.exposed_windows(per)  # type: ignore[arg-type]
        active = {window_label(per, e.date) for e in subject.events}  # type: ignore[arg-type]
        longest: list[str] = []
        current: list[str] = []
        for start, _ in windows:
            label = window_label(per, start)  # type: ignore[arg-type]
            if label in active:
                current = []
                continue
            current.append(label)
            if len(current) > len(longest):
                longest = list(current)
        flagged = len(longest) >= length
        per_zh = PER_WINDOW_ZH[per]
        if longest:
            en = f"longest run without a qualifying record: {len(longest)} {per}(s), " + (
                f"{longest[0]} to {longest[-1]}"
            )
            zh = f"连续无相关记录最长 {len(longest)} 个周期（{longest[0]} 至 {longest[-1]}）"
        else:
            en, zh = "a qualifying record in every window", "每个周期均有相关记录"
        en += f"; the limit is {length}" + (" — reached" if flagged else "")
        zh += f"；{per_zh}连续 {length} 个周期即触发" + ("——已触发" if flagged else "")
        return Measured(
            flagged,
            {"longest": Decimal(len(longest))},
            en,
            zh,
            tuple(e.id for e in subject.events),
            tuple({"window": label} for label in longest),
        )

    return MeasureBuild(compute, BOOLEAN, {"longest": DECIMAL})


STREAK = MeasureKind(
    name="streak",
    description=(
        "True when `length` consecutive windows the subject was exposed to passed without "
        "a qualifying record (e.g. six months without organizational life)."
    ),
    options=(
        Option("per", "string", "the window: week, month, quarter, half, year"),
        Option("length", "positive_decimal", "how many windows in a row (6)"),
    ),
    uses_events=True,
    build=build_streak,
)


# ------------------------------------------------------------------------- checklist


def _checklist_items(
    raw_items: Sequence[Mapping[str, Any]], context: MeasureBuildContext
) -> list[tuple[str, str, Any]]:
    """(id, label, ("field", name) or ("when", condition)) of each item, checked."""
    if not raw_items:
        raise RuleOptionError(
            "a checklist needs items = [{ id = …, label = …, field = … }, …]",
            "检查表须填写 items = [{ id = …, label = …, field = … }, …]",
            "items",
        )
    items: list[tuple[str, str, Any]] = []
    for index, item in enumerate(raw_items):
        unknown = sorted(set(item) - {"id", "label", "field", "when"})
        if unknown or "id" not in item or "label" not in item:
            raise RuleOptionError(
                f"items[{index}] needs id, label and one of field or when"
                + (f"; unknown key(s): {', '.join(unknown)}" if unknown else ""),
                f"items[{index}] 须有 id、label，以及 field 或 when 之一"
                + (f"；未知的键：{', '.join(unknown)}" if unknown else ""),
                "items",
            )
        if ("field" in item) == ("when" in item):
            raise RuleOptionError(
                f'item "{item["id"]}" needs exactly one of field (a true/false field of the '
                "inspection) or when (a condition)",
                f"检查项“{item['id']}”须且只能填写 field（检查记录的是/否字段）或 when（条件）之一",
                "items",
            )
        if "field" in item:
            spec = context.event_fields.get(item["field"])
            if spec is None or spec.type != "boolean":
                raise RuleOptionError(
                    f'item "{item["id"]}": field "{item["field"]}" must be a declared true/false '
                    "field of the inspection's event type",
                    f"检查项“{item['id']}”：字段“{item['field']}”须为检查记录已声明的是/否字段",
                    "items",
                    f'declare fields.{item["field"]} = "boolean" under the event type',
                )
            name = item["field"]
            items.append((item["id"], item["label"], ("field", name)))
        else:
            try:
                condition = compile_condition(item["when"], context.environment, context.functions)
            except ExprError as exc:
                raise RuleOptionError(
                    f'item "{item["id"]}": {exc.message}',
                    f"检查项“{item['id']}”：{exc.message_zh}",
                    "items",
                    exc.hint,
                    exc.hint_zh,
                ) from None
            items.append((item["id"], item["label"], ("when", condition)))
    return items


def _checklist_verdicts(
    raw_bands: Sequence[Mapping[str, Any]], item_count: int
) -> list[tuple[str, int]]:
    """(verdict, least items passed), most items first; passed/failed when not given."""
    bands: list[tuple[str, int]] = []
    for index, band in enumerate(raw_bands):
        if set(band) != {"verdict", "min_passed"}:
            raise RuleOptionError(
                f"verdicts[{index}] needs verdict and min_passed",
                f"verdicts[{index}] 须填写 verdict 和 min_passed",
                "verdicts",
            )
        bands.append((str(band["verdict"]), int(band["min_passed"])))
    for index in range(1, len(bands)):
        if bands[index][1] >= bands[index - 1][1]:
            raise RuleOptionError(
                "verdicts must go from the most items passed to the fewest",
                "verdicts 须按通过项数从多到少排列",
                "verdicts",
            )
    if not bands:
        bands = [("passed", item_count), ("failed", 0)]
    return bands


def build_checklist(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    items = _checklist_items(options.get("items") or [], context)
    bands = _checklist_verdicts(options.get("verdicts") or [], len(items))
    not_inspected = str(options.get("not_inspected", "未检查"))

    def compute(subject: SubjectContext) -> Measured:
        if not subject.events:
            return Measured(
                not_inspected,
                {
                    "inspected": False,
                    "passed": None,
                    "missing": None,
                    "date": None,
                },
                "not assessed: no inspection on record in the period",
                "未检查：考核期内没有检查记录",
            )
        latest = subject.events[-1]  # events come in (date, id) order
        results = []
        for item_id, label, (how, what) in items:
            if how == "field":
                passed = latest.attributes.get(what) is True
            else:
                passed = bool(what(latest, subject.member, subject.organization))
            results.append({"id": item_id, "label": label, "passed": passed})
        passed_count = sum(1 for r in results if r["passed"])
        verdict = next((v for v, least in bands if passed_count >= least), bands[-1][0])
        missing = [r for r in results if not r["passed"]]
        en = f"{verdict}: {passed_count} of {len(items)} items at the inspection of {latest.date}"
        zh = f"{verdict}：{latest.date} 检查，{len(items)} 项中 {passed_count} 项达标"
        if missing:
            en += "; to rectify: " + ", ".join(str(r["label"]) for r in missing)
            zh += "；需整改：" + "、".join(str(r["label"]) for r in missing)
        return Measured(
            verdict,
            {
                "inspected": True,
                "passed": Decimal(passed_count),
                "missing": Decimal(len(missing)),
                "date": latest.date.isoformat(),
            },
            en,
            zh,
            (latest.id,),
            tuple(results),
        )

    return MeasureBuild(
        compute,
        STRING,
        {"inspected": BOOLEAN, "passed": DECIMAL, "missing": DECIMAL, "date": STRING},
    )


CHECKLIST = MeasureKind(
    name="checklist",
    description=(
        "Items checked on the latest inspection record in the period; a verdict by the "
        "number passed; the failed items are the rectification list (整改清单). With no "
        "inspection on record the verdict is `not_inspected` — not the same as failing."
    ),
    options=(
        Option("items", "tables", "[{ id, label, field = true/false field | when = condition }]"),
        Option("verdicts", "tables", "[{ verdict, min_passed }], most items first"),
        Option("not_inspected", "string", 'the verdict when there is no inspection ("未检查")'),
    ),
    uses_events=True,
    build=build_checklist,
)


# ------------------------------------------------------------------------- count


def build_count(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    of = options.get("of", "records")
    if of not in ("records", "quantity", "days", "latest", "max"):
        raise RuleOptionError(
            f'of must be "records", "quantity", "days", "latest" or "max", got "{of}"',
            f"of 应为 records（条数）、quantity（数量合计）、days（天数）、latest（最近一条的数量）"
            f"或 max（最大数量），实际为“{of}”",
            "of",
        )

    def compute(subject: SubjectContext) -> Measured:
        if of in ("latest", "max"):  # a record's own figure, e.g. an assessment's score
            figures = [e for e in subject.events if e.quantity is not None]
            if not figures:
                return Measured(
                    None,
                    {},
                    "not assessed: no record with a quantity in the period",
                    "未考核：考核期内没有带数量的记录",
                )
            chosen = figures[-1] if of == "latest" else max(figures, key=lambda e: e.quantity)  # type: ignore[arg-type, return-value]
            assert chosen.quantity is not None
            word = "latest" if of == "latest" else "highest"
            word_zh = "最近一条" if of == "latest" else "最高"
            return Measured(
                chosen.quantity,
                {},
                f"{format_decimal(chosen.quantity)}: the {word} of {len(figures)} record(s) "
                f"({chosen.id}, {chosen.date})",
                f"{format_decimal(chosen.quantity)}：{len(figures)} 条记录中{word_zh}的"
                f"（{chosen.id}，{chosen.date}）",
                (chosen.id,),
            )
        if of == "records":
            total = Decimal(len(subject.events))
        elif of == "days":
            total = sum((Decimal(e.days) for e in subject.events), ZERO)
        else:
            total = sum((e.quantity or ZERO for e in subject.events), ZERO)
        word = {"records": "records", "quantity": "units", "days": "days"}[of]
        word_zh = {"records": "条记录", "quantity": "（数量合计）", "days": "天"}[of]
        return Measured(
            total,
            {},
            f"{format_decimal(total)} {word} in the period",
            f"考核期内 {format_decimal(total)}{word_zh}",
            tuple(e.id for e in subject.events),
        )

    return MeasureBuild(compute, DECIMAL)


COUNT = MeasureKind(
    name="count",
    description="The number of qualifying records in the period, the sum of their "
    "quantities or days, or the latest or highest quantity (not assessed when none).",
    options=(
        Option(
            "of",
            "string",
            "records (default), quantity, days, latest (the latest record's quantity) or max",
        ),
    ),
    uses_events=True,
    build=build_count,
)


# ------------------------------------------------------------------------- members


def _grade_rank(result: SubjectResult, grade: str, order: Sequence[str]) -> bool:
    return (
        result.grade is not None
        and result.grade in order
        and (order.index(result.grade) <= order.index(grade))
    )


def _aggregate(aggregate: str, scores: list[Decimal], hits: int) -> Decimal | None:
    """A members measure's value from its members' scores and how many are hits."""
    if aggregate == "count":
        return Decimal(hits)
    if aggregate == "share":
        return rate(hits, len(scores))
    if not scores:
        return None
    if aggregate == "sum":
        return sum(scores, ZERO)
    if aggregate == "min":
        return min(scores)
    if aggregate == "max":
        return max(scores)
    return (sum(scores, ZERO) / len(scores)).quantize(Decimal("0.01"))


def build_members(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    if context.subject != "organization":
        raise RuleOptionError(
            "a members measure belongs in an organization ruleset",
            "members 指标只能用于党组织规则集",
            None,
        )
    ruleset = options.get("ruleset")
    aggregate = options.get("aggregate", "average")
    at_least = options.get("at_least")
    grades: list[str] = list(options.get("grades") or [])
    if aggregate not in ("count", "average", "share", "sum", "min", "max"):
        raise RuleOptionError(
            f'aggregate must be count, average, share, sum, min or max, got "{aggregate}"',
            f"aggregate 应为 count、average、share、sum、min 或 max，实际为“{aggregate}”",
            "aggregate",
        )
    if aggregate in ("share", "count") and at_least is not None and at_least not in grades:
        raise RuleOptionError(
            f'at_least "{at_least}" must be one of grades (best first): {", ".join(grades)}',
            f"at_least“{at_least}”须在 grades（由高到低）之中：{', '.join(grades)}",
            "at_least",
            'list the grades of the member ruleset, best first: grades = ["优秀", "合格", …]',
        )
    if aggregate == "share" and at_least is None:
        raise RuleOptionError(
            "a share needs at_least (a grade) and grades (best first)",
            "share 须填写 at_least（等次）和 grades（由高到低）",
            "at_least",
        )
    if not isinstance(ruleset, str):
        raise RuleOptionError(
            "members needs ruleset = the id of the member ruleset",
            "members 须填写 ruleset = 党员规则集的 id",
            "ruleset",
        )

    def compute(subject: SubjectContext) -> Measured:
        results = subject.results.get(ruleset, {})
        assert subject.organization is not None
        members = [
            results[m.id]
            for m in subject.dataset.members_in_subtree(subject.organization.id)
            if m.id in results
        ]
        members.sort(key=lambda r: r.subject.id)
        if at_least is not None:
            hits = [r for r in members if _grade_rank(r, at_least, grades)]
        else:
            hits = members
        value = _aggregate(aggregate, [r.score for r in members], len(hits))
        what = f"at or above {at_least}" if at_least else ""
        what_zh = f"{at_least}及以上" if at_least else ""
        en = f"{aggregate} over {len(members)} member result(s) of {ruleset}"
        zh = f"{ruleset} 的 {len(members)} 名党员结果"
        if at_least:
            en += f": {len(hits)} {what}"
            zh += f"中{what_zh} {len(hits)} 名"
        en += f" → {scalar_text(value)}"
        zh += f" → {scalar_text(value)}"
        return Measured(
            value,
            {"members": Decimal(len(members)), "hits": Decimal(len(hits))},
            en,
            zh,
            (),
            tuple(
                {"member": r.subject.id, "score": format_decimal(r.score), "grade": r.grade}
                for r in members
            ),
        )

    return MeasureBuild(compute, DECIMAL, {"members": DECIMAL, "hits": DECIMAL}, needs=(ruleset,))


MEMBERS = MeasureKind(
    name="members",
    description=(
        "Aggregates the results of a member ruleset over the members of the organization's "
        "subtree: count, average, share at or above a grade, sum, min, max (of the score)."
    ),
    options=(
        Option("ruleset", "string", "id of the member ruleset whose results are used", True),
        Option("aggregate", "string", "count, average (default), share, sum, min, max"),
        Option("at_least", "string", "a grade: count or share those at or above it"),
        Option("grades", "strings", "that ruleset's grades, best first"),
    ),
    uses_events=False,
    build=build_members,
)


# ------------------------------------------------------------------------- result


_RESULT_TYPES = {"score": DECIMAL, "grade": STRING, "stars": DECIMAL, "tier": STRING}


def build_result(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    ruleset = options.get("ruleset")
    value_name = options.get("value", "score")
    declared = options.get("type")
    if not isinstance(ruleset, str):
        raise RuleOptionError(
            "result needs ruleset = the id of the other ruleset",
            "result 须填写 ruleset = 另一规则集的 id",
            "ruleset",
        )
    if value_name.startswith("measure."):
        if declared not in (DECIMAL, STRING, BOOLEAN):
            raise RuleOptionError(
                f'reading {value_name} of another ruleset needs type = "decimal", "string" '
                'or "boolean"',
                f"读取另一规则集的 {value_name} 须注明 type（decimal、string 或 boolean）",
                "type",
            )
        kind = declared
    elif value_name in _RESULT_TYPES:
        kind = _RESULT_TYPES[value_name]
    else:
        raise RuleOptionError(
            f'value must be score, grade, stars, tier or measure.<id>, got "{value_name}"',
            f"value 应为 score、grade、stars、tier 或 measure.<id>，实际为“{value_name}”",
            "value",
        )

    def compute(subject: SubjectContext) -> Measured:
        other = subject.results.get(ruleset, {}).get(subject.subject_id)
        if other is None:
            return Measured(
                None,
                {},
                f"no result of {ruleset} for this subject",
                f"{ruleset} 中没有该对象的结果",
            )
        value: Any
        parts: dict[str, Any] = {}
        details: tuple[Mapping[str, Any], ...] = ()
        if value_name == "score":
            value = other.score
        elif value_name == "grade":
            value = other.grade
        elif value_name == "stars":
            value = None if other.stars is None else Decimal(other.stars.count)
        elif value_name == "tier":
            value = None if other.tier is None else other.tier.tier
        else:
            measured = other.measures.get(value_name.split(".", 1)[1])
            value = None if measured is None else measured.value
            if measured is not None:
                parts = dict(measured.parts)
                details = measured.details
                return Measured(
                    value,
                    parts,
                    measured.explanation,
                    measured.explanation_zh,
                    measured.events,
                    details,
                )
        return Measured(
            value,
            parts,
            f"{value_name} in {ruleset}: {scalar_text(value)}",
            f"{ruleset} 的 {value_name}：{scalar_text(value)}",
        )

    return MeasureBuild(compute, kind, {}, needs=(ruleset,))


RESULT = MeasureKind(
    name="result",
    description=(
        "A value from another ruleset's result for the same subject (composition): its "
        "score, grade, stars, tier or one of its measures."
    ),
    options=(
        Option("ruleset", "string", "id of the other ruleset", True),
        Option("value", "string", "score (default), grade, stars, tier or measure.<id>"),
        Option("type", "string", "for measure.<id>: decimal, string or boolean"),
    ),
    uses_events=False,
    build=build_result,
)


# ------------------------------------------------------------------------- weighted


def build_weighted(options: Mapping[str, Any], context: MeasureBuildContext) -> MeasureBuild:
    parts: list[tuple[str, Decimal]] = []
    for index, item in enumerate(options.get("parts") or []):
        if set(item) != {"measure", "weight"}:
            raise RuleOptionError(
                f"parts[{index}] needs measure and weight",
                f"parts[{index}] 须填写 measure 和 weight",
                "parts",
            )
        name = item["measure"]
        if name not in context.earlier or context.earlier[name][0] != DECIMAL:
            raise RuleOptionError(
                f'parts[{index}]: "{name}" is not a number measure declared above this one',
                f"parts[{index}]：“{name}”不是在此之前声明的数值指标",
                "parts",
            )
        weight = Decimal(item["weight"])
        if not weight.is_finite() or not in_range(weight):
            raise RuleOptionError(
                f"parts[{index}]: the weight {weight} is outside the numbers computed exactly "
                f"({NUMBER_RANGE[0]})",
                f"parts[{index}]：权重 {weight} 超出可精确计算的范围（{NUMBER_RANGE[1]}）",
                "parts",
            )
        parts.append((name, weight))
    if not parts:
        raise RuleOptionError(
            "weighted needs parts = [{ measure = …, weight = 0.4 }, …]",
            "weighted 须填写 parts = [{ measure = …, weight = 0.4 }, …]",
            "parts",
        )

    def compute(subject: SubjectContext) -> Measured:
        total = ZERO
        missing: list[str] = []
        shown: list[str] = []
        for name, weight in parts:
            value = subject.measures[name].value
            if not isinstance(value, Decimal):
                missing.append(name)
                continue
            with localcontext(EXACT_OR_RAISE):  # in-range values: a rounding is a bug
                total += value * weight
            shown.append(f"{format_decimal(value)}×{format_decimal(weight)}")
        if missing:
            return Measured(
                None,
                {},
                f"not assessed: no value for {', '.join(missing)}",
                f"未考核：{'、'.join(missing)} 无值",
            )
        return Measured(
            total,
            {},
            " + ".join(shown) + f" = {format_decimal(total)}",
            " + ".join(shown) + f" = {format_decimal(total)}",
        )

    return MeasureBuild(compute, DECIMAL)


WEIGHTED = MeasureKind(
    name="weighted",
    description="A weighted sum of number measures declared above it (self 40% + superior 60%).",
    options=(Option("parts", "tables", "[{ measure, weight }]", True),),
    uses_events=False,
    build=build_weighted,
)


@hookimpl
def dangjian_rules_measure_kinds() -> Sequence[MeasureKind]:
    return (CADENCE, STREAK, CHECKLIST, COUNT, MEMBERS, RESULT, WEIGHTED)
