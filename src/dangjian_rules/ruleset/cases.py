"""The ``[[tests]]`` cases of a ruleset, their shape checked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dangjian_rules.errors import UsageError, suggestion
from dangjian_rules.model.period import Period
from dangjian_rules.ruleset.compiled import (
    EXPECT_KEYS,
    TestCase,
)
from dangjian_rules.ruleset.spec import (
    Checker,
    GivenTable,
    PathT,
    PreviousTable,
    TestCaseTable,
)


def compile_tests(c: Checker, raw: list[Any], prefix: PathT = ()) -> tuple[TestCase, ...]:
    """The ``[[tests]]`` cases, their shape checked (their records are checked when run)."""
    cases: list[TestCase] = []
    names: dict[str, int] = {}
    for index, item in enumerate(raw):
        path: PathT = (*prefix, "tests", index)
        entry = c.table(item, TestCaseTable, path)
        if "given" in entry:
            c.table(entry["given"], GivenTable, (*path, "given"))
            if _report_infinite(c, entry["given"], (*path, "given")):
                continue
        if "previous" in entry:
            c.table(entry["previous"], PreviousTable, (*path, "previous"))
        expect = entry.get("expect", {})
        for key in expect:
            if key not in EXPECT_KEYS:
                hint, hint_zh = suggestion(key, EXPECT_KEYS)
                c.report(
                    "DJ101",
                    (*path, "expect", key),
                    f'unknown expectation "{key}" in tests[{index}]',
                    f"tests[{index}] 中有未知的预期项“{key}”",
                    hint,
                    hint_zh,
                )
        name = entry.get("name")
        if name in names:
            c.report(
                "DJ105",
                (*path, "name"),
                f'two test cases are named "{name}" (first at tests[{names[name]}])',
                f"测试用例名称“{name}”重复（首次出现在 tests[{names[name]}]）",
                "give each case its own name",
                "每个测试用例须有不同的名称",
                at_value=True,
            )
        if isinstance(name, str):
            names.setdefault(name, index)
        period = entry.get("period")
        if period is not None:
            try:
                Period.parse(period)
            except UsageError as exc:
                c.report(
                    "DJ104",
                    (*path, "period"),
                    str(exc),
                    f"测试用例的考核期“{period}”无法识别",
                    "write 2015, 2015-H1, 2015-Q2, 2015-03 or 2015-01-01..2015-06-30",
                    at_value=True,
                )
                continue
        if {"name", "period", "given", "expect"} <= set(entry):
            place = c.positions.locate(path)
            cases.append(
                TestCase(
                    name=entry["name"],
                    period=entry["period"],
                    subject=entry.get("subject"),
                    given=entry["given"],
                    expect=expect,
                    previous=entry.get("previous"),
                    file=c.file,
                    line=place[0] if place else None,
                )
            )
    return tuple(cases)


def _report_infinite(c: Checker, value: object, path: PathT) -> bool:
    """``nan`` and ``inf`` in a case's records (TOML has them, data files do not): DJ135
    at each, since no record can hold them.  True if any was found."""
    if isinstance(value, Decimal):
        if value.is_finite():
            return False
        c.report(
            "DJ135",
            path,
            f"{value} is not a number a record can hold",
            f"{value} 不是记录可以使用的数字",
            "write a finite number, e.g. quantity = 2",
            "请写有限的数字，如 quantity = 2",
            at_value=True,
        )
        return True
    items: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    found = [_report_infinite(c, item, (*path, key)) for key, item in items]
    return any(found)
