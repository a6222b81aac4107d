"""One subject's result in words: each rule, each record, the caps that bit, the grade."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .errors import Language
from .period import PER_WINDOW_ZH
from .result import BUCKET_ZH, Limit, RunResult, SubjectResult, TraceEntry, format_decimal
from .ruleset import Ruleset

_BUCKET_EN = {
    "counted": "counted",
    "partial": "counted in part",
    "capped": "not counted (cap reached)",
    "veto": "one-vote veto",
    "unmatched": "matched by no rule",
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

    others = [
        e for e in result.trace if e.bucket not in ("counted", "partial", "capped", "unmatched")
    ]
    unmatched: dict[str, int] = {}
    for entry in result.trace:
        if entry.bucket == "unmatched":
            unmatched[entry.type] = unmatched.get(entry.type, 0) + 1
    if others or unmatched:
        lines.append("")
        lines.append("未计分的记录" if zh else "Records that gave no points")
        for type_id, count in sorted(unmatched.items()):
            event_type = ruleset.event_types.get(type_id)
            label = event_type.label if event_type else type_id
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
    return "\n".join(lines)
