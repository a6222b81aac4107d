"""The ``dangjian-rules`` command.

Exit codes: 0 no problems, 1 problems found in the input (rulesets or data), 2 a usage
error or an internal error.  Bad input never shows a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO, cast

from dangjian_rules.budget import BudgetExceeded, time_budget
from dangjian_rules.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PROBLEMS,
    default_language,
    print_problems,
)
from dangjian_rules.cli.parser import DEFAULT_TIMEOUTS, build_parser
from dangjian_rules.errors import DangjianError, ProblemsFound, UsageError
from dangjian_rules.io.safe_text import PrintableWriter, console_safe

__all__ = ["build_parser", "main"]


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so the exit flush does not fail too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    if out is None:
        console_safe(sys.stdout)  # once, for every command: see io/safe_text.py
    if err is None:
        console_safe(sys.stderr)
    out = out or sys.stdout
    # messages name files, ids and values: no control character reaches the terminal
    err = cast(TextIO, PrintableWriter(err or sys.stderr))
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors itself
        return int(exc.code or 0) and EXIT_ERROR
    if args.command is None:
        parser.print_help(out)
        return EXIT_ERROR
    args.lang = args.lang or default_language()
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    timeout = getattr(args, "timeout", None)
    try:
        seconds = DEFAULT_TIMEOUTS.get(args.command) if timeout is None else timeout
        with time_budget(seconds, hard_stop=True):
            return handler(args, out)
    except ProblemsFound as exc:
        print_problems(exc.problems, args.lang, err)
        return EXIT_PROBLEMS
    except UsageError as exc:
        print(f"dangjian-rules: {exc}", file=err)
        return EXIT_ERROR
    except DangjianError as exc:  # plugin errors among them
        print(f"dangjian-rules: {exc}", file=err)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader stopped early (| head, | grep -q): not an error
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # e.g. an --output folder that does not exist
        print(f"dangjian-rules: {exc.strerror or exc}: {exc.filename or ''}", file=err)
        return EXIT_ERROR
    except (RecursionError, MemoryError) as exc:
        print(f"dangjian-rules: the input is too large or too deep to process: {exc!r}", file=err)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BudgetExceeded as exc:  # naming the plugin that was running, if one was
        print(f"dangjian-rules: {exc}", file=err)
        return EXIT_ERROR
    except SystemExit as exc:  # sys.exit from code no guard caught: never a silent success
        print(f"dangjian-rules: sys.exit({exc.code!r}) was called during the run", file=err)
        return EXIT_ERROR
