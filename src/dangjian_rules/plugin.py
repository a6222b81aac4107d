"""Everything a plugin author needs, in one module: ``from dangjian_rules.plugin import …``.

A plugin (a county's package, installed through the ``dangjian_rules`` entry-point group)
imports only this module, and its tests this module and :mod:`dangjian_rules.testing`;
the rest of the package may be reorganized without breaking plugins.  docs/plugins.md
describes each hook and what it takes and returns:

* marking hooks: :data:`hookimpl`;
* rule kinds (``dangjian_rules_rule_kinds``): :class:`RuleKind`, :class:`Option`,
  :class:`Award`, :class:`BuildContext`, :class:`EndContext`, :class:`SubjectChange`,
  :class:`RuleOptionError`;
* measure kinds (``dangjian_rules_measure_kinds``): :class:`MeasureKind`,
  :class:`MeasureBuild`, :class:`MeasureBuildContext`, :class:`SubjectContext`,
  :class:`Measured`;
* condition functions (``dangjian_rules_condition_functions``): :class:`Function` and the
  types :data:`STRING`, :data:`DECIMAL`, :data:`BOOLEAN`, :data:`DATE`,
  :data:`LIST_OF_STRING`;
* event types (``dangjian_rules_event_types``): :class:`EventType`, :class:`FieldSpec`;
* checks (``dangjian_rules_check_ruleset``): :class:`Ruleset`, :class:`Positions`,
  :class:`Problem`;
* data loaders and reporters: :class:`DataLoader`, :class:`DataSchema`,
  :class:`Reporter`, :class:`ReportOptions`, :class:`CheckReporter`;
* the records and results hooks read: :class:`Dataset`, :class:`Organization`,
  :class:`Member`, :class:`Event`, :class:`Period`, :class:`RunResult`,
  :class:`SubjectResult` and its parts;
* for a plugin's tests: :class:`Registry`, :func:`parse_ruleset`, :func:`load_rulesets`,
  :func:`packaged_rulesets`, :func:`check_paths`, and :class:`PluginError` (what a
  failing plugin raises, naming it).
"""

from __future__ import annotations

from dangjian_rules.api import (
    check_paths,
    load_rulesets,
    packaged_rulesets,
    parse_ruleset,
)
from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.io.formats import CheckReporter, DataLoader, Reporter, ReportOptions
from dangjian_rules.model.fields import DataSchema, EventType, FieldSpec
from dangjian_rules.model.period import Period
from dangjian_rules.model.records import Dataset, Event, Member, Organization
from dangjian_rules.model.result import (
    Adjustment,
    Flag,
    Measured,
    RunResult,
    Selection,
    Stars,
    Subject,
    SubjectResult,
    Tier,
    TraceEntry,
    Veto,
)
from dangjian_rules.plugins.hookspecs import hookimpl
from dangjian_rules.plugins.manager import PluginError, Registry
from dangjian_rules.ruleset.compiled import Ruleset
from dangjian_rules.ruleset.expr import BOOLEAN, DATE, DECIMAL, LIST_OF_STRING, STRING, Function
from dangjian_rules.ruleset.measures import (
    MeasureBuild,
    MeasureBuildContext,
    MeasureKind,
    SubjectContext,
)
from dangjian_rules.ruleset.rules import (
    Award,
    BuildContext,
    EndContext,
    Option,
    RuleKind,
    RuleOptionError,
    SubjectChange,
)
from dangjian_rules.ruleset.tomlpos import Positions

__all__ = [
    "BOOLEAN",
    "DATE",
    "DECIMAL",
    "LIST_OF_STRING",
    "STRING",
    "Adjustment",
    "Award",
    "BuildContext",
    "CheckReporter",
    "DataLoader",
    "DataSchema",
    "Dataset",
    "EndContext",
    "Event",
    "EventType",
    "FieldSpec",
    "Flag",
    "Function",
    "MeasureBuild",
    "MeasureBuildContext",
    "MeasureKind",
    "Measured",
    "Member",
    "Option",
    "Organization",
    "Period",
    "PluginError",
    "Positions",
    "Problem",
    "ProblemsFound",
    "Registry",
    "ReportOptions",
    "Reporter",
    "RuleKind",
    "RuleOptionError",
    "Ruleset",
    "RunResult",
    "Selection",
    "Stars",
    "Subject",
    "SubjectChange",
    "SubjectContext",
    "SubjectResult",
    "Tier",
    "TraceEntry",
    "Veto",
    "check_paths",
    "hookimpl",
    "load_rulesets",
    "packaged_rulesets",
    "parse_ruleset",
]
