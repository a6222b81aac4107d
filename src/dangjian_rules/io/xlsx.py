"""Writing .xlsx workbooks with the standard library, streamed sheet by sheet (the same
content gives the same bytes), and what reading them needs: openpyxl, cell names.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from typing import IO, Any

import attrs

from dangjian_rules.errors import Language, Problem, UsageError
from dangjian_rules.io.messages import message
from dangjian_rules.model.result import format_decimal

#: Rows on one Excel sheet, the header included.
MAX_ROWS = 1_048_576


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


def sheet_ref(title: str) -> str:
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


class SheetWriter:
    """One worksheet being written: its rows go straight into the zip entry."""

    def __init__(
        self,
        book: Book,
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


class Book:
    """A workbook written sheet by sheet straight into a zip (no third-party library):
    inline strings, exact numbers, date cells, a styled and frozen header row, filters.
    The same content gives the same bytes."""

    def __init__(self, title: str = "") -> None:
        self.title = title
        self._titles: set[str] = set()
        self._sheets: list[tuple[str, str | None]] = []
        self._files: list[IO[bytes]] = []
        self._open: SheetWriter | None = None

    def sheet(
        self,
        title: str,
        header: Sequence[str],
        freeze: str = "A2",
        widths: Sequence[int] = (),
        filter_rows: bool = True,
    ) -> SheetWriter:
        self._finish()
        number = len(self._sheets) + 1
        out = SheetWriter(self, number, _sheet_title(title, self._titles), header, freeze, widths)
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
        """The workbook's bytes (held whole: :meth:`save_to` a file for a large one)."""
        buffer = io.BytesIO()
        self.save_to(buffer)
        return buffer.getvalue()

    def save_to(self, stream: IO[bytes]) -> None:
        """Write the workbook to ``stream``, sheet by sheet from their temporary files.
        A stream that cannot seek (a pipe) gets the bytes through a temporary file, since
        a zip written to it would differ (data descriptors) from the same run's file."""
        if not stream.seekable():
            with tempfile.TemporaryFile() as spooled:
                self.save_to(spooled)
                spooled.seek(0)
                shutil.copyfileobj(spooled, stream, 1 << 20)
            return
        self.zip = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED)
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
            + _escape(sheet_ref(title) + "!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref))
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
