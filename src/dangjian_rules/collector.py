"""Pausing Python's cyclic garbage collector around bulk work.

Loading, fingerprinting, evaluating and generating make hundreds of thousands of small
objects and no reference cycles; the collections their allocations trigger find nothing
to free and would cost as much as the work itself (about 2× the time).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block; restore it as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
