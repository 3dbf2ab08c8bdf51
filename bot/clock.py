"""Time from one place, so tests can move it (never sleep)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is (aware, UTC)."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware in UTC."""
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to (tests, benchmarks, the CLI's --now)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The time this clock was set to."""
        return self._now

    def set(self, when: dt.datetime) -> None:
        """Jump to a moment."""
        self._now = when.astimezone(dt.UTC)

    def advance(self, **delta: float) -> dt.datetime:
        """Move forward by a timedelta given as keywords (minutes=5, days=1, …)."""
        self._now += dt.timedelta(**delta)
        return self._now


def stamp(when: dt.datetime) -> str:
    """A UTC time as stored: ISO 8601 to the second with +00:00, so text order is time order."""
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_stamp(text: str | None) -> dt.datetime | None:
    """A stored time back as an aware datetime."""
    return dt.datetime.fromisoformat(text) if text else None
