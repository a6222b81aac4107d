"""The ``dangjian-rules`` command.

Exit codes: 0 no problems, 1 problems found in the input (rulesets or data), 2 a usage
error or an internal error.  Bad input never shows a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import locale
import os
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import DangjianError, Language, Problem, ProblemsFound, UsageError
from .result import BUCKETS, RunResult, dumps, format_decimal
from .ruleset import Ruleset

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


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _table(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(_pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]


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


def _load_rulesets(paths: Sequence[str]) -> list[Ruleset]:
    from .ruleset import load_ruleset, ruleset_files

    files, problems = ruleset_files(paths)
    rulesets: list[Ruleset] = []
    for file in files:
        try:
            rulesets.append(load_ruleset(file))
        except ProblemsFound as exc:
            problems.extend(exc.problems)
    if not files and not problems:
        raise UsageError("no ruleset files (*.toml) found in " + ", ".join(paths))
    if problems:
        raise ProblemsFound(problems)
    ids: dict[str, str] = {}
    duplicates: list[Problem] = []
    for ruleset in rulesets:
        if ruleset.id in ids:
            duplicates.append(
                Problem(
                    code="DJ105",
                    message=f'ruleset id "{ruleset.id}" is also used by {ids[ruleset.id]}',
                    message_zh=f"规则集 id“{ruleset.id}”与 {ids[ruleset.id]} 重复",
                    file=ruleset.source,
                    path="ruleset.id",
                    hint="give each ruleset its own id, or pass only one of them",
                    hint_zh="每个规则集须有唯一 id，或只传入其中一个",
                )
            )
        ids[ruleset.id] = ruleset.source
    if duplicates:
        raise ProblemsFound(duplicates)
    return rulesets


def _run(args: argparse.Namespace) -> tuple[RunResult, list[Ruleset]]:
    from .data import load_dataset
    from .engine import evaluate
    from .fields import DataSchema
    from .period import Period

    period = Period.parse(args.period)
    rulesets = _load_rulesets(args.ruleset)
    schema = DataSchema()
    for ruleset in rulesets:
        schema = schema.merge(ruleset.schema)
    dataset = load_dataset(args.data, schema=schema, encoding=args.encoding)
    return evaluate(rulesets, dataset, period), rulesets


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from .ruleset import check_paths, ruleset_files

    files, _ = ruleset_files(args.paths)
    problems = check_paths(args.paths)
    if args.format == "json":
        json.dump(
            {"files": len(files), "problems": [p.to_dict() for p in problems]},
            out,
            ensure_ascii=False,
            indent=2,
        )
        out.write("\n")
    else:
        print_problems(problems, args.lang, out)
        if not problems:
            w = _Words(args.lang)
            print(
                w(
                    f"All checked: {len(files)} ruleset file(s), no problems.",
                    f"检查通过：{len(files)} 个规则集文件，没有问题。",
                ),
                file=out,
            )
    has_errors = any(p.severity == "error" for p in problems)
    has_warnings = any(p.severity == "warning" for p in problems)
    return EXIT_PROBLEMS if has_errors or (args.strict and has_warnings) else EXIT_OK


def render_table(
    run: RunResult, rulesets: Sequence[Ruleset], lang: Language, limit: int | None
) -> str:
    w = _Words(lang)
    lines: list[str] = []
    by_id = {r.id: r for r in rulesets}
    for ref in run.rulesets:
        ruleset = by_id[ref.id]
        results = [r for r in run.results if r.ruleset == ref.id]
        lines.append(f"{ruleset.name}  ({ref.id} {ref.version})")
        lines.append(
            w(
                f"period {run.period.label} ({run.period.start}..{run.period.end}); "
                f"{len(results)} subjects; data {run.data.events} events, "
                f"sha256 {run.data.sha256[:12]}",
                f"考核期 {run.period.label}（{run.period.start}..{run.period.end}）；"
                f"{len(results)} 个考核对象；数据 {run.data.events} 条记录，"
                f"sha256 {run.data.sha256[:12]}",
            )
        )
        lines.append("")
        lines.append(w("Grade distribution", "等次分布"))
        counts = Counter((r.scale, r.grade) for r in results)
        rows = [[w("scale", "等次表"), w("grade", "等次"), w("count", "人数"), w("share", "占比")]]
        for scale in ruleset.grades:
            for band in scale.bands:
                n = counts.get((scale.id, band.grade), 0)
                share = f"{100 * n / len(results):.1f}%" if results else "—"
                rows.append([scale.label, band.grade, str(n), share])
        ungraded = sum(n for (scale_id, grade), n in counts.items() if grade is None)
        if ungraded:
            rows.append(["—", w("no grade", "无等次"), str(ungraded), ""])
        lines.extend("  " + line for line in _table(rows, right=(2, 3)))
        vetoed = sum(1 for r in results if r.vetoes)
        lines.append(w(f"  one-vote veto: {vetoed}", f"  一票否决：{vetoed}"))
        lines.append("")
        shown = results if limit is None else results[:limit]
        rows = [
            [
                w("id", "编号"),
                w("name", "姓名"),
                w("organization", "所在组织"),
                w("score", "得分"),
                w("grade", "等次"),
                w("note", "备注"),
            ]
        ]
        for r in shown:
            note = w("veto: ", "否决：") + r.vetoes[0].rule if r.vetoes else ""
            rows.append(
                [
                    r.subject.id,
                    r.subject.name,
                    r.subject.organization or "",
                    format_decimal(r.score),
                    r.grade or "—",
                    note,
                ]
            )
        lines.extend(_table(rows, right=(3,)))
        if limit is not None and len(results) > limit:
            lines.append(
                w(
                    f"… {len(results) - limit} more (use --limit 0 for all, or --format csv)",
                    f"……另有 {len(results) - limit} 行（--limit 0 显示全部，或使用 --format csv）",
                )
            )
        lines.append("")
    return "\n".join(lines)


def render_csv(run: RunResult, rulesets: Sequence[Ruleset]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    category_ids: list[str] = []
    for ruleset in rulesets:
        for category in ruleset.categories:
            key = f"{ruleset.id}:{category.id}" if len(rulesets) > 1 else category.id
            category_ids.append(key)
    writer.writerow(
        [
            "ruleset",
            "subject_kind",
            "subject",
            "name",
            "organization",
            "status",
            "score",
            "grade",
            "scale",
            "veto",
            *category_ids,
            *(f"events_{b}" for b in BUCKETS),
        ]
    )
    for r in run.results:
        categories = {
            (f"{r.ruleset}:{c.id}" if len(rulesets) > 1 else c.id): format_decimal(c.score)
            for c in r.categories
        }
        writer.writerow(
            [
                r.ruleset,
                r.subject.kind,
                r.subject.id,
                r.subject.name,
                r.subject.organization or "",
                r.subject.status or "",
                format_decimal(r.score),
                r.grade or "",
                r.scale or "",
                ";".join(f"{v.rule}@{v.event}" for v in r.vetoes),
                *(categories.get(c, "") for c in category_ids),
                *(str(r.events[b]) for b in BUCKETS),
            ]
        )
    return buffer.getvalue()


def _write(text: str, output: str | None, out: TextIO, bom: bool = False) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8-sig" if bom else "utf-8")
    else:
        out.write(text)
        if not text.endswith("\n"):
            out.write("\n")


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    run, rulesets = _run(args)
    if args.format == "json":
        _write(dumps(run, with_trace=not args.summary), args.output, out)
    elif args.format == "csv":
        _write(render_csv(run, rulesets), args.output, out, bom=bool(args.output))
    else:
        limit = None if args.limit == 0 else args.limit
        _write(render_table(run, rulesets, args.lang, limit), args.output, out)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    from .explain import explain

    run, rulesets = _run(args)
    matches = [r for r in run.results if r.subject.id == args.subject]
    if not matches:
        known = sorted({r.subject.id for r in run.results})
        from .errors import suggestion

        hint, _ = suggestion(args.subject, known)
        raise UsageError(
            f'no result for subject "{args.subject}" in this period' + (f"; {hint}" if hint else "")
        )
    by_id = {r.id: r for r in rulesets}
    texts = [explain(result, by_id[result.ruleset], run, args.lang) for result in matches]
    _write("\n\n".join(texts), args.output, out)
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, out: TextIO) -> int:
    from .generate import generate_county, write_csv_folder

    if args.members < 1:
        raise UsageError("--members must be at least 1")
    dataset = generate_county(members=args.members, seed=args.seed, year=args.year)
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", parents=[common], help="validate rulesets (files or folders)"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--strict", action="store_true", help="warnings also fail (exit 1)")
    check.set_defaults(handler=cmd_check)

    def data_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--ruleset",
            "-r",
            action="append",
            required=True,
            metavar="PATH",
            help="a ruleset file or folder (repeat for several)",
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

    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="evaluate rulesets over data for a period"
    )
    data_options(evaluate)
    evaluate.add_argument("--format", choices=["table", "json", "csv"], default="table")
    evaluate.add_argument(
        "--limit",
        type=int,
        default=30,
        help="rows shown in the table (default 30; 0 for all)",
    )
    evaluate.add_argument(
        "--summary", action="store_true", help="JSON without the per-event traces"
    )
    evaluate.set_defaults(handler=cmd_evaluate)

    explain = commands.add_parser(
        "explain", parents=[common], help="explain one subject's result, record by record"
    )
    data_options(explain)
    explain.add_argument("--subject", "-s", required=True, help="member or organization id")
    explain.set_defaults(handler=cmd_explain)

    generate = commands.add_parser(
        "generate", parents=[common], help="write a synthetic county dataset (CSV folder)"
    )
    generate.add_argument("--members", type=int, default=4300)
    generate.add_argument("--seed", type=int, default=2015)
    generate.add_argument("--year", type=int, default=2015)
    generate.add_argument("--out", required=True, metavar="DIR")
    generate.set_defaults(handler=cmd_generate)
    return parser


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
    except DangjianError as exc:
        print(f"dangjian-rules: {exc}", file=err)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_ERROR
