"""A run's time budget: a deadline after which the code running is interrupted.

Plugin code may sleep or loop; with a budget, the command stops at the deadline and the
guard around the plugin code names the plugin (see ``plugins.manager``).  The deadline is
enforced by ``SIGALRM`` on the main thread (POSIX only), never by killing a thread; forked
worker processes inherit it and arm their own timer.  Elsewhere (Windows, a thread other
than the main one) no budget is enforced.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import attrs

#: After the deadline, the alarm fires again this often, so that code which swallows
#: the first interruption (a bare ``except:``) is interrupted again.
_REPEAT_SECONDS = 1.0


class BudgetExceeded(BaseException):
    """The run's time budget ran out.  A BaseException, so that plugin code catching
    ``Exception`` (or a property-testing library) does not swallow it; the guards around
    plugin code raise it again with ``where`` naming the plugin and what it was doing."""

    def __init__(self, seconds: float, where: str = "") -> None:
        super().__init__(seconds, where)  # the arguments again when pickled from a worker
        self.seconds = seconds
        self.where = where

    def __str__(self) -> str:
        return self.where or (
            f"the time budget of {self.seconds:g} s ran out (--timeout SECONDS sets it; 0 for none)"
        )


#: With ``hard_stop``, code that keeps swallowing the interruption this long after the
#: deadline ends the process (exit 2): the command line must end, whatever plugins do.
HARD_STOP_GRACE_SECONDS = 3.0
HARD_STOP_EXIT_CODE = 2


@attrs.frozen
class _Budget:
    deadline: float  # on the monotonic clock
    seconds: float
    hard_stop: bool


_active: _Budget | None = None


def _available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    if _active is None:
        return
    if _active.hard_stop and time.monotonic() > _active.deadline + HARD_STOP_GRACE_SECONDS:
        where = f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}" if frame else "?"
        os.write(
            2,
            f"dangjian-rules: the time budget of {_active.seconds:g} s ran out and the code in "
            f"{where} ignored the interruption; stopped (--timeout SECONDS sets the budget)\n".encode(
                "utf-8", "replace"
            ),
        )
        os._exit(HARD_STOP_EXIT_CODE)
    raise BudgetExceeded(_active.seconds)


def _arm(remaining: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.001), _REPEAT_SECONDS)


def stop() -> None:
    """Disarm the budget (once its overrun is reported, nothing more is interrupted)."""
    global _active
    _active = None
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def time_budget(seconds: float | None, hard_stop: bool = False) -> Iterator[None]:
    """Within the block, :class:`BudgetExceeded` is raised in whatever code is running
    once ``seconds`` have passed (and again every second); ``None`` or 0 (or no POSIX
    timer) sets no budget.  ``hard_stop`` (the command line) ends the process when the
    code running swallows the interruption for HARD_STOP_GRACE_SECONDS."""
    global _active
    if not seconds or _active is not None or not _available():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _active = _Budget(time.monotonic() + seconds, seconds, hard_stop)
    _arm(seconds)
    try:
        yield
    finally:
        stop()
        signal.signal(signal.SIGALRM, previous)


#: A forked worker stops this much (at most a quarter of what is left) before its parent,
#: so that the parent hears which plugin the worker was running.
_WORKER_LEAD_SECONDS = 0.5


def _rearm_in_child() -> None:
    # A forked worker inherits the deadline and the handler but not the timer.
    if _active is not None:
        remaining = _active.deadline - time.monotonic()
        _arm(remaining - min(_WORKER_LEAD_SECONDS, remaining / 4))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_rearm_in_child)
