"""The condition language of rulesets: small, safe, typed.

A condition is text such as ``event.late and member.status == "probationary"``.  It is
parsed by our own parser into a tree, type-checked against the declared fields, and
compiled into nested Python closures.  Nothing is ever passed to ``eval``; there are no
loops, no assignments and no attribute access beyond declared fields, so evaluating a
condition takes time proportional to its (bounded) size.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | DATE | "true" | "false" | list | call | field | "(" expr ")"
    list    := "[" (expr ("," expr)* ","?)? "]"
    call    := NAME "(" (expr ("," expr)*)? ")"
    field   := NAME "." NAME            e.g. event.type, member.status, organization.kind

Strings are in double or single quotes; dates are written bare as ``2015-07-01``.
A field whose value is missing compares as false; in a true/false position it is false.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 40
MAX_LIST_ITEMS = 500

# Types of the language: scalar names, or "list[<scalar>]".
STRING, DECIMAL, BOOLEAN, DATE = "string", "decimal", "boolean", "date"
LIST_OF_STRING = "list[string]"


class ExprError(Exception):
    """A problem in a condition; ``offset`` is the 0-based character position in its text."""

    def __init__(
        self,
        message: str,
        message_zh: str,
        offset: int,
        hint: str | None = None,
        hint_zh: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.offset = offset
        self.hint = hint
        self.hint_zh = hint_zh or hint
        #: "syntax" for a condition that does not parse, "type" for one that does not fit
        self.kind = "syntax"


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

# A compiled condition takes (event, member, organization) and returns a value.
Compiled = Callable[[Any, Any, Any], Any]


# -------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>==|!=|<=|>=|[<>+\-*/(),.\[\]])
  | (?P<name>[^\W\d]\w*)
    """,
    re.VERBOSE,
)

_KEYWORDS = {"and", "or", "not", "in", "true", "false"}


@attrs.frozen
class Token:
    kind: str
    text: str
    offset: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            char = source[position]
            raise ExprError(
                f'unexpected character "{char}"',
                f"无法识别的字符“{char}”",
                position,
                'conditions use and, or, not, ==, !=, <, <=, >, >=, in; "=" alone is not allowed'
                if char in "=&|!"
                else None,
                "条件中请使用 and、or、not、==、!=、<、<=、>、>=、in；不能单独使用“=”"
                if char in "=&|!"
                else None,
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            text = match.group()
            if kind == "name" and text in _KEYWORDS:
                kind = text
            tokens.append(Token(kind, text, position))
        position = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# -------------------------------------------------------------------- syntax tree


@attrs.frozen
class Node:
    """One node of a parsed condition."""

    op: str  # literal, field, list, call, not, and, or, neg, compare, arith
    offset: int
    value: Any = None
    children: tuple[Node, ...] = ()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(
                "condition is nested too deeply",
                "条件嵌套层次过深",
                offset,
                "split it into simpler conditions",
                "请拆分为较简单的条件",
            )

    def parse(self) -> Node:
        if len(self.source) > MAX_SOURCE_LENGTH:
            raise ExprError(
                f"condition is longer than {MAX_SOURCE_LENGTH} characters",
                f"条件超过 {MAX_SOURCE_LENGTH} 个字符",
                0,
                "split it into several rules",
                "请拆分为多条规则",
            )
        if not self.source.strip():
            raise ExprError(
                "condition is empty",
                "条件为空",
                0,
                "remove the key, or write a condition such as event.late",
                "请删除该键，或写出条件，如 event.late",
            )
        node = self.or_()
        token = self.peek()
        if token.kind != "end":
            raise ExprError(
                f'unexpected "{token.text}"',
                f"多余的“{token.text}”",
                token.offset,
                "join conditions with and / or",
                "请用 and / or 连接条件",
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek().kind == "or":
            token = self.take()
            node = Node("or", token.offset, children=(node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.peek().kind == "and":
            token = self.take()
            node = Node("and", token.offset, children=(node, self.not_()))
        return node

    def not_(self) -> Node:
        if self.peek().kind == "not":
            token = self.take()
            self.enter(token.offset)
            node = Node("not", token.offset, children=(self.not_(),))
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        token = self.peek()
        op: str | None = None
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            op = token.text
            self.take()
        elif token.kind == "in":
            op = "in"
            self.take()
        elif token.kind == "not" and self.tokens[self.index + 1].kind == "in":
            op = "not in"
            self.index += 2
        if op is None:
            return left
        right = self.sum()
        node = Node("compare", token.offset, op, (left, right))
        after = self.peek()
        if after.kind == "op" and after.text in ("==", "!=", "<", "<=", ">", ">="):
            raise ExprError(
                "comparisons cannot be chained",
                "比较不能连写",
                after.offset,
                "write a < b and b < c",
                "请写成 a < b and b < c",
            )
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            token = self.take()
            node = Node("arith", token.offset, token.text, (node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            token = self.take()
            node = Node("arith", token.offset, token.text, (node, self.unary()))
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.take()
            self.enter(token.offset)
            node = Node("neg", token.offset, children=(self.unary(),))
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Node("literal", token.offset, Decimal(token.text))
        if token.kind == "date":
            try:
                day = dt.date.fromisoformat(token.text)
            except ValueError:
                raise ExprError(
                    f'"{token.text}" is not a real date',
                    f"“{token.text}”不是有效日期",
                    token.offset,
                ) from None
            return Node("literal", token.offset, day)
        if token.kind == "string":
            return Node("literal", token.offset, _unquote(token))
        if token.kind in ("true", "false"):
            return Node("literal", token.offset, token.kind == "true")
        if token.kind == "op" and token.text == "(":
            self.enter(token.offset)
            node = self.or_()
            self.depth -= 1
            closing = self.peek()
            if not (closing.kind == "op" and closing.text == ")"):
                raise ExprError(
                    f'expected ")", found "{closing.text or "the end"}"',
                    f"此处应为“)”，实际为“{closing.text or '结尾'}”",
                    closing.offset,
                    'every "(" needs a ")"',
                    "每个“(”都需要对应的“)”",
                )
            self.take()
            return node
        if token.kind == "op" and token.text == "[":
            return self.list_(token)
        if token.kind == "name":
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text == ".":
                self.take()
                field = self.take()
                if field.kind not in ("name", "in", "not", "and", "or", "true", "false"):
                    raise ExprError(
                        f'expected a field name after "{token.text}."',
                        f"“{token.text}.”后应为字段名",
                        field.offset,
                    )
                name = field.text
                # measure.venue.passed: a measure's named part
                while (
                    self.peek().kind == "op"
                    and self.peek().text == "."
                    and (self.tokens[self.index + 1].kind == "name")
                ):
                    self.take()
                    name += "." + self.take().text
                return Node("field", token.offset, (token.text, name))
            if nxt.kind == "op" and nxt.text == "(":
                return self.call(token)
            raise ExprError(
                f'"{token.text}" is not a value',
                f"“{token.text}”不是一个值",
                token.offset,
                'write event.<field>, member.<field> or organization.<field>; text goes in quotes: "…"',
                '请写 event.<字段>、member.<字段> 或 organization.<字段>；文本要加引号："…"',
            )
        found = token.text or "the end"
        raise ExprError(
            f'expected a value, found "{found}"',
            f"此处应为一个值，实际为“{token.text or '结尾'}”",
            token.offset,
        )

    def list_(self, opening: Token) -> Node:
        items: list[Node] = []
        self.enter(opening.offset)
        while not (self.peek().kind == "op" and self.peek().text == "]"):
            items.append(self.or_())
            if len(items) > MAX_LIST_ITEMS:
                raise ExprError(
                    f"a list may hold at most {MAX_LIST_ITEMS} items",
                    f"列表最多 {MAX_LIST_ITEMS} 项",
                    opening.offset,
                )
            if self.peek().kind == "op" and self.peek().text == ",":
                self.take()
            elif not (self.peek().kind == "op" and self.peek().text == "]"):
                bad = self.peek()
                raise ExprError(
                    f'expected "," or "]" in a list, found "{bad.text or "the end"}"',
                    f"列表中此处应为“,”或“]”，实际为“{bad.text or '结尾'}”",
                    bad.offset,
                )
        self.take()
        self.depth -= 1
        return Node("list", opening.offset, children=tuple(items))

    def call(self, name: Token) -> Node:
        self.take()  # "("
        self.enter(name.offset)
        args: list[Node] = []
        while not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.or_())
            if self.peek().kind == "op" and self.peek().text == ",":
                self.take()
            elif not (self.peek().kind == "op" and self.peek().text == ")"):
                bad = self.peek()
                raise ExprError(
                    f'expected "," or ")" in a call, found "{bad.text or "the end"}"',
                    f"函数调用中此处应为“,”或“)”，实际为“{bad.text or '结尾'}”",
                    bad.offset,
                )
        self.take()
        self.depth -= 1
        return Node("call", name.offset, name.text, tuple(args))


def _unquote(token: Token) -> str:
    body = token.text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
        else:
            out.append(char)
    return "".join(out)


def parse(source: str) -> Node:
    """Parse a condition; raises :class:`ExprError` on bad syntax."""
    return _Parser(source).parse()


# -------------------------------------------------------------------- types

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
        value = node.value
        if isinstance(value, bool):
            return BOOLEAN
        if isinstance(value, Decimal):
            return DECIMAL
        if isinstance(value, dt.date):
            return DATE
        return STRING
    if op == "field":
        root, name = node.value
        if root not in env:
            from dangjian_rules.errors import suggestion

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
            from dangjian_rules.errors import suggestion

            hint, hint_zh = suggestion(name, fields.keys())
            raise ExprError(
                f"{root}.{name} is not a declared field",
                f"{root}.{name} 不是已声明的字段（{_ROOT_ZH.get(root, root)}）",
                node.offset,
                hint or "declare it under [event_types.<type>.fields] or [fields.member]",
                hint_zh or "请在 [event_types.<类型>.fields] 或 [fields.member] 中声明",
            )
        return fields[name]
    if op == "list":
        item_types = {check(child, env, functions) for child in node.children}
        if len(item_types) > 1:
            raise ExprError(
                "a list must hold values of one type",
                "列表中的值类型必须一致",
                node.offset,
            )
        return f"list[{item_types.pop() if item_types else STRING}]"
    if op == "not":
        _want(node.children[0], BOOLEAN, env, functions, truthy=True)
        return BOOLEAN
    if op in ("and", "or"):
        for child in node.children:
            _want(child, BOOLEAN, env, functions, truthy=True)
        return BOOLEAN
    if op == "neg":
        _want(node.children[0], DECIMAL, env, functions)
        return DECIMAL
    if op == "arith":
        left = check(node.children[0], env, functions)
        right = check(node.children[1], env, functions)
        if node.value == "-" and left == DATE and right == DATE:
            return DECIMAL  # days between
        if node.value in ("+", "-") and left == DATE and right == DECIMAL:
            return DATE
        if left != DECIMAL or right != DECIMAL:
            raise ExprError(
                f'"{node.value}" needs numbers, got {_type_en(left)} and {_type_en(right)}',
                f"“{node.value}”两边应为数字，实际为{_type_zh(left)}和{_type_zh(right)}",
                node.offset,
            )
        return DECIMAL
    if op == "compare":
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
    if op == "call":
        function = functions.get(node.value)
        if function is None:
            from dangjian_rules.errors import suggestion

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
            _want(child, wanted, env, functions)
        return function.returns
    raise AssertionError(op)


def _want(
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
            days = dt.timedelta(days=int(b))
            return a + days if op == "+" else a - days
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
                    from dangjian_rules.errors import suggestion

                    hint, hint_zh = suggestion(literal.value, allowed)
                    name = ".".join(field.value)
                    raise ExprError(
                        f'"{literal.value}" is not one of the values of {name}',
                        f"“{literal.value}”不是 {name} 的可选值",
                        literal.offset,
                        hint,
                        hint_zh,
                    )


def compile_condition(
    source: str,
    env: Environment,
    functions: Mapping[str, Function],
    choices: Mapping[tuple[str, str], Sequence[str]] | None = None,
) -> Condition:
    """Parse, check (must be true/false; texts among a field's declared values) and
    compile a condition."""
    tree = parse(source)
    try:
        _want(tree, BOOLEAN, env, functions, truthy=True)
        if choices:
            check_choices(tree, choices)
    except ExprError as exc:
        exc.kind = "type"
        raise
    return Condition(source, tree, compile_node(tree, functions))


def fields_used(node: Node) -> set[tuple[str, str]]:
    """Every ``root.field`` a condition reads."""
    found: set[tuple[str, str]] = set()
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if current.op == "field":
            found.add(current.value)
        stack.extend(current.children)
    return found
