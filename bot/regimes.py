"""What the list's regime names (UN_LIST_TYPE) stand for: committee, resolution, reference prefix.

A small static table kept in one place. The resolutions and dates are the Security Council's own (the DPRK
row as sourced in the project's 1718 Committee fact sheet); the prefixes are those seen in the list files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegimeInfo:
    """One sanctions regime as the Consolidated List names it."""

    list_type: str
    subject: str
    committee: str
    resolution: str
    established: dt.date
    prefix: str
    status: str = "active"


_D = dt.date

REGIMES: dict[str, RegimeInfo] = {
    r.list_type: r
    for r in (
        RegimeInfo(
            "Al-Qaida",
            "ISIL (Da'esh) and Al-Qaida",
            "ISIL (Da'esh) and Al-Qaida Sanctions Committee (1267/1989/2253)",
            "1267 (1999)",
            _D(1999, 10, 15),
            "QD",
        ),
        RegimeInfo("Taliban", "the Taliban", "1988 Sanctions Committee", "1988 (2011)", _D(2011, 6, 17), "TA"),
        RegimeInfo(
            "DPRK",
            "the Democratic People's Republic of Korea",
            "1718 Sanctions Committee",
            "1718 (2006)",
            _D(2006, 10, 14),
            "KP",
        ),
        RegimeInfo("Iraq", "Iraq", "1518 Sanctions Committee", "1518 (2003)", _D(2003, 11, 24), "IQ"),
        RegimeInfo(
            "DRC",
            "the Democratic Republic of the Congo",
            "1533 Sanctions Committee",
            "1533 (2004)",
            _D(2004, 3, 12),
            "CD",
        ),
        RegimeInfo("Sudan", "Sudan", "1591 Sanctions Committee", "1591 (2005)", _D(2005, 3, 29), "SD"),
        RegimeInfo("Libya", "Libya", "1970 Sanctions Committee", "1970 (2011)", _D(2011, 2, 26), "LY"),
        RegimeInfo("GB", "Guinea-Bissau", "2048 Sanctions Committee", "2048 (2012)", _D(2012, 5, 18), "GB"),
        RegimeInfo(
            "CAR",
            "the Central African Republic",
            "2127 Sanctions Committee",
            "2127 (2013)",
            _D(2013, 12, 5),
            "CF",
        ),
        RegimeInfo("Yemen", "Yemen", "2140 Sanctions Committee", "2140 (2014)", _D(2014, 2, 26), "YE"),
        RegimeInfo("SouthSudan", "South Sudan", "2206 Sanctions Committee", "2206 (2015)", _D(2015, 3, 3), "SS"),
        RegimeInfo("Haiti", "Haiti", "2653 Sanctions Committee", "2653 (2022)", _D(2022, 10, 21), "HT"),
        RegimeInfo(
            "Somalia",
            "Al-Shabaab (Somalia)",
            "2713 Sanctions Committee (formerly the 751 Committee)",
            "751 (1992)",
            _D(1992, 4, 24),
            "SO",
        ),
        RegimeInfo(
            "Mali",
            "Mali",
            "2374 Sanctions Committee",
            "2374 (2017)",
            _D(2017, 9, 5),
            "ML",
            status="ended 2023-08-31",
        ),
        RegimeInfo(
            "Iran",
            "Iran",
            "1737 Sanctions Committee",
            "1737 (2006)",
            _D(2006, 12, 23),
            "IR",
            status="replaced by the resolution 2231 (2015) arrangements in 2016",
        ),
    )
}


def regime_info(list_type: str) -> RegimeInfo | None:
    """The table row of a regime, by the list's spelling (None for a regime the table does not know)."""
    return REGIMES.get(list_type)


def regime_start(list_type: str, earliest_listing: dt.date | None = None) -> dt.date | None:
    """The first day anything can have been listed under a regime: its resolution, or an earlier listing.

    Taliban entries were listed under resolution 1267 long before resolution 1988 split them off, so the
    earliest listing date wins when it comes first.
    """
    info = REGIMES.get(list_type)
    dates = [d for d in (info.established if info else None, earliest_listing) if d is not None]
    return min(dates) if dates else None
