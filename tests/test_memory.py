"""The collector pause around index builds (nested and overlapping pauses give the collector back), and big data
freed a piece at a time, off the event loop."""

from __future__ import annotations

import gc
import threading
import weakref
from contextlib import ExitStack

from bot.memory import collector_paused, release_later, take_apart, wait_released


def test_overlapping_pauses_restore_the_collector_whichever_ends_last() -> None:
    """Two builds in two tasks: the first pause ends before the second; the collector must come back on."""
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second build still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_nested_pauses_restore_the_collector_once_all_end() -> None:
    assert gc.isenabled()
    with ExitStack() as stack:
        stack.enter_context(collector_paused())
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        first, second = collector_paused(), collector_paused()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        second.__exit__(None, None, None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_taking_apart_empties_containers_and_leaves_a_dead_weak_proxy_alone() -> None:
    """The index's autocomplete holds a weak proxy to it: by the time a background thread takes the autocomplete
    apart the index is gone, and anything but type() on that proxy would raise."""

    class Referent:
        pass

    referent = Referent()
    proxy = weakref.proxy(referent)
    del referent
    take_apart(proxy)
    items, mapping = list(range(10_000)), {n: str(n) for n in range(10_000)}
    take_apart(items)
    take_apart(mapping)
    assert items == [] and mapping == {}


def test_what_is_released_later_is_freed_by_another_thread() -> None:
    freed_in: list[int] = []

    class Part:
        pass

    holder = [Part()]  # the only reference to the part
    weakref.finalize(holder[0], lambda: freed_in.append(threading.get_ident()))
    release_later([holder])
    assert wait_released(10)
    assert freed_in and freed_in[0] != threading.get_ident()
