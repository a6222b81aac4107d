"""Built-in reporters: a readable table, the full JSON result, one CSV row per subject."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Sequence

from ..formats import Reporter, ReportOptions
from ..hookspecs import hookimpl
from ..result import BUCKETS, RunResult, dumps, format_decimal
from ..ruleset import Ruleset


def _words(options: ReportOptions, en: str, zh: str) -> str:
    return zh if options.lang == "zh" else en


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def render_table(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> str:
    """Per ruleset: provenance, the grade distribution, then one row per subject."""
    limit = options.limit

    def w(en: str, zh: str) -> str:
        return _words(options, en, zh)

    lines: list[str] = []
    by_id = {r.id: r for r in rulesets}
    for ref in run.rulesets:
        ruleset = by_id[ref.id]
        results = [r for r in run.results if r.ruleset == ref.id]
        lines.append(f"{ruleset.name}  ({ref.id} {ref.version})")
        lines.append(
            w(
                f"period {run.period.label} ({run.period.start}..{run.period.end}); "
                f"{len(results)} subjects; data {run.data.events} events, "
                f"sha256 {run.data.sha256[:12]}",
                f"考核期 {run.period.label}（{run.period.start}..{run.period.end}）；"
                f"{len(results)} 个考核对象；数据 {run.data.events} 条记录，"
                f"sha256 {run.data.sha256[:12]}",
            )
        )
        lines.append("")
        lines.append(w("Grade distribution", "等次分布"))
        counts = Counter((r.scale, r.grade) for r in results)
        rows = [[w("scale", "等次表"), w("grade", "等次"), w("count", "人数"), w("share", "占比")]]
        for scale in ruleset.grades:
            for band in scale.bands:
                n = counts.get((scale.id, band.grade), 0)
                share = f"{100 * n / len(results):.1f}%" if results else "—"
                rows.append([scale.label, band.grade, str(n), share])
        ungraded = sum(n for (scale_id, grade), n in counts.items() if grade is None)
        if ungraded:
            rows.append(["—", w("no grade", "无等次"), str(ungraded), ""])
        lines.extend("  " + line for line in _table(rows, right=(2, 3)))
        vetoed = sum(1 for r in results if r.vetoes)
        lines.append(w(f"  one-vote veto: {vetoed}", f"  一票否决：{vetoed}"))
        lines.append("")
        shown = results if limit is None else results[:limit]
        rows = [
            [
                w("id", "编号"),
                w("name", "姓名"),
                w("organization", "所在组织"),
                w("score", "得分"),
                w("grade", "等次"),
                w("note", "备注"),
            ]
        ]
        for r in shown:
            note = w("veto: ", "否决：") + r.vetoes[0].rule if r.vetoes else ""
            rows.append(
                [
                    r.subject.id,
                    r.subject.name,
                    r.subject.organization or "",
                    format_decimal(r.score),
                    r.grade or "—",
                    note,
                ]
            )
        lines.extend(_table(rows, right=(3,)))
        if limit is not None and len(results) > limit:
            lines.append(
                w(
                    f"… {len(results) - limit} more (use --limit 0 for all, or --format csv)",
                    f"……另有 {len(results) - limit} 行（--limit 0 显示全部，或使用 --format csv）",
                )
            )
        lines.append("")
    return "\n".join(lines)


def render_csv(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> str:
    """One row per subject: score, grade, veto, category scores, accounting counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    category_ids: list[str] = []
    for ruleset in rulesets:
        for category in ruleset.categories:
            key = f"{ruleset.id}:{category.id}" if len(rulesets) > 1 else category.id
            category_ids.append(key)
    writer.writerow(
        [
            "ruleset",
            "subject_kind",
            "subject",
            "name",
            "organization",
            "status",
            "score",
            "grade",
            "scale",
            "veto",
            *category_ids,
            *(f"events_{b}" for b in BUCKETS),
        ]
    )
    for r in run.results:
        categories = {
            (f"{r.ruleset}:{c.id}" if len(rulesets) > 1 else c.id): format_decimal(c.score)
            for c in r.categories
        }
        writer.writerow(
            [
                r.ruleset,
                r.subject.kind,
                r.subject.id,
                r.subject.name,
                r.subject.organization or "",
                r.subject.status or "",
                format_decimal(r.score),
                r.grade or "",
                r.scale or "",
                ";".join(f"{v.rule}@{v.event}" for v in r.vetoes),
                *(categories.get(c, "") for c in category_ids),
                *(str(r.events[b]) for b in BUCKETS),
            ]
        )
    return buffer.getvalue()


def render_json(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> str:
    """The full result (docs/results.md); without traces when asked for a summary."""
    return dumps(run, with_trace=options.with_trace)


TABLE = Reporter(
    "table", "a readable table: grade distribution, then one row per subject", render_table
)
JSON = Reporter("json", "the full result with provenance and traces (docs/results.md)", render_json)
CSV = Reporter(
    "csv",
    "one row per subject (UTF-8 with BOM when written to a file, for Excel)",
    render_csv,
    file_encoding="utf-8-sig",
)


@hookimpl
def dangjian_rules_reporters() -> Sequence[Reporter]:
    return (TABLE, JSON, CSV)
