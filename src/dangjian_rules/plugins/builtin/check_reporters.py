"""Built-in check reporters: the formats of ``dangjian-rules check --format …``.

Each renders the problems found in the checked ruleset files,
``render(problems, files, lang) -> str``, where ``files`` are the ruleset files that were
checked (as the paths that problems name) and ``lang`` the language of messages:

* ``text`` — ``FILE:LINE:COL: CODE message``, an indented hint, a summary line;
* ``json`` — ``{"files": N, "problems": [...]}`` with both languages;
* ``github`` — one GitHub Actions workflow command (``::error …`` / ``::warning …``) per
  problem, which GitHub shows as an annotation on the file and line; nothing when clean;
* ``sarif`` — a SARIF 2.1.0 log, for code scanning (``github/codeql-action/upload-sarif``);
* ``junit`` — JUnit XML with one test case per ruleset file, a ``<failure>`` per error,
  warnings in ``<system-out>``; for CI test reports (GitLab ``artifacts:reports:junit``).

A plugin adds a format through ``dangjian_rules_check_reporters``.  The exit code of
``check`` does not depend on the format.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from dangjian_rules._version import __version__
from dangjian_rules.errors import Language, Problem
from dangjian_rules.io.formats import CheckReporter, format_problems, in_language
from dangjian_rules.io.safe_text import printable
from dangjian_rules.plugins.hookspecs import hookimpl

TOOL_NAME = "dangjian-rules"
INFORMATION_URI = "https://pypi.org/project/dangjian-rules/"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _message_with_hint(problem: Problem, lang: Language) -> str:
    """The message, and the hint on a line of its own."""
    hint = problem.hint_text(lang)
    text = problem.text(lang)
    return f"{text}\n{in_language(lang, 'hint: ', '提示：')}{hint}" if hint else text


# ------------------------------------------------------------------------------ text


def render_text(problems: Sequence[Problem], files: Sequence[str], lang: Language) -> str:
    """The same lines as the problems of every other command, or that all is well."""
    if problems:
        return format_problems(problems, lang)
    return in_language(
        lang,
        f"All checked: {len(files)} ruleset file(s), no problems.\n",
        f"检查通过：{len(files)} 个规则集文件，没有问题。\n",
    )


# ------------------------------------------------------------------------------ json


def render_json(problems: Sequence[Problem], files: Sequence[str], lang: Language) -> str:
    report = {"files": len(files), "problems": [p.to_dict() for p in problems]}
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------------------ github


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(problems: Sequence[Problem], files: Sequence[str], lang: Language) -> str:
    """``::error file=F,line=L,col=C,title=CODE::message%0Ahint: …``, one line each."""
    lines: list[str] = []
    for problem in problems:
        properties: list[str] = []
        if problem.file is not None:
            properties.append(f"file={_escape_property(problem.file)}")
            if problem.line is not None:
                properties.append(f"line={problem.line}")
                if problem.column is not None:
                    properties.append(f"col={problem.column}")
        properties.append(f"title={_escape_property(problem.code)}")
        message = _escape_data(_message_with_hint(problem, lang))
        lines.append(f"::{problem.severity} {','.join(properties)}::{message}\n")
    return printable("".join(lines))


# ------------------------------------------------------------------------------ sarif


def _uri(file: str) -> str:
    """A file as a SARIF artifact URI: relative paths stay relative (to the checkout)."""
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _sarif_result(problem: Problem, rule_index: int, lang: Language) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": problem.code,
        "ruleIndex": rule_index,
        "level": problem.severity,
        "message": {"text": _message_with_hint(problem, lang)},
    }
    location: dict[str, Any] = {}
    if problem.file is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(problem.file)}}
        if problem.line is not None:
            region = {"startLine": problem.line}
            if problem.column is not None:
                region["startColumn"] = problem.column
            physical["region"] = region
        location["physicalLocation"] = physical
    if problem.path:
        location["logicalLocations"] = [{"fullyQualifiedName": problem.path}]
    if location:
        result["locations"] = [location]
    return result


def render_sarif(problems: Sequence[Problem], files: Sequence[str], lang: Language) -> str:
    """A SARIF 2.1.0 log: one run, a rule per problem code, a result per problem."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for problem in sorted(problems, key=lambda p: p.code):
        if problem.code not in index:
            index[problem.code] = len(rules)
            rules.append({"id": problem.code, "shortDescription": {"text": problem.text(lang)}})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_sarif_result(p, index[p.code], lang) for p in problems],
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


# ------------------------------------------------------------------------------ junit


def _problem_line(problem: Problem, lang: Language) -> str:
    severity = "" if problem.severity == "error" else in_language(lang, "warning: ", "警告：")
    text = f"{problem.location()}: {problem.code} {severity}{problem.text(lang)}"
    hint = problem.hint_text(lang)
    return f"{text}\n  {in_language(lang, 'hint: ', '提示：')}{hint}" if hint else text


def render_junit(problems: Sequence[Problem], files: Sequence[str], lang: Language) -> str:
    """One ``<testcase>`` per ruleset file (also per missing path a problem names)."""
    names = list(dict.fromkeys([*files, *(p.file or "<input>" for p in problems)]))
    by_file: dict[str, list[Problem]] = {name: [] for name in names}
    for problem in problems:
        by_file[problem.file or "<input>"].append(problem)
    failed = sum(1 for found in by_file.values() if any(p.severity == "error" for p in found))
    counts = {"tests": str(len(names)), "failures": str(failed), "errors": "0"}
    suite_name = f"{TOOL_NAME} check"
    root = ET.Element("testsuites", {"name": suite_name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": suite_name, **counts, "skipped": "0"})
    for name in names:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": suite_name, "name": name, "file": name, "time": "0"},
        )
        found = by_file[name]
        for problem in found:
            if problem.severity == "error":
                failure = ET.SubElement(
                    case,
                    "failure",
                    {"type": problem.code, "message": f"{problem.code} {problem.text(lang)}"},
                )
                failure.text = _problem_line(problem, lang)
        warnings = [_problem_line(p, lang) for p in found if p.severity != "error"]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(warnings)
    ET.indent(root)
    return printable(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"


# ------------------------------------------------------------------------------ the plugin

#: in the order ``check --format`` documents them
CHECK_REPORTERS: tuple[CheckReporter, ...] = (
    CheckReporter("text", "FILE:LINE:COL: CODE message, a hint, a summary line", render_text),
    CheckReporter("json", '{"files": N, "problems": [...]}, both languages', render_json),
    CheckReporter("github", "GitHub Actions annotations, one per problem", render_github),
    CheckReporter("sarif", "a SARIF 2.1.0 log, for code scanning", render_sarif),
    CheckReporter("junit", "JUnit XML, one test case per ruleset file", render_junit),
)


@hookimpl
def dangjian_rules_check_reporters() -> Sequence[CheckReporter]:
    return CHECK_REPORTERS
