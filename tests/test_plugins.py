"""The plugin framework: hooks, built-ins as plugins, discovery, blocking, and plugin errors."""

from __future__ import annotations

import ast
import io
import json
import types
from collections.abc import Generator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from dangjian_rules import hookimpl
from dangjian_rules.api import parse_ruleset
from dangjian_rules.cli import main
from dangjian_rules.errors import Problem, UsageError
from dangjian_rules.io.formats import CheckReporter, DataLoader, Reporter, ReportOptions
from dangjian_rules.model.fields import EventType, FieldSpec
from dangjian_rules.model.result import RunResult
from dangjian_rules.plugins.manager import (
    BUILTIN_PLUGINS,
    PluginError,
    Registry,
    new_plugin_manager,
)
from dangjian_rules.ruleset.expr import DECIMAL, Function
from dangjian_rules.ruleset.rules import Award, Option, RuleKind
from dangjian_rules.testing import DatasetBuilder, evaluate_ruleset, make_registry

CARD = """
[ruleset]
id = "t.card"
name = "卡"
version = "1"
subject = "member"

[event_types.meeting]
label = "会议"

[[rules]]
id = "meeting"
label = "会议"
kind = "points"
on = "meeting"
points = 1
"""


def _bonus_kind(name: str = "bonus") -> RuleKind:
    return RuleKind(
        name,
        "a fixed bonus",
        (Option("amount", "positive_decimal", "points", required=True),),
        build=lambda options, context: Award(
            "points",
            lambda event, period: options["amount"],
            options["amount"],
            f"+{options['amount']}",
            f"+{options['amount']}",
        ),
    )


class KindPlugin:
    @hookimpl
    def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
        return [_bonus_kind()]


def test_builtins_are_plugins_in_a_fixed_order() -> None:
    registry = make_registry()
    names = [name for name, _ in registry.manager.list_name_plugin()]
    assert names == list(BUILTIN_PLUGINS)
    assert sorted(registry.rule_kinds) == ["deduction", "measure", "points", "veto"]
    assert sorted(registry.measure_kinds) == [
        "cadence",
        "checklist",
        "count",
        "members",
        "result",
        "streak",
        "weighted",
    ]
    assert {"csv", "json", "table"} <= set(registry.reporters)
    assert [loader.name for loader in registry.loaders][-2:] == ["json", "csv-folder"]


def test_an_inline_plugin_adds_a_rule_kind() -> None:
    card = CARD.replace('kind = "points"', 'kind = "bonus"').replace("points = 1", "amount = 3")
    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()
    result = evaluate_ruleset(card, data, plugins=[KindPlugin()]).results[0]
    assert result.score == Decimal(3)


def test_two_plugins_adding_one_kind_is_an_error_naming_both() -> None:
    class Again:
        @hookimpl
        def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
            return [_bonus_kind()]

    with pytest.raises(PluginError) as caught:
        make_registry(KindPlugin(), Again())
    assert str(caught.value) == (
        'rule kind "bonus" is added by both inline-1 and inline-0; uninstall or block one of them'
    )
    with pytest.raises(PluginError, match='rule kind "points" is added by both'):

        class Shadow:
            @hookimpl
            def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
                return [_bonus_kind("points")]

        make_registry(Shadow())


def test_a_misspelt_hook_is_an_error() -> None:
    class Misspelt:
        @hookimpl
        def dangjian_rules_rule_kind(self) -> Sequence[RuleKind]:
            return []

    with pytest.raises(PluginError) as caught:
        make_registry(Misspelt())
    assert str(caught.value) == (
        'plugin "inline-0" implements "dangjian_rules_rule_kind", which is not a hook; '
        'did you mean "dangjian_rules_rule_kinds"? (every hook is listed in docs/plugins.md)'
    )


def test_a_hook_that_raises_is_named() -> None:
    class Broken:
        @hookimpl
        def dangjian_rules_condition_functions(self) -> Sequence[Function]:
            raise RuntimeError("database offline")

    with pytest.raises(PluginError) as caught:
        make_registry(Broken())
    assert str(caught.value) == (
        'plugin "inline-0" raised in dangjian_rules_condition_functions: '
        "RuntimeError: database offline"
    )


def test_a_broken_installed_plugin_is_named_and_exits_two(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class BrokenEntryPoint:
        group = "dangjian_rules"
        name = "lingbao"

        def load(self) -> object:
            raise ImportError("No module named 'dangjian_rules_lingbao'")

    class FakeDistribution:
        def __init__(self) -> None:
            self.entry_points = [BrokenEntryPoint()]
            self.metadata = {"name": "dangjian-rules-lingbao"}
            self.version = "0.3"

    monkeypatch.setattr("importlib.metadata.distributions", lambda: [FakeDistribution()])
    with pytest.raises(PluginError) as caught:
        new_plugin_manager(autoload=True)
    assert str(caught.value).startswith(
        'plugin "lingbao" (dangjian-rules-lingbao) failed to load: ImportError: '
        "No module named 'dangjian_rules_lingbao'; fix or uninstall it, or block it with "
        "DANGJIAN_RULES_BLOCK_PLUGINS=lingbao"
    )
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.delenv("DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.setenv("DANGJIAN_RULES_BLOCK_PLUGINS", "some-other")  # fresh registry
    assert main(["plugins"], out=out, err=err) == 2
    assert 'plugin "lingbao"' in err.getvalue() and "Traceback" not in err.getvalue()
    monkeypatch.setenv("DANGJIAN_RULES_BLOCK_PLUGINS", "lingbao")
    assert main(["plugins"], out=io.StringIO(), err=io.StringIO()) == 0


def test_blocking_a_builtin_removes_what_it_adds() -> None:
    manager = new_plugin_manager(
        autoload=False, blocked=["dangjian_rules.plugins.builtin.reporters"]
    )
    registry = Registry.from_manager(manager)
    assert not {"csv", "json", "table"} & set(registry.reporters)


def test_event_types_from_a_plugin_need_no_declaration() -> None:
    class Types:
        @hookimpl
        def dangjian_rules_event_types(self) -> Sequence[EventType]:
            return [
                EventType(
                    "volunteer", "志愿服务", "hours", {"urgent": FieldSpec("urgent", "boolean")}
                )
            ]

    card = (
        CARD.replace('[event_types.meeting]\nlabel = "会议"\n', "")
        .replace('on = "meeting"', 'on = "volunteer"\nwhen = "event.urgent"')
        .replace("points = 1", "points_per_unit = 0.5")
    )
    ruleset, problems = parse_ruleset(card, "card.toml", make_registry(Types()))
    assert problems == [] and ruleset is not None
    assert ruleset.event_types["volunteer"].label == "志愿服务"
    assert ruleset.schema.events["volunteer"]["urgent"].type == "boolean"


def test_check_hook_problems_are_located_in_the_ruleset_file() -> None:
    class Strict:
        @hookimpl
        def dangjian_rules_check_ruleset(
            self, ruleset: Any, document: Any, positions: Any
        ) -> Sequence[Problem]:
            line, column = positions.locate(("rules", 0, "points"))
            return [Problem("XX101", "points too low", "分值太低", line=line, column=column)]

    ruleset, problems = parse_ruleset(CARD, "card.toml", make_registry(Strict()))
    assert ruleset is None
    assert [(p.code, p.file, p.line, p.column) for p in problems] == [("XX101", "card.toml", 16, 1)]


def test_result_wrappers_see_and_change_the_run() -> None:
    class Stamp:
        @hookimpl(wrapper=True)
        def dangjian_rules_process_results(self, run: RunResult) -> Generator[None, Any, Any]:
            inner: RunResult = yield
            return attrs.evolve(inner, engine=inner.engine + " +stamp")

    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()
    run = evaluate_ruleset(CARD, data, plugins=[Stamp()])
    assert run.engine.endswith(" +stamp")
    assert run.results[0].score == 1


def test_plugin_loaders_and_reporters_come_before_builtins(tmp_path: Path) -> None:
    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()

    class Formats:
        @hookimpl
        def dangjian_rules_data_loaders(self) -> Sequence[DataLoader]:
            return [
                DataLoader(
                    "memory",
                    "test data",
                    lambda p: p.suffix == ".mem",
                    lambda p, schema, encoding: data,
                )
            ]

        @hookimpl
        def dangjian_rules_reporters(self) -> Sequence[Reporter]:
            return [
                Reporter(
                    "count",
                    "how many results",
                    lambda run, rulesets, options: str(len(run.results)),
                )
            ]

    registry = make_registry(Formats())
    assert registry.loaders[0].name == "memory"
    assert registry.load_data(tmp_path / "x.mem") is data
    assert (
        registry.reporters["count"].render(
            evaluate_ruleset(CARD, data),
            [],
            None,  # type: ignore[arg-type]
        )
        == "1"
    )


def test_functions_from_plugins_are_type_checked() -> None:
    class Double:
        @hookimpl
        def dangjian_rules_condition_functions(self) -> Sequence[Function]:
            return [Function("double", (DECIMAL,), DECIMAL, lambda x: x * 2)]

    card = CARD.replace('on = "meeting"', 'on = "meeting"\nwhen = "double(event.quantity) > 2"')
    assert parse_ruleset(card, "c.toml", make_registry(Double()))[1] == []
    card = CARD.replace('on = "meeting"', 'on = "meeting"\nwhen = \'double("x") > 2\'')
    (problem,) = parse_ruleset(card, "c.toml", make_registry(Double()))[1]
    assert problem.code == "DJ108"
    assert problem.message.endswith("expected a number here, got text")


def test_plugins_command_lists_builtins_with_all() -> None:
    out = io.StringIO()
    assert main(["plugins", "--all", "--format", "json", "--no-plugins"], out=out) == 0
    listed = json.loads(out.getvalue())
    assert [p["name"] for p in listed] == list(BUILTIN_PLUGINS)
    assert listed[0]["rule_kinds"] == ["deduction", "measure", "points", "veto"]
    assert listed[0]["hooks"] == ["dangjian_rules_rule_kinds"]
    out = io.StringIO()
    assert main(["plugins", "--no-plugins", "--lang", "en"], out=out) == 0
    assert out.getvalue() == "No plugins installed (--all also lists the built-in ones).\n"


def test_every_builtin_plugin_provides_something() -> None:
    registry = make_registry()
    for name, plugin in registry.manager.list_name_plugin():
        assert name in BUILTIN_PLUGINS
        assert registry.manager.get_hookcallers(plugin), f"{name} implements no hook"
    providers = set(registry.owners.values())
    hook_only = {"dangjian_rules.plugins.builtin.results"}  # post-processes, provides no name
    assert providers == set(BUILTIN_PLUGINS) - hook_only


def test_a_wrapper_around_the_check_hook_sees_and_changes_all_problems() -> None:
    class Strict:
        @hookimpl
        def dangjian_rules_check_ruleset(
            self, ruleset: Any, document: Any, positions: Any
        ) -> Sequence[Problem]:
            return [Problem("XX101", "too lax", "太松")]

    class Quiet:
        @hookimpl(wrapper=True)
        def dangjian_rules_check_ruleset(
            self, ruleset: Any, document: Any, positions: Any
        ) -> Generator[None, Any, Any]:
            found: list[Sequence[Problem]] = yield
            return [[attrs.evolve(p, severity="warning") for ps in found for p in ps]]

    registry = make_registry(Strict(), Quiet())
    ruleset, problems = parse_ruleset(CARD, "card.toml", registry)
    assert [(p.code, p.severity) for p in problems] == [("XX101", "warning")]
    assert ruleset is not None  # a warning does not stop the ruleset


def test_old_style_result_wrappers_work_too() -> None:
    class Count:
        @hookimpl(hookwrapper=True)
        def dangjian_rules_process_results(self, run: RunResult) -> Generator[None, Any, None]:
            outcome = yield
            inner: RunResult = outcome.get_result()
            outcome.force_result(attrs.evolve(inner, engine=inner.engine + " +count"))

    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()
    assert evaluate_ruleset(CARD, data, plugins=[Count()]).engine.endswith(" +count")


def test_a_wrapper_around_a_collecting_hook_is_refused_naming_the_plugin() -> None:
    class Wrapping:
        __name__ = "wrapping"

        @hookimpl(wrapper=True)
        def dangjian_rules_rule_kinds(self) -> Generator[None, Any, Any]:
            kinds = yield
            return kinds

    with pytest.raises(PluginError) as caught:
        make_registry(Wrapping())
    assert str(caught.value).startswith(
        'plugin "wrapping" implements dangjian_rules_rule_kinds as a wrapper; '
    )


def test_a_plugin_adds_a_check_format() -> None:
    class Count:
        @hookimpl
        def dangjian_rules_check_reporters(self) -> Sequence[CheckReporter]:
            return [
                CheckReporter(
                    "count", "how many problems", lambda problems, files, lang: f"{len(problems)}\n"
                )
            ]

    registry = make_registry(Count())
    assert next(iter(registry.check_reporters)) == "count"
    assert registry.owners[("check reporter", "count")] == "inline-0"
    assert {"text", "json", "github", "sarif", "junit"} <= set(registry.check_reporters)


def test_the_html_report_is_a_reporter() -> None:
    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()
    registry = make_registry()
    ruleset, _ = parse_ruleset(CARD, "card.toml", registry)
    assert ruleset is not None
    run = evaluate_ruleset(ruleset, data)
    html = registry.reporters["html"]
    page = html.render(run, [ruleset], ReportOptions(lang="en", dataset=data))
    assert isinstance(page, str) and page.startswith("<!DOCTYPE html>") and "M1" in page
    with pytest.raises(UsageError, match="needs the data"):
        html.render(run, [ruleset], ReportOptions(lang="en"))


def test_plugin_code_raising_during_a_run_is_named() -> None:
    def explode(event: Any, period: Any) -> Decimal:
        raise ZeroDivisionError("division by zero")

    class Fragile:
        __name__ = "fragile"

        @hookimpl
        def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
            return [
                RuleKind(
                    "fragile",
                    "raises",
                    (),
                    build=lambda options, context: Award("points", explode, None, "?", "?"),
                )
            ]

    card = CARD.replace('kind = "points"', 'kind = "fragile"').replace("points = 1\n", "")
    data = DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(card, data, plugins=[Fragile()])
    assert str(caught.value) == (
        'plugin "fragile" failed in rule "meeting" (kind "fragile"): '
        "ZeroDivisionError: division by zero"
    )


ROOT = Path(__file__).resolve().parent.parent
PLUGIN_CODE = {
    "the 湖滨 plugin": ROOT / "plugins" / "dangjian-rules-hubin",
    "the new-plugin template": ROOT / "src" / "dangjian_rules" / "tools" / "templates" / "plugin",
}


def _dangjian_imports(source: str) -> set[str]:
    """The dangjian_rules modules a file imports (placeholders of templates made valid)."""
    tree = ast.parse(source.replace("{{module}}", "plugin_module").replace("{{", "x_"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "dangjian_rules"}


@pytest.mark.parametrize("what", list(PLUGIN_CODE))
def test_plugins_import_only_the_plugin_module(what: str) -> None:
    files = [
        f for f in sorted(PLUGIN_CODE[what].rglob("*")) if f.name.endswith((".py", ".py.tmpl"))
    ]
    assert len(files) >= 2
    users = 0
    for file in files:
        allowed = {"dangjian_rules.plugin"}
        if "tests" in file.relative_to(PLUGIN_CODE[what]).parts:
            allowed.add("dangjian_rules.testing")
        imported = _dangjian_imports(file.read_text(encoding="utf-8"))
        assert imported <= allowed, f"{what}: {file.name} imports {sorted(imported - allowed)}"
        users += "dangjian_rules.plugin" in imported
    assert users >= 2  # the plugin's code and its tests


FAULTY = """
from dangjian_rules.plugin import hookimpl


@hookimpl(wrapper=True)
def dangjian_rules_process_results(run):
    yield
    raise KeyError("audit")


@hookimpl
def dangjian_rules_check_ruleset(ruleset, document, positions):
    raise ValueError("no network")
"""


def test_the_typed_hook_methods_name_a_plugin_that_raises() -> None:
    faulty = types.ModuleType("faulty")  # a plugin module, as an entry point loads one
    exec(compile(FAULTY, "faulty.py", "exec"), faulty.__dict__)
    registry = make_registry(faulty)
    plain = make_registry()
    ruleset, _ = parse_ruleset(CARD, "card.toml", plain)
    assert ruleset is not None
    run = evaluate_ruleset(ruleset, DatasetBuilder().build())
    assert plain.process_results(run) is run  # the built-in returns it unchanged
    with pytest.raises(PluginError) as caught:
        registry.process_results(run)
    assert str(caught.value) == (
        "plugin \"faulty\" raised in dangjian_rules_process_results: KeyError: 'audit'"
    )
    with pytest.raises(PluginError) as caught:
        registry.check_ruleset(ruleset, {}, None)  # type: ignore[arg-type]
    assert str(caught.value) == (
        'plugin "faulty" raised in dangjian_rules_check_ruleset: ValueError: no network'
    )
