"""Writing a dataset as one JSON file or as a folder of three CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from dangjian_rules.errors import UsageError
from dangjian_rules.io.load import (
    CSV_COLUMNS,
)
from dangjian_rules.io.safe_text import SpreadsheetWriter
from dangjian_rules.model.records import (
    Dataset,
    Event,
    Member,
    Organization,
    record_dict,
)

# -- writing -------------------------------------------------------------------------------


def dump_json_dataset(dataset: Dataset, path: str | os.PathLike[str]) -> None:
    """Write the dataset as JSON (UTF-8), records in the dataset's order.

    Dates and decimals are written as text; :func:`load_json_dataset` reads them back.
    """
    document = {
        "organizations": [record_dict(o) for o in dataset.organizations.values()],
        "members": [record_dict(m) for m in dataset.members.values()],
        "events": [record_dict(e) for e in dataset.events],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


def dump_csv_folder(
    dataset: Dataset,
    folder: str | os.PathLike[str],
    encoding: str = "utf-8-sig",
) -> None:
    """Write ``organizations.csv``, ``members.csv`` and ``events.csv`` into a folder.

    Attribute columns (the union of attribute names, sorted) follow the core columns.
    The default encoding writes a byte-order mark so that Excel shows Chinese correctly.
    """
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    sections: tuple[tuple[str, Sequence[Organization | Member | Event]], ...] = (
        ("organizations", list(dataset.organizations.values())),
        ("members", list(dataset.members.values())),
        ("events", dataset.events),
    )
    for section, records in sections:
        core = CSV_COLUMNS[section]
        names = sorted({name for record in records for name in record.attributes})
        for name in names:
            if not name.strip() or name != name.strip() or name.lower() in core:
                raise UsageError(
                    f'{section}: attribute "{name}" cannot be a CSV column (it is empty, has '
                    "spaces around it or is the name of a core column); write JSON instead"
                )
        with (base / f"{section}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = SpreadsheetWriter(csv.writer(handle))
            writer.writerow([*core, *names])
            for record in records:
                attributes = record.attributes
                row = [_cell(getattr(record, field)) for field in core]
                row.extend(_cell(attributes.get(name)) for name in names)
                writer.writerow(row)
