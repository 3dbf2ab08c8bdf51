"""The /sanctions regimes answer: every regime on the latest list with its committee and counts."""

from __future__ import annotations

from bot.render.common import count_phrase, version_footer
from bot.render.packing import pack
from bot.render.reply import Reply, paginate_embeds
from bot.services.history import RegimesAnswer


def regimes_reply(answer: RegimesAnswer) -> Reply:
    """Every regime on the latest list with its committee, reference prefixes and counts."""
    fields = []
    for row in answer.rows:
        info = row.info
        committee = f"{info.short_committee}, on {info.subject}" if info else "committee not in the bot's table"
        value = (
            f"{count_phrase(row.individuals, 'individual')}, "
            f"{count_phrase(row.entities, 'entity', 'entities')}"
            f" · references {', '.join(f'{p}.…' for p in row.prefixes) or '—'}"
        )
        if info:
            adopted = f" on {info.established.isoformat()}" if info.established else ""
            value += f"\nEstablished by {info.resolution}{adopted}"
            if not info.active:
                value += f"\nNo longer active: {info.status}"
        fields.append((f"{row.regime} — {committee}", value, False))
    individuals = sum(r.individuals for r in answer.rows)
    entities = sum(r.entities for r in answer.rows)
    embeds = pack(
        "Sanctions regimes on the UN list",
        f"{count_phrase(len(answer.rows), 'regime')} with {count_phrase(individuals, 'individual')} and "
        f"{count_phrase(entities, 'entity', 'entities')}. Use a regime name with `/sanctions count`, "
        "`search`, `changes` or `timeline`.",
        fields,
        version_footer(answer.version),
    )
    return Reply(paginate_embeds(embeds))
