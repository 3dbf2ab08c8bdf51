"""Charts as PNG bytes, drawn with matplotlib's Agg backend (no display, safe in a worker thread)."""

from __future__ import annotations

import functools
import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: never a GUI backend on a server

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

INDIVIDUALS_COLOUR = "#009EDB"  # UN blue
ENTITIES_COLOUR = "#F2A900"


def stacked_years_png(
    years: list[int],
    individuals: list[int],
    entities: list[int],
    *,
    title: str,
    caption: str,
    y_label: str = "Entries listed",
) -> bytes:
    """Individuals and entities per year as stacked bars, titled, labelled and captioned, as PNG bytes.

    The same data always draws the same picture, and a chart only changes with a new list version: drawn charts
    are kept (a few dozen of ~40 KB), so a busy moment does not redraw one 100 ms chart per request.
    """
    return _stacked_years_png(tuple(years), tuple(individuals), tuple(entities), title, caption, y_label)


@functools.lru_cache(maxsize=64)
def _stacked_years_png(
    years: tuple[int, ...],
    individuals: tuple[int, ...],
    entities: tuple[int, ...],
    title: str,
    caption: str,
    y_label: str,
) -> bytes:
    """Draw the chart (a Figure of its own, not pyplot's global state, so threads do not interfere)."""
    figure = Figure(figsize=(10, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.bar(years, individuals, color=INDIVIDUALS_COLOUR, label="Individuals", width=0.8)
    axes.bar(years, entities, bottom=individuals, color=ENTITIES_COLOUR, label="Entities", width=0.8)
    axes.set_title(title, fontsize=14, pad=14, loc="left")
    axes.set_xlabel("Year listed")
    axes.set_ylabel(y_label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if 0 < len(years) <= 16:
        axes.set_xticks(years)  # every year labelled while they fit
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if years:
        axes.set_xlim(min(years) - 0.6, max(years) + 0.6)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    # Above the plot, right of the title: never on top of a bar.
    axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2)
    figure.text(0.01, 0.015, textwrap.fill(caption, 150), fontsize=8.5, color="#555555", ha="left", va="bottom")
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
