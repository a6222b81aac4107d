"""The innermost ``dangjian_rules_process_results``: results as the engine made them."""

from __future__ import annotations

from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.hookspecs import hookimpl


@hookimpl
def dangjian_rules_process_results(run: RunResult) -> RunResult:
    return run
