"""How plugin code that fails, exits, overruns the time budget or returns the wrong thing
is reported: a :class:`PluginError` naming the plugin and what it was doing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from dangjian_rules import budget
from dangjian_rules.errors import DangjianError

_T = TypeVar("_T")
TIMEOUT_HINT = " (--timeout SECONDS sets it; 0 for none)"


class PluginError(DangjianError):
    """A plugin failed to load, raised in a hook, or clashed with another plugin."""


def describe(exc: BaseException) -> str:
    """What went wrong in plugin code, in the words of a plugin error."""
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r}); a plugin may not end the program"
    if isinstance(exc, budget.BudgetExceeded):
        return f"still running when the time budget of {exc.seconds:g} s ran out{TIMEOUT_HINT}"
    return f"{type(exc).__name__}: {exc}"


def plugin_failure(
    plugin: str, doing: str, exc: BaseException, hint: str = ""
) -> PluginError | budget.BudgetExceeded:
    """The error for ``exc`` raised by ``plugin``'s code while ``doing``.  An overrun
    budget stays a :class:`~dangjian_rules.budget.BudgetExceeded` (now naming the plugin),
    so that nothing on its way out mistakes it for an ordinary failure and retries."""
    words = f'plugin "{plugin}" {doing}: {describe(exc)}{hint}'
    if isinstance(exc, budget.BudgetExceeded):
        budget.stop()  # reported now: nothing else is interrupted on the way out
        return budget.BudgetExceeded(exc.seconds, words)
    return PluginError(words)


def is_plugin_failure(exc: BaseException) -> bool:
    """Whatever plugin code raises is its failure, except an interrupt by the user and
    errors already naming the plugin (ours, and an overrun budget named by a guard)."""
    if isinstance(exc, budget.BudgetExceeded):
        return not exc.where
    return not isinstance(exc, (KeyboardInterrupt, GeneratorExit, DangjianError))


@contextmanager
def blaming(plugin: str, doing: str) -> Iterator[None]:
    """``with blaming("hubin", "failed in rule r1"):`` around code of a known plugin."""
    try:
        yield
    except BaseException as exc:
        if not is_plugin_failure(exc):
            raise
        raise plugin_failure(plugin, doing, exc) from exc


def returned(plugin: str, doing: str, value: object, expected: str) -> PluginError:
    """The error for a plugin returning ``value`` where ``expected`` was due."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return PluginError(
        f'plugin "{plugin}" {doing}: returned {shown} ({type(value).__name__}), expected {expected}'
    )


def checked_call(
    plugin: str, doing: str, call: Callable[[], _T], valid: Callable[[object], bool], expected: str
) -> _T:
    """``call()`` under :func:`blaming`, its result refused unless ``valid``."""
    with blaming(plugin, doing):
        value = call()
    if not valid(value):
        raise returned(plugin, doing, value, expected)
    return value
