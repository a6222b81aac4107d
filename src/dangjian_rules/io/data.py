"""Loading, checking and writing datasets: a JSON file or a folder of three CSV files.

Loaders read everything they can, report every problem with its file, line and column,
and raise :class:`~dangjian_rules.errors.ProblemsFound` once, at the end.  A dataset is
returned only when nothing is wrong: no record is ever skipped silently.

The readers live in :mod:`~dangjian_rules.io.csv_reader` and
:mod:`~dangjian_rules.io.json_reader`, the writers in :mod:`~dangjian_rules.io.dumps`, the
checks of records against each other in :mod:`dangjian_rules.model.validate`; this module
gathers their public names.  Which reader takes a path is the loader plugins' choice
(:meth:`dangjian_rules.plugins.manager.Registry.load_data`).
"""

from __future__ import annotations

from dangjian_rules.io.csv_reader import load_csv_folder
from dangjian_rules.io.dumps import dump_csv_folder, dump_json_dataset
from dangjian_rules.io.json_reader import load_json_dataset
from dangjian_rules.io.load import CSV_COLUMNS
from dangjian_rules.model.records import validate_records
from dangjian_rules.model.validate import (
    DATA_PROBLEM_CODES,
    Location,
    RecordKey,
    check_records,
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
    "load_json_dataset",
    "validate_records",
]
