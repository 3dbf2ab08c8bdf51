"""Keeping Python's cyclic garbage collector off the event loop's back while big, long-lived data is built.

A full collection walks every tracked object with the GIL held: with the search index of a list 10 times the real
one, that is half a second in which the event loop (heartbeats, acknowledgements) cannot run. Building such data
is what triggers full collections, so the collector is paused while it is built and the result is then frozen
(gc.freeze: later collections skip it; it is still freed by reference counting when replaced, as an index holds
no reference cycles).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0  # nested or overlapping pauses: the collector comes back when the last one ends
_was_enabled = False  # whether the collector ran before the first of the pauses in force


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause cyclic collection for the block; afterwards freeze what exists (the new long-lived data) and resume.

    Pauses may nest or overlap (two builds in two tasks, ending in either order): the state before the first one
    is what the last one to end restores, never the `disabled` seen by a pause that began inside another."""
    global _paused, _was_enabled
    if _paused == 0:
        _was_enabled = gc.isenabled()
    _paused += 1
    gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            gc.freeze()
            if _was_enabled:
                gc.enable()
