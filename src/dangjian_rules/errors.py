"""Located, bilingual problems and the exceptions that carry them.

Every user-facing problem with a ruleset or a dataset is a :class:`Problem`: a stable
code, a severity, a place (file, line, column, path inside the document), a message
in English and Chinese and a hint for the fix.  Loaders collect all problems of one
run and raise them together as :class:`ProblemsFound`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

Severity = Literal["error", "warning"]
Language = Literal["en", "zh"]


@attrs.frozen
class Problem:
    """One problem found in a ruleset or a dataset."""

    code: str
    message: str
    message_zh: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None
    hint_zh: str | None = None
    severity: Severity = "error"

    def location(self) -> str:
        """``file:line:col``, as much of it as is known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def text(self, lang: Language = "en") -> str:
        return self.message_zh if lang == "zh" else self.message

    def hint_text(self, lang: Language = "en") -> str | None:
        return self.hint_zh if lang == "zh" and self.hint_zh else self.hint

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "message_zh": self.message_zh,
            "hint": self.hint,
            "hint_zh": self.hint_zh,
        }


class DangjianError(Exception):
    """Base class of every error this library raises on purpose."""


class ProblemsFound(DangjianError):
    """Raised when input has one or more problems; carries all of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        first = self.problems[0] if self.problems else None
        summary = f"{len(self.problems)} problem(s)"
        if first is not None:
            summary += f"; first: {first.location()}: {first.code} {first.message}"
        super().__init__(summary)

    def __reduce__(self) -> tuple[type[ProblemsFound], tuple[tuple[Problem, ...]]]:
        return (type(self), (self.problems,))  # crosses to and from worker processes

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


class UsageError(DangjianError):
    """A wrong command-line or API call (exit code 2)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest known choice to a misspelt word, if any is close enough."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggestion(
    word: str,
    choices: Iterable[str],
    otherwise: tuple[str, str] | None = None,
    keep_order: bool = False,
) -> tuple[str | None, str | None]:
    """English and Chinese hints for a misspelt word: "did you mean" when one choice is
    close, else ``otherwise`` (advice in both languages) if given, else the choices."""
    options = list(choices) if keep_order else sorted(choices)
    close = did_you_mean(word, options)
    if close is not None:
        return f'did you mean "{close}"?', f"是否想写“{close}”？"
    if otherwise is not None:
        return otherwise
    if not options:
        return None, None
    shown = ", ".join(f'"{o}"' for o in options[:12])
    more = " …" if len(options) > 12 else ""
    return f"expected one of: {shown}{more}", f"可选值：{shown}{more}"
