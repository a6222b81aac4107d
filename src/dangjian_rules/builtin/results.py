"""The innermost ``dangjian_rules_process_results``: results as the engine made them."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..result import RunResult


@hookimpl
def dangjian_rules_process_results(run: RunResult) -> RunResult:
    return run
