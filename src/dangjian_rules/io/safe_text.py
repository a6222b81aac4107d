"""Text leaving the program safely: spreadsheet cells that cannot run as formulas,
printed text without terminal or bidi control characters, consoles that cannot encode
every character, and JSON text holding lone surrogates (which is not Unicode text).

Each rule lives here once; the writers call these functions where their text leaves.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TextIO

# -- spreadsheet cells (CSV formula injection) ----------------------------------------------

#: a cell starting with one of = + - @ tab CR after any apostrophes: Excel could take it
#: for a formula, and the apostrophes must be escaped too so that reading back is exact
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")
#: a plain number stays a number (a score of -3 is not a formula)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def spreadsheet_cell(text: str) -> str:
    """The cell as written to a CSV file: text that Excel would take for a formula gets
    an apostrophe in front (what OWASP recommends); numbers are left alone.

    :func:`plain_cell` undoes exactly this, so writing and reading back is lossless."""
    if _FORMULA_LIKE.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def plain_cell(text: str) -> str:
    """The value of a CSV cell: the apostrophe :func:`spreadsheet_cell` puts (or Excel's
    "this is text" apostrophe) before a formula-like cell is removed."""
    if text[:1] == "'" and _FORMULA_LIKE.match(text, 1):
        return text[1:]
    return text


# -- printed text (terminal escapes, bidi overrides, malformed XML) ------------------------

#: C0 controls but tab and newline, DEL, C1 controls, bidi embeddings, overrides and
#: isolates (which reorder what a reader sees), and lone surrogates (not encodable)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"  # also a JSON escape of the same character


def printable(text: str) -> str:
    """The text with every control character shown as a visible escape (ESC as
    ``\\u001b``), so that names, ids and messages cannot move the cursor, recolour or
    reorder a terminal, or make XML malformed.  Tab and newline stay."""
    return _UNPRINTABLE.sub(_escape, text)


# -- consoles that cannot encode every character -------------------------------------------

#: plain stand-ins for the symbols our outputs use, where a console cannot show them
_PLAIN = {
    "✓": "v",
    "✗": "x",
    "−": "-",
    "–": "-",
    "—": "-",
    "…": "...",
    "→": "->",
    "←": "<-",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "×": "x",
    "·": ".",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}
CONSOLE_ERRORS = "dangjian-rules-plain"


def _console_fallback(error: UnicodeError) -> tuple[str, int]:
    """A plain stand-in for a known symbol, a backslash escape for anything else."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    part = error.object[error.start : error.end]
    return "".join(_PLAIN.get(char) or _escape_code(ord(char)) for char in part), error.end


def _escape_code(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


codecs.register_error(CONSOLE_ERRORS, _console_fallback)


def console_safe(stream: object) -> None:
    """Make a text stream (stdout, stderr) write what its encoding cannot hold as plain
    stand-ins or escapes instead of failing with ``UnicodeEncodeError``."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors=CONSOLE_ERRORS)


# -- JSON text with lone surrogates ---------------------------------------------------------

_ESCAPE = re.compile(r"\\(?:u([dD][89a-fA-F][0-9a-fA-F]{2})|.)", re.DOTALL)


#: DJ240: the message, its Chinese, the hint and its Chinese
LONE_SURROGATE = (
    "a \\u escape here is half of a surrogate pair (\\uD800-\\uDFFF without its other "
    "half): the string is not valid Unicode text",
    "这里的 \\u 转义只是代理对的一半（\\uD800-\\uDFFF 缺少另一半），不是有效的 Unicode 文字",
    "write the character itself, or both halves of the pair (\\ud83d\\ude00)",
    "请直接写出这个字符，或写出完整的代理对（如 \\ud83d\\ude00）",
)


def lone_surrogates(text: str) -> Iterator[int]:
    """The offsets of ``\\uD800``-style escapes in JSON text that are not a high and a
    low surrogate in a pair: such a string is not text (it cannot be written as UTF-8)."""
    if "\\" not in text:  # the common case, at once
        return
    pending: re.Match[str] | None = None  # a high surrogate waiting for its low half
    for match in _ESCAPE.finditer(text):
        unit = match.group(1)
        low = unit is not None and unit[1] in "cdefCDEF"
        if pending is not None:
            if low and match.start() == pending.end():
                pending = None
                continue
            yield pending.start()
            pending = None
        if unit is None:
            continue
        if low:
            yield match.start()
        else:
            pending = match
    if pending is not None:
        yield pending.start()


# -- rows of CSV files ---------------------------------------------------------------------


class PrintableWriter:
    """A text stream that writes through :func:`printable` (for commands that print
    names and messages line by line)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def flush(self) -> None:
        self._stream.flush()


class _RowWriter(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SpreadsheetWriter:
    """A CSV writer whose cells cannot run as formulas in Excel.

    ``printed`` is for reports (the results CSV): control characters are made visible
    too.  Without it (data files) nothing else changes, so the data readers give back
    exactly the values written."""

    def __init__(self, writer: _RowWriter, printed: bool = False) -> None:
        self._writer = writer
        self._printed = printed

    def writerow(self, cells: Iterable[object]) -> None:
        texts = (str(cell) for cell in cells)
        if self._printed:
            texts = (printable(text) for text in texts)
        self._writer.writerow([spreadsheet_cell(text) for text in texts])
