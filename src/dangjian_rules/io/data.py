"""Loading, checking and writing datasets: a JSON file or a folder of three CSV files.

Loaders read everything they can, report every problem with its file, line and column,
and raise :class:`~dangjian_rules.errors.ProblemsFound` once, at the end.  A dataset is
returned only when nothing is wrong: no record is ever skipped silently.

The readers live in :mod:`~dangjian_rules.io.csv_reader` and
:mod:`~dangjian_rules.io.json_reader`, the writers in :mod:`~dangjian_rules.io.dumps`, the
checks of records against each other in :mod:`dangjian_rules.model.validate`; this module
gathers their public names and picks the reader for a path.
"""

from __future__ import annotations

import os
from pathlib import Path

from dangjian_rules.errors import ProblemsFound
from dangjian_rules.io.csv_reader import load_csv_folder
from dangjian_rules.io.dumps import dump_csv_folder, dump_json_dataset
from dangjian_rules.io.json_reader import load_json_dataset
from dangjian_rules.io.load import CSV_COLUMNS, codec
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset, validate_records
from dangjian_rules.model.validate import (
    DATA_PROBLEM_CODES,
    Location,
    RecordKey,
    check_records,
    located_problem,
)

__all__ = [
    "CSV_COLUMNS",
    "DATA_PROBLEM_CODES",
    "Location",
    "RecordKey",
    "check_records",
    "dump_csv_folder",
    "dump_json_dataset",
    "load_csv_folder",
    "load_dataset",
    "load_json_dataset",
    "validate_records",
]


def load_dataset(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
) -> Dataset:
    """Load a dataset from a JSON file or from a folder of three CSV files.

    ``encoding`` defaults to UTF-8 (with or without a byte-order mark); files saved by
    Excel or WPS in China usually need ``"gb18030"``.  Raises :class:`ProblemsFound`
    listing every problem, each with its file, line and column.
    """
    base = Path(path)
    if base.is_dir():
        return load_csv_folder(path, schema, encoding)
    codec(encoding)
    shown = str(path)
    if not base.exists() or base.suffix.lower() == ".csv":
        if base.suffix.lower() == ".csv":
            message = f"{shown} is one CSV file; give the folder that holds the three files"
            message_zh = f"{shown} 只是一个 CSV 文件；请给出存放三个 CSV 文件的文件夹"
        else:
            message = f"{shown} does not exist"
            message_zh = f"{shown} 不存在"
        raise ProblemsFound(
            [
                located_problem(
                    "DJ219",
                    Location(shown),
                    message,
                    message_zh,
                    "give a .json file, or a folder holding organizations.csv, members.csv "
                    "and events.csv",
                    "请给出一个 .json 文件，或存放 organizations.csv、members.csv、events.csv "
                    "的文件夹",
                )
            ]
        )
    return load_json_dataset(path, schema, encoding)
