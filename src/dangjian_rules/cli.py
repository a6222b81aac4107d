"""The ``dangjian-rules`` command.

Exit codes: 0 no problems, 1 problems found in the input (rulesets or data), 2 a usage
error or an internal error.  Bad input never shows a traceback.
"""

from __future__ import annotations

import argparse
import json
import locale
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import attrs

from dangjian_rules._version import __version__
from dangjian_rules.errors import DangjianError, Language, Problem, ProblemsFound, UsageError
from dangjian_rules.model.result import RunResult
from dangjian_rules.ruleset.compiled import Ruleset

if TYPE_CHECKING:
    from dangjian_rules.model.records import Dataset
    from dangjian_rules.plugins.manager import Registry

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


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


class _Words:
    """Picks the English or the Chinese of a pair."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __call__(self, en: str, zh: str) -> str:
        return zh if self.lang == "zh" else en


# ------------------------------------------------------------------------- reporting


def print_problems(problems: Sequence[Problem], lang: Language, out: TextIO) -> None:
    """``FILE:LINE:COL: CODE message`` and an indented hint, then a summary line."""
    w = _Words(lang)
    for problem in problems:
        severity = "" if problem.severity == "error" else w("warning: ", "警告：")
        print(f"{problem.location()}: {problem.code} {severity}{problem.text(lang)}", file=out)
        hint = problem.hint_text(lang)
        if hint:
            print(f"  {w('hint: ', '提示：')}{hint}", file=out)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if problems:
        print(
            w(
                f"Found {errors} error(s) and {warnings} warning(s).",
                f"发现 {errors} 个错误、{warnings} 个警告。",
            ),
            file=out,
        )


# ------------------------------------------------------------------------- commands


def _registry(args: argparse.Namespace) -> Registry:
    from dangjian_rules.plugins.manager import registry_for

    return registry_for(
        blocked=args.block_plugin or (), autoload=False if args.no_plugins else None
    )


def _load_data_for(
    args: argparse.Namespace, rulesets: Sequence[Ruleset], registry: Registry
) -> Dataset:
    """The --data of a command, its extra columns typed by the fields the rulesets declare."""
    from dangjian_rules.io.formats import load_data
    from dangjian_rules.model.fields import DataSchema

    schema = DataSchema()
    for ruleset in rulesets:
        schema = schema.merge(ruleset.schema)
    return load_data(args.data, schema=schema, encoding=args.encoding, registry=registry)


def _run(args: argparse.Namespace) -> tuple[RunResult, list[Ruleset]]:
    from dangjian_rules.api import evaluate
    from dangjian_rules.io.progress import terminal_progress
    from dangjian_rules.model.period import Period
    from dangjian_rules.model.result import read_result
    from dangjian_rules.ruleset.loader import load_rulesets

    registry = _registry(args)
    period = Period.parse(args.period)
    rulesets = load_rulesets(args.ruleset, registry)
    dataset = _load_data_for(args, rulesets, registry)
    previous = read_result(args.previous) if args.previous else None
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
    if getattr(args, "workers", 1) < 1:
        raise UsageError("--workers must be at least 1")
    progress = terminal_progress(sys.stderr, args.lang)  # draws only on a terminal
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
    finally:
        progress.close()
    used = {(r.id, r.version) for r in run.rulesets}
    return run, [r for r in rulesets if (r.id, r.version) in used]


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.ruleset.loader import check_paths, ruleset_files
    from dangjian_rules.tools.check_formats import render

    files, _ = ruleset_files(args.paths)
    problems = check_paths(args.paths, _registry(args))
    report = render(args.format, problems, [os.fspath(f) for f in files], args.lang)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    else:
        out.write(report)
    has_errors = any(p.severity == "error" for p in problems)
    has_warnings = any(p.severity == "warning" for p in problems)
    return EXIT_PROBLEMS if has_errors or (args.strict and has_warnings) else EXIT_OK


def _write(text: str, output: str | None, out: TextIO, encoding: str = "utf-8") -> None:
    if output:
        Path(output).write_text(text, encoding=encoding)
    else:
        out.write(text)
        if not text.endswith("\n"):
            out.write("\n")


def _write_bytes(data: bytes, output: str | None, out: TextIO, name: str, lang: Language) -> None:
    """A binary format (xlsx …): to FILE, or to a piped stdout; never onto a terminal."""
    if output:
        Path(output).write_bytes(data)
        return
    buffer = getattr(out, "buffer", None)
    if buffer is None or out.isatty():
        from dangjian_rules.io.messages import message

        raise UsageError(message("cli.binary_to_terminal", lang, format=name))
    out.flush()
    buffer.write(data)
    buffer.flush()


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.io.formats import ReportOptions

    registry = _registry(args)
    reporter = registry.reporters.get(args.format)
    if reporter is None:
        from dangjian_rules.errors import suggestion

        hint, _ = suggestion(args.format, registry.reporters)
        raise UsageError(f'unknown format "{args.format}"' + (f"; {hint}" if hint else ""))
    run, rulesets = _run(args)
    options = ReportOptions(
        lang=args.lang,
        limit=None if args.limit == 0 else args.limit,
        with_trace=not args.summary,
    )
    with registry.guard(f'writing the "{reporter.name}" format'):
        text = reporter.render(run, rulesets, options)
    if isinstance(text, bytes):
        _write_bytes(text, args.output, out, reporter.name, args.lang)
    else:
        _write(text, args.output, out, reporter.file_encoding)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.io.explain import explain

    run, rulesets = _run(args)
    matches = [r for r in run.results if r.subject.id == args.subject]
    if not matches:
        known = sorted({r.subject.id for r in run.results})
        from dangjian_rules.errors import suggestion

        hint, _ = suggestion(args.subject, known)
        raise UsageError(
            f'no result for subject "{args.subject}" in this period' + (f"; {hint}" if hint else "")
        )
    by_id = {r.id: r for r in rulesets}
    texts = [explain(result, by_id[result.ruleset], run, args.lang) for result in matches]
    _write("\n\n".join(texts), args.output, out)
    return EXIT_OK


def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.io.explain import explain
    from dangjian_rules.ruleset.loader import load_rulesets
    from dangjian_rules.tools.casetests import coverage, run_case

    registry = _registry(args)
    w = _Words(args.lang)
    rulesets = load_rulesets(args.paths, registry)
    available: dict[str, list[Ruleset]] = {}
    for ruleset in rulesets:
        available.setdefault(ruleset.id, []).append(ruleset)
    passed = failed = 0
    below: list[str] = []
    for ruleset in rulesets:
        print(f"{ruleset.source}  ({ruleset.id} {ruleset.version})", file=out)
        outcomes = []
        for case in ruleset.tests:
            outcome = run_case(case, ruleset, available, registry, args.lang)
            outcomes.append(outcome)
            if outcome.passed:
                passed += 1
                print(f"  ✓ {case.name}", file=out)
                continue
            failed += 1
            where = f"{case.file}:{case.line}" if case.line else case.file
            print(f"  ✗ {case.name}  ({where})", file=out)
            for difference in outcome.differences:
                print(f"      {difference}", file=out)
            if outcome.result is not None and outcome.run is not None:
                trace = explain(outcome.result, ruleset, outcome.run, args.lang)
                for line in trace.splitlines():
                    print(f"      {line}".rstrip(), file=out)
        if not ruleset.tests:
            print(w("  (no test cases)", "  （没有测试用例）"), file=out)
        if args.coverage or args.threshold is not None:
            covered = coverage(ruleset, outcomes)
            done = sum(1 for v in covered.items.values() if v)
            print(
                w(
                    f"  coverage {covered.percent}% ({done}/{len(covered.items)})",
                    f"  覆盖率 {covered.percent}%（{done}/{len(covered.items)}）",
                ),
                file=out,
            )
            missing = [item for item, v in covered.items.items() if not v]
            if missing and args.coverage:
                print(w("    not covered: ", "    未覆盖：") + ", ".join(missing), file=out)
            if args.threshold is not None and covered.exact < Decimal(str(args.threshold)):
                below.append(f"{ruleset.id} {covered.percent}%")
    if below:
        print(
            w(
                f"coverage below {args.threshold}%: {', '.join(below)}",
                f"覆盖率低于 {args.threshold}%：{'、'.join(below)}",
            ),
            file=out,
        )
    print(f"{passed} passed, {failed} failed", file=out)
    return EXIT_PROBLEMS if failed or below else EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.model.period import Period
    from dangjian_rules.ruleset.loader import load_ruleset, load_rulesets
    from dangjian_rules.tools import diff

    registry = _registry(args)
    period = Period.parse(args.period)
    problems: list[Problem] = []
    loaded: list[Ruleset] = []
    for path in (args.old, args.new):
        try:
            loaded.append(load_ruleset(path, registry))
        except ProblemsFound as exc:
            problems.extend(exc.problems)
    if problems:
        raise ProblemsFound(problems)
    old, new = loaded
    others = load_rulesets(args.ruleset, registry) if args.ruleset else []
    dataset = _load_data_for(args, [*loaded, *others], registry)
    result = diff.compare(old, new, dataset, period, others, registry, args.top)
    if args.format == "json":
        text = json.dumps(diff.to_json(result), ensure_ascii=False, indent=2) + "\n"
    else:
        text = diff.to_text(result, args.lang)
    _write(text, args.output, out)
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace, out: TextIO) -> int:
    infos = [p for p in _registry(args).plugins() if args.all or not p.builtin]
    if args.format == "json":
        json.dump([attrs.asdict(p) for p in infos], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    w = _Words(args.lang)
    if not infos:
        print(
            w(
                "No plugins installed (--all also lists the built-in ones).",
                "未安装插件（--all 可同时列出内置插件）。",
            ),
            file=out,
        )
        return EXIT_OK
    for info in infos:
        kind = w("built-in", "内置") if info.builtin else w("installed", "已安装")
        print(f"{info.name} {info.version or ''} ({kind})".replace("  ", " "), file=out)
        print(f"  {w('hooks', '钩子')}: {', '.join(info.hooks) or '—'}", file=out)
        for label_en, label_zh, names in (
            ("rule kinds", "规则类型", info.rule_kinds),
            ("measure kinds", "指标类型", info.measure_kinds),
            ("functions", "条件函数", info.functions),
            ("rulesets", "规则集", info.rulesets),
            ("event types", "活动类型", info.event_types),
            ("data loaders", "数据格式", info.loaders),
            ("reporters", "输出格式", info.reporters),
        ):
            if names:
                print(f"  {w(label_en, label_zh)}: {', '.join(names)}", file=out)
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.tools.generate import generate_county, write_csv_folder

    if args.members < 1:
        raise UsageError("--members must be at least 1")
    dataset = generate_county(
        members=args.members, seed=args.seed, year=args.year, profile=args.profile
    )
    write_csv_folder(dataset, args.out)
    counts = dataset.counts()
    w = _Words(args.lang)
    print(
        w(
            f"Wrote {counts['organizations']} organizations, {counts['members']} members and "
            f"{counts['events']} events to {args.out}",
            f"已生成 {counts['organizations']} 个党组织、{counts['members']} 名党员、"
            f"{counts['events']} 条记录，写入 {args.out}",
        ),
        file=out,
    )
    return EXIT_OK


def cmd_new_plugin(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.tools.template import write_plugin

    folder, names, written = write_plugin(args.name, args.out, args.county_label)
    w = _Words(args.lang)
    print(
        w(
            f"Wrote the plugin {names.dist} ({len(written)} files) to {folder}:",
            f"已生成插件 {names.dist}（{len(written)} 个文件），写入 {folder}：",
        ),
        file=out,
    )
    for relative in written:
        print(f"  {relative}", file=out)
    print(
        w(
            f'rule kind "{names.name}_bonus", function {names.name}_weekday(date), '
            f"ruleset {names.name}.example. Next, in that folder:",
            f"规则类型“{names.name}_bonus”、条件函数 {names.name}_weekday(date)、"
            f"规则集 {names.name}.example。下一步，在该文件夹中：",
        ),
        file=out,
    )
    print('  pip install -e ".[test]"', file=out)
    print("  python -m pytest", file=out)
    return EXIT_OK


def cmd_fuzz(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.model.period import Period
    from dangjian_rules.ruleset.loader import load_ruleset, load_rulesets
    from dangjian_rules.tools.fuzz import fuzz, needed_rulesets, to_json, to_text

    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    registry = _registry(args)
    ruleset = load_ruleset(args.path, registry)
    given = load_rulesets(args.ruleset, registry) if args.ruleset else []
    others = needed_rulesets(ruleset, given, registry)
    period = Period.parse(args.period) if args.period else None
    report = fuzz(ruleset, others, args.examples, args.seed, period, registry)
    if args.format == "json":
        text = json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"
    else:
        text = to_text(report, args.lang)
    _write(text, args.output, out)
    if report.failure is not None or (args.strict and report.findings):
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    """One self-contained HTML report: overview, comparison, charts, lists, drill-down."""
    import time

    from dangjian_rules.api import evaluate
    from dangjian_rules.io.messages import Catalogue
    from dangjian_rules.io.progress import terminal_progress
    from dangjian_rules.io.report import render_report
    from dangjian_rules.model.period import Period
    from dangjian_rules.model.result import read_result
    from dangjian_rules.ruleset.loader import load_rulesets

    t = Catalogue(args.lang)
    progress = terminal_progress(sys.stderr, args.lang)
    started = time.monotonic()
    try:
        registry = _registry(args)
        period = Period.parse(args.period)
        progress.status(t("progress.loading_rulesets"))
        rulesets = load_rulesets(args.ruleset, registry)
        progress.status(t("progress.loading_data"))
        dataset = _load_data_for(args, rulesets, registry)
        previous = read_result(args.previous) if args.previous else None
        pinned: dict[str, str] = {}
        for text in args.ruleset_version or ():
            ruleset_id, _, version = text.partition("=")
            if not version:
                raise UsageError(f'--ruleset-version takes ID=VERSION, got "{text}"')
            pinned[ruleset_id] = version
        try:
            run = evaluate(
                rulesets, dataset, period, registry, previous, pinned, progress=progress.callback
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
        progress.status(t("progress.writing", what="HTML"))
        document = render_report(
            run,
            [r for r in rulesets if (r.id, r.version) in used],
            dataset,
            args.lang,
            args.group_by,
            not args.no_drill_down,
            previous,
        )
    finally:
        progress.close()
    if args.output:
        Path(args.output).write_text(document, encoding="utf-8")
        if progress.enabled:
            size = f"{len(document.encode('utf-8')) / 1e6:.1f} MB"
            seconds = f"{time.monotonic() - started:.1f}"
            print(t("cli.wrote", path=args.output, size=size), file=sys.stderr)
            print(t("progress.done", seconds=seconds), file=sys.stderr)
    else:
        out.write(document)
    return EXIT_OK


# ------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dangjian-rules",
        description="Check and evaluate party-building (党建) scoring rulesets.",
    )
    parser.add_argument("--version", action="version", version=f"dangjian-rules {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=None,
        help="language of messages (default: from the locale)",
    )
    common.add_argument(
        "--block-plugin",
        action="append",
        metavar="NAME",
        help="do not load this plugin (repeatable; also DANGJIAN_RULES_BLOCK_PLUGINS)",
    )
    common.add_argument(
        "--no-plugins",
        action="store_true",
        help="load no installed plugin (also DANGJIAN_RULES_DISABLE_PLUGIN_AUTOLOAD=1)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", parents=[common], help="validate rulesets (files or folders)"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    from dangjian_rules.tools.check_formats import FORMATS as check_formats

    check.add_argument(
        "--format",
        choices=list(check_formats),
        default="text",
        help="text (default), json, github (annotations), sarif (code scanning), junit (CI "
        "test reports)",
    )
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    check.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    check.set_defaults(handler=cmd_check)

    def data_options(sub: argparse.ArgumentParser) -> None:
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

    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="evaluate rulesets over data for a period"
    )
    data_options(evaluate)
    evaluate.add_argument(
        "--format",
        default="table",
        help="table, json, csv, or a format a plugin adds (see `plugins --all`)",
    )
    evaluate.add_argument(
        "--limit",
        type=int,
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
    data_options(explain)
    explain.add_argument("--subject", "-s", required=True, help="member or organization id")
    explain.set_defaults(handler=cmd_explain)

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
    data_options(report)
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
    compare.add_argument("--top", type=int, default=10, help="largest changes listed (10)")
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
    new_plugin.add_argument(
        "--lang",
        choices=["zh", "en"],
        default=None,
        help="language of messages (default: from the locale)",
    )
    new_plugin.set_defaults(handler=cmd_new_plugin)

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
    return parser


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
    out = out or sys.stdout
    err = err or sys.stderr
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
    try:
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
