"""When digests run: a local time in an IANA zone, daily or on one weekday, and the options that set it.

Periods are local calendar dates, so a daily digest runs once a day even when its local time is skipped or
repeated by a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.errors import InvalidOption, UnknownTimezone, quote
from bot.models_digest import Cadence, Subscription

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CADENCES: tuple[Cadence, ...] = ("daily", "weekly")
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")  # ASCII digits only (\d would take "٠٨:٠٠")


def parse_time(text: str) -> tuple[int, int]:
    """'08:30' → (8, 30); InvalidOption with a specific hint for 7pm, 25:00, 8.30, …"""
    raw = text.strip()
    match = _TIME.match(raw)
    if match is None:
        if re.search(r"[ap]\.?m\.?$", raw, re.I):
            raise InvalidOption("time", f"{quote(raw)}: use the 24-hour clock as HH:MM, e.g. `19:00` for 7 pm.")
        raise InvalidOption("time", f"{quote(raw)} is not a time; use HH:MM on the 24-hour clock, e.g. `08:00`.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise InvalidOption("time", f"{quote(raw)}: hours run from 00 to 23.")
    if minute > 59:
        raise InvalidOption("time", f"{quote(raw)}: minutes run from 00 to 59.")
    return hour, minute


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if "/" in n or n in ("UTC",)))


def resolve_timezone(text: str) -> str:
    """An IANA zone name as the database spells it (any case accepted); UnknownTimezone with suggestions."""
    raw = text.strip()
    if raw.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    names = _zone_names()
    by_key = {n.casefold(): n for n in names}
    key = raw.replace(" ", "_").casefold()
    name = by_key.get(key)
    if name is not None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return name
    # Suggest on the whole name and on the city part ("berlin" → Europe/Berlin).
    cities = {n: n.rsplit("/", 1)[-1].replace("_", " ") for n in names}
    close = process.extract(raw.replace("_", " "), cities, scorer=fuzz.WRatio, limit=3, score_cutoff=80)
    whole = process.extract(raw, {n: n for n in names}, scorer=fuzz.WRatio, limit=3, score_cutoff=80)
    suggestions: list[str] = []
    for _text, _score, candidate in [*close, *whole]:
        if candidate not in suggestions:
            suggestions.append(candidate)
    raise UnknownTimezone(raw, suggestions[:3])


def complete_timezone(current: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: those containing what was typed (case-insensitive), shortest first."""
    key = current.strip().replace(" ", "_").casefold()
    names = _zone_names()
    if not key:
        return ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Seoul", "Asia/Tokyo"][:limit]
    starts = [n for n in names if n.casefold().startswith(key) or n.casefold().split("/")[-1].startswith(key)]
    contains = [n for n in names if key in n.casefold() and n not in starts]
    return (starts + contains)[:limit]


def parse_cadence(text: str | None) -> Cadence:
    """'daily' (the default) or 'weekly'."""
    value = (text or "daily").strip().lower()
    if value not in CADENCES:
        raise InvalidOption("cadence", "choose daily or weekly.")
    return value  # type: ignore[return-value]


def parse_weekday(text: str | None) -> int | None:
    """Monday = 0 … Sunday = 6 from a name or its first three letters; None when not given."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    for number, name in enumerate(WEEKDAY_NAMES):
        if value in (name, name[:3]):
            return number
    raise InvalidOption("weekday", f"{quote(text)} is not a day of the week.")


@dataclass(frozen=True)
class Schedule:
    """When a subscription runs: a local time in a zone, every day or on one weekday."""

    cadence: Cadence
    hour: int
    minute: int
    tz: ZoneInfo
    weekday: int | None = None

    @classmethod
    def of(cls, sub: Subscription) -> Schedule:
        """The schedule of a stored subscription."""
        hour, minute = parse_time(sub.local_time)
        return cls(sub.cadence, hour, minute, ZoneInfo(sub.timezone), sub.weekday)

    def occurs_on(self, day: dt.date) -> bool:
        """True on the local dates the digest runs."""
        return self.cadence == "daily" or day.weekday() == (self.weekday or 0)

    def run_at(self, day: dt.date) -> dt.datetime:
        """The UTC instant of the run on a local date.

        fold=0 takes the first of a repeated local time, and a skipped one (e.g. 02:30 when clocks jump from
        02:00 to 03:00) lands just after the jump (03:30): either way one instant per local date.
        """
        local = dt.datetime(day.year, day.month, day.day, self.hour, self.minute, tzinfo=self.tz, fold=0)
        return local.astimezone(dt.UTC)

    def next_after(self, when: dt.datetime) -> tuple[dt.date, dt.datetime]:
        """The first run strictly after an instant: (local date = period, UTC time)."""
        day = when.astimezone(self.tz).date() - dt.timedelta(days=1)
        for _ in range(16):
            if self.occurs_on(day):
                at = self.run_at(day)
                if at > when:
                    return day, at
            day += dt.timedelta(days=1)
        raise AssertionError("no run within 16 days")  # a weekly schedule always has one within 8

    def latest_at_or_before(self, when: dt.datetime) -> tuple[dt.date, dt.datetime] | None:
        """The last run at or before an instant (the period a catch-up digest stands for)."""
        day = when.astimezone(self.tz).date() + dt.timedelta(days=1)
        for _ in range(16):
            if self.occurs_on(day):
                at = self.run_at(day)
                if at <= when:
                    return day, at
            day -= dt.timedelta(days=1)
        return None
