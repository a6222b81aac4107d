"""The commands: each ``cmd_NAME(args, out) -> exit code``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TextIO, cast

import attrs

from dangjian_rules.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Words,
    evaluate_args,
    load_data_for,
    registry_of,
    write_report,
    write_text,
)
from dangjian_rules.errors import Problem, ProblemsFound, UsageError, suggestion
from dangjian_rules.io.formats import ReportOptions
from dangjian_rules.io.messages import Catalogue
from dangjian_rules.io.progress import terminal_progress
from dangjian_rules.io.safe_text import PrintableWriter, printable
from dangjian_rules.ruleset.compiled import Ruleset


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.api import check_paths
    from dangjian_rules.ruleset.files import ruleset_files

    registry = registry_of(args)
    reporter = registry.check_reporters.get(args.format)
    if reporter is None:
        raise UsageError(unknown_format(args.format, registry.check_reporters))
    files, _ = ruleset_files(args.paths)
    problems = check_paths(args.paths, registry)
    with registry.guard(f'writing the "{reporter.name}" check format'):
        report = reporter.render(problems, [os.fspath(f) for f in files], args.lang)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    else:
        out.write(report)
    has_errors = any(p.severity == "error" for p in problems)
    has_warnings = any(p.severity == "warning" for p in problems)
    return EXIT_PROBLEMS if has_errors or (args.strict and has_warnings) else EXIT_OK


def unknown_format(name: str, known: Iterable[str]) -> str:
    hint, _ = suggestion(name, known)
    return f'unknown format "{name}"' + (f"; {hint}" if hint else "")


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    registry = registry_of(args)
    reporter = registry.reporters.get(args.format)
    if reporter is None:
        raise UsageError(unknown_format(args.format, registry.reporters))
    progress = terminal_progress(sys.stderr, args.lang)  # draws only on a terminal
    try:
        done = evaluate_args(args, progress)
    finally:
        progress.close()
    options = ReportOptions(
        lang=args.lang,
        limit=None if args.limit == 0 else args.limit,
        with_trace=not args.summary,
        dataset=done.dataset,
        previous=done.previous,
    )
    write_report(reporter, done, options, args.output, out, args.lang)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.io.explain import explain

    progress = terminal_progress(sys.stderr, args.lang)
    try:
        done = evaluate_args(args, progress)
    finally:
        progress.close()
    run, rulesets = done.run, done.rulesets
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
    write_text("\n\n".join(texts), args.output, out)
    return EXIT_OK


def cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.api import load_rulesets
    from dangjian_rules.io.explain import explain
    from dangjian_rules.tools.casetests import coverage, run_case

    out = cast(TextIO, PrintableWriter(out))  # case names and differences are input text
    registry = registry_of(args)
    w = Words(args.lang)
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
    from dangjian_rules.api import load_ruleset, load_rulesets
    from dangjian_rules.model.period import Period
    from dangjian_rules.tools import diff

    registry = registry_of(args)
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
    dataset = load_data_for(args, [*loaded, *others], registry)
    result = diff.compare(old, new, dataset, period, others, registry, args.top)
    if args.format == "json":
        text = json.dumps(diff.to_json(result), ensure_ascii=False, indent=2) + "\n"
    else:
        text = printable(diff.to_text(result, args.lang))
    write_text(text, args.output, out)
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace, out: TextIO) -> int:
    infos = [p for p in registry_of(args).plugins() if args.all or not p.builtin]
    if args.format == "json":
        json.dump([attrs.asdict(p) for p in infos], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    w = Words(args.lang)
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
            ("check reporters", "检查输出格式", info.check_reporters),
        ):
            if names:
                print(f"  {w(label_en, label_zh)}: {', '.join(names)}", file=out)
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, out: TextIO) -> int:
    from dangjian_rules.tools.generate import generate_county, write_csv_folder, wrong_arguments

    wrong = wrong_arguments(args.members, args.year)
    if wrong is not None:
        raise UsageError(wrong)
    dataset = generate_county(
        members=args.members, seed=args.seed, year=args.year, profile=args.profile
    )
    write_csv_folder(dataset, args.out)
    counts = dataset.counts()
    w = Words(args.lang)
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
    w = Words(args.lang)
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
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise UsageError(
            "fuzz needs hypothesis, which a plain install leaves out; "
            "install it with: pip install 'dangjian-rules[testing]'"
        ) from None
    from dangjian_rules.api import load_ruleset, load_rulesets
    from dangjian_rules.model.period import Period
    from dangjian_rules.tools.fuzz import fuzz, needed_rulesets, to_json, to_text
    from dangjian_rules.tools.generate import YEARS

    if args.examples < 1:
        raise UsageError("--examples must be at least 1")
    registry = registry_of(args)
    ruleset = load_ruleset(args.path, registry)
    given = load_rulesets(args.ruleset, registry) if args.ruleset else []
    others = needed_rulesets(ruleset, given, registry)
    period = Period.parse(args.period) if args.period else None
    if period is not None and not (period.start.year in YEARS and period.end.year in YEARS):
        raise UsageError(
            f"fuzz makes data for years {YEARS.start} to {YEARS.stop - 1}; --period "
            f"{args.period} is outside them (fuzz 只为 {YEARS.start}–{YEARS.stop - 1} 年生成数据)"
        )
    report = fuzz(ruleset, others, args.examples, args.seed, period, registry)
    if args.format == "json":
        text = json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"
    else:
        text = printable(to_text(report, args.lang))
    write_text(text, args.output, out)
    if report.failure is not None or (args.strict and report.findings):
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    """One self-contained HTML report: overview, comparison, charts, lists, drill-down
    (the ``html`` reporter)."""
    t = Catalogue(args.lang)
    progress = terminal_progress(sys.stderr, args.lang)
    started = time.monotonic()
    try:
        done = evaluate_args(args, progress)
        progress.status(t("progress.writing", what="HTML"))
        options = ReportOptions(
            lang=args.lang,
            dataset=done.dataset,
            group_by=args.group_by,
            drill_down=not args.no_drill_down,
            previous=done.previous,
        )
        with done.registry.guard('writing the "html" format'):
            document = done.registry.reporters["html"].render(done.run, done.rulesets, options)
    finally:
        progress.close()
    assert isinstance(document, str)  # the html reporter writes text
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
