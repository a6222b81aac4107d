"""Ruleset files: read, decode, parse, discover, and the versions in force.

:func:`load_ruleset` reads one file and returns a :class:`Ruleset` ready to evaluate,
or raises :class:`~dangjian_rules.errors.ProblemsFound` with every problem found, each
located at ``file:line:col`` with the path inside the ruleset (the format is described
in ``docs/ruleset-format.md``).  Every function here takes the
:class:`~dangjian_rules.ruleset.vocabulary.Vocabulary` a ruleset may use; the versions
that consult the installed plugins are in :mod:`dangjian_rules.api`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import tomli

from dangjian_rules.errors import Problem, ProblemsFound, suggestion
from dangjian_rules.limits import LIMITS, FileRefused, limit, read_regular_file
from dangjian_rules.ruleset import tomlpos
from dangjian_rules.ruleset.cases import compile_tests
from dangjian_rules.ruleset.compile import compile_document
from dangjian_rules.ruleset.compiled import (
    Origin,
    Ruleset,
    TestCase,
)
from dangjian_rules.ruleset.corpus import duplicate_ids, reference_cycles, unknown_references
from dangjian_rules.ruleset.extends import RulesetIndex, SourceIndex, resolve
from dangjian_rules.ruleset.spec import Checker, TestsFile
from dangjian_rules.ruleset.vocabulary import Vocabulary

#: The caller's last word on a ruleset that compiled (plugins' own checks, say): given
#: the ruleset, its document (baselines merged in) and the source positions, returns the
#: ruleset to use and any further problems.
Review = Callable[[Ruleset, Mapping[str, Any], tomlpos.Positions], tuple[Ruleset, list[Problem]]]


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(
            code="DJ113",
            message="the ruleset is not UTF-8 text",
            message_zh="规则集文件不是 UTF-8 编码",
            file=file,
            line=line,
            hint="save the file as UTF-8 (in WPS/Notepad: Save As → Encoding → UTF-8)",
            hint_zh="请以 UTF-8 编码另存（另存为 → 编码 → UTF-8）",
        )
    return text.removeprefix("\ufeff"), None


def _syntax_problem(exc: tomli.TOMLDecodeError, file: str) -> Problem:
    message = getattr(exc, "msg", str(exc))
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    return Problem(
        code="DJ100",
        message=f"TOML syntax error: {message}",
        message_zh=f"TOML 语法错误：{message}",
        file=file,
        line=line,
        column=column,
        hint='check quotes, brackets and "=" on this line',
        hint_zh="请检查本行的引号、括号和等号",
    )


def parse_toml(source: str, file: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """The TOML document, or the located problem that stops it (DJ100 syntax, DJ132 an
    integer longer than Python converts)."""
    try:
        return tomli.loads(source, parse_float=Decimal), None
    except tomli.TOMLDecodeError as exc:
        return None, _syntax_problem(exc, file)
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        return None, _huge_integer(source, file)


def _huge_integer(source: str, file: str) -> Problem:
    digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    found = re.search(rf"[0-9][0-9_]{{{digits - 1},}}", source)
    start = found.start() if found else 0
    line_start = source.rfind("\n", 0, start) + 1
    return Problem(
        code="DJ132",
        message=f"a number with more than {digits} digits",
        message_zh=f"数字超过 {digits} 位",
        file=file,
        line=source.count("\n", 0, start) + 1 if found else None,
        column=start - line_start + 1 if found else None,
        hint="no score or quantity needs so many digits; check the value",
        hint_zh="分值或数量不需要这么多位数字，请检查该值",
    )


def _too_many_rules(loader: Checker, document: Mapping[str, Any]) -> bool:
    """More rules than the limit (DJ133, at the first rule over it): nothing is compiled."""
    rules, cap = document.get("rules"), limit("rules")
    if not isinstance(rules, list) or len(rules) <= cap:
        return False
    variable = LIMITS["rules"][0]
    loader.report(
        "DJ133",
        ("rules", cap),
        f"{len(rules)} rules; a ruleset may have at most {cap}",
        f"共 {len(rules)} 条规则，一个规则集最多 {cap} 条",
        f"split the ruleset, or raise the limit with {variable}",
        f"请拆分规则集，或通过环境变量 {variable} 提高上限",
    )
    return True


def parse_ruleset(
    text: str | bytes,
    file: str,
    vocabulary: Vocabulary,
    index: RulesetIndex | None = None,
    review: Review | None = None,
) -> tuple[Ruleset | None, list[Problem]]:
    """Load a ruleset from its source; returns it (or None) and every problem found.

    ``index`` finds the baselines a ruleset ``extends`` (see extends.py); ``review``
    has the last word on a ruleset that compiled (see :data:`Review`).
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    source, problem = _decode(data, file)
    if source is None:
        assert problem is not None
        return None, [problem]
    document, problem = parse_toml(source, file)
    if document is None:
        assert problem is not None
        return None, [problem]
    loader = Checker(source, file, vocabulary)
    if _too_many_rules(loader, document):
        return None, loader.problems
    header = document.get("ruleset")
    if isinstance(header, dict) and "extends" in header:
        for key in ("id", "name", "version"):  # a county ruleset names itself
            if key not in header:
                loader.report(
                    "DJ102",
                    ("ruleset",),
                    f'a ruleset that extends another still needs its own "{key}"',
                    f"继承其他规则集的规则集仍须填写自己的“{key}”",
                    f"add {key} = …",
                    f"请补充 {key} = …",
                )
    document, baselines, found = resolve(document, file, index)
    place = loader.positions.value(("ruleset", "extends"))
    if place is not None:  # baseline problems point at this file's extends value
        found = [attrs.evolve(p, file=file, line=place[0], column=place[1]) for p in found]
    if found or loader.problems:
        return None, sorted([*loader.problems, *found], key=Problem.sort_key)
    digest = hashlib.sha256(data)
    for _, _, baseline in baselines:  # the provenance covers every source used
        digest.update(b"\0")
        digest.update(baseline)
    ruleset = compile_document(loader, document, digest.hexdigest())
    if ruleset is not None:
        ruleset = attrs.evolve(
            ruleset,
            extends=tuple(b[0] for b in baselines),
            origin=(file, data, tuple((b[1], b[2]) for b in baselines)),
        )
    problems = loader.problems
    if ruleset is not None and review is not None:
        ruleset, found = review(ruleset, document, loader.positions)
        problems.extend(attrs.evolve(p, file=p.file or file) for p in found)
        if any(p.severity == "error" for p in problems):
            ruleset = None
    return ruleset, sorted(problems, key=Problem.sort_key)


def rebuild(origin: Origin, vocabulary: Vocabulary, review: Review | None = None) -> Ruleset:
    """A ruleset from its sources (see Ruleset.__reduce__)."""
    file, data, baselines = origin
    ruleset, problems = parse_ruleset(data, file, vocabulary, SourceIndex(baselines), review)
    if ruleset is None:
        raise ProblemsFound(problems)
    return ruleset


def index_for(paths: Iterable[str | os.PathLike[str]], vocabulary: Vocabulary) -> RulesetIndex:
    """Where baselines are looked for: the given folders, the folders of the given files
    and the folder above each, and the rulesets shipped with the vocabulary."""
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw)
        folder = path if path.is_dir() else path.parent
        for root in (folder, folder.parent):
            if root not in roots:
                roots.append(root)
    packaged, _ = ruleset_files(vocabulary.ruleset_paths)
    return RulesetIndex(roots, packaged)


def load_ruleset(
    path: str | os.PathLike[str],
    vocabulary: Vocabulary,
    index: RulesetIndex | None = None,
    review: Review | None = None,
) -> Ruleset:
    """Load, check and compile one ruleset file.

    Raises :class:`ProblemsFound` if it has any error (warnings alone do not raise).
    """
    file = os.fspath(path)
    try:
        data = read_regular_file(file, "ruleset_bytes")
    except OSError as exc:
        raise ProblemsFound([_unreadable(file, exc)]) from None
    ruleset, problems = parse_ruleset(
        data, file, vocabulary, index or index_for([file], vocabulary), review
    )
    sibling = Path(file).with_suffix(".tests.toml")
    if ruleset is not None and sibling.exists():
        cases, found = _sibling_tests(sibling, vocabulary)
        problems = [*problems, *found]
        ruleset = None if found else attrs.evolve(ruleset, tests=(*ruleset.tests, *cases))
    if ruleset is None:
        raise ProblemsFound(problems)
    return ruleset


def _sibling_tests(
    path: Path, vocabulary: Vocabulary
) -> tuple[tuple[TestCase, ...], list[Problem]]:
    """The ``[[tests]]`` of ``<ruleset>.tests.toml``, kept beside the ruleset."""
    file = os.fspath(path)
    try:
        data = read_regular_file(path, "ruleset_bytes")
    except OSError as exc:
        return (), [_unreadable(file, exc)]
    source, problem = _decode(data, file)
    document = None
    if source is not None:
        document, problem = parse_toml(source, file)
    if source is None or document is None:
        assert problem is not None
        return (), [problem]
    loader = Checker(source, file, vocabulary)
    top = loader.table(document, TestsFile, ())
    cases = compile_tests(loader, top.get("tests", []))
    return cases, loader.problems


def _unreadable(file: str, exc: OSError) -> Problem:
    if isinstance(exc, FileRefused):
        return Problem(
            code="DJ131",
            message=f"the ruleset file is not read: {exc.strerror}",
            message_zh=f"不读取该规则集文件：{exc.message_zh}",
            file=file,
            hint=exc.hints[0],
            hint_zh=exc.hints[1],
        )
    return Problem(
        code="DJ114",
        message=f"cannot read the ruleset: {exc.strerror or exc}",
        message_zh=f"无法读取规则集文件：{exc.strerror or exc}",
        file=file,
        hint="check the path",
        hint_zh="请检查路径是否正确",
    )


#: TOML files that tools keep beside rulesets; a folder scan passes over them.
TOOL_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", "Cargo.toml", "config.toml")


def _not_a_ruleset(relative: Path) -> bool:
    """Test-case files, tools' configuration, and anything in a hidden folder (.venv …)."""
    return (
        relative.name.endswith(".tests.toml")
        or relative.name in TOOL_FILES
        or any(part.startswith(".") for part in relative.parts[:-1])
    )


def ruleset_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders (recursively, ``*.toml``) into ruleset files, sorted."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*.toml")
                if p.exists() and not p.is_dir() and not _not_a_ruleset(p.relative_to(path))
            )
            if not found:
                problems.append(
                    Problem(
                        code="DJ114",
                        message="no ruleset files (*.toml) in this folder",
                        message_zh="此文件夹中没有规则集文件（*.toml）",
                        file=os.fspath(path),
                        hint="check the path",
                        hint_zh="请检查路径是否正确",
                    )
                )
            files.extend(found)
        elif path.exists():  # a pipe or a device too: reading it says why it is not read
            files.append(path)
        else:
            problems.append(
                Problem(
                    code="DJ114",
                    message="no such file or folder",
                    message_zh="文件或文件夹不存在",
                    file=os.fspath(path),
                    hint="check the path",
                    hint_zh="请检查路径是否正确",
                )
            )
    return files, problems


def check_paths(
    paths: Iterable[str | os.PathLike[str]],
    vocabulary: Vocabulary,
    review: Review | None = None,
) -> list[Problem]:
    """Every problem (errors and warnings) in the rulesets under ``paths``."""
    paths = list(paths)
    files, problems = ruleset_files(paths)
    index = index_for(files, vocabulary)
    checked: list[Ruleset] = []
    for file in files:
        try:
            data = read_regular_file(file, "ruleset_bytes")
        except OSError as exc:
            problems.append(_unreadable(os.fspath(file), exc))
            continue
        loaded, found = parse_ruleset(data, os.fspath(file), vocabulary, index, review)
        problems.extend(found)
        sibling = file.with_suffix(".tests.toml")
        if sibling.exists():  # the cases kept beside the ruleset are checked too
            problems.extend(_sibling_tests(sibling, vocabulary)[1])
        if loaded is not None:
            checked.append(loaded)
    problems.extend(duplicate_ids(checked))
    problems.extend(unknown_references(checked, index))
    problems.extend(reference_cycles(checked))
    return sorted(problems, key=Problem.sort_key)


def in_force_versions(
    rulesets: Sequence[Ruleset], start: dt.date, end: dt.date, pinned: Mapping[str, str] = {}
) -> tuple[list[Ruleset], list[Problem]]:
    """For each ruleset id, the version in force for the whole of [start, end], or the
    pinned version; problems for ids with none."""
    chosen: list[Ruleset] = []
    problems: list[Problem] = []
    by_id: dict[str, list[Ruleset]] = {}
    for ruleset in rulesets:
        by_id.setdefault(ruleset.id, []).append(ruleset)
    for ruleset_id, versions in sorted(by_id.items()):
        if ruleset_id in pinned:
            match = [r for r in versions if r.version == pinned[ruleset_id]]
            if not match:
                known = ", ".join(r.version for r in versions)
                problems.append(
                    Problem(
                        code="DJ120",
                        message=f'ruleset "{ruleset_id}" has no version {pinned[ruleset_id]} '
                        f"(versions: {known})",
                        message_zh=f"规则集“{ruleset_id}”没有版本 {pinned[ruleset_id]}"
                        f"（已有版本：{known}）",
                        file=versions[0].source,
                        path="ruleset.version",
                    )
                )
                continue
            chosen.append(match[0])
            continue
        fitting = [r for r in versions if r.in_force_on(start, end)]
        if len(versions) == 1 or not fitting:
            chosen.append(fitting[0] if fitting else versions[0])  # the engine reports DJ120
        else:
            chosen.append(fitting[0])
    return chosen, problems


def packaged_rulesets(vocabulary: Vocabulary) -> dict[str, Path]:
    """Ruleset id → file, for the rulesets shipped with the vocabulary (by plugins)."""
    files, _ = ruleset_files(vocabulary.ruleset_paths)
    found: dict[str, Path] = {}
    for file in files:
        try:
            document = tomli.loads(read_regular_file(file, "ruleset_bytes").decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError):  # TOMLDecodeError among them
            continue  # reported when the ruleset is used or checked
        header = document.get("ruleset")
        if isinstance(header, dict) and isinstance(header.get("id"), str):
            found.setdefault(header["id"], file)
    return found


def load_rulesets(
    references: Sequence[str | os.PathLike[str]],
    vocabulary: Vocabulary,
    review: Review | None = None,
) -> list[Ruleset]:
    """Load rulesets named by file, folder or (for plugins' rulesets) id.

    Raises :class:`ProblemsFound` with every problem of every ruleset, including two
    rulesets sharing an id.
    """
    paths: list[str | os.PathLike[str]] = []
    packaged: dict[str, Path] | None = None
    problems: list[Problem] = []
    for reference in references:
        if Path(reference).exists():
            paths.append(reference)
            continue
        if packaged is None:
            packaged = packaged_rulesets(vocabulary)
        text = os.fspath(reference)
        if text in packaged:
            paths.append(packaged[text])
        else:
            hint, hint_zh = suggestion(text, packaged)
            problems.append(
                Problem(
                    code="DJ114",
                    message="no such ruleset file, folder or installed ruleset id",
                    message_zh="找不到该规则集文件、文件夹或已安装的规则集 id",
                    file=text,
                    hint=hint
                    or "check the path; `dangjian-rules plugins` lists installed rulesets",
                    hint_zh=hint_zh or "请检查路径；`dangjian-rules plugins` 可列出已安装的规则集",
                )
            )
    files, missing = ruleset_files(paths)
    problems.extend(missing)
    rulesets: list[Ruleset] = []
    index = index_for(files, vocabulary)
    for file in files:
        try:
            rulesets.append(load_ruleset(file, vocabulary, index, review))
        except ProblemsFound as exc:
            problems.extend(exc.problems)
    problems.extend(duplicate_ids(rulesets))
    if problems:
        raise ProblemsFound(problems)
    if not rulesets:
        raise ProblemsFound(
            [
                Problem(
                    code="DJ114",
                    message="no ruleset files (*.toml) found here",
                    message_zh="此处没有规则集文件（*.toml）",
                    file=", ".join(os.fspath(r) for r in references),
                    hint="pass a .toml file or a folder holding some",
                    hint_zh="请传入 .toml 文件或包含它们的文件夹",
                )
            ]
        )
    return rulesets
