"""Datasets in .xlsx workbooks: organizations, members and events from the sheets
``organizations``, ``members`` and ``events`` (or 党组织, 党员, 活动记录), shaped like the
CSV files (docs/data-format.md), each problem at its sheet and cell (``data.xlsx:events!B7``);
and a dataset written as such a workbook.  Reading needs openpyxl (the ``excel`` extra).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from xml.etree.ElementTree import ParseError

import attrs

from dangjian_rules.convert.records import RecordBuilder
from dangjian_rules.errors import Language, Problem, ProblemsFound, did_you_mean
from dangjian_rules.io.load import CSV_COLUMNS, REQUIRED_FIELDS, RecordPlaces
from dangjian_rules.io.xlsx import Book, SheetProblem, column_letter, openpyxl_module, sheet_ref
from dangjian_rules.limits import FileRefused, check_regular_file
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
)
from dangjian_rules.model.records import (
    Dataset,
    Event,
    Member,
    Organization,
)
from dangjian_rules.model.validate import Location, check_records

#: The sheets a data workbook holds, each with the names it may have.
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "organizations": ("organizations", "党组织"),
    "members": ("members", "党员"),
    "events": ("events", "活动记录", "记录"),
}
_DATE_FIELDS = frozenset(("joined", "left", "date", "end"))
_NO_SPECS: Mapping[str, FieldSpec] = {}
_R = TypeVar("_R", Organization, Member, Event)
_DATE_HINT = "write dates as 2015-03-01, or format the column as a date"
_DATE_HINT_ZH = "日期请写成 2015-03-01，或把该列设为日期格式"


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


class _Reader:
    """The state of one workbook load: problems found so far and record places."""

    def __init__(self, shown: str, schema: DataSchema) -> None:
        self.shown = shown
        self.schema = schema
        self.problems: list[Problem] = []
        self.locations = RecordPlaces()
        #: per sheet title, the formula (text) of each (row, column) cell that has one
        self.formulas: dict[str, dict[tuple[int, int], str]] = {}

    def uncomputed(self, title: str, row: int, values: Sequence[object]) -> bool:
        """Report each formula cell of the row whose computed value the file lacks (it
        would read as empty); whether there was any."""
        formulas = self.formulas.get(title)
        if not formulas:
            return False
        found = False
        for index, value in enumerate(values):
            formula = formulas.get((row, index + 1)) if value is None else None
            if formula is not None:
                found = True
                cell = f"{sheet_ref(title)}!{column_letter(index + 1)}{row}"
                self.add(
                    "DJ221",
                    title,
                    row,
                    index + 1,
                    f'cell {cell} holds the formula "{formula}" but no computed value (the '
                    "program that saved the file does not compute formulas); it is not read "
                    "as empty",
                    f"单元格 {cell} 是公式“{formula}”，但文件中没有它的计算结果（保存文件的程序"
                    "不计算公式）；不会当作空单元格读取",
                    "open and save the file in Excel or WPS so that formulas are computed, or "
                    "type the values",
                    "请用 Excel 或 WPS 打开并保存文件以计算公式，或直接填写数值",
                )
        return found

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
            path = sheet_ref(sheet)
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

    def report(
        self,
        key: tuple[_Sheet, int],
        field: str,
        code: str,
        message: str,
        message_zh: str,
        hint: str | None,
        hint_zh: str | None,
    ) -> None:
        """A problem the record builder found in the row ``key``, at the field's cell."""
        sheet, row = key
        column = field.removeprefix("attributes.")  # extra fields are columns of their own
        self.add(code, *self.at(sheet, row, column), message, message_zh, hint, hint_zh)


def _date_cell(value: object) -> object:
    """A date cell as a date (a time of day is refused); other cells as their text."""
    if value is None or type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    return _text(value)


def _attribute_cell(value: object, spec: FieldSpec | None) -> object:
    """An extra field's cell as the builder types it: text, but a true/false cell and a
    date cell stay what they are where the field is typed."""
    if value is None or spec is None:
        return None if value is None else _text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, bool) or (isinstance(value, dt.date) and spec.type == "date"):
        return value
    return _text(value)


def _raw_record(sheet: _Sheet, values: Sequence[object], schema: DataSchema) -> dict[str, object]:
    """A row as the record builder reads it: core fields by name, extra ones under
    ``attributes``; numbers are text (Excel keeps them as floats), dates are dates."""
    c = sheet.cells
    raw: dict[str, object] = {}
    for field in CSV_COLUMNS[sheet.kind]:
        value = values[c[field]]
        if field in _DATE_FIELDS:
            raw[field] = _date_cell(value)
        elif field == "quantity" and type(value) is int:
            raw[field] = value
        else:
            raw[field] = None if value is None else _text(value)
    if sheet.kind == "events":
        specs = schema.events.get(str(raw["type"] or "").strip(), _NO_SPECS)
    else:
        specs = schema.organization if sheet.kind == "organizations" else schema.member
    raw["attributes"] = {
        name: _attribute_cell(values[index], specs.get(name)) for index, name in sheet.extras
    }
    return raw


def _find_sheet(reader: _Reader, workbook: Any, kind: str) -> Any | None:
    """The sheet of the table ``kind``; None (reported) when there is none, or several."""
    wanted = {name.lower() for name in SHEET_NAMES[kind]}
    titles = [t for t in workbook.sheetnames if t.strip().lower() in wanted]
    if len(titles) > 1:
        shown = ", ".join(f'"{t}"' for t in titles)
        reader.add(
            "DJ222",
            None,
            None,
            None,
            f"the workbook has {len(titles)} sheets for {kind}: {shown}; which one holds the "
            "data is unknown",
            f"工作簿中有 {len(titles)} 个工作表都是 {kind}：{shown}；无法确定数据在哪一个",
            "keep the data in one sheet and delete or rename the others",
            "请把数据放在一个工作表中，删除其他工作表或改名",
        )
        return None
    if not titles:
        _no_sheet(reader, workbook, kind)
        return None
    return workbook[titles[0]]


def _open_sheet(reader: _Reader, workbook: Any, kind: str) -> _Sheet | None:
    worksheet = _find_sheet(reader, workbook, kind)
    if worksheet is None:
        return None
    title = str(worksheet.title)
    rows = worksheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is not None and reader.uncomputed(title, 1, header):
        return None
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
    if _missing_columns(reader, title, kind, cells, extras):
        return None
    width = len(names)
    for field in core:
        cells.setdefault(field, width)
    return _Sheet(kind, title, rows, width, cells, extras, columns)


def _no_sheet(reader: _Reader, workbook: Any, kind: str) -> None:
    """Report a sheet the workbook lacks, naming the sheets it has."""
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


def _missing_columns(
    reader: _Reader, title: str, kind: str, cells: dict[str, int], extras: list[tuple[int, str]]
) -> bool:
    """Report the required columns the sheet lacks; whether there are any."""
    core = CSV_COLUMNS[kind]
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in cells]
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
    return bool(missing)


def _rows(reader: _Reader, sheet: _Sheet) -> Iterator[tuple[int, list[object]]]:
    """(row number, values padded with one empty cell) for each row that is not blank."""
    width = sheet.width
    for number, raw in enumerate(sheet.rows, start=2):
        values = list(raw)
        if reader.uncomputed(sheet.title, number, values):
            continue  # the row is not built: its values are not known
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


def _row_location(shown: str, sheet: _Sheet, rows: list[int], index: int) -> Location:
    """Where the record at ``index`` of a sheet is: its row, and the column of each field."""
    row = rows[index]
    fields = {name: (row, column) for name, column in sheet.columns.items()}
    return Location(shown, row, 1, sheet.title, fields)


def _read(
    reader: _Reader,
    sheet: _Sheet,
    build: Callable[[tuple[_Sheet, int], dict[str, object]], _R | None],
) -> list[_R]:
    """The records of one sheet, each built by the one record builder."""
    records: list[_R] = []
    rows: list[int] = []
    for number, values in _rows(reader, sheet):
        record = build((sheet, number), _raw_record(sheet, values, reader.schema))
        if record is not None:
            records.append(record)
            rows.append(number)
    reader.locations.add(sheet.kind, rows, partial(_row_location, reader.shown, sheet, rows))
    return records


def _in_sheet(problem: Problem, shown: str) -> Problem:
    """A problem the record checks located by row and column, named by its cell."""
    if isinstance(problem, SheetProblem) or problem.file != shown or problem.line is None:
        return problem
    sheet = (problem.path or "").split(".", 1)[0]
    values = attrs.asdict(problem, recurse=False)
    values["path"] = f"{sheet_ref(sheet)}!{column_letter(problem.column or 1)}{problem.line}"
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
    try:  # a regular file within the size limit: openpyxl would wait on a FIFO
        check_regular_file(shown, "data_bytes")
    except FileRefused as exc:
        reader.add(
            "DJ231",
            None,
            None,
            None,
            f"the data file {shown} is not read: {exc.strerror}",
            f"不读取数据文件 {shown}：{exc.message_zh}",
            *exc.hints,
        )
        raise ProblemsFound(reader.problems) from None
    except OSError:
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
        raise ProblemsFound(reader.problems) from None
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
    if _has_formulas(shown):
        reader.formulas = _formula_cells(openpyxl, shown)
    try:
        sheets = {kind: _open_sheet(reader, workbook, kind) for kind in SHEET_NAMES}
        if any(sheet is None for sheet in sheets.values()):
            raise ProblemsFound(reader.problems)
        build: RecordBuilder[tuple[_Sheet, int]] = RecordBuilder(
            reader.schema, reader.report, (_DATE_HINT, _DATE_HINT_ZH)
        )
        organizations = _read(reader, _must(sheets["organizations"]), build.organization)
        members = _read(reader, _must(sheets["members"]), build.member)
        events = _read(reader, _must(sheets["events"]), build.event)
    except ParseError as exc:  # entity expansion past expat's limit, broken XML in a sheet
        reader.add(
            "DJ214",
            None,
            None,
            None,
            f"{shown} holds XML that cannot be read safely: {exc}",
            f"{shown} 中的 XML 无法安全读取：{exc}",
            "save it again from Excel or WPS as .xlsx",
            "请用 Excel 或 WPS 重新另存为 .xlsx 格式",
        )
        raise ProblemsFound(reader.problems) from None
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


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formulas(path: str) -> bool:
    """Whether any sheet of the workbook holds a formula (``<f>`` in its XML), read in
    pieces: most workbooks have none, and then they are read once."""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(name) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        if _FORMULA_TAG.search(tail + chunk):
                            return True
                        tail = chunk[-64:]
    except (OSError, zipfile.BadZipFile):
        return False  # openpyxl opened it already and reports what it cannot read
    return False


def _formula_cells(openpyxl: Any, path: str) -> dict[str, dict[tuple[int, int], str]]:
    """The formula of each formula cell, per sheet: the values-only read gives None for
    one whose computed value the file lacks, which must not pass for an empty cell."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found: dict[str, dict[tuple[int, int], str]] = {}
        for worksheet in workbook.worksheets:
            cells = found.setdefault(str(worksheet.title), {})
            for row in worksheet.iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        cells[(cell.row, cell.column)] = str(
                            getattr(cell.value, "text", cell.value)
                        )
        return found
    finally:
        workbook.close()


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
    book = Book()
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
