"""Reading a folder of three CSV files (organizations, members, events) into a dataset."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import attrs

from dangjian_rules.collector import collector_paused
from dangjian_rules.convert.records import split_roles
from dangjian_rules.errors import ProblemsFound, did_you_mean
from dangjian_rules.io.load import (
    CSV_COLUMNS,
    FOLDER_HINT,
    FOLDER_HINT_ZH,
    REQUIRED_FIELDS,
    LoadState,
)
from dangjian_rules.io.safe_text import plain_cell
from dangjian_rules.model.fields import (
    DataSchema,
    FieldSpec,
)
from dangjian_rules.model.records import (
    KIND_OF,
    MEMBER_STATUS_OF,
    REVIEW_STATUS_OF,
    AttributeValue,
    Dataset,
    Event,
    Member,
    Organization,
)
from dangjian_rules.model.validate import (
    Location,
)


@attrs.define
class _Table:
    """One CSV file after its header row: which cell holds which field."""

    file: str
    reader: Any  # a csv reader; typeshed names its class _csv.Reader, private
    width: int
    #: core field -> 0-based cell index; an absent column points at the padding cell
    cells: dict[str, int]
    #: attribute columns: (cell index, name)
    extras: list[tuple[int, str]]
    #: field or attribute name -> 1-based column, for locations
    columns: dict[str, int]
    unnamed: list[int]

    def at(self, line: int, field: str | None = None) -> Location:
        return Location(self.file, line, self.columns.get(field, 1) if field else 1)

    def at_line(self, line: int) -> Callable[[str], Location]:
        """Where each field of the row at ``line`` is (for the record builder)."""
        return partial(self.at, line)

    def record_location(self, lines: Sequence[int]) -> Callable[[int], Location]:
        def make(index: int) -> Location:
            line = lines[index]
            fields = {name: (line, column) for name, column in self.columns.items()}
            return Location(self.file, line, 1, None, fields)

        return make


def _open_table(load: LoadState, path: Path, kind: str) -> _Table | None:
    """Read the header row; None (after reporting) when the file cannot be used."""
    text = load.read_text(path)
    if text is None:
        return None
    shown = str(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        _csv_error(load, shown, reader.line_num, exc)
        return None
    if header is None or not any(h.strip() for h in header):
        load.add(
            "DJ214",
            Location(shown, 1),
            f"{shown} is empty; its first row must name the columns",
            f"{shown} 是空的；第一行应为列名",
            "columns: " + ", ".join(CSV_COLUMNS[kind]),
            "列名：" + ", ".join(CSV_COLUMNS[kind]),
        )
        return None
    width = len(header)
    core = CSV_COLUMNS[kind]
    cells: dict[str, int] = {}
    columns: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    unnamed: list[int] = []
    for index, raw in enumerate(header):
        name = raw.strip()
        key = name.lower() if name.lower() in core else name
        if not name:
            unnamed.append(index)
        elif key in columns:
            load.add(
                "DJ217",
                Location(shown, 1, index + 1),
                f'{shown} has two columns named "{name}"',
                f"{shown} 中有两列都叫“{name}”",
                "rename or delete one of them",
                "请改名或删除其中一列",
            )
        else:
            columns[key] = index + 1
            if key in core:
                cells[key] = index
            else:
                extras.append((index, key))
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in cells]
    if kind == "events" and "member" not in cells and "organization" not in cells:
        missing.append("member")
    others = [name for _, name in extras]
    for field in missing:
        close = did_you_mean(field, others)
        also = f' (is "{close}" meant to be "{field}"?)' if close else ""
        also_zh = f"（“{close}”是否应为“{field}”？）" if close else ""
        message = f'{shown} has no "{field}" column; the first row must name the columns'
        message_zh = f"{shown} 缺少“{field}”列（第一行应为列名）"
        if kind == "events" and field == "member":
            message = f'{shown} has neither a "member" nor an "organization" column'
            message_zh = f"{shown} 既没有“member”列，也没有“organization”列"
        load.add(
            "DJ211",
            Location(shown, 1),
            message,
            message_zh,
            f'add a column named "{field}" to the first row{also}; the columns are: '
            + ", ".join(core),
            f"请在第一行加上“{field}”列{also_zh}；列名为：" + ", ".join(core),
        )
    if missing:
        return None
    for field in core:
        cells.setdefault(field, width)
    return _Table(shown, reader, width, cells, extras, columns, unnamed)


def _csv_error(load: LoadState, shown: str, line: int, exc: csv.Error) -> None:
    load.add(
        "DJ214",
        Location(shown, line or 1),
        f"{shown} is not valid CSV: {exc}",
        f"{shown} 不是有效的 CSV 文件：{exc}",
        "save the file again from Excel or WPS as CSV",
        "请用 Excel 或 WPS 重新另存为 CSV 文件",
    )


def _rows(load: LoadState, table: _Table, kind: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the row starts, cells padded with one empty cell) per row;
    blank rows are not records and are passed over."""
    reader = table.reader
    width = table.width
    last = reader.line_num
    try:
        for row in reader:
            start = last + 1
            last = reader.line_num
            if len(row) != width:
                if not any(row):
                    continue
                if len(row) > width:
                    _long_row(load, table, start, row)
                    del row[width:]
                else:
                    row.extend([""] * (width - len(row)))
            elif not any(row):
                continue
            for index in table.unnamed:
                if row[index].strip():
                    load.add(
                        "DJ214",
                        Location(table.file, start, index + 1),
                        f'cell "{row[index].strip()}" is in a column that has no name',
                        f"单元格“{row[index].strip()}”所在的列没有列名",
                        "name the column in the first row, or clear the cell",
                        "请在第一行填写列名，或清空这个单元格",
                    )
            row.append("")
            if "'" in "".join(row):  # rare: only then look at each cell
                row = [plain_cell(cell) for cell in row]
            yield start, row
    except csv.Error as exc:
        _csv_error(load, table.file, reader.line_num, exc)
        load.incomplete.add(kind)


def _long_row(load: LoadState, table: _Table, line: int, row: list[str]) -> None:
    if not any(cell.strip() for cell in row[table.width :]):
        return
    load.add(
        "DJ214",
        Location(table.file, line, table.width + 1),
        f"this row has {len(row)} cells but the first row names {table.width} columns",
        f"这一行有 {len(row)} 个单元格，但第一行只有 {table.width} 个列名",
        "a cell may hold a comma without quotes around it; quote it or delete the extra cells",
        "可能某个单元格里有逗号却没有加引号；请加上引号或删除多余的单元格",
    )


def _csv_attributes(
    table: _Table, specs: Mapping[str, FieldSpec]
) -> list[tuple[int, str, FieldSpec | None]]:
    return [(index, name, specs.get(name)) for index, name in table.extras]


def _read_organizations_csv(load: LoadState, path: Path) -> list[Organization]:
    table = _open_table(load, path, "organizations")
    if table is None:
        load.incomplete.add("organizations")
        return []
    c = table.cells
    i_id, i_name, i_kind, i_parent, i_region = (c[f] for f in CSV_COLUMNS["organizations"])
    extras = _csv_attributes(table, load.schema.organization)
    records: list[Organization] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "organizations"):
        rid = row[i_id].strip()
        kind = row[i_kind].strip()
        attributes = _row_attributes(load, table, line, row, extras, "organizations", rid)
        records.append(
            Organization(
                rid,
                row[i_name].strip(),
                KIND_OF.get(kind, kind),
                row[i_parent].strip() or None,
                row[i_region].strip() or None,
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("organizations", lines, table.record_location(lines))
    return records


def _read_members_csv(load: LoadState, path: Path) -> list[Member]:
    table = _open_table(load, path, "members")
    if table is None:
        load.incomplete.add("members")
        return []
    c = table.cells
    i_id, i_name, i_org, i_status, i_joined, i_left, i_roles = (
        c[f] for f in CSV_COLUMNS["members"]
    )
    extras = _csv_attributes(table, load.schema.member)
    build = load.builder
    dates = build.dates
    records: list[Member] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "members"):
        rid = row[i_id].strip()
        status = row[i_status].strip()
        text = row[i_joined]
        joined = (
            (
                dates.get(text)
                or build.date(table.at_line(line), "members", rid, "joined", text, False)
            )
            if text
            else None
        )
        text = row[i_left]
        left = (
            (
                dates.get(text)
                or build.date(table.at_line(line), "members", rid, "left", text, False)
            )
            if text
            else None
        )
        attributes = _row_attributes(load, table, line, row, extras, "members", rid)
        records.append(
            Member(
                rid,
                row[i_name].strip(),
                row[i_org].strip(),
                MEMBER_STATUS_OF.get(status, status) if status else "full",
                joined,
                left,
                split_roles(row[i_roles]),
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("members", lines, table.record_location(lines))
    return records


def _read_events_csv(load: LoadState, path: Path) -> list[Event]:
    table = _open_table(load, path, "events")
    if table is None:
        load.incomplete.add("events")
        return []
    c = table.cells
    i_id, i_type, i_member, i_org, i_date, i_end, i_quantity, i_status = (
        c[f] for f in CSV_COLUMNS["events"]
    )
    schemas = load.schema.events
    extras_by_type: dict[str, list[tuple[int, str, FieldSpec | None]]] = {}
    build = load.builder
    dates = build.dates
    decimals = build.decimals
    records: list[Event] = []
    lines: list[int] = []
    for line, row in _rows(load, table, "events"):
        rid = row[i_id].strip()
        text = row[i_date]
        date = dates.get(text)
        if date is None:
            date = build.date(table.at_line(line), "events", rid, "date", text, True)
            if date is None:
                continue  # an event without a date cannot be kept; its problem is reported
        text = row[i_end]
        end = (
            (dates.get(text) or build.date(table.at_line(line), "events", rid, "end", text, False))
            if text
            else None
        )
        text = row[i_quantity]
        quantity = None
        if text:
            quantity = decimals.get(text)
            if quantity is None:
                quantity = build.quantity(table.at_line(line), rid, text)
        status = row[i_status].strip()
        etype = row[i_type].strip()
        extras = extras_by_type.get(etype)
        if extras is None:
            extras = _csv_attributes(table, schemas.get(etype, {}))
            extras_by_type[etype] = extras
        attributes = (
            _row_attributes(load, table, line, row, extras, "events", rid) if extras else {}
        )
        records.append(
            Event(
                rid,
                etype,
                date,
                row[i_member].strip() or None,
                row[i_org].strip() or None,
                end,
                quantity,
                REVIEW_STATUS_OF.get(status, status) if status else "approved",
                attributes,
            )
        )
        lines.append(line)
    load.locations.add("events", lines, table.record_location(lines))
    return records


def _row_attributes(
    load: LoadState,
    table: _Table,
    line: int,
    row: list[str],
    extras: list[tuple[int, str, FieldSpec | None]],
    kind: str,
    rid: str,
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    for index, name, spec in extras:
        text = row[index].strip()
        if not text:
            continue
        if spec is None:
            attributes[name] = text
            continue
        value = load.builder.attribute(table.at_line(line), kind, rid, name, spec, text)
        if value is not None:
            attributes[name] = value
    return attributes


def load_csv_folder(
    folder: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load ``organizations.csv``, ``members.csv`` and ``events.csv`` from a folder.

    Extra columns become attributes, typed by ``schema``.  Raises :class:`ProblemsFound`
    with every problem of all three files.
    """
    load = LoadState(schema, encoding)
    with collector_paused():
        return _load_csv_folder(load, folder)


def _load_csv_folder(load: LoadState, folder: str | os.PathLike[str]) -> Dataset:
    base = Path(folder)
    if not base.is_dir():
        load.add(
            "DJ219",
            Location(str(folder)),
            f"the data folder {folder} does not exist",
            f"数据文件夹 {folder} 不存在",
            FOLDER_HINT,
            FOLDER_HINT_ZH,
        )
        raise ProblemsFound(load.problems)
    organizations = _read_organizations_csv(load, base / "organizations.csv")
    members = _read_members_csv(load, base / "members.csv")
    events = _read_events_csv(load, base / "events.csv")
    return load.finish(organizations, members, events, str(folder))
