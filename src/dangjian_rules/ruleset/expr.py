"""The condition language of rulesets: small, safe, typed.

A condition is text such as ``event.late and member.status == "probationary"``.  It is
parsed by our own parser into a tree, type-checked against the declared fields, and
compiled into nested Python closures.  Nothing is ever passed to ``eval``; there are no
loops, no assignments and no attribute access beyond declared fields, so evaluating a
condition takes time proportional to its (bounded) size.

This module compiles a checked tree and is what the rest of the library imports; the
grammar and parser are in :mod:`exprsyntax`, the type checker in :mod:`exprtypes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from dangjian_rules.errors import Problem, ProblemsFound
from dangjian_rules.ruleset.exprsyntax import (
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    ExprError,
    Node,
    parse,
)
from dangjian_rules.ruleset.exprtypes import (
    BOOLEAN,
    DATE,
    DECIMAL,
    LIST_OF_STRING,
    STRING,
    Environment,
    Function,
    check,
    check_choices,
    want,
)

__all__ = [
    "BOOLEAN", "DATE", "DECIMAL", "LIST_OF_STRING", "MAX_DEPTH", "MAX_SOURCE_LENGTH",
    "STRING", "Compiled", "Condition", "Environment", "ExprError", "Function", "Node",
    "compile_condition", "compile_node", "fields_used",
]  # fmt: skip

# A compiled condition takes (event, member, organization) and returns a value.
Compiled = Callable[[Any, Any, Any], Any]


# -------------------------------------------------------------------- compile


def _root_getter(root: str) -> Callable[[Any, Any, Any], Any]:
    if root == "event":
        return lambda e, m, o: e
    if root == "member":
        return lambda e, m, o: m
    return lambda e, m, o: o


_CORE_FIELDS = {
    "event": {"id", "type", "date", "end", "quantity", "status", "days"},
    "member": {"id", "name", "status", "joined", "left", "roles", "organization"},
    "organization": {"id", "name", "kind", "parent", "region"},
}


def _field_getter(root: str, name: str) -> Compiled:
    if name in _CORE_FIELDS.get(root, ()):
        if root == "event":

            def event_core(e: Any, m: Any, o: Any) -> Any:
                return getattr(e, name)

            return event_core
        if root == "member":

            def member_core(e: Any, m: Any, o: Any) -> Any:
                return None if m is None else getattr(m, name)

            return member_core

        def org_core(e: Any, m: Any, o: Any) -> Any:
            return None if o is None else getattr(o, name)

        return org_core
    if root not in ("event", "member", "organization"):
        # Subject-level conditions get a mapping of facts (measure, result, previous …)
        # in the first position, where event rules get the event.
        def fact(e: Any, m: Any, o: Any) -> Any:
            return e[root].get(name)

        return fact
    get_root = _root_getter(root)

    def attribute(e: Any, m: Any, o: Any) -> Any:
        record = get_root(e, m, o)
        return None if record is None else record.attributes.get(name)

    return attribute


def _compare(op: str) -> Callable[[Any, Any], bool]:
    if op == "==":
        return lambda a, b: a is not None and b is not None and a == b
    if op == "!=":
        return lambda a, b: a is not None and b is not None and a != b
    if op == "<":
        return lambda a, b: a is not None and b is not None and a < b
    if op == "<=":
        return lambda a, b: a is not None and b is not None and a <= b
    if op == ">":
        return lambda a, b: a is not None and b is not None and a > b
    if op == ">=":
        return lambda a, b: a is not None and b is not None and a >= b
    if op == "in":
        return lambda a, b: a is not None and a in b
    return lambda a, b: a is not None and a not in b


def _arith(op: str, left: Compiled, right: Compiled) -> Compiled:
    def apply(e: Any, m: Any, o: Any) -> Any:
        a = left(e, m, o)
        b = right(e, m, o)
        if a is None or b is None:
            return None
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            return Decimal((a - b).days)
        if isinstance(a, dt.date):
            if b != int(b):  # half a day is no date: never truncated silently
                raise DaysNotWhole(f"{a} {op} {b}")
            try:
                days = dt.timedelta(days=int(b))
                return a + days if op == "+" else a - days
            except (OverflowError, ValueError):
                raise DateOutOfRange(f"{a} {op} {b}") from None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        try:
            return a / b
        except (ZeroDivisionError, InvalidOperation):
            return None

    return apply


class DateOutOfRange(ArithmeticError):
    """Date arithmetic in a condition left the calendar (years 1 to 9999)."""


class DaysNotWhole(ArithmeticError):
    """A date moved by a number of days that is not whole (1.5 days)."""


def compile_node(node: Node, functions: Mapping[str, Function]) -> Compiled:
    """Turn a checked tree into a closure ``(event, member, organization) -> value``."""
    op = node.op
    if op == "literal":
        value = node.value
        return lambda e, m, o: value
    if op == "field":
        return _field_getter(*node.value)
    if op == "list":
        items = [compile_node(child, functions) for child in node.children]
        if all(child.op == "literal" for child in node.children):
            constant = frozenset(child.value for child in node.children)
            return lambda e, m, o: constant
        return lambda e, m, o: frozenset(item(e, m, o) for item in items)
    if op == "not":
        inner = compile_node(node.children[0], functions)
        return lambda e, m, o: not inner(e, m, o)
    if op == "and":
        left, right = (compile_node(c, functions) for c in node.children)
        return lambda e, m, o: bool(left(e, m, o)) and bool(right(e, m, o))
    if op == "or":
        left, right = (compile_node(c, functions) for c in node.children)
        return lambda e, m, o: bool(left(e, m, o)) or bool(right(e, m, o))
    if op == "neg":
        inner = compile_node(node.children[0], functions)

        def negate(e: Any, m: Any, o: Any) -> Any:
            value = inner(e, m, o)
            return None if value is None else -value

        return negate
    if op == "arith":
        left, right = (compile_node(c, functions) for c in node.children)
        return _arith(node.value, left, right)
    if op == "compare":
        left, right = (compile_node(c, functions) for c in node.children)
        compare = _compare(node.value)
        return lambda e, m, o: compare(left(e, m, o), right(e, m, o))
    if op == "call":
        implementation = functions[node.value].implementation
        args = [compile_node(child, functions) for child in node.children]

        def call(e: Any, m: Any, o: Any) -> Any:
            values = [arg(e, m, o) for arg in args]
            if any(value is None for value in values):
                return None
            return implementation(*values)

        return call
    raise AssertionError(op)


@attrs.frozen
class Condition:
    """A parsed, type-checked and compiled condition."""

    source: str
    tree: Node = attrs.field(repr=False)
    evaluate: Compiled = attrs.field(repr=False, eq=False)

    def __call__(self, event: Any, member: Any, organization: Any) -> bool:
        return bool(self.evaluate(event, member, organization))


def compile_condition(
    source: str,
    env: Environment,
    functions: Mapping[str, Function],
    choices: Mapping[tuple[str, str], Sequence[str]] | None = None,
    place: tuple[str, str] | None = None,
) -> Condition:
    """Parse, check (must be true/false; texts among a field's declared values) and
    compile a condition.  ``place`` (file, path of the condition) names it when date
    arithmetic leaves the calendar for some record (DJ230)."""
    tree = parse(source)
    try:
        want(tree, BOOLEAN, env, functions, truthy=True)
        if choices:
            check_choices(tree, choices)
    except ExprError as exc:
        exc.kind = "type"
        raise
    compiled = compile_node(tree, functions)
    if place is not None and _has_date_arithmetic(tree, env, functions):
        compiled = _date_guarded(compiled, source, place)
    return Condition(source, tree, compiled)


def _has_date_arithmetic(tree: Node, env: Environment, functions: Mapping[str, Function]) -> bool:
    return any(
        node.op == "arith" and check(node.children[0], env, functions) == DATE
        for node in _nodes(tree)
    )


def _date_guarded(compiled: Compiled, source: str, place: tuple[str, str]) -> Compiled:
    """A date computed past year 9999 (or before year 1) is the record's problem, named
    with the rule's condition and the event, never an OverflowError."""
    file, path = place

    def guarded(e: Any, m: Any, o: Any) -> Any:
        try:
            return compiled(e, m, o)
        except DaysNotWhole as exc:
            record = f"event {getattr(e, 'id', '?')}"
            raise ProblemsFound(
                [
                    Problem(
                        code="DJ233",
                        message=f"condition {path} ({source}) moves a date by days that are "
                        f"not a whole number for {record}: {exc}",
                        message_zh=f"条件 {path}（{source}）对 {record} 给日期加减的天数不是整数："
                        f"{exc}",
                        file=file,
                        path=path,
                        hint="dates move by whole days; round the number in the data, or "
                        "compare numbers instead of dates",
                        hint_zh="日期只能加减整天；请在数据中取整，或改为比较数字",
                    )
                ]
            ) from None
        except DateOutOfRange as exc:
            record = f"event {getattr(e, 'id', '?')}"
            raise ProblemsFound(
                [
                    Problem(
                        code="DJ230",
                        message=f"condition {path} ({source}) gives a date outside years "
                        f"1–9999 for {record}: {exc}",
                        message_zh=f"条件 {path}（{source}）对 {record} 算出的日期超出 1–9999 年："
                        f"{exc}",
                        file=file,
                        path=path,
                        hint="check the event's date and the number of days added",
                        hint_zh="请检查该活动的日期和所加的天数",
                    )
                ]
            ) from None

    return guarded


def _nodes(tree: Node) -> list[Node]:
    found: list[Node] = []
    stack = [tree]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


def fields_used(node: Node) -> set[tuple[str, str]]:
    """Every ``root.field`` a condition reads."""
    return {current.value for current in _nodes(node) if current.op == "field"}
