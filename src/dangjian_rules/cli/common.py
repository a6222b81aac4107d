"""What the commands share: languages, problems, the registry, evaluating, writing."""

from __future__ import annotations

import argparse
import locale
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

import attrs

from dangjian_rules.errors import Language, Problem, ProblemsFound, UsageError
from dangjian_rules.io.formats import Reporter, ReportOptions, format_problems
from dangjian_rules.io.messages import Catalogue
from dangjian_rules.limits import LIMITS, limit
from dangjian_rules.model.records import Dataset
from dangjian_rules.model.result import RunResult
from dangjian_rules.ruleset.compiled import Ruleset

if TYPE_CHECKING:
    from dangjian_rules.io.progress import TerminalProgress
    from dangjian_rules.plugins.manager import Registry

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def check_workers(workers: int) -> None:
    """--workers from 1 to the limit: a process each, so a huge number is a mistake."""
    most = limit("workers")
    if not 1 <= workers <= most:
        raise UsageError(
            f"--workers must be from 1 to {most} (set {LIMITS['workers'][0]} for more; "
            f"工作进程数须在 1 到 {most} 之间)"
        )


def default_language() -> Language:
    """Chinese when the locale says so (LANG=zh_CN.UTF-8 …), English otherwise."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return "zh" if current.lower().startswith("zh") else "en"


class Words:
    """Picks the English or the Chinese of a pair."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, en: str, zh: str) -> str:
        return zh if self.lang == "zh" else en


# ------------------------------------------------------------------------- reporting


def print_problems(problems: Sequence[Problem], lang: Language, out: TextIO) -> None:
    """``FILE:LINE:COL: CODE message`` and an indented hint, then a summary line."""
    out.write(format_problems(problems, lang))


def registry_of(args: argparse.Namespace) -> Registry:
    from dangjian_rules.plugins.manager import registry_for

    return registry_for(
        blocked=args.block_plugin or (), autoload=False if args.no_plugins else None
    )


def load_data_for(
    args: argparse.Namespace, rulesets: Sequence[Ruleset], registry: Registry
) -> Dataset:
    """The --data of a command, its extra columns typed by the fields the rulesets declare."""
    from dangjian_rules.api import load_dataset

    return load_dataset(args.data, encoding=args.encoding, rulesets=rulesets, registry=registry)


@attrs.frozen
class Evaluated:
    """What a command that evaluates has: the run and what it was made from."""

    run: RunResult
    #: the rulesets the run used
    rulesets: list[Ruleset]
    dataset: Dataset
    previous: RunResult | None
    registry: Registry


def pinned_versions(args: argparse.Namespace, rulesets: Sequence[Ruleset]) -> dict[str, str]:
    """``--ruleset-version ID=VERSION`` options, each naming one of the rulesets."""
    pinned: dict[str, str] = {}
    for text in args.ruleset_version or ():
        ruleset_id, _, version = text.partition("=")
        if not version:
            raise UsageError(f'--ruleset-version takes ID=VERSION, got "{text}"')
        pinned[ruleset_id] = version
    unknown = sorted(set(pinned) - {r.id for r in rulesets})
    if unknown:
        raise UsageError(
            f"--ruleset-version names {', '.join(unknown)}, which is not among the rulesets given"
        )
    return pinned


def evaluate_args(args: argparse.Namespace, progress: TerminalProgress) -> Evaluated:
    """Load the rulesets and data of a command and evaluate them (``evaluate``, ``explain``,
    ``report``); ``progress`` shows what is being done on a terminal."""
    from dangjian_rules.api import evaluate, load_rulesets
    from dangjian_rules.convert.results import read_result
    from dangjian_rules.model.period import Period

    t = Catalogue(args.lang)
    registry = registry_of(args)
    period = Period.parse(args.period)
    progress.status(t("progress.loading_rulesets"))
    rulesets = load_rulesets(args.ruleset, registry)
    progress.status(t("progress.loading_data"))
    dataset = load_data_for(args, rulesets, registry)
    previous = read_result(args.previous) if args.previous else None
    pinned = pinned_versions(args, rulesets)
    check_workers(getattr(args, "workers", 1))
    try:
        run = evaluate(
            rulesets,
            dataset,
            period,
            registry,
            previous,
            pinned,
            workers=getattr(args, "workers", 1),
            with_trace=not getattr(args, "summary", False),
            progress=progress.callback,
        )
    except ProblemsFound as exc:  # problems with the previous result name its file
        raise ProblemsFound(
            [
                attrs.evolve(p, file=args.previous)
                if p.code in ("DJ123", "DJ124") and p.file is None
                else p
                for p in exc.problems
            ]
        ) from None
    used = {(r.id, r.version) for r in run.rulesets}
    return Evaluated(
        run, [r for r in rulesets if (r.id, r.version) in used], dataset, previous, registry
    )


def write_text(text: str, output: str | None, out: TextIO, encoding: str = "utf-8") -> None:
    if output:
        # a lone surrogate (from a file name) is written as its escape, never a traceback
        Path(output).write_text(text, encoding=encoding, errors="backslashreplace")
    else:
        out.write(text)
        if not text.endswith("\n"):
            out.write("\n")


def write_report(
    reporter: Reporter,
    done: Evaluated,
    options: ReportOptions,
    output: str | None,
    out: TextIO,
    lang: Language,
) -> None:
    """The reporter's output written as it is produced: to FILE, or to stdout (a binary
    format only to a pipe).  A file is written beside FILE and moved over it when
    complete, so a failure leaves no half-written FILE behind."""

    def write(stream: IO[Any]) -> None:
        with done.registry.guard(f'writing the "{reporter.name}" format'):
            reporter.write_to(done.run, done.rulesets, options, stream)

    if output is None:
        stream: IO[Any] = _binary_stdout(out, reporter.name, lang) if reporter.binary else out
        ending = _LastChunk(stream)
        write(cast(IO[Any], ending))
        if not reporter.binary and not ending.last.endswith("\n"):
            out.write("\n")
        stream.flush()
        return
    target = Path(output)
    # /dev/stdout, a FIFO, or a file in a folder we may not add to: written in place
    if target.exists() and (not target.is_file() or not os.access(target.parent, os.W_OK)):
        with _open_output(target, reporter) as direct:
            write(direct)
        return
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with _open_output(partial, reporter) as spooled:
            write(spooled)
        os.replace(partial, target)
    except OSError as exc:  # named by the FILE asked for, not the partial one
        raise OSError(exc.errno, exc.strerror, output) from exc
    finally:
        partial.unlink(missing_ok=True)


def _open_output(path: Path, reporter: Reporter) -> IO[Any]:
    if reporter.binary:
        return path.open("wb")
    return path.open("w", encoding=reporter.file_encoding)


class _LastChunk:
    """A stream that remembers the last text written through it (stdout ends in a
    newline)."""

    def __init__(self, stream: IO[Any]) -> None:
        self.stream = stream
        self.last: str = ""

    def write(self, chunk: Any) -> int:
        if chunk:
            self.last = chunk if isinstance(chunk, str) else ""
        return self.stream.write(chunk)

    def writelines(self, chunks: Iterable[Any]) -> None:
        for chunk in chunks:
            self.write(chunk)

    def seekable(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:  # flush, encoding …: the stream's own
        return getattr(self.stream, name)


def _binary_stdout(out: TextIO, name: str, lang: Language) -> IO[bytes]:
    buffer: IO[bytes] | None = getattr(out, "buffer", None)
    if buffer is None or out.isatty():
        from dangjian_rules.io.messages import message

        raise UsageError(message("cli.binary_to_terminal", lang, format=name))
    out.flush()
    return buffer
