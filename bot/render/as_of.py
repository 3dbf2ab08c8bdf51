"""The /sanctions count as_of answer: how many were listed on a date, and how that was worked out."""

from __future__ import annotations

import datetime as dt

from bot.render.common import COLOUR, count_phrase
from bot.render.reply import Reply, make_embed
from bot.services.history import CountAsOf


def _range(pair: tuple[int, int], singular: str, plural: str) -> str:
    low, high = pair
    if low == high:
        return count_phrase(low, singular, plural)
    return f"between {low:,} and {high:,} {plural}"


def _number(pair: tuple[int, int]) -> str:
    return f"{pair[0]:,}" if pair[0] == pair[1] else f"{pair[0]:,}–{pair[1]:,}"


def _gap_words(gap: dt.timedelta) -> str:
    """'2 years and 8 months', '3 months', '12 days'."""
    days = gap.days
    if days < 62:
        return count_phrase(days, "day")
    months = round(days / 30.44)
    years, months = divmod(months, 12)
    parts = [count_phrase(n, unit) for n, unit in ((years, "year"), (months, "month")) if n]
    return " and ".join(parts)


def _versions_footer(answer: CountAsOf) -> str:
    if answer.method == "before_first":
        return f"Earliest listing dates in the imported UN list versions · counted for {answer.day.isoformat()}"
    days = [v.generated_date for v in answer.versions]
    which = f"UN list version of {days[0]}" if len(days) == 1 else f"UN list versions of {' and '.join(days)}"
    return f"{which} · counted for {answer.day.isoformat()}"


def _how(answer: CountAsOf) -> str:
    day = answer.day.isoformat()
    used = [v.generated_date for v in answer.versions]
    if answer.method == "version":
        return f"Exact: a list version was generated on {day}."
    if answer.method == "before_first" and answer.first_listed is not None:
        return (
            f"Exact: the first {answer.regime} designations came on {answer.first_listed.isoformat()} (the "
            f"earliest listing date of any {answer.regime} entry in the imported versions), so on {day} "
            "nobody was listed under the regime yet."
        )
    if answer.method == "latest":
        return (
            f"No version generated after {day} has been imported, so the latest version "
            f"(generated {used[0]}) "
            "answers; changes made after it are not known."
        )
    if answer.method == "estimate":
        return (
            f"**An estimate.** No version generated before {day} has been imported, so this counts the "
            "entries "
            f"of the oldest version ({used[0]}) whose listing date is on or before {day}. Entries delisted "
            "before that version are missing, so the real number may be higher."
        )
    text = (
        f"Reconstructed from the versions generated on {used[0]} and {used[1]}: entries of the later version "
        f"listed on or before {day} were certainly listed then. "
    )
    gap = answer.gap
    if answer.uncertain:
        text += (
            f"{count_phrase(answer.uncertain, 'entry', 'entries')} removed between the two versions "
            "may or may not still have been listed on that date, hence the range."
        )
    elif answer.exact:
        text += (
            "No entry listed by then was removed between the two versions, and they were generated a day or "
            "less apart, so the count is exact."
        )
    else:
        text += (
            "No entry listed by then was removed between the two versions. But they were generated "
            f"{_gap_words(gap) if gap else 'some time'} apart: an entry listed and removed again between them would "
            "be in neither, so this is the count the two versions show, not a proven exact one."
        )
    if answer.before is not None:
        version, ind, ent = answer.before
        text += (
            f"\nFor comparison, the version of {version.generated_date} had "
            f"{count_phrase(ind, 'individual')} and {count_phrase(ent, 'entity', 'entities')}."
        )
    return text


def count_as_of_reply(answer: CountAsOf) -> Reply:
    """How many were listed on a date: a number, a range, or an estimate, and how it was worked out."""
    day = answer.day.isoformat()
    ind = _range(answer.individuals, "individual", "individuals")
    ent = _range(answer.entities, "entity", "entities")
    about = "About " if answer.method == "estimate" else ""
    if answer.method == "between" and not answer.exact and not answer.uncertain:
        about = "As far as the imported versions show, "
    where = f"under the {answer.regime} regime " if answer.regime else ""
    verb = "was" if answer.individuals == (1, 1) and answer.entities == (0, 0) else "were"
    sentence = f"{about}**{ind}** and **{ent}** {verb} on the UN Security Council Consolidated List {where}on {day}."
    fields: list[tuple[str, str, bool]] = []
    if answer.regime is None and answer.rows:
        width = max(len("Regime"), *(len(r.regime) for r in answer.rows))
        cell = _number
        lines = [f"{'Regime':<{width}}  Individuals  Entities"]
        lines += [f"{r.regime:<{width}}  {cell(r.individuals):>11}  {cell(r.entities):>8}" for r in answer.rows]
        lines.append(f"{'Total':<{width}}  {cell(answer.individuals):>11}  {cell(answer.entities):>8}")
        sentence += "\n```\n" + "\n".join(lines) + "\n```"
    else:
        fields = [
            ("Individuals", _number(answer.individuals), True),
            ("Entities", _number(answer.entities), True),
        ]
    fields.append(("How this was counted", _how(answer), False))
    title = f"UN sanctions list on {day}" + (f" — {answer.regime}" if answer.regime else " — all regimes")
    embed = make_embed(title, sentence, fields=fields, footer=_versions_footer(answer), colour=COLOUR)
    return Reply.embed(embed)
