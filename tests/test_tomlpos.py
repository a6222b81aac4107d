"""Tests for dangjian_rules.ruleset.tomlpos: key and value locations in TOML documents."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian_rules.ruleset.tomlpos import (
    KeyPath,
    Location,
    Positions,
    key_positions,
    locate,
    scan,
    value_position,
)

EXAMPLE = """\
[ruleset]
id = "x"
[score]
base = 60
[[rules]]
id = "a"
caps = [{ per = "month", max = 2 }, { per = "year", max = 12 }]
[[rules]]
id = "b"
when.event = "x"
fields.late = { type = "boolean" }
[event_types."三会一课"]
label = "..."
"""


def all_paths(node: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every path of a parsed document, containers and leaves alike."""
    items: Any = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        path = (*prefix, key)
        yield path
        if isinstance(child, (dict, list)):
            yield from all_paths(child, path)


def text_at(source: str, location: Location) -> str:
    """The source from ``location`` to the end of its line."""
    line, column = location
    return source.split("\n")[line - 1][column - 1 :]


def checked(source: str) -> Positions:
    """Scan ``source`` and check the result against what tomli parses."""
    positions = scan(source)
    data = tomli.loads(source)
    assert set(positions.keys) == set(all_paths(data))
    assert set(positions.values) <= set(positions.keys)
    assert key_positions(source) == dict(positions.keys)
    for location in [*positions.keys.values(), *positions.values.values()]:
        assert text_at(source, location)[:1] not in ("", " ", "\t", "\r", "=", ",", "#")
    return positions


def test_brief_example() -> None:
    positions = checked(EXAMPLE)
    assert dict(positions.keys) == {
        ("ruleset",): (1, 1),
        ("ruleset", "id"): (2, 1),
        ("score",): (3, 1),
        ("score", "base"): (4, 1),
        ("rules",): (5, 1),
        ("rules", 0): (5, 1),
        ("rules", 0, "id"): (6, 1),
        ("rules", 0, "caps"): (7, 1),
        ("rules", 0, "caps", 0): (7, 9),
        ("rules", 0, "caps", 0, "per"): (7, 11),
        ("rules", 0, "caps", 0, "max"): (7, 26),
        ("rules", 0, "caps", 1): (7, 37),
        ("rules", 0, "caps", 1, "per"): (7, 39),
        ("rules", 0, "caps", 1, "max"): (7, 53),
        ("rules", 1): (8, 1),
        ("rules", 1, "id"): (9, 1),
        ("rules", 1, "when"): (10, 1),
        ("rules", 1, "when", "event"): (10, 1),
        ("rules", 1, "fields"): (11, 1),
        ("rules", 1, "fields", "late"): (11, 1),
        ("rules", 1, "fields", "late", "type"): (11, 17),
        ("event_types",): (12, 1),
        ("event_types", "三会一课"): (12, 1),
        ("event_types", "三会一课", "label"): (13, 1),
    }
    assert dict(positions.values) == {
        ("ruleset", "id"): (2, 6),
        ("score", "base"): (4, 8),
        ("rules", 0, "id"): (6, 6),
        ("rules", 0, "caps"): (7, 8),
        ("rules", 0, "caps", 0): (7, 9),
        ("rules", 0, "caps", 0, "per"): (7, 17),
        ("rules", 0, "caps", 0, "max"): (7, 32),
        ("rules", 0, "caps", 1): (7, 37),
        ("rules", 0, "caps", 1, "per"): (7, 45),
        ("rules", 0, "caps", 1, "max"): (7, 59),
        ("rules", 1, "id"): (9, 6),
        ("rules", 1, "when", "event"): (10, 14),
        ("rules", 1, "fields", "late"): (11, 15),
        ("rules", 1, "fields", "late", "type"): (11, 24),
        ("event_types", "三会一课", "label"): (13, 9),
    }


def test_quoted_keys_with_escapes() -> None:
    source = (
        '"a\\"b" = 1\n'
        '"\\u4e09\\U00004F1A" = 2\n'
        '"tab\\there\\\\" = 3\n'
        "'C:\\path\\x' = 4\n"
        '"" = 5\n'
        '"a.b" = 6\n'
        "site.'google.com'.\"x\\ty\" = 7\n"
        '"\\e\\x41" = 8\n'
    )
    positions = checked(source)
    assert positions.key(['a"b']) == (1, 1)
    assert positions.key(["三会"]) == (2, 1)
    assert positions.key(["tab\there\\"]) == (3, 1)
    assert positions.key(["C:\\path\\x"]) == (4, 1)
    assert positions.key([""]) == (5, 1)
    assert positions.key(["a.b"]) == (6, 1)
    assert positions.key(["site", "google.com", "x\ty"]) == (7, 1)
    assert positions.value(["site", "google.com", "x\ty"]) == (7, 28)
    assert positions.key(["\x1bA"]) == (8, 1)


def test_bare_keys_that_look_like_values() -> None:
    positions = checked("1 = 1\n3.14 = 2\ntrue = 3\ninf = 4\n-_- = 5\n")
    assert positions.key(["1"]) == (1, 1)
    assert positions.key(["3"]) == (2, 1)
    assert positions.key(["3", "14"]) == (2, 1)
    assert positions.value(["3", "14"]) == (2, 8)
    assert positions.key(["true"]) == (3, 1)
    assert positions.key(["-_-"]) == (5, 1)


def test_whitespace_around_dots_and_in_headers() -> None:
    source = 'a . b\t.  c = 1\n[ x . "y z" ]\nk = 2\n  [[ t . u ]]\n  v = 3\n'
    positions = checked(source)
    assert positions.key(["a"]) == (1, 1)
    assert positions.key(["a", "b", "c"]) == (1, 1)
    assert positions.value(["a", "b", "c"]) == (1, 14)
    assert positions.key(["x", "y z"]) == (2, 1)
    assert positions.key(["x", "y z", "k"]) == (3, 1)
    assert positions.key(["t"]) == (4, 3)
    assert positions.key(["t", "u", 0]) == (4, 3)
    assert positions.key(["t", "u", 0, "v"]) == (5, 3)


def test_comments_are_not_syntax() -> None:
    source = (
        "# [fake] = 1\n"
        "a = 1 # b = 2\n"
        "\n"
        "[t] # [[u]]\n"
        "  # c = 3\n"
        "d = [ # e = 4\n"
        "  1, # ]\n"
        "  # {f = 5}\n"
        "  2,\n"
        "] # }\n"
        "g = 'x#y' # 'z'\n"
    )
    positions = checked(source)
    assert dict(positions.keys) == {
        ("a",): (2, 1),
        ("t",): (4, 1),
        ("t", "d"): (6, 1),
        ("t", "d", 0): (7, 3),
        ("t", "d", 1): (9, 3),
        ("t", "g"): (11, 1),
    }


def test_multiline_strings_hide_syntax() -> None:
    source = (
        's = """\n'
        "[fake]\n"
        "[[fake]]\n"
        "k = 'v' # not a comment\n"
        "a \\\"\"\" quote and ''' too\n"
        '"""\n'
        "t = '''\n"
        "x = [1, {y = 2}]\n"
        '""" # =\n'
        "'''\n"
        'u = """ends with quotes"""""\n'
        "v = '''it's'''''\n"
        'w = """\\\n'
        '    folded \\\\"""\n'
        "[real]\n"
        'x = ["""a\n'
        "\"\"\", '''b\n"
        '\'\'\', """"""]\n'
        "y = 1\n"
    )
    data = tomli.loads(source)
    assert data["u"] == 'ends with quotes""'
    assert data["v"] == "it's''"
    positions = checked(source)
    assert positions.key(["s"]) == (1, 1)
    assert positions.value(["s"]) == (1, 5)
    assert positions.key(["t"]) == (7, 1)
    assert positions.key(["u"]) == (11, 1)
    assert positions.key(["v"]) == (12, 1)
    assert positions.key(["w"]) == (13, 1)
    assert positions.key(["real"]) == (15, 1)
    assert positions.key(["real", "x", 1]) == (17, 6)
    assert positions.key(["real", "x", 2]) == (18, 6)
    assert positions.key(["real", "y"]) == (19, 1)


def test_multiline_arrays_nested_values_and_trailing_commas() -> None:
    source = (
        "a = [\n"
        "  [1, 2], # first\n"
        "  [[3], []],\n"
        "  { x = [ { y = 1 }, ], z = {} },\n"
        "  '四',\n"
        "]\n"
        "b = [ ]\n"
        "c = {}\n"
        "d = [1979-05-27 07:32:00Z, 1979-05-27, 07:32:00, { e = 1 }]\n"
        "f = [+1_000, -inf, nan, 0xDEAD_beef, 0o17, 0b1, 1e-3, true, false]\n"
    )
    positions = checked(source)
    assert positions.key(["a", 0]) == (2, 3)
    assert positions.key(["a", 0, 1]) == (2, 7)
    assert positions.key(["a", 1, 0, 0]) == (3, 5)
    assert positions.key(["a", 1, 1]) == (3, 9)
    assert positions.key(["a", 2, "x", 0, "y"]) == (4, 13)
    assert positions.value(["a", 2, "x", 0, "y"]) == (4, 17)
    assert positions.key(["a", 2, "z"]) == (4, 25)
    assert positions.key(["a", 3]) == (5, 3)
    assert positions.key(["b"]) == (7, 1)
    assert positions.key(["d", 3, "e"]) == (9, 52)
    assert positions.key(["f", 8]) == (10, 61)


def test_multiline_inline_tables_of_toml_1_1() -> None:
    source = 'a = {\n  b = 1, # one\n  c.d = "x",\n}\ne = 2\n'
    positions = checked(source)
    assert positions.key(["a", "b"]) == (2, 3)
    assert positions.key(["a", "c"]) == (3, 3)
    assert positions.key(["a", "c", "d"]) == (3, 3)
    assert positions.value(["a", "c", "d"]) == (3, 9)
    assert positions.key(["e"]) == (5, 1)


def test_dotted_key_prefixes_map_to_first_appearance() -> None:
    source = 'x = 0\nwhen.event = "a"\nwhen.period.per = "m"\nwhen.period.max = 1\n'
    positions = checked(source)
    assert positions.key(["when"]) == (2, 1)
    assert positions.key(["when", "period"]) == (3, 1)
    assert positions.key(["when", "period", "max"]) == (4, 1)
    assert positions.value(["when"]) is None


def test_nested_arrays_of_tables() -> None:
    source = (
        "[[rules]]\n"
        "id = 'a'\n"
        "[[rules.caps]]\n"
        "max = 1\n"
        "[[rules.caps]]\n"
        "max = 2\n"
        "[rules.when]\n"
        "event = 'x'\n"
        "[[rules]]\n"
        "id = 'b'\n"
        "[[rules.caps]]\n"
        "max = 3\n"
        "[[rules.caps.limits]]\n"
        "n = 4\n"
    )
    positions = checked(source)
    assert positions.key(["rules", 0, "caps"]) == (3, 1)
    assert positions.key(["rules", 0, "caps", 1, "max"]) == (6, 1)
    assert positions.key(["rules", 0, "when", "event"]) == (8, 1)
    assert positions.key(["rules", 1]) == (9, 1)
    assert positions.key(["rules", 1, "caps"]) == (11, 1)
    assert positions.key(["rules", 1, "caps", 0]) == (11, 1)
    assert positions.key(["rules", 1, "caps", 0, "max"]) == (12, 1)
    assert positions.key(["rules", 1, "caps", 0, "limits", 0, "n"]) == (14, 1)


def test_super_tables_declared_after_sub_tables() -> None:
    source = "[a.b.c]\nx = 1\n[a]\ny = 2\n[[p.q]]\n[p]\nz = 3\n[m.n]\n"
    positions = checked(source)
    assert positions.key(["a"]) == (3, 1)  # the explicit header, not the implied one
    assert positions.key(["a", "b"]) == (1, 1)  # only ever implied
    assert positions.key(["a", "b", "c"]) == (1, 1)
    assert positions.key(["a", "y"]) == (4, 1)
    assert positions.key(["p"]) == (6, 1)
    assert positions.key(["p", "q", 0]) == (5, 1)
    assert positions.key(["m"]) == (8, 1)


def test_sub_tables_of_dotted_tables() -> None:
    source = "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true\n"
    positions = checked(source)
    assert positions.key(["fruit", "apple"]) == (2, 1)
    assert positions.key(["fruit", "apple", "texture"]) == (3, 1)


def test_chinese_keys_and_values_count_code_points() -> None:
    source = (
        '[event_types."三会一课"]\n'
        'label = "三会一课"  # 注释\n'
        '"名称" = { "说明" = "不是裸键" }\n'
        'x = { a = "党支部党支部", b = 1 }\n'
        "'组织生活' = '民主评议'\n"
    )
    positions = checked(source)
    assert positions.key(["event_types", "三会一课", "label"]) == (2, 1)
    assert positions.value(["event_types", "三会一课", "label"]) == (2, 9)
    assert positions.key(["event_types", "三会一课", "名称", "说明"]) == (3, 10)
    assert positions.value(["event_types", "三会一课", "名称", "说明"]) == (3, 17)
    assert positions.key(["event_types", "三会一课", "x", "b"]) == (4, 21)
    assert positions.value(["event_types", "三会一课", "组织生活"]) == (5, 10)


def test_tabs_count_as_one_column() -> None:
    positions = checked("[t]\n\tk\t=\t1\n\t[[\tu\t]]\n")
    assert positions.key(["t", "k"]) == (2, 2)
    assert positions.value(["t", "k"]) == (2, 6)
    assert positions.key(["u", 0]) == (3, 2)


def test_crlf_line_endings_give_the_same_positions() -> None:
    crlf = EXAMPLE.replace("\n", "\r\n") + 's = """a\r\n# b\r\n"""\r\nz = [\r\n1,\r\n]\r\n'
    lf = crlf.replace("\r\n", "\n")
    assert scan(crlf) == scan(lf)
    positions = checked(crlf)
    assert positions.key(["event_types", "三会一课", "z", 0]) == (18, 1)


def test_byte_order_mark_takes_no_column() -> None:
    assert scan("\ufeff" + EXAMPLE) == scan(EXAMPLE)
    assert scan("\ufeffa = 1").key(["a"]) == (1, 1)


def test_empty_and_comment_only_documents() -> None:
    assert scan("") == Positions({}, {})
    assert key_positions("# nothing\n\n   \n") == {}


def test_locate_falls_back_to_the_longest_known_prefix() -> None:
    positions = scan(EXAMPLE)
    keys = key_positions(EXAMPLE)
    for where in (positions, keys):
        assert locate(where, ("rules", 1, "when", "event")) == (10, 1)
        assert locate(where, ["rules", 1, "missing"]) == (8, 1)
        assert locate(where, ("rules", 0, "caps", 1, "per", "deeper", 3)) == (7, 39)
        assert locate(where, ("rules", 7, "id")) == (5, 1)
        assert locate(where, ("nope", "id")) is None
        assert locate(where, ()) is None
    assert positions.locate(("score", "bonus")) == (3, 1)


def test_value_positions() -> None:
    positions = scan(EXAMPLE)
    keys = key_positions(EXAMPLE)
    for where in (positions, keys):
        assert value_position(EXAMPLE, where, ("score", "base")) == (4, 8)
        assert value_position(EXAMPLE, where, ["rules", 0, "caps", 1]) == (7, 37)
        assert value_position(EXAMPLE, where, ("rules", 1, "when")) is None
        assert value_position(EXAMPLE, where, ("ruleset",)) is None
        assert value_position(EXAMPLE, where, ("score", "missing")) is None
    assert positions.locate_value(("score", "base")) == (4, 8)
    assert positions.locate_value(("score", "missing")) == (3, 1)
    late = positions.locate_value(("rules", 1, "fields", "late"))
    assert late is not None
    assert text_at(EXAMPLE, late) == '{ type = "boolean" }'


def test_positions_is_read_only() -> None:
    positions = scan(EXAMPLE)
    with pytest.raises(TypeError):
        positions.keys[("x",)] = (1, 1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        positions.keys = {}  # type: ignore[misc]


INVALID = [
    "[",
    "[[",
    "[a",
    "[[a]",
    "[a]]",
    "a",
    "a =",
    "a = ",
    "a = [1, 2",
    "a = {b = 1",
    "a = {b = 1 c = 2}",
    'a = "unterminated',
    'a = """unterminated\n\n' + "x" * 50_000,
    "a = '''unterminated",
    'a = """' + "\\" * 9,
    '"\\UFFFFFFFF" = 1',
    '"\\q" = 1',
    "a = 1 b = 2",
    "= 1",
    "a.= 1",
    "a = @",
    "a = 1\r",
    "\r\n\r",
    "[a]\nb = [1,,2]",
    "a = [" * 100_000,
    "\ufeff",
    "\ufeff\ufeff",
    "[[a]]\n[[a.b]]\n[a.b]\n[[a]]",
]


@pytest.mark.parametrize("source", INVALID)
def test_invalid_input_never_raises(source: str) -> None:
    positions = scan(source)
    assert isinstance(positions, Positions)
    key_positions(source)
    value_position(source, {}, ("a",))


def test_partial_results_before_the_error() -> None:
    positions = scan("a = 1\n[t]\nb = [1, 2\nc = 3\n")
    assert positions.key(["a"]) == (1, 1)
    assert positions.key(["t", "b", 1]) == (3, 9)
    assert positions.key(["t", "c"]) is None


def test_deep_nesting_does_not_recurse() -> None:
    depth = 401  # the deepest tomli accepts
    source = "a = " + "[" * depth + "]" * depth + "\nb = 1\n"
    positions = checked(source)
    assert positions.key(("a",) + (0,) * (depth - 1)) == (1, 4 + depth)
    assert positions.key(["b"]) == (2, 1)


@pytest.mark.parametrize(
    "source",
    [
        "a = " + "[" * 100_000,
        "a = " + "[{b = " * 50_000,
        "a = " + "[" * 10_000 + "]" * 10_000,
        "a." * 100_000 + "a = 1",
        "[" + "a." * 100_000 + "a]",
    ],
)
def test_absurd_depths_stop_without_raising(source: str) -> None:
    scan(source)


@given(st.text(alphabet=st.sampled_from("[]{}=.,#\"'\\ \t\r\n\ufeffab1-_:三"), max_size=60))
def test_arbitrary_text_never_raises(source: str) -> None:
    scan(source)


def test_every_truncation_never_raises() -> None:
    source = EXAMPLE + 's = """a\n\\"""\nb"""\nt = [1, {x = 2}, \'\'\'y\n\'\'\']\n'
    for end in range(len(source) + 1):
        scan(source[:end])


def big_ruleset(rules: int) -> str:
    blocks = ['[ruleset]\nid = "big"\nname = "大规则集"\n\n[score]\nbase = 60\nmax = 100\n']
    for n in range(rules):
        blocks.append(
            f"""
[[rules]]
id = "rule-{n}"   # 规则 {n}
title = "三会一课 第{n}条"
points = {n % 7}
when.event = "meeting"
when.kind = ["支部党员大会", "党小组会", 'lecture']
caps = [
  {{ per = "month", max = 2 }},   # 每月
  {{ per = "year", max = 12 }},
]
note = \"\"\"
  Multi-line text with # and = and [brackets]
  [[not.a.header]]
\"\"\"
[[rules.steps]]
when = {{ field = "late", equals = true }}
points = -1
"""
        )
    return "".join(blocks)


def test_a_two_thousand_line_ruleset_is_fully_located() -> None:
    source = big_ruleset(120)
    assert source.count("\n") >= 2_000
    data = tomli.loads(source)
    positions = scan(source)
    assert positions.key(["rules", 119, "steps", 0, "when", "equals"]) is not None
    assert len(positions.keys) == sum(1 for _ in all_paths(data))


# --- Property: generated documents ------------------------------------------------------
#
# A model of a document (tables, arrays of tables, inline arrays, scalars) is drawn, then
# written out as TOML text with randomly chosen styles: headers, super-tables after their
# sub-tables, implied tables, dotted keys, inline tables, every kind of key quoting and
# string, odd whitespace, comments, blank lines, CRLF.  While writing, the generator notes
# where each key and value starts; the scanner must find exactly those places.


@dataclass
class Scalar:
    text: str  # TOML text, possibly spanning lines
    multiline: bool = False


@dataclass
class Array:
    items: Sequence[Node]


@dataclass
class Table:
    entries: Mapping[str, Node]


@dataclass
class TableArray:
    tables: Sequence[Table]


Node = Scalar | Array | Table | TableArray

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
KEY_CHARS = "abAZ09_-. \"'#=[]{}\\\t\n三会一课é"
STRING_CHARS = "ab #=[]{},\"'\\\t\n三会é"


def toml_basic(text: str, escape_unicode: bool = False) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif escape_unicode and ord(char) > 127:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_multiline_basic(text: str, newline: str) -> str:
    out = []
    quotes = 0
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"' and quotes == 2:
            out.append('\\"')
            quotes = 0
            continue
        elif char == "\n":
            out.append(newline)
        else:
            out.append(char)
        quotes = quotes + 1 if char == '"' else 0
    return '"""' + newline + "".join(out) + '"""'


def toml_multiline_literal(text: str, newline: str) -> str:
    text = re.sub("'{3,}", "''", text)
    return "'''" + text.replace("\n", newline) + "'''"


NUMBERS = [
    "0",
    "+1_000",
    "-17",
    "0xDEAD_beef",
    "0o17",
    "0b101",
    "3.14",
    "-0.5e-3",
    "1E6",
    "inf",
    "-inf",
    "+nan",
    "true",
    "false",
    "1979-05-27T07:32:00Z",
    "1979-05-27 07:32:00.999-07:00",
    "1979-05-27",
    "07:32:00",
]


@st.composite
def scalars(draw: st.DrawFn) -> Scalar:
    kind = draw(st.sampled_from(["number", "basic", "literal", "ml-basic", "ml-literal"]))
    if kind == "number":
        return Scalar(draw(st.sampled_from(NUMBERS)))
    text = draw(st.text(alphabet=STRING_CHARS, max_size=12))
    if kind == "basic":
        return Scalar(toml_basic(text, draw(st.booleans())))
    if kind == "literal" and "'" not in text and "\n" not in text:
        return Scalar("'" + text + "'")
    # The newline is filled in when the document's line ending is known.
    return Scalar(kind + ":" + text, multiline=True)


keys = st.text(alphabet=KEY_CHARS, max_size=4)
inline_values = st.recursive(
    scalars(),
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(Array),
        st.dictionaries(keys, children, max_size=3).map(Table),
    ),
    max_leaves=8,
)
tables = st.recursive(
    st.dictionaries(keys, inline_values, max_size=3).map(Table),
    lambda children: st.dictionaries(
        keys,
        st.one_of(
            inline_values,
            children,
            st.lists(children, min_size=1, max_size=3).map(TableArray),
        ),
        max_size=4,
    ).map(Table),
    max_leaves=12,
)


def has_table_array(node: Node) -> bool:
    if isinstance(node, TableArray):
        return True
    return isinstance(node, Table) and any(map(has_table_array, node.entries.values()))


class Writer:
    """Writes a document model as TOML text, noting where keys and values start."""

    def __init__(self, data: st.DataObject, newline: str) -> None:
        self.data = data
        self.newline = newline
        self.chunks: list[str] = []
        self.size = 0
        self.keys: dict[KeyPath, int] = {}
        self.values: dict[KeyPath, int] = {}

    def choose(self, options: list[str]) -> str:
        return self.data.draw(st.sampled_from(options))

    def write(self, text: str) -> None:
        self.chunks.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.chunks)

    def key_text(self, key: str) -> str:
        styles = ["basic", "basic-escaped"]
        if BARE_KEY.fullmatch(key):
            styles.append("bare")
        if "'" not in key and "\n" not in key:
            styles.append("literal")
        style = self.choose(styles)
        if style == "bare":
            return key
        if style == "literal":
            return "'" + key + "'"
        return toml_basic(key, style == "basic-escaped")

    def dotted(self, parts: list[str]) -> str:
        return self.choose([".", " . ", "\t.", ". "]).join(map(self.key_text, parts))

    def end_line(self) -> None:
        self.write(self.choose(["", "  # note [x] = 'y'", "\t#"]) + self.newline)
        self.write(self.choose(["", self.newline, "# comment = 1" + self.newline]))

    def gap(self) -> None:
        """Whitespace allowed inside arrays and inline tables, maybe spanning lines."""
        self.write(self.choose(["", " ", "\t", self.newline + "  ", " # c, ] }" + self.newline]))

    # Sections ---------------------------------------------------------------------------

    def document(self, root: Table) -> None:
        pairs, sections = self.plan(root, ())
        self.pairs((), pairs)
        for section in sections:
            section()

    def plan(
        self, table: Table, path: KeyPath
    ) -> tuple[list[tuple[list[str], Node]], list[Callable[[], None]]]:
        """Split a section's body into its key/value pairs and its sub-sections."""
        pairs: list[tuple[list[str], Node]] = []
        sections: list[Callable[[], None]] = []
        for key, node in table.entries.items():
            child = (*path, key)
            if isinstance(node, TableArray):
                sections.append(partial(self.table_array, child, node))
            elif isinstance(node, Table) and (
                has_table_array(node) or self.choose(["section", "inline"]) == "section"
            ):
                sections.append(partial(self.table, child, node))
            else:
                pairs.extend(self.flatten([key], node))
        return pairs, sections

    def pairs(self, table: KeyPath, pairs: list[tuple[list[str], Node]]) -> None:
        for parts, node in pairs:
            self.write(self.choose(["", "  ", "\t"]))
            self.pair(table, parts, node)
            self.end_line()

    def flatten(self, parts: list[str], node: Node) -> list[tuple[list[str], Node]]:
        """Key/value pairs for ``node``: a non-empty table may become dotted keys."""
        if (
            isinstance(node, Table)
            and node.entries
            and self.choose(["dotted", "inline"]) == ("dotted")
        ):
            return [
                pair
                for key, child in node.entries.items()
                for pair in self.flatten([*parts, key], child)
            ]
        return [(parts, node)]

    def header(self, path: KeyPath, brackets: tuple[str, str]) -> None:
        self.write(self.choose(["", " "]))
        for end in range(1, len(path)):
            self.keys.setdefault(path[:end], self.size)
        self.keys[path] = self.size
        names = [part for part in path if isinstance(part, str)]
        space = self.choose(["", " ", "\t"])
        self.write(brackets[0] + space + self.dotted(names) + space + brackets[1])
        self.end_line()

    def table(self, path: KeyPath, table: Table) -> None:
        pairs, sections = self.plan(table, path)
        styles = ["header-first"]
        if sections:
            styles.append("header-last")
            if not pairs:
                styles.append("implied")
        style = self.choose(styles)
        if style == "header-first":
            self.header(path, ("[", "]"))
            self.pairs(path, pairs)
        for section in sections:
            section()
        if style == "header-last":
            self.header(path, ("[", "]"))
            self.pairs(path, pairs)

    def table_array(self, path: KeyPath, array: TableArray) -> None:
        for index, table in enumerate(array.tables):
            element = (*path, index)
            pairs, sections = self.plan(table, element)
            self.header(element, ("[[", "]]"))
            self.pairs(element, pairs)
            for section in sections:
                section()

    # Values -----------------------------------------------------------------------------

    def pair(self, table: KeyPath, parts: list[str], node: Node) -> None:
        path = table
        for part in parts:
            path = (*path, part)
            self.keys.setdefault(path, self.size)
        self.write(self.dotted(parts) + self.choose(["=", " = ", "\t=  "]))
        self.values[path] = self.size
        self.value(path, node)

    def value(self, path: KeyPath, node: Node) -> None:
        if isinstance(node, Scalar):
            self.write(self.scalar(node))
        elif isinstance(node, Array):
            self.write("[")
            for index, item in enumerate(node.items):
                self.gap()
                element = (*path, index)
                self.keys[element] = self.values[element] = self.size
                self.value(element, item)
                self.gap()
                if index < len(node.items) - 1 or self.choose(["", ","]):
                    self.write(",")
            self.gap()
            self.write("]")
        elif isinstance(node, Table):
            self.write("{")
            pairs = [
                pair for key, child in node.entries.items() for pair in self.flatten([key], child)
            ]
            for index, (parts, child) in enumerate(pairs):
                self.gap()
                self.pair(path, parts, child)
                self.gap()
                if index < len(pairs) - 1 or self.choose(["", ","]):
                    self.write(",")
            self.gap()
            self.write("}")

    def scalar(self, node: Scalar) -> str:
        if not node.multiline:
            return node.text
        kind, _, text = node.text.partition(":")
        if kind == "ml-basic":
            return toml_multiline_basic(text, self.newline)
        return toml_multiline_literal(text, self.newline)


def offset_location(source: str, offset: int) -> Location:
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(root=tables, newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), data=st.data())
def test_generated_documents(root: Table, newline: str, bom: bool, data: st.DataObject) -> None:
    writer = Writer(data, newline)
    writer.document(root)
    source = writer.text()
    parsed = tomli.loads(source)

    positions = scan("\ufeff" + source if bom else source)

    expected_keys = {p: offset_location(source, i) for p, i in writer.keys.items()}
    expected_values = {p: offset_location(source, i) for p, i in writer.values.items()}
    assert set(expected_keys) == set(all_paths(parsed))
    assert dict(positions.keys) == expected_keys
    assert dict(positions.values) == expected_values
