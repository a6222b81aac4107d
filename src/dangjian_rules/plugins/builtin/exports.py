"""Built-in exports for large runs and for Excel: JSON Lines and .xlsx (reporters), and
.xlsx workbooks as data (a loader).

``--format jsonl`` writes one JSON object per subject result, each with its provenance,
so a city's run can be streamed into a database line by line.  ``--format xlsx`` writes a
workbook (needs ``pip install "dangjian-rules[excel]"``); so does reading ``--data
data.xlsx``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from dangjian_rules.convert.results import subject_result_json
from dangjian_rules.io.formats import DataLoader, Reporter, ReportOptions
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.compiled import Ruleset

#: the schema of each line of the jsonl format (docs/report.md)
LINE_SCHEMA = "dangjian-rules/result-line/1"


def write_jsonl(
    run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions, stream: IO[str]
) -> None:
    """One line per subject result, written as it is made: the result as in the JSON
    format, plus its provenance."""
    refs = {r.id: r for r in run.rulesets}
    period = {
        "start": run.period.start.isoformat(),
        "end": run.period.end.isoformat(),
        "label": run.period.label,
    }
    for result in run.results:
        ref = refs[result.ruleset]
        line: dict[str, Any] = {
            "schema": LINE_SCHEMA,
            "provenance": {
                "engine": run.engine,
                "period": period,
                "ruleset": {"id": ref.id, "version": ref.version, "sha256": ref.sha256},
                "data": run.data.sha256,
            },
            **subject_result_json(result, with_trace=options.with_trace),
        }
        stream.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_xlsx(
    run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions, stream: IO[bytes]
) -> None:
    from dangjian_rules.io.excel import write_workbook

    write_workbook(run, rulesets, stream, options.lang)


def _load_xlsx(path: Path, schema: DataSchema, encoding: str | None) -> Dataset:
    from dangjian_rules.io.excel import load_xlsx_dataset

    return load_xlsx_dataset(path, schema=schema)


JSONL = Reporter.streaming(
    "jsonl",
    "JSON Lines: one result per line with its provenance, for large runs",
    write_jsonl,
)
XLSX = Reporter.streaming(
    "xlsx",
    "an Excel workbook: a sheet per ruleset, the traces on their own sheet "
    '(pip install "dangjian-rules[excel]")',
    write_xlsx,
    binary=True,
)
XLSX_LOADER = DataLoader(
    name="xlsx",
    description="an Excel workbook (.xlsx) with the sheets organizations, members and events",
    accepts=lambda path: path.suffix.lower() == ".xlsx",
    load=_load_xlsx,
)


@hookimpl
def dangjian_rules_reporters() -> Sequence[Reporter]:
    return (JSONL, XLSX)


@hookimpl
def dangjian_rules_data_loaders() -> Sequence[DataLoader]:
    return (XLSX_LOADER,)
