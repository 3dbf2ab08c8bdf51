"""The /sanctions timeline answer: designations per year as a chart (PNG) and a table."""

from __future__ import annotations

from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.limits import truncate
from bot.render.packing import field_chunks
from bot.render.reply import Attachment, Reply, make_embed
from bot.services.history import Timeline


def timeline_filename(regime: str | None) -> str:
    """A safe attachment name for the chart."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in (regime or "all").lower()).strip("-") or "all"
    return f"designations-per-year-{slug}.png"


def timeline_reply(timeline: Timeline) -> Reply:
    """A stacked bar chart of designations per year (PNG), version in the caption. CPU-bound: use a thread."""
    scope = timeline.regime or "all regimes"
    version = timeline.version.generated_date
    individuals, entities = sum(timeline.individuals), sum(timeline.entities)
    title = f"Designations per year — {scope}"
    if not timeline.years:
        return Reply.embed(
            make_embed(
                title,
                "No entry of the latest list has a listing date to chart.",
                footer=version_footer(timeline.version),
                colour=COLOUR,
            )
        )
    caption = (
        f"UN Security Council Consolidated List, version of {version}: the {individuals + entities:,} "
        "entries listed then, by the year they were listed. "
        "Entries removed before that version are not shown."
    )
    from bot.render.chart import stacked_years_png  # matplotlib loads only when a chart is drawn

    png = stacked_years_png(timeline.years, timeline.individuals, timeline.entities, title=title, caption=caption)
    filename = timeline_filename(timeline.regime)
    busiest = max(range(len(timeline.years)), key=lambda i: timeline.individuals[i] + timeline.entities[i])
    text = (
        f"{count_phrase(individuals, 'individual')} and {count_phrase(entities, 'entity', 'entities')} "
        "on the list "
        f"version of {version}, by the year they were listed ({timeline.years[0]}–{timeline.years[-1]}). "
        f"The busiest year was {timeline.years[busiest]} with "
        f"{timeline.individuals[busiest] + timeline.entities[busiest]:,}. "
        "Entries removed since are not counted."
    )
    if timeline.undated:
        text += f" {count_phrase(timeline.undated, 'entry', 'entries')} without a listing date are left out."
    rows = [
        f"{year}  {ind:>11,}  {ent:>8,}"
        for year, ind, ent in zip(timeline.years, timeline.individuals, timeline.entities, strict=True)
    ]
    per_year = field_chunks("Per year", ["```", "Year  Individuals  Entities", *rows, "```"])
    if len(per_year) > 1:  # too many years for one field: plain lines, split over fields, read the same
        per_year = field_chunks(
            "Per year",
            [
                f"{y}: {i:,} individuals, {e:,} entities"
                for y, i, e in zip(timeline.years, timeline.individuals, timeline.entities, strict=True)
            ],
        )
    embed = make_embed(title, text, fields=per_year, footer=version_footer(timeline.version), colour=COLOUR)
    embed.set_image(url=f"attachment://{filename}")
    alt = truncate(f"Stacked bar chart: {title}. {caption}", 1024)
    return Reply.embed(embed, files=[Attachment(filename, png, alt)])
