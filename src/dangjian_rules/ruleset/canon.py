"""The canonical TOML form of a ruleset document.

:func:`render` writes a parsed TOML document (the ``dict`` that ``tomli.loads`` returns,
numbers with a fraction as :class:`~decimal.Decimal`) back to TOML text, the same way every
time, so that ``tomli.loads(render(document)) == document``:

* the known top-level sections come in the order of the format reference (``[ruleset]``,
  ``[score]``, ``[fields]``, ``[event_types]``, ``[[categories]]``, ``[[rules]]``,
  ``[[grades]]``, ``[[measures]]``, ``[[flags]]``, ``[stars]``, ``[tiers]``,
  ``[selection]``, ``[[tests]]``), then any other key in the document's order;
* at the top level a table is a ``[section]`` and a list of tables an ``[[array]]``; below
  it a value that fits on one line of :data:`WIDTH` characters is written inline
  (``caps = [{ per = "month", max = 2 }]``), a longer list one item per line, and what
  does not fit even so as a section;
* inside a table, plain keys come before its sub-sections (TOML requires it), each group
  in the document's order;
* texts are basic strings with escapes; keys are bare where TOML allows
  (``A-Z a-z 0-9 _ -``); decimals keep their digits (``1.50`` stays ``1.50``; a whole
  decimal is written ``5.0`` so it reads back as a decimal, not an integer); comments are
  not kept (a document has none).

``render(tomli.loads(render(d))) == render(d)``: the canonical form of a canonical text
is itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import tomli

__all__ = ["WIDTH", "canonical", "render", "render_key", "render_value"]

#: Lines longer than this are broken (lists one item per line) where TOML allows.
WIDTH = 96

#: The top-level sections of a ruleset, in the order of docs/ruleset-format.md.
SECTION_ORDER = (
    "ruleset",
    "score",
    "fields",
    "event_types",
    "categories",
    "rules",
    "grades",
    "measures",
    "flags",
    "stars",
    "tiers",
    "selection",
    "tests",
)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
    '"': '\\"',
    "\\": "\\\\",
}


def _string(text: str) -> str:
    out: list[str] = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def render_key(key: str) -> str:
    """A key, bare where TOML allows, else quoted."""
    return key if _BARE_KEY.match(key) else _string(key)


def _decimal(value: Decimal) -> str:
    if value.is_nan():
        return "nan"
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    text = str(value)
    if "." not in text and "E" not in text and "e" not in text:
        text += ".0"  # "5" would read back as the integer 5
    return text


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    text = repr(value)
    if "." not in text and "e" not in text and "inf" not in text:
        text += ".0"
    return text


def _is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def render_value(value: object) -> str:
    """A value on one line: scalars, inline arrays and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{render_key(k)} = {render_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    raise TypeError(f"not a TOML value: {type(value).__name__}")


def _header(path: Sequence[str]) -> str:
    return ".".join(render_key(p) for p in path)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def section(self, path: tuple[str, ...], table: Mapping[str, Any], array: bool) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(f"[[{_header(path)}]]" if array else f"[{_header(path)}]")
        self.body(path, table, top=False)

    def body(self, path: tuple[str, ...], table: Mapping[str, Any], top: bool) -> None:
        inline: list[str] = []
        later: list[tuple[str, Any]] = []
        for key, value in table.items():
            rendered = self.inline(key, value, top)
            if rendered is None:
                later.append((key, value))
            else:
                inline.extend(rendered)
        self.lines.extend(inline)
        for key, value in later:
            if isinstance(value, Mapping):
                self.section((*path, key), value, array=False)
            else:
                for item in value:
                    self.section((*path, key), item, array=True)

    @staticmethod
    def inline(key: str, value: object, top: bool) -> list[str] | None:
        """The lines of ``key = value``, or None when it must be a section."""
        if top and (isinstance(value, Mapping) or _is_table_list(value)):
            return None
        start = f"{render_key(key)} = "
        one_line = start + render_value(value)
        if len(one_line) <= WIDTH:
            return [one_line]
        if isinstance(value, list) and value:
            items = [render_value(v) for v in value]
            if not _is_table_list(value) or all(len(i) + 2 <= WIDTH for i in items):
                return [start + "[", *(f"  {i}," for i in items), "]"]
        if isinstance(value, Mapping) or _is_table_list(value):
            return None
        return [one_line]  # a long text or number: TOML has no better place for it


def _ordered(document: Mapping[str, Any]) -> dict[str, Any]:
    known = [k for k in SECTION_ORDER if k in document]
    rest = [k for k in document if k not in SECTION_ORDER]
    return {k: document[k] for k in (*known, *rest)}


def render(document: Mapping[str, Any]) -> str:
    """The canonical TOML text of a document (see the module docstring)."""
    writer = _Writer()
    ordered = _ordered(document)
    plain = {k: v for k, v in ordered.items() if not (isinstance(v, Mapping) or _is_table_list(v))}
    nested = {k: v for k, v in ordered.items() if k not in plain}
    # Plain top-level keys must come before the first [section].
    writer.body((), plain, top=True)
    writer.body((), nested, top=True)
    return "\n".join(writer.lines) + "\n" if writer.lines else ""


def canonical(text: str) -> str:
    """The canonical form of a TOML text; raises ``tomli.TOMLDecodeError`` if it is not TOML."""
    return render(tomli.loads(text.removeprefix("\ufeff"), parse_float=Decimal))
