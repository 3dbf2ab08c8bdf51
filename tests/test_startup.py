"""The host-clock offset measured at login from Discord's Date header."""

from __future__ import annotations

import datetime as dt

from bot.startup import clock_offset

NOW = dt.datetime(2026, 12, 2, 1, 0, 10, tzinfo=dt.UTC)


def test_offset_from_the_date_header() -> None:
    assert clock_offset("Wed, 02 Dec 2026 01:00:00 GMT", NOW) == 10.0  # this host is 10 s ahead
    assert clock_offset("Wed, 02 Dec 2026 01:00:15 GMT", NOW) == -5.0


def test_no_usable_header_means_no_correction() -> None:
    for header in (None, "", "yesterday", "Wed, 02 Dec 2026 01:00:00"):
        assert clock_offset(header, NOW) == 0.0
