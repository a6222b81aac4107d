"""Built-in reporters: a readable table, the full JSON result, one CSV row per subject, and
the HTML report (``dangjian-rules report``, or ``evaluate --format html``)."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO, Any

from dangjian_rules.convert.results import write_json as write_run_json
from dangjian_rules.errors import UsageError
from dangjian_rules.io.formats import Reporter, ReportOptions
from dangjian_rules.io.report import render_report
from dangjian_rules.io.safe_text import SpreadsheetWriter, printable
from dangjian_rules.model.result import (
    BUCKETS,
    RulesetRef,
    RunResult,
    SubjectResult,
    format_decimal,
    scalar_text,
)
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.compiled import Ruleset

#: picks the English or the Chinese of a pair
Words = Callable[[str, str], str]


def _words(options: ReportOptions, en: str, zh: str) -> str:
    return zh if options.lang == "zh" else en


def _width(text: str) -> int:
    """Columns on a terminal, as the text will be printed (control characters escaped)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in printable(text))


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


def _distribution(
    title: str, header: str, values: Sequence[str], order: Sequence[str], w: Any
) -> list[str]:
    counts = Counter(values)
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    rows = [[header, w("count", "数量"), w("share", "占比")]]
    for key in keys:
        share = f"{100 * counts[key] / len(values):.1f}%" if values else "—"
        rows.append([key, str(counts[key]), share])
    return ["", title, *("  " + line for line in _table(rows, right=(1, 2)))]


def render_table(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> str:
    """Per ruleset: provenance, the distributions of what it decides (grades, stars,
    tiers, selection, flags), then one row per subject."""

    def w(en: str, zh: str) -> str:
        return _words(options, en, zh)

    lines: list[str] = []
    by_id = {(r.id, r.version): r for r in rulesets}
    for ref in run.rulesets:
        ruleset = by_id[(ref.id, ref.version)]
        results = [r for r in run.results if r.ruleset == ref.id]
        lines.extend(_table_heading(run, ref, ruleset, results, w))
        lines.extend(_table_distributions(ruleset, results, w))
        lines.append("")
        lines.extend(_table_subjects(ruleset, results, options.limit, w))
        lines.append("")
    return printable("\n".join(lines))


def _table_heading(
    run: RunResult, ref: RulesetRef, ruleset: Ruleset, results: list[SubjectResult], w: Words
) -> list[str]:
    lines: list[str] = []
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
    return lines


def _table_distributions(ruleset: Ruleset, results: list[SubjectResult], w: Words) -> list[str]:
    """Grades, stars, tiers, verdicts, flags, the selected and the vetoed."""
    lines: list[str] = []
    if ruleset.grades:
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
    if ruleset.stars is not None:
        highest = ruleset.stars.highest
        lines.extend(
            _distribution(
                w("Star distribution", "星级分布"),
                w("stars", "星级"),
                [str(r.stars.count) if r.stars else "—" for r in results],
                [str(n) for n in range(highest, -1, -1)],
                w,
            )
        )
    if ruleset.tiers is not None:
        lines.extend(
            _distribution(
                w("Tier distribution", "类别分布"),
                w("tier", "类别"),
                [r.tier.tier if r.tier else "—" for r in results],
                ruleset.tiers.order,
                w,
            )
        )
    for measure in ruleset.measures:
        if measure.type == "string":  # verdicts such as 达标 / 未检查
            lines.extend(
                _distribution(
                    f"{measure.label} [{measure.id}]",
                    w("value", "结果"),
                    [
                        scalar_text(r.measures[measure.id].value)
                        for r in results
                        if measure.id in r.measures
                    ],
                    (),
                    w,
                )
            )
    if ruleset.flags:
        lines.append("")
        for flag in ruleset.flags:
            raised = sum(1 for r in results if any(f.id == flag.id for f in r.flags))
            lines.append(f"{flag.label} [{flag.id}]: {raised}")
    if ruleset.selection is not None:
        chosen = sorted(
            (r for r in results if r.selection and r.selection.selected),
            key=lambda r: (r.selection.scope or "", r.selection.rank or 0),  # type: ignore[union-attr]
        )
        lines.append("")
        lines.append((ruleset.selection.label or w("Selected", "入选名单")) + f": {len(chosen)}")
        lines.extend(
            f"  {r.selection.rank}. {r.subject.id} {r.subject.name}"  # type: ignore[union-attr]
            for r in chosen
        )
    vetoed = sum(1 for r in results if r.vetoes)
    lines.append(w(f"  one-vote veto: {vetoed}", f"  一票否决：{vetoed}"))
    return lines


def _table_subjects(
    ruleset: Ruleset, results: list[SubjectResult], limit: int | None, w: Words
) -> list[str]:
    """One row per subject (the first ``limit``): the figures, then notes."""
    lines: list[str] = []
    shown = results if limit is None else results[:limit]
    header = [w("id", "编号"), w("name", "名称"), w("organization", "所在组织")]
    if ruleset.rules:
        header.append(w("score", "得分"))
    if ruleset.grades:
        header.append(w("grade", "等次"))
    if ruleset.stars is not None:
        header.append(w("stars", "星级"))
    if ruleset.tiers is not None:
        header.append(w("tier", "类别"))
    if ruleset.selection is not None:
        header.append(w("rank", "排名"))
    header.append(w("note", "备注"))
    rows = [header]
    for r in shown:
        notes = []
        if r.vetoes:
            notes.append(w("veto: ", "否决：") + r.vetoes[0].rule)
        notes.extend(f.label for f in r.flags)
        for measure in ruleset.measures[:2]:
            measured = r.measures.get(measure.id)
            if measured is not None:
                notes.append(f"{measure.id}={scalar_text(measured.value)}")
        row = [r.subject.id, r.subject.name, r.subject.organization or ""]
        if ruleset.rules:
            row.append(format_decimal(r.score))
        if ruleset.grades:
            row.append(r.grade or "—")
        if ruleset.stars is not None:
            row.append(str(r.stars.count) if r.stars else "—")
        if ruleset.tiers is not None:
            row.append(r.tier.tier if r.tier else "—")
        if ruleset.selection is not None:
            selection = r.selection
            row.append(
                "—"
                if selection is None or selection.rank is None
                else f"{selection.rank}{' ✓' if selection.selected else ''}"
            )
        row.append("; ".join(notes))
        rows.append(row)
    lines.extend(_table(rows, right=(3,) if ruleset.rules else ()))
    if limit is not None and len(results) > limit:
        lines.append(
            w(
                f"… {len(results) - limit} more (use --limit 0 for all, or --format csv)",
                f"……另有 {len(results) - limit} 行（--limit 0 显示全部，或使用 --format csv）",
            )
        )
    return lines


def write_csv(
    run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions, stream: IO[str]
) -> None:
    """One row per subject: score, grade, veto, category scores, accounting counts;
    each row written to ``stream`` as it is made."""
    writer = SpreadsheetWriter(csv.writer(stream, lineterminator="\n"), printed=True)
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


def write_json(
    run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions, stream: IO[str]
) -> None:
    """The full result (docs/results.md), one subject result at a time; without traces
    when asked for a summary."""
    write_run_json(run, stream, with_trace=options.with_trace)


TABLE = Reporter(
    "table", "a readable table: grade distribution, then one row per subject", render_table
)
JSON = Reporter.streaming(
    "json", "the full result with provenance and traces (docs/results.md)", write_json
)
CSV = Reporter.streaming(
    "csv",
    "one row per subject (UTF-8 with BOM when written to a file, for Excel)",
    write_csv,
    file_encoding="utf-8-sig",
)


def render_html(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> str:
    if options.dataset is None:
        raise UsageError("the HTML report needs the data the run was evaluated on")
    return render_report(
        run,
        rulesets,
        options.dataset,
        options.lang,
        options.group_by,
        options.drill_down,
        options.previous,
    )


HTML = Reporter(
    "html", "one self-contained HTML report: overview, comparison, charts, drill-down", render_html
)


@hookimpl
def dangjian_rules_reporters() -> Sequence[Reporter]:
    return (TABLE, JSON, CSV, HTML)
