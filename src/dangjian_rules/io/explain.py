"""One subject's result in words: each rule, each record, the caps that bit, the grade."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from dangjian_rules.errors import Language
from dangjian_rules.io.safe_text import printable
from dangjian_rules.model.period import PER_WINDOW_ZH
from dangjian_rules.model.result import (
    BUCKET_ZH,
    Criterion,
    Limit,
    RunResult,
    SubjectResult,
    TraceEntry,
    format_decimal,
    scalar_text,
)
from dangjian_rules.ruleset.compiled import Ruleset

_BUCKET_EN = {
    "counted": "counted",
    "partial": "counted in part",
    "capped": "not counted (cap reached)",
    "veto": "one-vote veto",
    "unmatched": "matched by no rule",
    "measured": "used by a measure",
    "pending": "pending review",
    "returned": "returned by the reviewer",
    "outside_period": "outside the period",
}


def _signed(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"+{format_decimal(value)}" if value >= 0 else f"−{format_decimal(-value)}"


def describe_limit(limit: Limit, lang: Language) -> str:
    """Which cap or bound cut an award, in words."""
    if lang == "zh":
        if limit.scope == "score":
            return f"总分{'上限' if limit.bound == 'max' else '下限'} {limit.value}"
        owner = f"规则“{limit.owner}”" if limit.scope == "rule" else f"类别“{limit.owner}”"
        if limit.per is None:
            word = "上限" if limit.bound == "max" else "下限（扣完为止）"
            return f"{owner}{word} {limit.value}"
        return (
            f"{owner}{PER_WINDOW_ZH.get(limit.per, limit.per)}封顶 {limit.value}（{limit.window}）"
        )
    if limit.scope == "score":
        return f"score {'maximum' if limit.bound == 'max' else 'minimum'} {limit.value}"
    owner = f'rule "{limit.owner}"' if limit.scope == "rule" else f'category "{limit.owner}"'
    if limit.per is None:
        word = "maximum" if limit.bound == "max" else "floor"
        return f"{owner} {word} {limit.value}"
    return f"{owner} cap {limit.value} per {limit.per} ({limit.window})"


def _entry_line(entry: TraceEntry, ruleset: Ruleset, lang: Language) -> str:
    event_type = ruleset.event_types.get(entry.type)
    type_label = event_type.label if event_type else entry.type
    head = f"    {entry.date}  {entry.event}  {type_label}"
    if entry.bucket in ("counted", "partial", "capped"):
        points = _signed(entry.points)
        text = f"{head}  {points}"
        if entry.limit is not None:
            nominal = _signed(entry.nominal)
            cut = describe_limit(entry.limit, lang)
            text += (
                f"  （应得 {nominal}，受{cut}限制）"
                if lang == "zh"
                else f"  (of {nominal}; limited by {cut})"
            )
        return text
    return head


def explain(result: SubjectResult, ruleset: Ruleset, run: RunResult, lang: Language) -> str:
    """A person-readable account of how ``result`` came about."""
    zh = lang == "zh"
    lines: list[str] = []
    s = result.subject
    status = ""
    if s.status:
        status = {"full": "正式党员", "probationary": "预备党员"}.get(s.status, s.status)
        status = (
            status
            if zh
            else {"full": "full member", "probationary": "probationary member"}.get(
                s.status, s.status
            )
        )
    lines.append(f"{s.id}  {s.name}  ({s.organization or '—'})  {status}".rstrip())
    lines.append(
        f"{ruleset.name}  {ruleset.id} {ruleset.version}  "
        + (f"考核期 {run.period.label}" if zh else f"period {run.period.label}")
    )
    lines.append("")
    lines.append(("基础分 " if zh else "base score ") + format_decimal(result.base))

    by_rule: dict[str | None, list[TraceEntry]] = {}
    for entry in result.trace:
        if entry.bucket in ("counted", "partial", "capped"):
            by_rule.setdefault(entry.rule, []).append(entry)

    def rule_block(rule_ids: Sequence[str]) -> None:
        for rule in ruleset.rules:
            if rule.id not in rule_ids:
                continue
            entries = by_rule.get(rule.id, [])
            got = sum((e.points or Decimal(0) for e in entries), Decimal(0)) + sum(
                (a.points for a in result.adjustments if a.rule == rule.id), Decimal(0)
            )
            award = rule.award.summary_zh if zh else rule.award.summary
            caps = ", ".join(
                (
                    f"{PER_WINDOW_ZH.get(c.per, c.per)}封顶 {c.max}"
                    if zh
                    else f"max {c.max} per {c.per}"
                )
                for c in rule.caps
            )
            detail = f"{award}; {caps}" if caps else award
            count = f"{len(entries)} 条" if zh else f"{len(entries)} record(s)"
            lines.append(f"  {rule.label} [{rule.id}] ({detail}): {count}, {_signed(got)}")
            lines.extend(_entry_line(e, ruleset, lang) for e in entries)
            for adjustment in result.adjustments:
                if adjustment.rule != rule.id:
                    continue
                reason = adjustment.reason_zh if zh else adjustment.reason
                text = f"    {'期末' if zh else 'at period end'}: {reason}  {_signed(adjustment.points)}"
                if adjustment.limit is not None:
                    cut = describe_limit(adjustment.limit, lang)
                    nominal = _signed(adjustment.nominal)
                    text += (
                        f"  （应得 {nominal}，受{cut}限制）"
                        if zh
                        else f"  (of {nominal}; limited by {cut})"
                    )
                lines.append(text)

    for category in ruleset.categories:
        score = next(c.score for c in result.categories if c.id == category.id)
        bounds = []
        if category.max is not None:
            bounds.append(("上限 " if zh else "max ") + str(category.max))
        if category.min is not None:
            bounds.append(("下限 " if zh else "min ") + str(category.min))
        bound_text = f" ({', '.join(bounds)})" if bounds else ""
        lines.append("")
        lines.append(f"{category.label} [{category.id}]{bound_text}: {_signed(score)}")
        rule_block([r.id for r in ruleset.rules if r.category == category.id])
    loose = [r.id for r in ruleset.rules if r.category is None and r.award.effect != "veto"]
    if loose:
        lines.append("")
        lines.append("其他规则" if zh else "Other rules")
        rule_block(loose)

    grouped = ("counted", "partial", "capped", "unmatched", "measured")
    others = [e for e in result.trace if e.bucket not in grouped]
    by_type: dict[tuple[str, str], int] = {}
    for entry in result.trace:
        if entry.bucket in ("unmatched", "measured"):
            key = (entry.bucket, entry.type)
            by_type[key] = by_type.get(key, 0) + 1
    if others or by_type:
        lines.append("")
        lines.append("未计分的记录" if zh else "Records that gave no points")
        for (bucket, type_id), count in sorted(by_type.items()):
            event_type = ruleset.event_types.get(type_id)
            label = event_type.label if event_type else type_id
            if bucket == "measured":
                lines.append(
                    f"    {label} ×{count}  用于指标（不直接计分）"
                    if zh
                    else f"    {label} ×{count}  used by measures (no points of their own)"
                )
                continue
            lines.append(
                f"    {label} ×{count}  无对应规则（不加分也不扣分）"
                if zh
                else f"    {label} ×{count}  matched by no rule (neither adds nor deducts)"
            )
        for entry in others:
            reason = BUCKET_ZH[entry.bucket] if zh else _BUCKET_EN[entry.bucket]
            extra = ""
            if entry.bucket in ("pending", "returned") and entry.rule is not None:
                extra = (
                    f"（通过后按规则 {entry.rule} 计 {_signed(entry.nominal)}）"
                    if zh
                    else f" (would give {_signed(entry.nominal)} under {entry.rule} once approved)"
                )
            elif entry.bucket == "veto":
                extra = f" [{entry.rule}]"
            lines.append(_entry_line(entry, ruleset, lang) + f"  {reason}{extra}")

    lines.extend(_verdict_lines(result, ruleset, zh))
    lines.append("")
    counts = ", ".join(f"{BUCKET_ZH[b] if zh else b} {n}" for b, n in result.events.items() if n)
    total = sum(result.events.values())
    lines.append((f"记录 {total} 条：" if zh else f"records {total}: ") + (counts or "—"))
    for veto in result.vetoes:
        lines.append(
            f"一票否决：{veto.label}（{veto.event}，{veto.date}）"
            if zh
            else f"one-vote veto: {veto.label} ({veto.event}, {veto.date})"
        )
    scale = next((g for g in ruleset.grades if g.id == result.scale), None)
    bands = ""
    if scale is not None:
        bands = (
            "，".join(f"{b.grade} ≥{b.min}" for b in scale.bands)
            if zh
            else ", ".join(f"{b.grade} ≥{b.min}" for b in scale.bands)
        )
        bands = f" [{scale.label}: {bands}]"
    verdict = (
        f"总分 {format_decimal(result.score)} → 等次 {result.grade or '—'}{bands}"
        if zh
        else f"score {format_decimal(result.score)} → grade {result.grade or '—'}{bands}"
    )
    if result.vetoes:
        verdict += "（一票否决）" if zh else " (one-vote veto)"
    lines.append(verdict)
    return printable("\n".join(lines))


def _criterion_line(criterion: Criterion, zh: bool) -> str:
    mark = "✓" if criterion.held else "✗"
    figures = ", ".join(f"{k} = {v}" for k, v in criterion.values.items())
    word = (
        ("成立" if criterion.held else "不成立") if zh else ("holds" if criterion.held else "fails")
    )
    return f"    {mark} {criterion.label}: {criterion.when} — {word}" + (
        f" ({figures})" if figures else ""
    )


def _verdict_lines(result: SubjectResult, ruleset: Ruleset, zh: bool) -> list[str]:
    """Measures, flags, stars, tier and selection, each with the figures it used."""
    lines: list[str] = []
    if result.measures:
        lines.append("")
        lines.append("指标" if zh else "Measures")
        labels = {m.id: m.label for m in ruleset.measures}
        for measure_id, measured in result.measures.items():
            text = measured.explanation_zh if zh else measured.explanation
            value = scalar_text(measured.value)
            shown = text if text.startswith(value) else f"{value}: {text}"
            lines.append(f"  {labels.get(measure_id, measure_id)} [{measure_id}] = {shown}")
    if result.flags:
        lines.append("")
        for flag in result.flags:
            lines.append(("提示标记：" if zh else "flag: ") + flag.label)
            lines.extend(_criterion_line(c, zh) for c in flag.criteria)
    if result.stars is not None:
        stars = result.stars
        lines.append("")
        lines.append(
            f"星级：{stars.count} 星（按条件可得 {stars.earned} 星）"
            if zh
            else f"stars: {stars.count} (earned {stars.earned} by the criteria)"
        )
        lines.extend(_criterion_line(c, zh) for c in stars.criteria)
        if ruleset.stars is not None and ruleset.stars.mode == "cumulative":
            missed = next((c for c in stars.criteria if not c.held), None)
            if missed is not None:
                lines.append(
                    f"    未达到更高星级，因为“{missed.label}”不成立"
                    if zh
                    else f"    not more stars because “{missed.label}” fails"
                )
        lines.extend(f"    {n.text_zh if zh else n.text}" for n in stars.notes)
    if result.tier is not None:
        lines.append("")
        lines.append(f"类别：{result.tier.tier}" if zh else f"tier: {result.tier.tier}")
        lines.extend(_criterion_line(c, zh) for c in result.tier.criteria)
        lines.extend(f"    {n.text_zh if zh else n.text}" for n in result.tier.notes)
    if result.selection is not None:
        selection = result.selection
        label = ruleset.selection.label if ruleset.selection else ""
        lines.append("")
        state = (
            ("入选" if selection.selected else "未入选")
            if zh
            else ("selected" if selection.selected else "not selected")
        )
        lines.append(f"{label or ('评选' if zh else 'selection')}: {state}")
        if selection.keys:
            lines.append("    " + ", ".join(f"{k} = {v}" for k, v in selection.keys.items()))
        lines.extend(f"    {n.text_zh if zh else n.text}" for n in selection.notes)
    return lines
