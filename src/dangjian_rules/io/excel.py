"""Excel workbooks (.xlsx): results out, data in.

* :func:`render_workbook` — a run as a workbook: an overview sheet (provenance), one sheet
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

import datetime as dt
import importlib
import io
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from dangjian_rules.errors import Language, Problem, ProblemsFound, UsageError, did_you_mean
from dangjian_rules.io.explain import describe_limit
from dangjian_rules.io.load import CSV_COLUMNS
from dangjian_rules.io.messages import Catalogue, message
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
    FieldValueError,
    coerce,
    parse_date,
    parse_decimal,
)
from dangjian_rules.model.records import (
    ALIASES,
    ORGANIZATION_KINDS,
    AttributeValue,
    Dataset,
    Event,
    Member,
    Organization,
)
from dangjian_rules.model.result import BUCKETS, RunResult, Scalar, SubjectResult, format_decimal
from dangjian_rules.model.validate import Location, RecordKey, check_records
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = [
    "MAX_ROWS",
    "SHEET_NAMES",
    "SheetProblem",
    "dump_xlsx_dataset",
    "load_xlsx_dataset",
    "openpyxl_module",
    "render_workbook",
]

#: Rows on one Excel sheet, the header included.
MAX_ROWS = 1_048_576
#: The sheets a data workbook holds, each with the names it may have.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "organizations": ("organizations", "党组织"),
    "members": ("members", "党员"),
    "events": ("events", "活动记录", "记录"),
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "kind"),
    "members": ("id", "name", "organization"),
    "events": ("id", "type", "date"),
}
_WORD_ZH = {"organizations": "党组织", "members": "党员", "events": "活动记录"}
_KIND_MAP = {**{k: k for k in ORGANIZATION_KINDS}, **ALIASES["kind"]}
_MEMBER_STATUS_MAP = ALIASES["member_status"]
_REVIEW_STATUS_MAP = ALIASES["review_status"]
_DATE_HINT = "write dates as 2015-03-01, or format the column as a date"
_DATE_HINT_ZH = "日期请写成 2015-03-01，或把该列设为日期格式"


def openpyxl_module(lang: Language = "en") -> Any:
    """The openpyxl module; a UsageError naming the extra to install when it is missing."""
    try:
        return importlib.import_module("openpyxl")
    except ImportError:
        raise UsageError(message("cli.excel_missing", lang)) from None


def column_letter(column: int) -> str:
    """1 → A, 27 → AA: Excel's name of a column."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_ref(title: str) -> str:
    """A sheet's name as a cell reference writes it: quoted unless plain."""
    return title if re.fullmatch(r"\w+", title) else "'" + title.replace("'", "''") + "'"


@attrs.frozen
class SheetProblem(Problem):
    """A problem in a workbook, located by sheet and cell: ``data.xlsx:events!B7``.

    ``line`` and ``column`` hold the row and the column number; ``path`` the cell.
    """

    def location(self) -> str:
        if self.file is not None and self.path:
            return f"{self.file}:{self.path}"
        return Problem.location(self)


# ============================================================================ results out


def _sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unused sheet title: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text).strip("'") or "sheet"
    title = base[:31]
    number = 2
    while title.lower() in taken:
        suffix = f" ({number})"
        title = base[: 31 - len(suffix)] + suffix
        number += 1
    taken.add(title.lower())
    return title


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


#: characters XML 1.0 cannot hold (a cell keeps the rest of its text)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Excel's largest cell text
_MAX_TEXT = 32767
_EPOCH = dt.date(1899, 12, 30)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entry times: the same bytes on every run

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}"
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:creator>dangjian-rules</dc:creator><dc:title>{title}</dc:title>"
    "</cp:coreProperties>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFB71C1C"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_WORKBOOK_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<bookViews><workbookView/></bookViews><sheets>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)


def _escape(text: str) -> str:
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ILLEGAL.sub("", text)


class _SheetWriter:
    """One worksheet being written: its rows go straight into the zip entry."""

    def __init__(
        self,
        book: _Book,
        number: int,
        title: str,
        header: Sequence[str],
        freeze: str,
        widths: Sequence[int],
    ) -> None:
        self.book = book
        self.title = title
        self.number = number
        self.width = len(header)
        self.letters = [column_letter(i) for i in range(1, len(header) + 1)]
        self.rows = 0
        # Spooled to a temporary file: [Content_Types].xml goes first in the zip (programs
        # that sniff a file's type look there), and it must list every sheet.
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by save)
        self.stream = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        columns = "".join(
            f'<col min="{i}" max="{i}" width="{max(8, widths[i - 1] if i <= len(widths) else 0, _width(name) + 2)}" customWidth="1"/>'
            for i, name in enumerate(header, start=1)
        )
        split_column = 0
        while split_column < len(freeze) and freeze[split_column].isalpha():
            split_column += 1
        x_split = _column_number(freeze[:split_column]) - 1
        y_split = int(freeze[split_column:]) - 1
        x_attribute = f' xSplit="{x_split}"' if x_split else ""
        active = "bottomRight" if x_split else "bottomLeft"
        pane = (
            f'<pane{x_attribute} ySplit="{y_split}" topLeftCell="{freeze}" '
            f'activePane="{active}" state="frozen"/>'
        )
        self.stream.write(
            _SHEET_HEAD
            + '<sheetViews><sheetView workbookViewId="0"'
            + (' tabSelected="1"' if number == 1 else "")
            + f">{pane}</sheetView></sheetViews>"
            + '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{columns}</cols>" if columns else "")
            + "<sheetData>"
        )
        self.append(header, style=1)

    def append(self, values: Sequence[object], style: int = 0) -> None:
        self.rows += 1
        number = self.rows
        parts = [f'<row r="{number}">']
        letters = self.letters
        while len(letters) < len(values):
            letters.append(column_letter(len(letters) + 1))
        styled = f' s="{style}"' if style else ""
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            ref = f"{letters[index]}{number}"
            if isinstance(value, bool):
                parts.append(f'<c r="{ref}" t="b"{styled}><v>{int(value)}</v></c>')
            elif isinstance(value, (int, Decimal)):
                text = format_decimal(value) if isinstance(value, Decimal) else str(value)
                parts.append(f'<c r="{ref}"{styled}><v>{text}</v></c>')
            elif isinstance(value, dt.date):
                day = value.date() if isinstance(value, dt.datetime) else value
                parts.append(f'<c r="{ref}" s="2"><v>{(day - _EPOCH).days}</v></c>')
            else:
                text = _escape(str(value))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                parts.append(
                    f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{text}</t></is></c>'
                )
        parts.append("</row>")
        self.stream.write("".join(parts))

    def close(self, filter_rows: bool) -> str | None:
        """Finish the sheet; the filter range, when it has one."""
        tail = "</sheetData>"
        ref = None
        if filter_rows and self.width:
            ref = f"A1:{self.letters[-1]}{max(self.rows, 1)}"
            tail += f'<autoFilter ref="{ref}"/>'
        tail += '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        self.stream.write(tail + "</worksheet>")
        self.stream.flush()
        self.stream.detach()
        return ref


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


class _Book:
    """A workbook written sheet by sheet straight into a zip (no third-party library):
    inline strings, exact numbers, date cells, a styled and frozen header row, filters.
    The same content gives the same bytes."""

    def __init__(self, title: str = "") -> None:
        self.buffer = io.BytesIO()
        self.zip = zipfile.ZipFile(self.buffer, "w", zipfile.ZIP_DEFLATED)
        self.title = title
        self._titles: set[str] = set()
        self._sheets: list[tuple[str, str | None]] = []
        self._files: list[IO[bytes]] = []
        self._open: _SheetWriter | None = None

    def sheet(
        self,
        title: str,
        header: Sequence[str],
        freeze: str = "A2",
        widths: Sequence[int] = (),
        filter_rows: bool = True,
    ) -> _SheetWriter:
        self._finish()
        number = len(self._sheets) + 1
        out = _SheetWriter(self, number, _sheet_title(title, self._titles), header, freeze, widths)
        self._open = out
        self._filter = filter_rows
        return out

    def _finish(self) -> None:
        if self._open is not None:
            ref = self._open.close(self._filter)
            self._sheets.append((self._open.title, ref))
            self._files.append(self._open.file)
            self._open = None

    def _write(self, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, _FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, text.encode("utf-8"))

    def save(self) -> bytes:
        self._finish()
        sheets = "".join(_SHEET_TYPE.format(n=n) for n in range(1, len(self._sheets) + 1))
        self._write("[Content_Types].xml", _CONTENT_TYPES.format(sheets=sheets))
        self._write("_rels/.rels", _ROOT_RELS)
        self._write("docProps/core.xml", _CORE.format(title=_escape(self.title)))
        self._write("xl/styles.xml", _STYLES)
        entries = "".join(
            f'<sheet name="{_escape(title).replace(chr(34), "&quot;")}" sheetId="{n}" r:id="rId{n}"/>'
            for n, (title, _) in enumerate(self._sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n - 1}" hidden="1">'
            + _escape(_sheet_ref(title) + "!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref))
            + "</definedName>"
            for n, (title, ref) in enumerate(self._sheets, start=1)
            if ref is not None
        )
        self._write(
            "xl/workbook.xml",
            _WORKBOOK_HEAD
            + entries
            + "</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self._sheets) + 1)
        )
        styles_id = len(self._sheets) + 1
        self._write(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + rels
            + f'<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            + "</Relationships>",
        )
        for number, file in enumerate(self._files, start=1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            file.seek(0)
            with self.zip.open(info, "w") as entry:
                shutil.copyfileobj(file, entry, 1 << 20)
            file.close()
        self.zip.close()
        return self.buffer.getvalue()


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
    t = Catalogue(lang)
    book = _Book(t("report.title"))
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
    return book.save()


def _trace_sheets(
    book: _Book, run: RunResult, by_id: Mapping[str, Ruleset], t: Catalogue, lang: Language
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


# ============================================================================ data in


def _text(value: object) -> str:
    """A cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@attrs.define
class _Sheet:
    """One sheet after its header row: which column holds which field."""

    kind: str
    title: str
    rows: Iterator[tuple[object, ...]]
    width: int
    #: core field → 0-based index (absent fields point past the row: always empty)
    cells: dict[str, int]
    #: attribute columns: (0-based index, name)
    extras: list[tuple[int, str]]
    #: field or attribute → 1-based column
    columns: dict[str, int]


class _Locations(Mapping[RecordKey, Location]):
    """Where each record is: its sheet, row and the column of each field (made on demand)."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.sections: dict[str, tuple[_Sheet, list[int]]] = {}

    def __getitem__(self, key: RecordKey) -> Location:
        section, index = key
        if section not in self.sections:
            raise KeyError(key)
        sheet, rows = self.sections[section]
        if not 0 <= index < len(rows):
            raise KeyError(key)
        row = rows[index]
        fields = {name: (row, column) for name, column in sheet.columns.items()}
        return Location(self.shown, row, 1, sheet.title, fields)

    def __iter__(self) -> Iterator[RecordKey]:
        for section, (_, rows) in self.sections.items():
            for index in range(len(rows)):
                yield section, index

    def __len__(self) -> int:
        return sum(len(rows) for _, rows in self.sections.values())


class _Reader:
    """The state of one workbook load: problems found so far and record places."""

    def __init__(self, shown: str, schema: DataSchema) -> None:
        self.shown = shown
        self.schema = schema
        self.problems: list[Problem] = []
        self.locations = _Locations(shown)

    def add(
        self,
        code: str,
        sheet: str | None,
        row: int | None,
        column: int | None,
        text: str,
        text_zh: str,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        path = None
        if sheet is not None:
            path = _sheet_ref(sheet)
            if row is not None:
                path += f"!{column_letter(column or 1)}{row}"
        self.problems.append(
            SheetProblem(
                code=code,
                message=text,
                message_zh=text_zh,
                file=self.shown,
                line=row,
                column=column,
                path=path,
                hint=hint,
                hint_zh=hint_zh,
            )
        )

    def at(self, sheet: _Sheet, row: int, field: str) -> tuple[str, int, int]:
        return sheet.title, row, sheet.columns.get(field, 1)

    # -- values ----------------------------------------------------------------------

    def date(self, value: object, sheet: _Sheet, row: int, field: str, rid: str) -> dt.date | None:
        """A date cell or date text; None when empty or after reporting a problem."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            if value.time() == dt.time():
                return value.date()
        elif isinstance(value, dt.date):
            return value
        elif isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError:
                pass
        shown = _text(value)
        who, who_zh = _who(sheet.kind, rid)
        self.add(
            "DJ207",
            *self.at(sheet, row, field),
            f'the {field} of {who} is "{shown}", which is not a date (dates, not times)',
            f"{who_zh}的{field}“{shown}”不是有效的日期（只填日期，不含时间）",
            _DATE_HINT,
            _DATE_HINT_ZH,
        )
        return None

    def quantity(self, value: object, sheet: _Sheet, row: int, rid: str) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, float):
                return parse_decimal(_text(value))
            return parse_decimal(value)
        except ValueError:
            who, who_zh = _who("events", rid)
            self.add(
                "DJ210",
                *self.at(sheet, row, "quantity"),
                f'the quantity of {who} is "{_text(value)}", which is not a number',
                f"{who_zh}的数量“{_text(value)}”不是数字",
                "write a plain number such as 2 or 1.5",
                "请填写数字，如 2 或 1.5",
            )
            return None

    def attributes(
        self,
        sheet: _Sheet,
        row: int,
        values: Sequence[object],
        specs: Mapping[str, FieldSpec],
        rid: str,
    ) -> dict[str, AttributeValue]:
        out: dict[str, AttributeValue] = {}
        for index, name in sheet.extras:
            raw = values[index]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            spec = specs.get(name)
            if spec is None:
                out[name] = _text(raw).strip()
                continue
            given: object
            if isinstance(raw, dt.datetime) and raw.time() == dt.time():
                given = raw.date()
            elif isinstance(raw, bool) or (isinstance(raw, dt.date) and spec.type == "date"):
                given = raw
            else:
                given = _text(raw)
            try:
                value = coerce(spec, given)
            except FieldValueError as exc:
                who, who_zh = _who(sheet.kind, rid)
                self.add(
                    "DJ210",
                    *self.at(sheet, row, name),
                    f"{who}: {exc.message}",
                    f"{who_zh}：{exc.message_zh}",
                    exc.hint,
                )
                continue
            if value is not None:
                out[name] = value
        return out


def _who(kind: str, rid: str) -> tuple[str, str]:
    word = {"organizations": "organization", "members": "member", "events": "event"}[kind]
    if rid:
        return f'{word} "{rid}"', f"{_WORD_ZH[kind]}“{rid}”"
    return f"a {word} without id", f"一条没有编号的{_WORD_ZH[kind]}"


def _find_sheet(workbook: Any, kind: str) -> Any | None:
    names = {title.strip().lower(): title for title in workbook.sheetnames}
    for wanted in SHEET_NAMES[kind]:
        if wanted.lower() in names:
            return workbook[names[wanted.lower()]]
    return None


def _open_sheet(reader: _Reader, workbook: Any, kind: str) -> _Sheet | None:
    worksheet = _find_sheet(workbook, kind)
    if worksheet is None:
        titles = list(workbook.sheetnames)
        close = did_you_mean(kind, titles)
        also = f' (is "{close}" meant to be "{kind}"?)' if close else ""
        also_zh = f"（“{close}”是否应为“{kind}”？）" if close else ""
        wanted = " or ".join(f'"{n}"' for n in SHEET_NAMES[kind])
        wanted_zh = "或".join(f"“{n}”" for n in SHEET_NAMES[kind])
        reader.add(
            "DJ211",
            None,
            None,
            None,
            f"the workbook has no sheet named {wanted}; its sheets are: " + ", ".join(titles),
            f"工作簿中没有名为{wanted_zh}的工作表；现有工作表：" + "、".join(titles),
            f'add a sheet named "{kind}" with the columns '
            + ", ".join(CSV_COLUMNS[kind])
            + f" (a header row alone is fine when there is no data){also}",
            f"请添加名为“{kind}”的工作表，第一行为列名："
            + ", ".join(CSV_COLUMNS[kind])
            + f"（没有数据时只留第一行列名即可）{also_zh}",
        )
        return None
    title = str(worksheet.title)
    rows = worksheet.iter_rows(values_only=True)
    header = next(rows, None)
    core = CSV_COLUMNS[kind]
    if header is None or not any(_text(h).strip() for h in header):
        reader.add(
            "DJ214",
            title,
            1,
            1,
            f'the sheet "{title}" is empty; its first row must name the columns',
            f"工作表“{title}”是空的；第一行应为列名",
            "columns: " + ", ".join(core),
            "列名：" + ", ".join(core),
        )
        return None
    names = [_text(h).strip() for h in header]
    while names and not names[-1]:
        names.pop()
    cells: dict[str, int] = {}
    columns: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        if not name:
            continue
        key = name.lower() if name.lower() in core else name
        if key in columns:
            reader.add(
                "DJ217",
                title,
                1,
                index + 1,
                f'the sheet "{title}" has two columns named "{name}"',
                f"工作表“{title}”中有两列都叫“{name}”",
                "rename or delete one of them",
                "请改名或删除其中一列",
            )
            continue
        columns[key] = index + 1
        if key in core:
            cells[key] = index
        else:
            extras.append((index, key))
    missing = [f for f in _REQUIRED[kind] if f not in cells]
    if kind == "events" and "member" not in cells and "organization" not in cells:
        missing.append("member")
    for field in missing:
        close = did_you_mean(field, [n for _, n in extras])
        also = f' (is "{close}" meant to be "{field}"?)' if close else ""
        also_zh = f"（“{close}”是否应为“{field}”？）" if close else ""
        reader.add(
            "DJ211",
            title,
            1,
            1,
            f'the sheet "{title}" has no "{field}" column; the first row must name the columns',
            f"工作表“{title}”缺少“{field}”列（第一行应为列名）",
            f'add a column named "{field}" to the first row{also}; the columns are: '
            + ", ".join(core),
            f"请在第一行加上“{field}”列{also_zh}；列名为：" + ", ".join(core),
        )
    if missing:
        return None
    width = len(names)
    for field in core:
        cells.setdefault(field, width)
    return _Sheet(kind, title, rows, width, cells, extras, columns)


def _rows(reader: _Reader, sheet: _Sheet) -> Iterator[tuple[int, list[object]]]:
    """(row number, values padded with one empty cell) for each row that is not blank."""
    width = sheet.width
    for number, raw in enumerate(sheet.rows, start=2):
        values = list(raw)
        if not any(v is not None and _text(v).strip() for v in values):
            continue
        for index in range(width, len(values)):
            if values[index] is not None and _text(values[index]).strip():
                shown = _text(values[index]).strip()
                reader.add(
                    "DJ214",
                    sheet.title,
                    number,
                    index + 1,
                    f'cell "{shown}" is in a column that has no name',
                    f"单元格“{shown}”所在的列没有列名",
                    "name the column in the first row, or clear the cell",
                    "请在第一行填写列名，或清空这个单元格",
                )
        del values[width:]
        values.extend([None] * (width + 1 - len(values)))
        yield number, values


def _split_roles(text: str) -> tuple[str, ...]:
    unified = text.replace("；", ";").replace("|", ";")
    return tuple(part for part in (p.strip() for p in unified.split(";")) if part)


def _read_organizations(reader: _Reader, sheet: _Sheet) -> list[Organization]:
    c = sheet.cells
    records: list[Organization] = []
    rows: list[int] = []
    for number, values in _rows(reader, sheet):
        rid = _text(values[c["id"]]).strip()
        kind = _text(values[c["kind"]]).strip()
        records.append(
            Organization(
                rid,
                _text(values[c["name"]]).strip(),
                _KIND_MAP.get(kind, kind),
                _text(values[c["parent"]]).strip() or None,
                _text(values[c["region"]]).strip() or None,
                reader.attributes(sheet, number, values, reader.schema.organization, rid),
            )
        )
        rows.append(number)
    reader.locations.sections["organizations"] = (sheet, rows)
    return records


def _read_members(reader: _Reader, sheet: _Sheet) -> list[Member]:
    c = sheet.cells
    records: list[Member] = []
    rows: list[int] = []
    for number, values in _rows(reader, sheet):
        rid = _text(values[c["id"]]).strip()
        status = _text(values[c["status"]]).strip()
        records.append(
            Member(
                rid,
                _text(values[c["name"]]).strip(),
                _text(values[c["organization"]]).strip(),
                _MEMBER_STATUS_MAP.get(status, status) if status else "full",
                reader.date(values[c["joined"]], sheet, number, "joined", rid),
                reader.date(values[c["left"]], sheet, number, "left", rid),
                _split_roles(_text(values[c["roles"]])),
                reader.attributes(sheet, number, values, reader.schema.member, rid),
            )
        )
        rows.append(number)
    reader.locations.sections["members"] = (sheet, rows)
    return records


def _read_events(reader: _Reader, sheet: _Sheet) -> list[Event]:
    c = sheet.cells
    schemas = reader.schema.events
    records: list[Event] = []
    rows: list[int] = []
    for number, values in _rows(reader, sheet):
        rid = _text(values[c["id"]]).strip()
        raw_date = values[c["date"]]
        date = reader.date(raw_date, sheet, number, "date", rid)
        if date is None:
            if raw_date is None or not _text(raw_date).strip():
                who, who_zh = _who("events", rid)
                reader.add(
                    "DJ211",
                    *reader.at(sheet, number, "date"),
                    f"{who} has no date",
                    f"{who_zh}没有填写日期",
                    _DATE_HINT,
                    _DATE_HINT_ZH,
                )
            continue  # an event without a date cannot be kept; its problem is reported
        status = _text(values[c["status"]]).strip()
        etype = _text(values[c["type"]]).strip()
        records.append(
            Event(
                rid,
                etype,
                date,
                _text(values[c["member"]]).strip() or None,
                _text(values[c["organization"]]).strip() or None,
                reader.date(values[c["end"]], sheet, number, "end", rid),
                reader.quantity(values[c["quantity"]], sheet, number, rid),
                _REVIEW_STATUS_MAP.get(status, status) if status else "approved",
                reader.attributes(sheet, number, values, schemas.get(etype, {}), rid),
            )
        )
        rows.append(number)
    reader.locations.sections["events"] = (sheet, rows)
    return records


def _in_sheet(problem: Problem, shown: str) -> Problem:
    """A problem the record checks located by row and column, named by its cell."""
    if isinstance(problem, SheetProblem) or problem.file != shown or problem.line is None:
        return problem
    sheet = (problem.path or "").split(".", 1)[0]
    values = attrs.asdict(problem, recurse=False)
    values["path"] = f"{_sheet_ref(sheet)}!{column_letter(problem.column or 1)}{problem.line}"
    return SheetProblem(**values)


def load_xlsx_dataset(
    path: str | os.PathLike[str], schema: DataSchema | None = None, lang: Language = "en"
) -> Dataset:
    """Load organizations, members and events from an .xlsx workbook.

    The sheets are shaped like the CSV files (docs/data-format.md); date cells and date
    text both work.  Raises :class:`ProblemsFound` with every problem, each located as
    ``FILE:SHEET!CELL``.
    """
    shown = os.fspath(path)
    openpyxl = openpyxl_module(lang)
    reader = _Reader(shown, schema if schema is not None else DataSchema())
    if not Path(shown).is_file():
        reader.add(
            "DJ219",
            None,
            None,
            None,
            f"the data file {shown} does not exist",
            f"数据文件 {shown} 不存在",
            "check the path and the file name",
            "请检查路径和文件名",
        )
        raise ProblemsFound(reader.problems)
    try:
        workbook = openpyxl.load_workbook(shown, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        reader.add(
            "DJ214",
            None,
            None,
            None,
            f"{shown} is not an Excel workbook (.xlsx) that can be read: {type(exc).__name__}",
            f"{shown} 不是可以读取的 Excel 工作簿（.xlsx）",
            "save it again from Excel or WPS as .xlsx (an old .xls file must be saved as .xlsx)",
            "请用 Excel 或 WPS 重新另存为 .xlsx 格式（旧的 .xls 文件须另存为 .xlsx）",
        )
        raise ProblemsFound(reader.problems) from None
    try:
        sheets = {kind: _open_sheet(reader, workbook, kind) for kind in SHEET_NAMES}
        if any(sheet is None for sheet in sheets.values()):
            raise ProblemsFound(reader.problems)
        organizations = _read_organizations(reader, _must(sheets["organizations"]))
        members = _read_members(reader, _must(sheets["members"]))
        events = _read_events(reader, _must(sheets["events"]))
    finally:
        workbook.close()
    checked = check_records(organizations, members, events, reader.locations)
    problems = reader.problems + [_in_sheet(p, shown) for p in checked]
    if problems:
        raise ProblemsFound(problems)
    return Dataset(
        organizations={o.id: o for o in organizations},
        members={m.id: m for m in members},
        events=tuple(events),
        source=shown,
    )


def _must(sheet: _Sheet | None) -> _Sheet:
    assert sheet is not None
    return sheet


def _data_cell(value: object) -> object:
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    return value


def dump_xlsx_dataset(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write a dataset as a workbook :func:`load_xlsx_dataset` reads back: the sheets
    organizations, members and events, core columns first, then the attributes (sorted),
    records in id order; dates as date cells, numbers exact."""
    book = _Book()
    sections: tuple[tuple[str, Sequence[Organization | Member | Event]], ...] = (
        ("organizations", sorted(dataset.organizations.values(), key=lambda r: r.id)),
        ("members", sorted(dataset.members.values(), key=lambda r: r.id)),
        ("events", sorted(dataset.events, key=lambda r: r.id)),
    )
    for section, records in sections:
        core = CSV_COLUMNS[section]
        names = sorted({name for record in records for name in record.attributes})
        sheet = book.sheet(section, [*core, *names], "B2", (12, 16))
        for record in records:
            attributes = record.attributes
            sheet.append(
                [
                    *(_data_cell(getattr(record, field)) for field in core),
                    *(_data_cell(attributes.get(name)) for name in names),
                ]
            )
    Path(path).write_bytes(book.save())
