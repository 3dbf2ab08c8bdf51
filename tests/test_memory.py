"""The collector pause around index builds: nested and overlapping pauses give the collector back."""

from __future__ import annotations

import gc
from contextlib import ExitStack

from bot.memory import collector_paused


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
