"""Data loaders and reporters: the formats data comes in and results and problems go out in.

Built-in ones are plugins (``builtin/loaders.py``, ``builtin/reporters.py``,
``builtin/check_reporters.py``); a plugin adds more through the
``dangjian_rules_data_loaders``, ``dangjian_rules_reporters`` and
``dangjian_rules_check_reporters`` hooks.  Which loader reads a path is the plugin
registry's choice (``Registry.load_data``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from dangjian_rules.errors import Language, Problem
from dangjian_rules.io.safe_text import printable
from dangjian_rules.model.fields import DataSchema
from dangjian_rules.model.records import Dataset

if TYPE_CHECKING:
    from dangjian_rules.model.result import RunResult
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
    """What a reporter may be asked for on the command line, and what some need besides
    the run: the HTML report reads the data (organization tree, names, regions) and the
    previous period's result."""

    lang: Language = "en"
    limit: int | None = None
    with_trace: bool = True
    #: the data the run was evaluated on (None when the caller does not have it)
    dataset: Dataset | None = None
    #: how the HTML report groups subjects: ``auto``, ``region`` or ``top``
    group_by: str = "auto"
    #: the HTML report's per-subject explanations
    drill_down: bool = True
    previous: RunResult | None = None


#: (run, rulesets, options) → the whole output: ``str`` for a text format, ``bytes`` for a
#: binary one
Render = Callable[["RunResult", Sequence["Ruleset"], ReportOptions], "str | bytes"]
#: (run, rulesets, options, stream) → None: writes the output to the stream (a text stream,
#: or a binary one for a binary format) as it is produced
Write = Callable[["RunResult", Sequence["Ruleset"], ReportOptions, IO[Any]], None]


@attrs.frozen
class Reporter:
    """Renders a run as text (a table, JSON, CSV …) or, when ``binary``, as bytes (a
    workbook …).  One that also has ``write`` is written to its file or stdout as it is
    produced, so a large run's output is never held whole (docs/plugins.md)."""

    name: str
    description: str
    #: text (``str``) for a text format; ``bytes`` for a binary one
    render: Render
    #: encoding when written to a file (CSV gets a BOM so Excel reads Chinese right)
    file_encoding: str = "utf-8"
    #: the output is bytes: written to a file (or a pipe), never to a terminal
    binary: bool = False
    #: the streaming form of ``render``; without it the commands write ``render``'s output
    write: Write | None = attrs.field(default=None, kw_only=True)

    @classmethod
    def streaming(
        cls,
        name: str,
        description: str,
        write: Write,
        file_encoding: str = "utf-8",
        binary: bool = False,
    ) -> Reporter:
        """A reporter defined by its ``write`` alone; its ``render`` collects what
        ``write`` writes, so both give the same output by construction."""

        def render(run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions) -> Any:
            buffer: io.BytesIO | io.StringIO = io.BytesIO() if binary else io.StringIO()
            write(run, rulesets, options, buffer)
            return buffer.getvalue()

        return cls(name, description, render, file_encoding, binary, write=write)

    def write_to(
        self, run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions, stream: IO[Any]
    ) -> None:
        """Write the output to ``stream`` (text, or binary for a binary format): as it is
        produced when the reporter has ``write``, else ``render``'s output at once."""
        if self.write is not None:
            self.write(run, rulesets, options, stream)
        else:
            stream.write(self.render(run, rulesets, options))

    def render_bytes(
        self, run: RunResult, rulesets: Sequence[Ruleset], options: ReportOptions
    ) -> bytes:
        """What ``--output FILE`` holds: the bytes, or the text in ``file_encoding``."""
        output = self.render(run, rulesets, options)
        return (
            output
            if isinstance(output, bytes)
            else output.encode(self.file_encoding, "backslashreplace")
        )


@attrs.frozen
class CheckReporter:
    """Renders the problems ``check`` found as the text to print or write."""

    name: str
    description: str
    #: (problems, the ruleset files checked, as problems name them, language) → the report
    render: Callable[[Sequence[Problem], Sequence[str], Language], str]


def in_language(lang: Language, en: str, zh: str) -> str:
    """The English or the Chinese of a pair."""
    return zh if lang == "zh" else en


def format_problems(problems: Sequence[Problem], lang: Language) -> str:
    """``FILE:LINE:COL: CODE message`` and an indented hint per problem, then a summary
    line: how every command shows problems."""
    lines: list[str] = []
    for problem in problems:
        severity = "" if problem.severity == "error" else in_language(lang, "warning: ", "警告：")
        lines.append(f"{problem.location()}: {problem.code} {severity}{problem.text(lang)}")
        hint = problem.hint_text(lang)
        if hint:
            lines.append(f"  {in_language(lang, 'hint: ', '提示：')}{hint}")
    if problems:
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        lines.append(
            in_language(
                lang,
                f"Found {errors} error(s) and {warnings} warning(s).",
                f"发现 {errors} 个错误、{warnings} 个警告。",
            )
        )
    return printable("".join(line + "\n" for line in lines))
