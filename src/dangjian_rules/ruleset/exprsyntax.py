"""The condition language's syntax: tokens and the parser that builds a tree of
:class:`Node`.  Types are checked in :mod:`exprtypes`, trees compiled in :mod:`expr`.

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
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 40
MAX_LIST_ITEMS = 500


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

    def chain(self, kinds: tuple[str, ...], operand: Callable[[], Node], op: str) -> Node:
        """``a + b - c …``: a left-leaning tree, each further operator one level deeper,
        so a chain counts towards the depth limit like nesting does."""
        node = operand()
        entered = self.depth
        while _is_operator(self.peek(), kinds):
            token = self.take()
            self.enter(token.offset)
            value = token.text if op == "arith" else None
            node = Node(op, token.offset, value, (node, operand()))
        self.depth = entered
        return node

    def or_(self) -> Node:
        return self.chain(("or",), self.and_, "or")

    def and_(self) -> Node:
        return self.chain(("and",), self.not_, "and")

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
        return self.chain(("+", "-"), self.product, "arith")

    def product(self) -> Node:
        return self.chain(("*", "/"), self.unary, "arith")

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


def _is_operator(token: Token, kinds: tuple[str, ...]) -> bool:
    """``and``/``or`` are token kinds; arithmetic operators are ``op`` tokens."""
    return token.kind in kinds or (token.kind == "op" and token.text in kinds)


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
