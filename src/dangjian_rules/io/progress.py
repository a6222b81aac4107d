"""A progress bar on stderr for long evaluations — only when stderr is a terminal.

Piped output, files, CI logs and tests never see it: :func:`terminal_progress` returns a
progress whose callback is ``None`` unless the stream is a TTY, and the engine then does
no progress work at all.  On a terminal the engine reports every few hundred subjects
(see ``engine.evaluate(progress=…)``) and the bar redraws at most ten times a second::

    正在评估 mianchi.member-points  [##########----------]  2150/4300
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from typing import TextIO

from dangjian_rules.errors import Language
from dangjian_rules.io.messages import Catalogue

__all__ = ["ProgressCallback", "TerminalProgress", "terminal_progress"]

#: What the engine calls: (ruleset id, subjects done, subjects in all).
ProgressCallback = Callable[[str, int, int], None]

_WIDTH = 24
_INTERVAL = 0.1  # seconds between redraws


def _width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class TerminalProgress:
    """Draws one status line on a terminal, rewritten in place; silent when disabled."""

    def __init__(self, stream: TextIO, lang: Language = "en", enabled: bool | None = None) -> None:
        self.stream = stream
        self.t = Catalogue(lang)
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self._shown = 0  # width of the line on screen, to blank it
        self._last = 0.0
        self._started = time.monotonic()

    @property
    def callback(self) -> ProgressCallback | None:
        """The engine's ``progress`` argument: None when disabled, so it costs nothing."""
        return self.update if self.enabled else None

    def status(self, text: str) -> None:
        """A phase: "reading data …"."""
        if self.enabled:
            self._draw(text, force=True)

    def update(self, ruleset: str, done: int, total: int) -> None:
        """The engine's callback: a bar for one ruleset's subjects."""
        if not self.enabled:
            return
        filled = _WIDTH * done // total if total else _WIDTH
        bar = "#" * filled + "-" * (_WIDTH - filled)
        text = f"{self.t('progress.evaluating')} {ruleset}  [{bar}]  {done}/{total}"
        self._draw(text, force=done >= total)

    def close(self) -> None:
        """Blank the line, so what follows starts clean."""
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0

    def _draw(self, text: str, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last < _INTERVAL:
            return
        self._last = now
        width = _width(text)
        pad = max(0, self._shown - width)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._shown = width + pad


def terminal_progress(stream: TextIO, lang: Language = "en") -> TerminalProgress:
    """A progress bar on ``stream`` if it is a terminal; otherwise one that does nothing."""
    return TerminalProgress(stream, lang)
