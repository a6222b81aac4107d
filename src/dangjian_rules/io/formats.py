"""Data loaders and reporters: the formats data comes in and results go out in.

Built-in ones are plugins (``builtin/loaders.py``, ``builtin/reporters.py``); a plugin
adds more through the ``dangjian_rules_data_loaders`` and ``dangjian_rules_reporters``
hooks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dangjian_rules.errors import Language, Problem, ProblemsFound
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset

if TYPE_CHECKING:
    from dangjian_rules.model.result import RunResult
    from dangjian_rules.plugins.manager import Registry
    from dangjian_rules.ruleset.compiled import Ruleset


@attrs.frozen
class DataLoader:
    """Reads a dataset from a path it accepts."""

    name: str
    description: str
    accepts: Callable[[Path], bool]
    #: (path, schema of declared fields, encoding or None) → dataset; raises ProblemsFound
    load: Callable[[Path, DataSchema, str | None], Dataset]


@attrs.frozen
class ReportOptions:
    """What a reporter may be asked for on the command line."""

    lang: Language = "en"
    limit: int | None = None
    with_trace: bool = True


@attrs.frozen
class Reporter:
    """Renders a run as text (a table, JSON, CSV …) or, when ``binary``, as bytes (a
    workbook …)."""

    name: str
    description: str
    #: text (``str``) for a text format; ``bytes`` for a binary one
    render: Callable[[RunResult, Sequence[Ruleset], ReportOptions], str | bytes]
    #: encoding when written to a file (CSV gets a BOM so Excel reads Chinese right)
    file_encoding: str = "utf-8"
    #: the output is bytes: written to a file (or a pipe), never to a terminal
    binary: bool = False

    def render_bytes(
        self, run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions
    ) -> bytes:
        """What ``--output FILE`` holds: the bytes, or the text in ``file_encoding``."""
        output = self.render(run, rulesets, options)
        return output if isinstance(output, bytes) else output.encode(self.file_encoding)


def load_data(
    path: str | os.PathLike[str],
    schema: DataSchema | None = None,
    encoding: str | None = None,
    registry: Registry | None = None,
) -> Dataset:
    """Load data with the first loader (installed plugins first) that accepts the path."""
    from dangjian_rules.plugins.manager import default_registry

    registry = registry or default_registry()
    target = Path(path)
    loader = registry.loader_for(target)
    if loader is None:
        names = ", ".join(loader.name for loader in registry.loaders)
        raise ProblemsFound(
            [
                Problem(
                    code="DJ211",
                    message=(
                        "no data here in a format I can read"
                        if not target.exists()
                        else "this data format is not known"
                    )
                    + f" (known formats: {names})",
                    message_zh=("找不到数据" if not target.exists() else "无法识别的数据格式")
                    + f"（可读取的格式：{names}）",
                    file=os.fspath(path),
                    hint="give a .json file, an .xlsx workbook, or a folder with "
                    "organizations.csv, members.csv and events.csv",
                    hint_zh="请提供 .json 文件、.xlsx 工作簿，或包含 organizations.csv、members.csv、"
                    "events.csv 的文件夹",
                )
            ]
        )
    with registry.guard(f'loading data with the "{loader.name}" loader'):
        return loader.load(target, schema or DataSchema(), encoding)
