"""Excel workbooks (.xlsx): results out (data in and out: :mod:`~dangjian_rules.io.xlsx_data`).

* :func:`write_workbook` (:func:`render_workbook` for the bytes) — a run as a workbook: an overview sheet (provenance), one sheet
  per ruleset (one row per subject, headers in the report's language, the header row and
  the id and name columns frozen, a filter on the headers), and the per-record traces on
  their own sheet (continued on further sheets beyond Excel's 1,048,576 rows).  Written
  with the standard library, streamed sheet by sheet: fast on a whole city, and the same
  run gives the same bytes.
* :func:`load_xlsx_dataset` — organizations, members and events from the sheets
  ``organizations``, ``members`` and ``events`` (or 党组织, 党员, 活动记录), shaped like
  the CSV files (docs/data-format.md).  Every DJ2xx check applies, and each problem names
  its sheet and cell: ``data.xlsx:events!B7``.  Reading needs the optional extra
  ``pip install "dangjian-rules[excel]"`` (openpyxl); without it, a UsageError says so.
* :func:`dump_xlsx_dataset` — a dataset as such a workbook (the inverse).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import IO

from dangjian_rules.errors import Language
from dangjian_rules.io.explain import describe_limit
from dangjian_rules.io.messages import Catalogue
from dangjian_rules.io.xlsx import MAX_ROWS, Book, SheetProblem, openpyxl_module
from dangjian_rules.io.xlsx_data import SHEET_NAMES, dump_xlsx_dataset, load_xlsx_dataset
from dangjian_rules.model.result import BUCKETS, RunResult, Scalar, SubjectResult
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = [
    "MAX_ROWS",
    "SHEET_NAMES",
    "SheetProblem",
    "dump_xlsx_dataset",
    "load_xlsx_dataset",
    "openpyxl_module",
    "render_workbook",
    "write_workbook",
]


def _cell_value(value: Scalar, t: Catalogue) -> object:
    """A measure's value in a cell: numbers stay numbers (exact text), yes/no in words."""
    if isinstance(value, bool):
        return t("value.yes") if value else t("value.no")
    return value


def _ruleset_columns(
    ruleset: Ruleset, t: Catalogue
) -> list[tuple[str, Callable[[SubjectResult], object]]]:
    """(header, value) for each column of a ruleset's sheet."""
    member = ruleset.subject == "member"
    columns: list[tuple[str, Callable[[SubjectResult], object]]] = [
        (t("col.id"), lambda r: r.subject.id),
        (t("col.member_name") if member else t("col.name"), lambda r: r.subject.name),
        (
            t("col.organization") if member else t("col.parent"),
            lambda r: r.subject.organization,
        ),
    ]
    if member:
        columns.append(
            (
                t("col.status"),
                lambda r: t(f"value.{r.subject.status}") if r.subject.status else None,
            )
        )
    scored = bool(ruleset.grades) or any(rule.award.effect != "veto" for rule in ruleset.rules)
    if scored:
        columns.append((t("col.score"), lambda r: r.score))
    if ruleset.grades:
        labels = {g.id: g.label for g in ruleset.grades}
        columns.append((t("col.grade"), lambda r: r.grade))
        if len(ruleset.grades) > 1:
            columns.append((t("col.scale"), lambda r: labels.get(r.scale or "", r.scale)))
    if any(rule.award.effect == "veto" for rule in ruleset.rules):
        columns.append(
            (t("col.vetoed"), lambda r: "；".join(f"{v.label}（{v.event}）" for v in r.vetoes))
        )
    for category in ruleset.categories:

        def category_score(r: SubjectResult, cid: str = category.id) -> object:
            return next((c.score for c in r.categories if c.id == cid), None)

        columns.append((category.label, category_score))
    for measure in ruleset.measures:

        def measured(r: SubjectResult, mid: str = measure.id) -> object:
            found = r.measures.get(mid)
            return None if found is None else _cell_value(found.value, t)

        columns.append((measure.label, measured))
    if ruleset.stars is not None:
        columns.append((t("col.stars"), lambda r: r.stars.count if r.stars else None))
    if ruleset.tiers is not None:
        columns.append((t("col.tier"), lambda r: r.tier.tier if r.tier else None))
    if ruleset.selection is not None:
        columns.append(
            (
                t("col.selected"),
                lambda r: (
                    None
                    if r.selection is None
                    else (t("value.yes") if r.selection.selected else t("value.no"))
                ),
            )
        )
        columns.append((t("col.rank"), lambda r: r.selection.rank if r.selection else None))
    if ruleset.flags:
        columns.append((t("col.flag"), lambda r: "；".join(f.label for f in r.flags) or None))
    for bucket in BUCKETS:

        def count(r: SubjectResult, b: str = bucket) -> object:
            return r.events.get(b, 0)

        columns.append((t("col.bucket_count", bucket=t(f"bucket.{bucket}")), count))
    return columns


def render_workbook(run: RunResult, rulesets: Sequence[Ruleset], lang: Language = "zh") -> bytes:
    """The run as an .xlsx workbook (bytes): overview, a sheet per ruleset, the traces."""
    buffer = io.BytesIO()
    write_workbook(run, rulesets, buffer, lang)
    return buffer.getvalue()


def write_workbook(
    run: RunResult, rulesets: Sequence[Ruleset], stream: IO[bytes], lang: Language = "zh"
) -> None:
    """Write the workbook of :func:`render_workbook` to ``stream`` (a file, or a pipe),
    without holding it whole: the sheets are written to temporary files as they are made."""
    t = Catalogue(lang)
    book = Book(t("report.title"))
    by_id = {r.id: r for r in rulesets}
    overview = book.sheet(
        t("xlsx.overview"), [t("col.field"), t("col.value")], "A2", (28, 72), filter_rows=False
    )
    overview.append(
        [t("overview.period"), f"{run.period.label} ({run.period.start}..{run.period.end})"]
    )
    overview.append([t("overview.engine"), run.engine])
    overview.append([t("overview.data"), run.data.sha256])
    overview.append(
        [
            t("overview.size"),
            t(
                "overview.size_value",
                organizations=run.data.organizations,
                members=run.data.members,
                events=run.data.events,
            ),
        ]
    )
    overview.append([])
    overview.append(
        [
            t("col.ruleset"),
            t("col.ruleset_id"),
            t("col.version"),
            t("col.subject_kind"),
            t("col.sha256"),
            t("col.extends"),
        ]
    )
    for ref in run.rulesets:
        overview.append(
            [
                ref.name,
                ref.id,
                ref.version,
                t(f"value.{ref.subject}"),
                ref.sha256,
                ", ".join(ref.extends),
            ]
        )
    by_ruleset: dict[str, list[SubjectResult]] = {}
    for result in run.results:
        by_ruleset.setdefault(result.ruleset, []).append(result)
    for ref in run.rulesets:
        ruleset = by_id[ref.id]
        columns = _ruleset_columns(ruleset, t)
        sheet = book.sheet(ref.id, [h for h, _ in columns], "C2", (12, 10, 12))
        results = by_ruleset.get(ref.id, [])
        for result in results:
            sheet.append([value(result) for _, value in columns])
    _trace_sheets(book, run, by_id, t, lang)
    book.save_to(stream)


def _trace_sheets(
    book: Book, run: RunResult, by_id: Mapping[str, Ruleset], t: Catalogue, lang: Language
) -> None:
    header = [
        t("col.ruleset"),
        t("col.id"),
        t("col.name"),
        t("col.record"),
        t("col.date"),
        t("col.type"),
        t("col.bucket"),
        t("col.rule"),
        t("col.points"),
        t("col.nominal"),
        t("col.limit"),
        t("col.note"),
    ]
    widths = (22, 10, 10, 12, 12, 16, 12, 18, 8, 8, 28, 20)
    sheets = 1
    sheet = book.sheet(t("xlsx.trace"), header, "D2", widths)
    rows = 1
    for result in run.results:
        ruleset = by_id[result.ruleset]
        types = ruleset.event_types
        for entry in result.trace:
            if rows >= MAX_ROWS:
                sheets += 1
                sheet = book.sheet(t("xlsx.trace_more", n=sheets), header, "D2", widths)
                rows = 1
            event_type = types.get(entry.type)
            sheet.append(
                [
                    result.ruleset,
                    result.subject.id,
                    result.subject.name,
                    entry.event,
                    entry.date,
                    event_type.label if event_type else entry.type,
                    t(f"bucket.{entry.bucket}"),
                    entry.rule,
                    entry.points,
                    entry.nominal,
                    None if entry.limit is None else describe_limit(entry.limit, lang),
                    entry.note,
                ]
            )
            rows += 1
