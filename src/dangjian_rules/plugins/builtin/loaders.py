"""Built-in data loaders: one JSON file, or a folder of CSV files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dangjian_rules.io.csv_reader import load_csv_folder
from dangjian_rules.io.formats import DataLoader
from dangjian_rules.io.json_reader import load_json_dataset
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset
from dangjian_rules.plugins.hookspecs import hookimpl


def _json(path: Path, schema: DataSchema, encoding: str | None) -> Dataset:
    return load_json_dataset(path, schema=schema, encoding=encoding)


def _csv(path: Path, schema: DataSchema, encoding: str | None) -> Dataset:
    return load_csv_folder(path, schema=schema, encoding=encoding)


JSON_LOADER = DataLoader(
    name="json",
    description='one JSON file {"organizations": [...], "members": [...], "events": [...]}',
    accepts=lambda path: path.suffix.lower() == ".json",
    load=_json,
)
CSV_FOLDER_LOADER = DataLoader(
    name="csv-folder",
    description="a folder with organizations.csv, members.csv and events.csv",
    accepts=lambda path: path.is_dir(),
    load=_csv,
)


@hookimpl
def dangjian_rules_data_loaders() -> Sequence[DataLoader]:
    return (JSON_LOADER, CSV_FOLDER_LOADER)
