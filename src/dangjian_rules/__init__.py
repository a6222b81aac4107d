"""dangjian-rules: exact, explainable party-building (党建) scoring rules.

The small public API::

    from dangjian_rules import load_ruleset, load_dataset, evaluate, Period

    card = load_ruleset("rulesets/mianchi/member-points.toml")
    data = load_dataset("examples/mianchi-2015", schema=card.schema)
    run = evaluate(card, data, Period.parse("2015"))
    print(run.results[0].score, run.results[0].grade)
"""

from __future__ import annotations

from dangjian_rules._version import __version__
from dangjian_rules.api import check_paths, evaluate, load_dataset, load_ruleset, parse_ruleset
from dangjian_rules.convert.results import dumps, loads
from dangjian_rules.errors import DangjianError, Problem, ProblemsFound, UsageError
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import RunResult, SubjectResult
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.ruleset.compiled import Ruleset

__all__ = [
    "DangjianError",
    "Dataset",
    "Event",
    "Member",
    "Organization",
    "Period",
    "Problem",
    "ProblemsFound",
    "Ruleset",
    "RunResult",
    "SubjectResult",
    "UsageError",
    "__version__",
    "check_paths",
    "dumps",
    "evaluate",
    "hookimpl",
    "load_dataset",
    "load_ruleset",
    "loads",
    "parse_ruleset",
]
