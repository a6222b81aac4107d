"""The condition language's types: what a condition's value is, and the type errors of a
condition that parses but does not fit the declared fields and functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from dangjian_rules.errors import suggestion
from dangjian_rules.ruleset.exprsyntax import ExprError, Node

# Types of the language: scalar names, or "list[<scalar>]".
STRING, DECIMAL, BOOLEAN, DATE = "string", "decimal", "boolean", "date"
LIST_OF_STRING = "list[string]"


@attrs.frozen
class Function:
    """A function that conditions may call, e.g. ``month(event.date)``."""

    name: str
    parameters: tuple[str, ...]
    returns: str
    implementation: Callable[..., Any]
    description: str = ""


#: Fields known to a condition: root name ("event", "member", "organization") →
#: field name → type name.
Environment = Mapping[str, Mapping[str, str]]


_ROOT_ZH = {"event": "活动记录", "member": "党员", "organization": "党组织"}


def _type_en(type_name: str) -> str:
    return {
        STRING: "text",
        DECIMAL: "a number",
        BOOLEAN: "true/false",
        DATE: "a date",
        LIST_OF_STRING: "a list of texts",
        "null": "nothing",
    }.get(type_name, type_name)


def _type_zh(type_name: str) -> str:
    return {
        STRING: "文本",
        DECIMAL: "数字",
        BOOLEAN: "是/否",
        DATE: "日期",
        LIST_OF_STRING: "文本列表",
        "null": "空",
    }.get(type_name, type_name)


def check(node: Node, env: Environment, functions: Mapping[str, Function]) -> str:
    """The type of a condition's value; raises :class:`ExprError` on a type error."""
    op = node.op
    if op == "literal":
        return _literal_type(node.value)
    if op == "field":
        return _field_type(node, env)
    if op == "list":
        item_types = {check(child, env, functions) for child in node.children}
        if len(item_types) > 1:
            raise ExprError(
                "a list must hold values of one type",
                "列表中的值类型必须一致",
                node.offset,
            )
        return f"list[{item_types.pop() if item_types else STRING}]"
    if op in ("not", "and", "or"):
        for child in node.children:
            want(child, BOOLEAN, env, functions, truthy=True)
        return BOOLEAN
    if op == "neg":
        want(node.children[0], DECIMAL, env, functions)
        return DECIMAL
    if op == "arith":
        return _arith_type(node, env, functions)
    if op == "compare":
        return _compare_type(node, env, functions)
    if op == "call":
        return _call_type(node, env, functions)
    raise AssertionError(op)


def _literal_type(value: object) -> str:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, Decimal):
        return DECIMAL
    if isinstance(value, dt.date):
        return DATE
    return STRING


def _field_type(node: Node, env: Environment) -> str:
    root, name = node.value
    if root not in env:
        hint, hint_zh = suggestion(root, env.keys())
        raise ExprError(
            f'"{root}" is not available here',
            f"此处不能使用“{root}”",
            node.offset,
            hint,
            hint_zh,
        )
    fields = env[root]
    if name not in fields:
        hint, hint_zh = suggestion(name, fields.keys())
        raise ExprError(
            f"{root}.{name} is not a declared field",
            f"{root}.{name} 不是已声明的字段（{_ROOT_ZH.get(root, root)}）",
            node.offset,
            hint or "declare it under [event_types.<type>.fields] or [fields.member]",
            hint_zh or "请在 [event_types.<类型>.fields] 或 [fields.member] 中声明",
        )
    return fields[name]


def _arith_type(node: Node, env: Environment, functions: Mapping[str, Function]) -> str:
    left = check(node.children[0], env, functions)
    right = check(node.children[1], env, functions)
    if node.value == "-" and left == DATE and right == DATE:
        return DECIMAL  # days between
    if node.value in ("+", "-") and left == DATE and right == DECIMAL:
        _check_constant_days(node)
        return DATE
    if left != DECIMAL or right != DECIMAL:
        raise ExprError(
            f'"{node.value}" needs numbers, got {_type_en(left)} and {_type_en(right)}',
            f"“{node.value}”两边应为数字，实际为{_type_zh(left)}和{_type_zh(right)}",
            node.offset,
        )
    return DECIMAL


#: More days than lie between the first and the last date of the calendar.
_CALENDAR_DAYS = (dt.date.max - dt.date.min).days


def _constant(node: Node) -> object:
    """The value of a literal or a negated number literal, else None."""
    if node.op == "literal":
        return node.value
    if node.op == "neg" and node.children[0].op == "literal":
        value = node.children[0].value
        return -value if isinstance(value, Decimal) else None
    return None


def _check_constant_days(node: Node) -> None:
    """``date ± days`` with constant days that leave the calendar for every date (or for
    the constant date given) is refused here rather than failing at evaluation."""
    start, days = (_constant(child) for child in node.children)
    if not isinstance(days, Decimal):
        return
    if days.is_finite() and days != days.to_integral_value():
        raise ExprError(
            f"{node.value} {days} days: a date moves by whole days",
            f"{node.value} {days} 天：日期只能加减整天",
            node.offset,
            "use a whole number of days",
            "请使用整数天数",
        )
    leaves = not days.is_finite() or abs(days) > _CALENDAR_DAYS
    if not leaves and isinstance(start, dt.date):
        try:
            step = dt.timedelta(days=int(days))
            _ = start + step if node.value == "+" else start - step
        except OverflowError:
            leaves = True
    if leaves:
        raise ExprError(
            f"{node.value} {days} days gives a date outside years 1–9999",
            f"{node.value} {days} 天得出的日期超出 1–9999 年",
            node.offset,
            "use a number of days that keeps the date within the calendar",
            "请使用能让日期保持在 1–9999 年之内的天数",
        )


def _compare_type(node: Node, env: Environment, functions: Mapping[str, Function]) -> str:
    left = check(node.children[0], env, functions)
    right = check(node.children[1], env, functions)
    if node.value in ("in", "not in"):
        if not right.startswith("list["):
            raise ExprError(
                f'"{node.value}" needs a list on its right, got {_type_en(right)}',
                f"“{node.value}”右边应为列表，实际为{_type_zh(right)}",
                node.offset,
                'write a list such as ["county", "city"]',
                '请写成列表，如 ["county", "city"]',
            )
        item = right[5:-1]
        if item != left:
            raise ExprError(
                f"cannot look for {_type_en(left)} in a list of {_type_en(item)}",
                f"不能在{_type_zh(right)}中查找{_type_zh(left)}",
                node.offset,
            )
        return BOOLEAN
    if left != right:
        raise ExprError(
            f"cannot compare {_type_en(left)} with {_type_en(right)}",
            f"不能比较{_type_zh(left)}和{_type_zh(right)}",
            node.offset,
            'put text in quotes ("…"), numbers without quotes, dates as 2015-07-01',
            '文本加引号（"…"），数字不加引号，日期写作 2015-07-01',
        )
    if node.value not in ("==", "!=") and left not in (DECIMAL, DATE):
        raise ExprError(
            f'"{node.value}" compares numbers or dates, not {_type_en(left)}',
            f"“{node.value}”只能比较数字或日期，不能比较{_type_zh(left)}",
            node.offset,
        )
    return BOOLEAN


def _call_type(node: Node, env: Environment, functions: Mapping[str, Function]) -> str:
    function = functions.get(node.value)
    if function is None:
        hint, hint_zh = suggestion(node.value, functions.keys())
        raise ExprError(
            f'unknown function "{node.value}"',
            f"未知函数“{node.value}”",
            node.offset,
            hint,
            hint_zh,
        )
    if len(node.children) != len(function.parameters):
        raise ExprError(
            f"{function.name}() takes {len(function.parameters)} argument(s), "
            f"got {len(node.children)}",
            f"{function.name}() 需要 {len(function.parameters)} 个参数，"
            f"实际为 {len(node.children)} 个",
            node.offset,
        )
    for child, wanted in zip(node.children, function.parameters, strict=True):
        want(child, wanted, env, functions)
    return function.returns


def want(
    node: Node,
    wanted: str,
    env: Environment,
    functions: Mapping[str, Function],
    truthy: bool = False,
) -> None:
    actual = check(node, env, functions)
    if actual != wanted:
        raise ExprError(
            f"expected {_type_en(wanted)} here, got {_type_en(actual)}",
            f"此处应为{_type_zh(wanted)}，实际为{_type_zh(actual)}",
            node.offset,
            (
                'look for an item, e.g. "书记" in member.roles'
                if actual == LIST_OF_STRING
                else 'compare it, e.g. event.level == "county"'
            )
            if truthy
            else None,
            (
                '请写成查找，如 "书记" in member.roles'
                if actual == LIST_OF_STRING
                else '请写成比较，如 event.level == "county"'
            )
            if truthy
            else None,
        )


def _literal_texts(node: Node) -> list[Node]:
    if node.op == "literal" and isinstance(node.value, str):
        return [node]
    if node.op == "list":
        return [child for child in node.children if child.op == "literal"]
    return []


def check_choices(node: Node, choices: Mapping[tuple[str, str], Sequence[str]]) -> None:
    """A text compared with a field that lists its values must be one of them."""
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(current.children)
        if current.op != "compare" or current.value not in ("==", "!=", "in", "not in"):
            continue
        left, right = current.children
        for field, other in ((left, right), (right, left)):
            if field.op != "field" or tuple(field.value) not in choices:
                continue
            allowed = choices[tuple(field.value)]
            for literal in _literal_texts(other):
                if literal.value not in allowed:
                    hint, hint_zh = suggestion(literal.value, allowed)
                    name = ".".join(field.value)
                    raise ExprError(
                        f'"{literal.value}" is not one of the values of {name}',
                        f"“{literal.value}”不是 {name} 的可选值",
                        literal.offset,
                        hint,
                        hint_zh,
                    )
