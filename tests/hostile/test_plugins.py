"""Hostile plugins: sys.exit at import or in a hook, wrong return types, sleeping and busy
code under a time budget, the autoload switch, and fuzz without hypothesis.

Installed plugins are made real: a module and a ``.dist-info`` with an entry point in
``tmp_path``, put on ``sys.path`` (or PYTHONPATH for a subprocess)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dangjian_rules import hookimpl
from dangjian_rules.budget import BudgetExceeded, time_budget
from dangjian_rules.cli import main
from dangjian_rules.model.result import Measured
from dangjian_rules.plugins import manager
from dangjian_rules.plugins.manager import PluginError
from dangjian_rules.ruleset.expr import DECIMAL, Function
from dangjian_rules.ruleset.measures import MeasureBuild, MeasureKind
from dangjian_rules.ruleset.rules import Award, RuleKind, SubjectChange
from dangjian_rules.testing import DatasetBuilder, evaluate_ruleset

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
kind = "KIND"
on = "meeting"
"""

DATA = {
    "organizations": [
        {"id": "R", "name": "党委", "kind": "committee"},
        {"id": "B1", "name": "一支部", "kind": "branch", "parent": "R"},
        {"id": "B2", "name": "二支部", "kind": "branch", "parent": "R"},
    ],
    "members": [
        {"id": "M1", "name": "甲", "organization": "B1"},
        {"id": "M2", "name": "乙", "organization": "B2"},
    ],
    "events": [
        {"id": "E1", "type": "meeting", "member": "M1", "date": "2015-03-05"},
        {"id": "E2", "type": "meeting", "member": "M2", "date": "2015-03-06"},
    ],
}

#: A rule kind ``KIND`` whose amount runs BODY; the module is the plugin.
RULE_KIND_PLUGIN = """
import time
from dangjian_rules.plugin import Award, RuleKind, hookimpl

def amount(event, period):
BODY

@hookimpl
def dangjian_rules_rule_kinds():
    return [RuleKind("KIND", "hostile", (), build=lambda o, c: Award("points", amount, None, "?", "?"))]
"""


PYTHON_CLI = (sys.executable, "-m", "dangjian_rules")


def _card(kind: str) -> str:
    """The card with one rule of ``kind`` (the built-in points kind takes its points)."""
    return CARD.replace("KIND", kind) + ("points = 1\n" if kind == "points" else "")


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``install(name, source)``: an installed plugin (entry point ``name``) for this test."""
    site = tmp_path / "site"
    site.mkdir()

    def installing(name: str, source: str) -> Path:
        (site / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[dangjian_rules]\n{name} = {name}\n")
        return site

    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(manager.DISABLE_AUTOLOAD_ENV, raising=False)
    manager._cached_registry.cache_clear()
    yield installing
    manager._cached_registry.cache_clear()
    for name in [m for m in sys.modules if m.startswith("hostile_")]:
        del sys.modules[name]


def _run(argv: Sequence[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--lang", "en"], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _files(tmp_path: Path, kind: str) -> tuple[str, str]:
    card, data = tmp_path / "card.toml", tmp_path / "data.json"
    card.write_text(_card(kind), encoding="utf-8")
    data.write_text(json.dumps(DATA), encoding="utf-8")
    return str(card), str(data)


# ------------------------------------------------------------------ sys.exit


def test_sys_exit_at_import_fails_check_naming_the_plugin(install: Any, tmp_path: Path) -> None:
    install("hostile_exit", "import sys\nsys.exit(0)\n")
    card, _ = _files(tmp_path, "points")
    code, out, err = _run(["check", card])
    assert (code, out) == (2, "")
    assert err == (
        'dangjian-rules: plugin "hostile_exit" (hostile_exit) failed to load: it called '
        "sys.exit(0); a plugin may not end the program; fix or uninstall it, or block it "
        "with DANGJIAN_RULES_BLOCK_PLUGINS=hostile_exit\n"
    )


def test_sys_exit_at_import_in_a_real_process(install: Any, tmp_path: Path) -> None:
    site = install("hostile_exit", "import sys\nsys.exit(0)\n")
    card, _ = _files(tmp_path, "points")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [*PYTHON_CLI, "check", card, "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert 'plugin "hostile_exit" (hostile_exit) failed to load: it called sys.exit(0)' in (
        done.stderr
    )


def test_sys_exit_in_a_collected_hook_is_a_plugin_error(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_hook",
        """
        import sys
        from dangjian_rules.plugin import hookimpl

        @hookimpl
        def dangjian_rules_rule_kinds():
            sys.exit(3)
        """,
    )
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_hook" raised in dangjian_rules_rule_kinds: it called '
        "sys.exit(3); a plugin may not end the program\n",
    )


def test_sys_exit_in_a_check_hook_is_a_plugin_error(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_check",
        """
        import sys
        from dangjian_rules.plugin import hookimpl

        @hookimpl
        def dangjian_rules_check_ruleset(ruleset, document, positions):
            sys.exit(0)
        """,
    )
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_check" raised in dangjian_rules_check_ruleset: it '
        "called sys.exit(0); a plugin may not end the program\n",
    )


def test_sys_exit_in_rule_kind_code_is_a_plugin_error(install: Any, tmp_path: Path) -> None:
    install("hostile_rule", RULE_KIND_PLUGIN.replace("BODY", "    raise SystemExit(0)"))
    card, data = _files(tmp_path, "KIND")
    assert _run(["evaluate", "-r", card, "-d", data, "-p", "2015"]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_rule" failed in rule "meeting" (kind "KIND"): it '
        "called sys.exit(0); a plugin may not end the program\n",
    )


def test_a_keyboard_interrupt_in_plugin_code_stays_an_interrupt() -> None:
    def interrupted(event: Any, period: Any) -> Decimal:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate_ruleset(_card("kbd"), _meeting(), plugins=[_RuleKindPlugin("kbd", interrupted)])


# ------------------------------------------------------------------ return types


class _RuleKindPlugin:
    def __init__(self, kind: str, amount: Any, finish: Any = None) -> None:
        self.__name__ = f"plugin_{kind}"
        self.kind, self.amount, self.finish = kind, amount, finish

    @hookimpl
    def dangjian_rules_rule_kinds(self) -> Sequence[RuleKind]:
        award = Award("points", self.amount, None, "?", "?", finish=self.finish)
        return [RuleKind(self.kind, "hostile", (), build=lambda options, context: award)]


def _meeting() -> Any:
    return DatasetBuilder().event("meeting", "2015-02-01", member="M1").build()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.5, "1.5 (float)"),
        (Decimal("NaN"), "Decimal('NaN') (Decimal)"),
        (Decimal("Infinity"), "Decimal('Infinity') (Decimal)"),
        ("2", "'2' (str)"),
        (True, "True (bool)"),
    ],
)
def test_an_amount_of_the_wrong_type_names_the_plugin(value: object, shown: str) -> None:
    plugin = _RuleKindPlugin("odd", lambda event, period: value)
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(_card("odd"), _meeting(), plugins=[plugin])
    assert str(caught.value) == (
        f'plugin "plugin_odd" failed in rule "meeting" (kind "odd"): returned {shown}, '
        "expected a finite Decimal or None"
    )


def test_a_finish_of_the_wrong_type_names_the_plugin() -> None:
    plugin = _RuleKindPlugin(
        "ends",
        lambda event, period: Decimal(1),
        finish=lambda counted, context: [SubjectChange(1.0, "r", "r")],  # type: ignore[arg-type]
    )
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(_card("ends"), _meeting(), plugins=[plugin])
    assert str(caught.value) == (
        'plugin "plugin_ends" failed in rule "meeting" (kind "ends"): returned '
        "[SubjectChange(points=1.0, reason='r', reason_zh='r')] (list), expected a list of "
        "SubjectChange with finite Decimal points"
    )


class _MeasurePlugin:
    __name__ = "plugin_measure"

    def __init__(self, value: object) -> None:
        self.value = value

    @hookimpl
    def dangjian_rules_measure_kinds(self) -> Sequence[MeasureKind]:
        build = MeasureBuild(compute=lambda context: self.value, type="decimal")
        return [MeasureKind("odd", "hostile", (), True, build=lambda options, context: build)]


MEASURED_CARD = (
    _card("points") + '\n[[measures]]\nid = "m"\nlabel = "m"\nkind = "odd"\non = "meeting"\n'
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal(2), "Decimal('2') (Decimal)"),
        (Measured(value=float("nan")), "Measured(value=nan, parts={}, explanation='', "),
        (Measured(value=Decimal(1), parts={"p": 0.5}), "Measured(value=Decimal('1'), parts={"),
    ],
)
def test_a_measure_of_the_wrong_type_names_the_plugin(value: object, shown: str) -> None:
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(MEASURED_CARD, _meeting(), plugins=[_MeasurePlugin(value)])
    message = str(caught.value)
    assert message.startswith(
        f'plugin "plugin_measure" failed in measure "m" (kind "odd"): returned {shown}'
    )
    assert message.endswith(
        "expected a Measured whose value and parts are finite Decimal, bool, str or None"
    )


def test_a_condition_function_of_the_wrong_type_names_the_plugin() -> None:
    class Functions:
        __name__ = "plugin_functions"

        @hookimpl
        def dangjian_rules_condition_functions(self) -> Sequence[Function]:
            return [Function("double", ("decimal",), DECIMAL, lambda x: float(x) * 2)]

    card = _card("points").replace('on = "meeting"', 'on = "meeting"\nwhen = "double(1) > 1"')
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(card, _meeting(), plugins=[Functions()])
    assert str(caught.value) == (
        'plugin "plugin_functions" failed in condition function double(): returned 2.0 '
        "(float), expected a finite Decimal or None"
    )


def test_a_reporter_returning_none_fails_evaluate(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_reporter",
        """
        from dangjian_rules.plugin import Reporter, hookimpl

        @hookimpl
        def dangjian_rules_reporters():
            return [Reporter("nothing", "returns None", lambda run, rulesets, options: None)]
        """,
    )
    card, data = _files(tmp_path, "points")
    assert _run(["evaluate", "-r", card, "-d", data, "-p", "2015", "--format", "nothing"]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_reporter" failed while writing the "nothing" format: '
        "returned None (NoneType), expected a str\n",
    )


def test_a_check_returning_no_problems_list_fails_check(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_check",
        """
        from dangjian_rules.plugin import hookimpl

        @hookimpl
        def dangjian_rules_check_ruleset(ruleset, document, positions):
            return ["HB999 looks wrong"]
        """,
    )
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_check" in dangjian_rules_check_ruleset: returned '
        "['HB999 looks wrong'] (list), expected a list of Problem\n",
    )


def test_a_list_hook_of_the_wrong_type_names_the_plugin(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_kinds",
        """
        from dangjian_rules.plugin import hookimpl

        @hookimpl
        def dangjian_rules_rule_kinds():
            return ["bonus"]
        """,
    )
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_kinds" in dangjian_rules_rule_kinds: returned '
        "['bonus'] (list), expected a list of RuleKind\n",
    )


def test_process_results_returning_none_names_the_plugin(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_results",
        """
        from dangjian_rules.plugin import hookimpl

        @hookimpl(wrapper=True)
        def dangjian_rules_process_results(run):
            yield
            return None
        """,
    )
    card, data = _files(tmp_path, "points")
    assert _run(["evaluate", "-r", card, "-d", data, "-p", "2015"]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_results" in dangjian_rules_process_results: '
        "returned None (NoneType), expected a RunResult\n",
    )


# ------------------------------------------------------------------ time budget


SLEEPING = "    time.sleep(30)"
BUSY = "    while True:\n        pass"
#: code that swallows the first interruption is interrupted again a second later
SWALLOWING = (
    "    for _ in range(1):\n        try:\n            time.sleep(30)\n"
    "        except BaseException:\n            pass\n    time.sleep(30)"
)


def _evaluate_slow_plugin(install: Any, tmp_path: Path, body: str, workers: str) -> str:
    """The error output of evaluate --timeout 1 with a rule kind running ``body``."""
    install("hostile_slow", RULE_KIND_PLUGIN.replace("BODY", body))
    card, data = _files(tmp_path, "KIND")
    started = time.monotonic()
    code, out, err = _run(
        ["evaluate", "-r", card, "-d", data, "-p", "2015", "--timeout", "1", "--workers", workers]
    )
    assert time.monotonic() - started < 20
    assert (code, out) == (2, "")
    return err


@pytest.mark.parametrize(
    ("body", "workers"),
    [(SLEEPING, "1"), (BUSY, "1"), (SWALLOWING, "1"), (SLEEPING, "2"), (BUSY, "2")],
    ids=["sleeping", "busy", "swallowing", "sleeping-workers", "busy-workers"],
)
def test_a_hanging_rule_kind_stops_at_the_timeout(
    install: Any, tmp_path: Path, body: str, workers: str
) -> None:
    assert _evaluate_slow_plugin(install, tmp_path, body, workers) == (
        'dangjian-rules: plugin "hostile_slow" failed in rule "meeting" (kind "KIND"): still '
        "running when the time budget of 1 s ran out (--timeout SECONDS sets it; 0 for none)\n"
    )


def test_a_worker_swallowing_the_interruption_still_stops_the_run(
    install: Any, tmp_path: Path
) -> None:
    """The worker is not heard in time to be named; the run stops all the same."""
    assert _evaluate_slow_plugin(install, tmp_path, SWALLOWING, "2") == (
        "dangjian-rules: the time budget of 1 s ran out while evaluating t.card "
        "(--timeout SECONDS sets it; 0 for none)\n"
    )


def test_a_sleeping_check_hook_stops_check(install: Any, tmp_path: Path) -> None:
    install(
        "hostile_sleepy",
        """
        import time
        from dangjian_rules.plugin import hookimpl

        @hookimpl
        def dangjian_rules_check_ruleset(ruleset, document, positions):
            time.sleep(30)
            return []
        """,
    )
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card, "--timeout", "0.5"]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_sleepy" raised in dangjian_rules_check_ruleset: still '
        "running when the time budget of 0.5 s ran out (--timeout SECONDS sets it; 0 for none)\n",
    )


def test_a_run_within_its_budget_is_untouched(tmp_path: Path) -> None:
    card, data = _files(tmp_path, "points")
    args = ["evaluate", "-r", card, "-d", data, "-p", "2015", "--format", "json"]
    assert _run([*args, "--timeout", "30"]) == _run([*args, "--timeout", "0"])
    time.sleep(0.1)  # no alarm is left armed after the run


def test_the_budget_of_our_own_code_names_what_was_running() -> None:
    with pytest.raises(BudgetExceeded) as caught, time_budget(0.2):
        while True:
            pass
    assert str(caught.value) == (
        "the time budget of 0.2 s ran out (--timeout SECONDS sets it; 0 for none)"
    )


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_a_bad_timeout_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x.toml", f"--timeout={value}"]) == 2
    assert (
        f'argument --timeout: "{value}" is not a number of seconds from 0 (no limit) to 10000000'
        in capsys.readouterr().err
    )


def test_check_and_fuzz_have_a_default_budget() -> None:
    from dangjian_rules.cli.parser import DEFAULT_TIMEOUTS

    assert DEFAULT_TIMEOUTS == {"check": 60, "fuzz": 600}


# ------------------------------------------------------------------ autoload switch


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "Yes", "on", "ON", " on "])
def test_a_true_word_disables_autoload(
    install: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    install("hostile_exit", "import sys\nsys.exit(0)\n")
    monkeypatch.setenv(manager.DISABLE_AUTOLOAD_ENV, word)
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card])[0] == 0


@pytest.mark.parametrize("word", ["0", "false", "no", "off", "OFF", ""])
def test_a_false_word_keeps_autoload(
    install: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, word: str
) -> None:
    install("hostile_exit", "import sys\nsys.exit(0)\n")
    monkeypatch.setenv(manager.DISABLE_AUTOLOAD_ENV, word)
    card, _ = _files(tmp_path, "points")
    code, _, err = _run(["check", card])
    assert code == 2
    assert 'plugin "hostile_exit"' in err


def test_an_unknown_autoload_word_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(manager.DISABLE_AUTOLOAD_ENV, "maybe")
    manager._cached_registry.cache_clear()
    card, _ = _files(tmp_path, "points")
    assert _run(["check", card]) == (
        2,
        "",
        'dangjian-rules: DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD="maybe" is not a yes or no; '
        "give one of 1, true, yes, on to disable installed plugins, or one of 0, false, no, "
        "off (or nothing) to load them\n",
    )


# ------------------------------------------------------------------ fuzz


def test_fuzz_without_hypothesis_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    card, _ = _files(tmp_path, "points")
    assert _run(["fuzz", card]) == (
        2,
        "",
        "dangjian-rules: fuzz needs hypothesis, which a plain install leaves out; install it "
        "with: pip install 'dangjian-rules[testing]'\n",
    )


def test_fuzz_stops_at_the_timeout_naming_the_plugin(install: Any, tmp_path: Path) -> None:
    """hypothesis retries and shrinks failing examples: the overrun must not be one."""
    install("hostile_slow", RULE_KIND_PLUGIN.replace("BODY", SLEEPING))
    card, _ = _files(tmp_path, "KIND")
    started = time.monotonic()
    assert _run(["fuzz", card, "--timeout", "1", "-n", "5"]) == (
        2,
        "",
        'dangjian-rules: plugin "hostile_slow" failed in rule "meeting" (kind "KIND"): still '
        "running when the time budget of 1 s ran out (--timeout SECONDS sets it; 0 for none)\n",
    )
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("workers", ["1", "2"])
def test_code_swallowing_every_interruption_ends_the_process(
    install: Any, tmp_path: Path, workers: str
) -> None:
    """The last resort, in a real process: 3 s after the deadline the command exits 2."""
    forever = "    while True:\n        try:\n            time.sleep(30)\n        except BaseException:\n            pass"
    site = install("hostile_forever", RULE_KIND_PLUGIN.replace("BODY", forever))
    card, data = _files(tmp_path, "KIND")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    started = time.monotonic()
    argv = ["evaluate", "-r", card, "-d", data, "-p", "2015", "--timeout", "1"]
    done = subprocess.run(
        [*PYTHON_CLI, *argv, "--workers", workers, "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert time.monotonic() - started < 30
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        "dangjian-rules: the time budget of 1 s ran out and the code in hostile_forever.amount "
        "ignored the interruption; stopped (--timeout SECONDS sets the budget)\n"
    ) in done.stderr


class _PeekingMeasurePlugin:
    """A measure kind that reads another ruleset's results without declaring it."""

    __name__ = "plugin_peeking"

    @hookimpl
    def dangjian_rules_measure_kinds(self) -> Sequence[MeasureKind]:
        def compute(context: Any) -> Measured:
            found = context.results.get("t.other", {})  # undeclared: must not read as "none"
            return Measured(value=Decimal(len(found)))

        build = MeasureBuild(compute=compute, type="decimal")
        return [MeasureKind("peek", "hostile", (), True, build=lambda options, context: build)]


def test_a_measure_reading_results_it_did_not_declare_names_the_plugin() -> None:
    card = (
        _card("points") + '\n[[measures]]\nid = "m"\nlabel = "m"\nkind = "peek"\non = "meeting"\n'
    )
    with pytest.raises(PluginError) as caught:
        evaluate_ruleset(card, _meeting(), plugins=[_PeekingMeasurePlugin()])
    message = str(caught.value)
    assert message.startswith('plugin "plugin_peeking" failed in measure "m" (kind "peek")')
    assert '"t.other", which its measure kind does not declare in its needs' in message
