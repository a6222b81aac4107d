"""Shared data for the report, export and Excel tests: a small synthetic city organs'
committee with every record type the shipped rulesets read, evaluated with all of them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest

from dangjian_rules.api import evaluate, load_rulesets
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.tools.generate import generate_county, write_csv_folder

ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class City:
    """A run over a small city: the rulesets it used, its data and where that data is."""

    rulesets: Sequence[Ruleset]
    dataset: Dataset
    run: RunResult
    folder: Path
    schema: DataSchema


def _city(paths: Sequence[Path], members: int, folder: Path) -> City:
    rulesets = load_rulesets(paths)
    schema = DataSchema()
    for ruleset in rulesets:
        schema = schema.merge(ruleset.schema)
    dataset = generate_county(members=members, seed=7, year=2015, profile="full")
    write_csv_folder(dataset, folder)
    run = evaluate(rulesets, dataset, Period.parse("2015"))
    used = {(r.id, r.version) for r in run.rulesets}
    return City([r for r in rulesets if (r.id, r.version) in used], dataset, run, folder, schema)


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    """Every shipped ruleset over 120 members in six branches."""
    return _city([ROOT / "rulesets"], 120, tmp_path_factory.mktemp("city") / "city-2015")


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> City:
    """Member points, the venue checklist and star branches over 40 members: a workbook
    small enough to read back quickly."""
    paths = [ROOT / "rulesets" / name for name in ("mianchi", "lingbao", "lushi")]
    return _city(paths, 40, tmp_path_factory.mktemp("small") / "small-2015")


@pytest.fixture(scope="session")
def rulesets_dir() -> Path:
    return ROOT / "rulesets"
