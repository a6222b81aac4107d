"""Source positions of the keys and values of a TOML document.

tomli locates syntax errors, but not the keys and values of a valid document, so a
semantic problem (unknown key, wrong type, bad value) could not be reported as
``FILE:LINE:COL``.  :func:`scan` recovers those positions with a small scanner that
follows the TOML grammar closely enough for any document tomli accepts.

* A *path* is a tuple of ``str`` table keys and ``int`` array indexes, exactly as one
  navigates the dict ``tomli.loads`` returns: ``("rules", 0, "caps", 1, "max")``.
* A *location* is a 1-based ``(line, column)``.  Columns count code points (a tab is
  one); a leading byte-order mark takes no column.
* The *key location* of a path is where the expression that introduces it begins: the
  ``[`` or ``[[`` of a table header (``("rules", 0)`` for the first ``[[rules]]``), the
  first key of a (dotted) ``key = value``, the first character of an inline array
  element.  A table only implied by a dotted key or a header (``a`` in ``a.b = 1`` or
  in ``[a.b]``) maps to the first place it appears, unless a later ``[a]`` header
  declares it.
* The *value location* of a ``key = value`` path or of an inline array element is
  where its value begins.  Tables from headers and dotted-key prefixes have none.

:func:`scan` returns a :class:`Positions`, whose ``key``, ``value``, ``locate`` and
``locate_value`` methods answer the questions; :func:`key_positions`, :func:`locate`
and :func:`value_position` are function-style shortcuts.  Only valid TOML is
understood (parse with tomli first): on anything unexpected, or beyond 512 nested
inline arrays/tables or 1024 parts in one key, the scanner stops and returns what it
found so far; it never raises.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import TypeAlias

__all__ = [
    "KeyPath",
    "Location",
    "Positions",
    "key_positions",
    "locate",
    "scan",
    "value_position",
]

KeyPath: TypeAlias = tuple[str | int, ...]
Location: TypeAlias = tuple[int, int]

# Paths are copied and hashed as they grow, so absurd depths would cost quadratic time;
# these bounds are above what tomli accepts (401 nested inline levels, 1000 key parts).
_MAX_NESTING = 512
_MAX_KEY_PARTS = 1024

# Whitespace, newlines and comments, as allowed between statements and inside arrays
# and (TOML 1.1) inline tables.
_SKIP = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_WS = re.compile(r"[ \t]*")
_EQUALS = re.compile(r"[ \t]*=[ \t]*")
_STATEMENT_END = re.compile(r"[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z)")
# One part of a dotted key, and the dot after it if there is one.
_KEY_PART = re.compile(
    r"""(?:([A-Za-z0-9_-]+)|"([^"\\\n]*(?:\\.[^"\\\n]*)*)"|'([^'\n]*)')([ \t]*\.[ \t]*)?"""
)
# Multi-line strings are found with str.find (see _Scanner._multiline), not here: a
# regex would backtrack exponentially on an unterminated one.
_ATOM = re.compile(
    r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\n]*'"
    # Numbers, booleans and date-times; "1979-05-27 07:32:00" has a space in it.
    r"|[0-9A-Za-z_+\-.:]+(?: [0-9][0-9]:[0-9A-Za-z_+\-.:]*)?"
)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|(.))", re.S)
_SIMPLE_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}


@dataclass(frozen=True)
class Positions:
    """Key and value locations of one TOML document, by path."""

    keys: Mapping[KeyPath, Location]
    values: Mapping[KeyPath, Location]

    def key(self, path: Sequence[str | int]) -> Location | None:
        """Where the key (or array element) at exactly ``path`` begins."""
        return self.keys.get(tuple(path))

    def value(self, path: Sequence[str | int]) -> Location | None:
        """Where the value at exactly ``path`` begins, if it is a ``key = value``."""
        return self.values.get(tuple(path))

    def locate(self, path: Sequence[str | int]) -> Location | None:
        """Key location of the longest prefix of ``path`` that is in the document."""
        return _longest_prefix(self.keys, path)

    def locate_value(self, path: Sequence[str | int]) -> Location | None:
        """Value location of ``path`` if it has one, else :meth:`locate`."""
        found = self.value(path)
        return found if found is not None else self.locate(path)


def scan(source: str) -> Positions:
    """Find the key and value locations of every path in the TOML ``source``."""
    scanner = _Scanner(source)
    with contextlib.suppress(_Stop):
        scanner.run()
    lines = _Lines(source)
    return Positions(
        keys=MappingProxyType(lines.locations(scanner.keys)),
        values=MappingProxyType(lines.locations(scanner.values)),
    )


def key_positions(source: str) -> dict[KeyPath, Location]:
    """Map every path in the TOML ``source`` to the location where its key begins."""
    return dict(scan(source).keys)


def locate(
    positions: Positions | Mapping[KeyPath, Location], path: Sequence[str | int]
) -> Location | None:
    """Key location of the longest known prefix of ``path``; ``None`` if none is known."""
    keys = positions.keys if isinstance(positions, Positions) else positions
    return _longest_prefix(keys, path)


def value_position(
    source: str,
    positions: Positions | Mapping[KeyPath, Location],
    path: Sequence[str | int],
) -> Location | None:
    """Where the value at ``path`` begins (after ``=``); ``None`` if it is no value.

    A plain key map (from :func:`key_positions`) holds no values, so then ``source`` is
    scanned again (the last few scans are cached); pass a :class:`Positions` to avoid it.
    """
    if isinstance(positions, Positions):
        return positions.value(path)
    return _cached_scan(source).value(path)


_cached_scan = lru_cache(maxsize=8)(scan)


def _longest_prefix(keys: Mapping[KeyPath, Location], path: Sequence[str | int]) -> Location | None:
    wanted = tuple(path)
    for end in range(len(wanted), 0, -1):
        found = keys.get(wanted[:end])
        if found is not None:
            return found
    return None


class _Lines:
    """Converts string indexes to 1-based (line, column)."""

    def __init__(self, source: str) -> None:
        self.starts = [1 if source.startswith("\ufeff") else 0]
        newline = source.find("\n")
        while newline >= 0:
            self.starts.append(newline + 1)
            newline = source.find("\n", newline + 1)
        self.cache: dict[int, Location] = {}

    def locations(self, indexes: Mapping[KeyPath, int]) -> dict[KeyPath, Location]:
        starts, cache = self.starts, self.cache
        found: dict[KeyPath, Location] = {}
        for path, index in indexes.items():
            location = cache.get(index)
            if location is None:
                line = bisect_right(starts, index)
                location = cache[index] = (line, index - starts[line - 1] + 1)
            found[path] = location
        return found


class _Stop(Exception):
    """The scanner met something that is not valid TOML."""


class _Container:
    """An inline array or inline table the scanner is inside of."""

    __slots__ = ("index", "is_array", "path")

    def __init__(self, is_array: bool, path: KeyPath) -> None:
        self.is_array = is_array
        self.path = path
        self.index = 0


class _Scanner:
    """Walks a TOML document, recording the string index of every key and value."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.keys: dict[KeyPath, int] = {}
        self.values: dict[KeyPath, int] = {}
        # Tables only implied by a header's prefix; a later header of their own moves them.
        self.implicit: set[KeyPath] = set()
        self.array_lengths: dict[KeyPath, int] = {}

    def run(self) -> None:
        src = self.src
        i = 1 if src.startswith("\ufeff") else 0
        table: KeyPath = ()
        while True:
            i = _skip(src, i)
            if i >= len(src):
                return
            if src.startswith("[[", i):
                i, table = self._array_header(i)
            elif src.startswith("[", i):
                i, table = self._table_header(i)
            else:
                i = self._value(*self._key_value_head(i, table))
            end = _STATEMENT_END.match(src, i)
            if end is None:
                raise _Stop
            i = end.end()

    def _key(self, i: int) -> tuple[int, list[str]]:
        """Parse a possibly dotted key at ``i``; return its end and its parts."""
        parts: list[str] = []
        while True:
            m = _KEY_PART.match(self.src, i)
            if m is None:
                raise _Stop
            bare, basic, literal, dot = m.groups()
            if bare is not None:
                parts.append(bare)
            elif basic is not None:
                parts.append(_unescape(basic) if "\\" in basic else basic)
            else:
                parts.append(literal)
            i = m.end()
            if dot is None:
                return i, parts
            if len(parts) >= _MAX_KEY_PARTS:
                raise _Stop

    def _header_key(self, i: int, close: str) -> tuple[int, list[str]]:
        src = self.src
        end, parts = self._key(_skip_ws(src, i))
        end = _skip_ws(src, end)
        if not src.startswith(close, end):
            raise _Stop
        return end + len(close), parts

    def _super_table(self, parts: list[str], at: int) -> KeyPath:
        """Path of the table a header's prefix names, entering the last array elements."""
        path: KeyPath = ()
        for part in parts:
            path += (part,)
            if path not in self.keys:
                self.keys[path] = at
                self.implicit.add(path)
            length = self.array_lengths.get(path)
            if length:
                path += (length - 1,)
        return path

    def _table_header(self, i: int) -> tuple[int, KeyPath]:
        end, parts = self._header_key(i + 1, "]")
        path = (*self._super_table(parts[:-1], i), parts[-1])
        if path in self.implicit:
            self.implicit.discard(path)
            self.keys[path] = i
        else:
            self.keys.setdefault(path, i)
        return end, path

    def _array_header(self, i: int) -> tuple[int, KeyPath]:
        end, parts = self._header_key(i + 2, "]]")
        array = (*self._super_table(parts[:-1], i), parts[-1])
        length = self.array_lengths.get(array, 0)
        self.array_lengths[array] = length + 1
        self.keys.setdefault(array, i)
        element = (*array, length)
        self.keys[element] = i
        return end, element

    def _key_value_head(self, i: int, table: KeyPath) -> tuple[int, KeyPath]:
        """Parse ``key =`` at ``i`` inside ``table``; return the value's index and path."""
        end, parts = self._key(i)
        path = table
        for part in parts[:-1]:
            path += (part,)
            self.keys.setdefault(path, i)
        path += (parts[-1],)
        self.keys.setdefault(path, i)
        equals = _EQUALS.match(self.src, end)
        if equals is None:
            raise _Stop
        self.values[path] = equals.end()
        return equals.end(), path

    def _value(self, i: int, path: KeyPath) -> int:
        """Skip the value at ``i`` for ``path``, recording what it contains; return its end.

        Iterative rather than recursive, so that deep nesting cannot overflow the stack.
        """
        src = self.src
        stack: list[_Container] = []
        while True:
            opener = src[i : i + 1]
            if opener in ("[", "{"):
                first = _skip(src, i + 1)
                if src.startswith("]" if opener == "[" else "}", first):
                    i = first + 1
                else:
                    if len(stack) >= _MAX_NESTING:
                        raise _Stop
                    container = _Container(opener == "[", path)
                    stack.append(container)
                    if container.is_array:
                        path = self._element(container, first)
                        i = first
                    else:
                        i, path = self._key_value_head(first, path)
                    continue
            elif src.startswith(('"""', "'''"), i):
                i = self._multiline(i)
            else:
                atom = _ATOM.match(src, i)
                if atom is None:
                    raise _Stop
                i = atom.end()
            # A value ends at i: close the containers it completes, then go on with the
            # next item of the innermost open one.
            while stack:
                container = stack[-1]
                close = "]" if container.is_array else "}"
                i = _skip(src, i)
                if src.startswith(",", i):
                    i = _skip(src, i + 1)
                    if not src.startswith(close, i):
                        break
                elif not src.startswith(close, i):
                    raise _Stop
                i += 1
                stack.pop()
            else:
                return i
            if container.is_array:
                container.index += 1
                path = self._element(container, i)
            else:
                i, path = self._key_value_head(i, container.path)

    def _element(self, array: _Container, i: int) -> KeyPath:
        path = (*array.path, array.index)
        self.keys[path] = self.values[path] = i
        return path

    def _multiline(self, i: int) -> int:
        """End of the multi-line string opening at ``i``."""
        src = self.src
        delimiter = src[i : i + 3]
        end = i + 3
        while True:
            end = src.find(delimiter, end)
            if end < 0:
                raise _Stop
            if delimiter == "'''":
                break
            # An odd run of backslashes escapes the first quote.
            escape = end
            while src[escape - 1] == "\\":
                escape -= 1
            if (end - escape) % 2 == 0:
                break
            end += 1
        end += 3
        # Up to two more quotes belong to the content: '''it's''''' is "it's''".
        for _ in range(2):
            if src.startswith(delimiter[0], end):
                end += 1
        return end


def _skip(src: str, i: int) -> int:
    """Index after the whitespace, newlines and comments at ``i``."""
    m = _SKIP.match(src, i)
    return i if m is None else m.end()


def _skip_ws(src: str, i: int) -> int:
    m = _WS.match(src, i)
    return i if m is None else m.end()


def _unescape(text: str) -> str:
    return _ESCAPE.sub(_escaped_char, text)


def _escaped_char(m: re.Match[str]) -> str:
    hex_digits = m.group(1) or m.group(2) or m.group(3)
    if hex_digits is not None:
        code = int(hex_digits, 16)
        if code > 0x10FFFF:
            raise _Stop
        return chr(code)
    char = _SIMPLE_ESCAPES.get(m.group(4))
    if char is None:
        raise _Stop
    return char
