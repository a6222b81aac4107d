"""The command line's parser: one function per group of commands."""

from __future__ import annotations

import argparse

from dangjian_rules._version import __version__
from dangjian_rules.cli.commands import (
    cmd_check,
    cmd_diff,
    cmd_evaluate,
    cmd_explain,
    cmd_fuzz,
    cmd_generate,
    cmd_new_plugin,
    cmd_plugins,
    cmd_report,
    cmd_test,
)


def _count(text: str) -> int:
    """A whole number of rows, 0 or more (a negative count is a usage error, exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number / 不是整数") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative / 不能为负数")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each command's handler is its ``handler`` default."""
    parser = argparse.ArgumentParser(
        prog="dangjian-rules",
        description="Check and evaluate party-building (党建) scoring rulesets.",
    )
    parser.add_argument("--version", action="version", version=f"dangjian-rules {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    _add_lang(common)
    common.add_argument(
        "--block-plugin",
        action="append",
        metavar="NAME",
        help="do not load this plugin (repeatable; also DANGJIAN_RULES_BLOCK_PLUGINS)",
    )
    common.add_argument(
        "--no-plugins",
        action="store_true",
        help="load no installed plugin (also DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD=1, "
        "true, yes or on)",
    )
    common.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop with exit 2, naming the plugin that was running, after SECONDS "
        f"(default: {DEFAULT_TIMEOUTS['check']:g} for check, {DEFAULT_TIMEOUTS['fuzz']:g} "
        "for fuzz, none for the others; 0 for none)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_check, _add_evaluate, _add_report, _add_tools, _add_generate, _add_fuzz):
        add(commands, common)
    return parser


#: The time budget of the commands that have one by default, in seconds (--timeout).
DEFAULT_TIMEOUTS: dict[str, float] = {"check": 60, "fuzz": 600}


def _seconds(text: str) -> float:
    """A --timeout: a finite number of seconds, 0 or more."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= 10**7:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f'"{text}" is not a number of seconds from 0 (no limit) to 10000000'
        )
    return seconds


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=None,
        help="language of messages (default: from the locale)",
    )


def _add_check(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """check"""
    check = commands.add_parser(
        "check", parents=[common], help="validate rulesets (files or folders)"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument(
        "--format",
        default="text",
        help="text (default), json, github (annotations), sarif (code scanning), junit (CI "
        "test reports), or a format a plugin adds (see `plugins --all`)",
    )
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    check.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    check.set_defaults(handler=cmd_check)


def _data_options(sub: argparse.ArgumentParser) -> None:
    """The options of the commands that evaluate data: rulesets, data, period …."""
    sub.add_argument(
        "--ruleset",
        "-r",
        action="append",
        required=True,
        metavar="PATH",
        help="a ruleset file, folder or installed ruleset id (repeat for several)",
    )
    sub.add_argument(
        "--data",
        "-d",
        required=True,
        metavar="PATH",
        help="a JSON file or a folder of organizations.csv, members.csv, events.csv",
    )
    sub.add_argument(
        "--period",
        "-p",
        required=True,
        help="2015, 2015-H1, 2015-Q2, 2015-03 or 2015-01-01..2015-06-30",
    )
    sub.add_argument(
        "--encoding",
        default=None,
        help="encoding of the data files (default UTF-8; gb18030 for Excel/WPS files)",
    )
    sub.add_argument("--output", "-o", metavar="FILE", help="write to FILE, not stdout")
    sub.add_argument(
        "--ruleset-version",
        action="append",
        metavar="ID=VERSION",
        help="use this version of a ruleset instead of the one in force for the period",
    )
    sub.add_argument(
        "--previous",
        metavar="FILE",
        help="the JSON result of the previous period (for star and tier limits, previous.*)",
    )


def _add_evaluate(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """evaluate and explain"""
    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="evaluate rulesets over data for a period"
    )
    _data_options(evaluate)
    evaluate.add_argument(
        "--format",
        default="table",
        help="table, json, csv, or a format a plugin adds (see `plugins --all`)",
    )
    evaluate.add_argument(
        "--limit",
        type=_count,
        default=30,
        help="rows shown in the table (default 30; 0 for all)",
    )
    evaluate.add_argument(
        "--summary",
        action="store_true",
        help="leave out the per-event traces (faster; accounting counts are kept)",
    )
    evaluate.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="evaluate slices of organization subtrees in N local processes",
    )
    evaluate.set_defaults(handler=cmd_evaluate)

    explain = commands.add_parser(
        "explain", parents=[common], help="explain one subject's result, record by record"
    )
    _data_options(explain)
    explain.add_argument("--subject", "-s", required=True, help="member or organization id")
    explain.set_defaults(handler=cmd_explain)


def _add_report(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """report"""
    report = commands.add_parser(
        "report",
        parents=[common],
        help="one self-contained HTML report with charts, comparison and drill-down",
        description=(
            "Evaluate and write one HTML file (no network needed to open it): overview and "
            "provenance, the counties or committees side by side, grade, star and tier "
            "distributions, top-N lists, rectification lists, flags and vetoes, and every "
            "subject's explanation. In the locale's language (Chinese in a Chinese locale); "
            "--lang zh or --lang en to choose."
        ),
    )
    _data_options(report)
    report.add_argument(
        "--group-by",
        choices=["auto", "region", "top"],
        default="auto",
        help="compare regions, or the organizations under the root (default: regions when "
        "the data names two or more)",
    )
    report.add_argument(
        "--no-drill-down",
        action="store_true",
        help="leave out the per-subject explanations (a much smaller file)",
    )
    report.set_defaults(handler=cmd_report)


def _add_tools(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """diff, test and plugins"""
    compare = commands.add_parser(
        "diff", parents=[common], help="what a rule change does: old vs new on the same data"
    )
    compare.add_argument("old", metavar="OLD", help="the ruleset in use")
    compare.add_argument("new", metavar="NEW", help="the proposed ruleset")
    compare.add_argument("--data", "-d", required=True, metavar="PATH")
    compare.add_argument("--period", "-p", required=True)
    compare.add_argument(
        "--ruleset",
        "-r",
        action="append",
        metavar="PATH",
        help="other rulesets the two read (e.g. the member card a star rating uses)",
    )
    compare.add_argument("--encoding", default=None)
    compare.add_argument("--format", choices=["text", "json"], default="text")
    compare.add_argument("--top", type=_count, default=10, help="largest changes listed (10)")
    compare.add_argument("--output", "-o", metavar="FILE")
    compare.set_defaults(handler=cmd_diff)

    test = commands.add_parser(
        "test", parents=[common], help="run the [[tests]] cases that rulesets carry"
    )
    test.add_argument("paths", nargs="+", metavar="PATH")
    test.add_argument(
        "--coverage",
        action="store_true",
        help="report the rules, grade bands, stars, tiers and flags the cases exercised",
    )
    test.add_argument(
        "--threshold",
        type=float,
        metavar="P",
        help="fail when a ruleset's coverage is below P percent",
    )
    test.set_defaults(handler=cmd_test)

    plugins = commands.add_parser(
        "plugins", parents=[common], help="list installed plugins and what they add"
    )
    plugins.add_argument("--all", action="store_true", help="also list the built-in plugins")
    plugins.add_argument("--format", choices=["text", "json"], default="text")
    plugins.set_defaults(handler=cmd_plugins)


def _add_generate(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """generate and new-plugin"""
    generate = commands.add_parser(
        "generate", parents=[common], help="write a synthetic county dataset (CSV folder)"
    )
    generate.add_argument("--members", type=int, default=4300)
    generate.add_argument("--seed", type=int, default=2015)
    generate.add_argument("--year", type=int, default=2015)
    generate.add_argument(
        "--profile",
        choices=["mianchi", "full"],
        default="mianchi",
        help="mianchi: member records for the 渑池 card; full: every record the county "
        "rulesets read (organization events, inspections, visits, cases …)",
    )
    generate.add_argument("--out", required=True, metavar="DIR")
    generate.set_defaults(handler=cmd_generate)

    new_plugin = commands.add_parser(
        "new-plugin",
        help="start a county plugin: write dangjian-rules-NAME/ from a template",
        description=(
            "Write a new plugin package dangjian-rules-NAME/ (into --out, default the current "
            "folder): pyproject.toml with the entry point, a rule kind NAME_bonus, a "
            "condition function NAME_weekday(date), a packaged ruleset NAME.example, tests "
            'using the dangjian-rules fixtures, a README. Then: pip install -e ".[test]" '
            "and python -m pytest in that folder. An existing folder is never overwritten."
        ),
    )
    new_plugin.add_argument(
        "name",
        metavar="NAME",
        help='short ASCII name, e.g. "lingbao": letters, digits, - and _; lowercased',
    )
    new_plugin.add_argument(
        "--out", default=".", metavar="DIR", help="where to write it (default: here)"
    )
    new_plugin.add_argument(
        "--county-label",
        metavar="TEXT",
        default=None,
        help="how people call the county, e.g. 灵宝市 (default: NAME)",
    )
    _add_lang(new_plugin)
    new_plugin.set_defaults(handler=cmd_new_plugin)


def _add_fuzz(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """fuzz"""
    fuzz = commands.add_parser(
        "fuzz",
        parents=[common],
        help="try a ruleset on generated data: invariants, and what it never or always does",
        description=(
            "Evaluate a ruleset on datasets hypothesis generates for it and report failed "
            "invariants (with the minimal example as a [[tests]] case to paste) and warnings: "
            "grades, stars, tiers or flags never reached, rules that never fire, caps that "
            "always bind, ties at a quota or selection boundary. Exit 1 when an invariant "
            "fails (or, with --strict, on any warning)."
        ),
    )
    fuzz.add_argument("path", metavar="RULESET", help="the ruleset file to try")
    fuzz.add_argument(
        "--examples", "-n", type=int, default=100, help="datasets to generate (default 100)"
    )
    fuzz.add_argument(
        "--seed", type=int, default=0, help="the same seed gives the same report (default 0)"
    )
    fuzz.add_argument(
        "--period",
        "-p",
        default=None,
        help="the period to evaluate (default: a year the rulesets are in force)",
    )
    fuzz.add_argument(
        "--ruleset",
        "-r",
        action="append",
        metavar="PATH",
        help="a ruleset it reads, if not found beside it (repeatable)",
    )
    fuzz.add_argument("--format", choices=["text", "json"], default="text")
    fuzz.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    fuzz.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    fuzz.set_defaults(handler=cmd_fuzz)
