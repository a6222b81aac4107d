"""Where a path of a JSON document is written: line and column, for located problems.

The json module gives values without places.  :class:`JsonPlaces` finds the place of a path
(``("results", 3, "score")``) in the text only when a problem asks for it, walking each
object or list on the way once and remembering where its members start, so that locating
many problems in a large file stays linear in its size.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re

from dangjian_rules.convert import DocPath
from dangjian_rules.limits import json_int

_SPACE = re.compile(r"[ \t\n\r]*")
_skip_value = json.JSONDecoder(parse_int=json_int).raw_decode


class JsonPlaces:
    """Places in the text of a valid JSON document; call it with a path (a ``Locate``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[int, dict[str | int, tuple[int, int]]] = {}
        self._line_starts: list[int] | None = None

    def __call__(self, path: DocPath) -> tuple[int, int] | None:
        """The line and column where ``path`` is written: an object member's key, a list
        item's value; for a path that is not in the document (a missing key), the nearest
        enclosing member or item that is."""
        offset = self._space(0)
        if offset >= len(self.text):
            return None
        place = offset
        for part in path:
            member = self._members(offset).get(part)
            if member is None:
                break
            place, offset = member
        return self.position(place)

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of a character offset."""
        if self._line_starts is None:
            lengths = (len(line) + 1 for line in self.text.split("\n"))
            self._line_starts = list(itertools.accumulate(lengths, initial=0))
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _space(self, offset: int) -> int:
        match = _SPACE.match(self.text, offset)
        return offset if match is None else match.end()

    def _members(self, offset: int) -> dict[str | int, tuple[int, int]]:
        """Where each member of the object at ``offset`` (its key, its value) or each item
        of the list there starts; nothing for a scalar.  Of repeated keys the last is
        kept: it is the one whose value the json module reads."""
        known = self._found.get(offset)
        if known is not None:
            return known
        text = self.text
        found: dict[str | int, tuple[int, int]] = {}
        opening = text[offset : offset + 1]
        i = self._space(offset + 1)
        while opening in ("{", "[") and text[i : i + 1] not in ("}", "]", ""):
            if opening == "{":
                key, end = _skip_value(text, i)
                value = self._space(self._space(end) + 1)  # past the colon
                found[key] = (i, value)
            else:
                value = i
                found[len(found)] = (i, i)
            _, end = _skip_value(text, value)
            i = self._space(end)
            if text[i : i + 1] == ",":
                i = self._space(i + 1)
        self._found[offset] = found
        return found


class KeyChecker:
    """An ``object_pairs_hook`` for the json module that notes whether any object writes
    a key twice (the json module would silently keep the last one)."""

    def __init__(self) -> None:
        self.repeated = False

    def __call__(self, pairs: list[tuple[str, object]]) -> dict[str, object]:
        found = dict(pairs)
        if len(found) != len(pairs):
            self.repeated = True
        return found


def repeated_keys(text: str, start: int = 0, prefix: DocPath = ()) -> list[tuple[DocPath, int]]:
    """Each key written a second (or later) time in one object of the valid JSON value at
    ``start``: its path (from ``prefix``) and the offset where it is written, in order."""
    found: list[tuple[DocPath, int]] = []
    pending: list[tuple[DocPath, int]] = [(prefix, _next(text, start))]
    while pending:
        path, offset = pending.pop()
        opening = text[offset : offset + 1]
        if opening not in ("{", "["):
            continue
        seen: set[str] = set()
        i = _next(text, offset + 1)
        index = 0
        while text[i : i + 1] not in ("}", "]", ""):
            if opening == "{":
                key, end = _skip_value(text, i)
                if key in seen:
                    found.append(((*path, key), i))
                seen.add(key)
                member: DocPath = (*path, key)
                value = _next(text, _next(text, end) + 1)  # past the colon
            else:
                member, value = (*path, index), i
                index += 1
            pending.append((member, value))
            _, end = _skip_value(text, value)
            i = _next(text, end)
            if text[i : i + 1] == ",":
                i = _next(text, i + 1)
    return sorted(found, key=lambda item: item[1])


def _next(text: str, offset: int) -> int:
    """Where the JSON whitespace at ``offset`` ends."""
    return _SPACE.match(text, offset).end()  # type: ignore[union-attr]


def path_text(path: DocPath) -> str:
    """A path as a clerk reads it: ``events[3].attributes.late``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def repeated_key_words(path: DocPath) -> tuple[str, str, str, str]:
    """The message, its Chinese and the hint (both languages) for a key written twice."""
    key, where = path[-1], path_text(path[:-1])
    inside = f"the object {where}" if where else "the top-level object"
    inside_zh = f"对象 {where} " if where else "最外层对象"
    return (
        f'the key "{key}" is written twice in {inside}: which one is meant is unknown',
        f"{inside_zh}中键“{key}”出现了两次，无法确定应取哪一个",
        "keep only one of them",
        "请只保留其中一个",
    )
