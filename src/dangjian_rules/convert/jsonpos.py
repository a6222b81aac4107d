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
