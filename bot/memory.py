"""Keeping Python's cyclic garbage collector off the event loop's back while big, long-lived data is built.

A full collection walks every tracked object with the GIL held: with the search index of a list 10 times the real
one, that is half a second in which the event loop (heartbeats, acknowledgements) cannot run. Building such data
is what triggers full collections, so the collector is paused while it is built and the result is then frozen
(gc.freeze: later collections skip it; it is still freed by reference counting when replaced, as an index holds
no reference cycles).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()  # pauses are also taken in worker threads (the import's parse)
_paused = 0  # nested or overlapping pauses: the collector comes back when the last one ends
_was_enabled = False  # whether the collector ran before the first of the pauses in force
_freeze_wanted = False  # whether one of the pauses in force asked for what exists to be frozen at the end


@contextmanager
def collector_paused(*, freeze: bool = True) -> Iterator[None]:
    """Pause cyclic collection for the block; afterwards (with `freeze`) freeze what exists, and resume.

    Pauses may nest or overlap (two builds in two tasks, ending in either order): the state before the first one
    is what the last one to end restores, never the `disabled` seen by a pause that began inside another.
    Without `freeze` the block's objects are left to reference counting (short-lived data without cycles, such as
    a parsed list on its way to the store)."""
    global _paused, _was_enabled, _freeze_wanted
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
        _paused += 1
        _freeze_wanted = _freeze_wanted or freeze
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0:
                if _freeze_wanted:
                    gc.freeze()
                _freeze_wanted = False
                if _was_enabled:
                    gc.enable()
