"""Keeping Python's cyclic garbage collector off the event loop's back while big, long-lived data is built.

A full collection walks every tracked object with the GIL held: with the search index of a list 10 times the real
one, that is half a second in which the event loop (heartbeats, acknowledgements) cannot run. Building such data
is what triggers full collections, so the collector is paused while it is built and the result is then frozen
(gc.freeze: later collections skip it; it is still freed by reference counting when replaced, as an index holds
no reference cycles).

Freeing such data is the same kind of work the other way round: hundreds of thousands of objects deallocated in one
C call that holds the GIL. So big data that is let go of is taken apart a piece at a time (`take_apart`), in a
worker thread the caller awaits, or, when it is let go of wherever its last holder happens to be (possibly the
event loop), by a background thread (`release_later`).
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

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


_PIECE = 4096  # objects freed at a time: between pieces the GIL can change hands


def take_apart(value: object, depth: int = 0) -> None:
    """Empty a list or dict a piece at a time; look one level into this project's own helper objects (the index's
    postings, keys and autocomplete). Anything else is left whole (a numpy array is one block of memory)."""
    kind = type(value)  # never isinstance: a dead weakref.proxy raises on anything but type()
    if issubclass(kind, list):
        items = cast("list[object]", value)
        while items:
            del items[-_PIECE:]
    elif issubclass(kind, dict):
        mapping = cast("dict[object, object]", value)
        while mapping:
            for key in list(itertools.islice(mapping, _PIECE)):
                del mapping[key]
    elif depth == 0 and kind.__module__.startswith("bot."):
        inner = getattr(value, "__dict__", None)  # None for a class with __slots__
        for part in list(inner.values()) if isinstance(inner, dict) else ():
            take_apart(part, depth + 1)


_released = threading.Condition()
_waiting: deque[list[object]] = deque()  # parts handed over and not yet taken apart
_unfinished = 0  # handed over, not yet freed
_releaser: threading.Thread | None = None


def release_later(parts: list[object]) -> None:
    """Hand the parts of big data, let go of wherever (possibly on the event loop), to a background thread that takes
    them apart a piece at a time."""
    global _unfinished, _releaser
    if not parts or sys.is_finalizing():
        # At interpreter shutdown a new thread never runs (starting one waits for it forever) and the one running may
        # be stopped holding the lock: the parts are freed here, as nothing waits on the event loop any more.
        return
    with _released:
        if _releaser is None or not _releaser.is_alive():
            _releaser = threading.Thread(target=_release_forever, name="memory-release", daemon=True)
            _releaser.start()
        _waiting.append(parts)
        _unfinished += 1
        _released.notify_all()


def _release_forever() -> None:
    global _unfinished
    while True:
        with _released:
            _released.wait_for(lambda: bool(_waiting))
            parts = _waiting.popleft()
        for part in parts:
            take_apart(part)
        del parts, part  # the emptied containers themselves go here too, not in whichever thread runs next
        with _released:
            _unfinished -= 1
            _released.notify_all()


def wait_released(timeout: float | None = None) -> bool:
    """Block until everything handed to release_later is freed (False if `timeout` passed first)."""
    with _released:
        return _released.wait_for(lambda: _unfinished == 0, timeout)
