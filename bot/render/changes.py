"""The /sanctions changes answer: what each imported list version added, removed and amended."""

from __future__ import annotations

from bot.models import Change
from bot.render import limits
from bot.render.common import COLOUR, version_footer
from bot.render.entry import field_words
from bot.render.limits import escape, truncate
from bot.render.packing import CHUNK
from bot.render.reply import Page, Reply, make_embed
from bot.services.history import ChangesAnswer, VersionChanges

CHANGE_LINES_PER_PAGE = 20
_CHANGE_HEADINGS = {"added": "Added", "removed": "Removed", "amended": "Amended"}


def _change_line(change: Change) -> str:
    line = f"`{change.reference}` {escape(truncate(change.name, 90))} · {change.regime} {change.kind}"
    if change.change == "amended":
        line += f" — {field_words(change.fields)}"
    return line


def _group_summary(group: VersionChanges) -> str:
    counts = {k: sum(1 for c in group.changes if c.change == k) for k in _CHANGE_HEADINGS}
    if not group.changes:
        return "no changes"
    return ", ".join(f"{counts[k]:,} {k}" for k in _CHANGE_HEADINGS if counts[k])


def changes_reply(answer: ChangesAnswer) -> Reply:
    """A summary page, then each version's additions, removals and amendments, newest version first."""
    scope = f" — {answer.regime}" if answer.regime else ""
    since = f" since {answer.since.isoformat()}" if answer.since else ""
    title = f"Changes to the UN sanctions list{scope}{since}"
    footer = version_footer(answer.latest)
    baseline = (
        f"Changes are known from the first imported version ({answer.baseline.generated_date}) on; "
        "each version is compared with the one before it."
    )
    if not answer.groups:
        if answer.since is not None:
            text = f"No list version generated after {answer.since.isoformat()} has been imported. {baseline}"
        else:
            text = f"Only one list version has been imported, so there are no changes to show yet. {baseline}"
        return Reply.embed(make_embed(title, text, footer=footer, colour=COLOUR))
    lines = [
        f"**{g.version.generated_date}** (against {g.previous.generated_date}): {_group_summary(g)}"
        for g in answer.groups
    ]
    summary = make_embed(
        title,
        truncate("\n".join(lines) + "\n\n" + baseline, limits.DESCRIPTION),
        footer=footer,
        colour=COLOUR,
    )
    pages = [Page([summary])]
    for group in answer.groups:
        if not group.changes:
            continue
        body: list[str] = []
        for kind, heading in _CHANGE_HEADINGS.items():
            of_kind = [c for c in group.changes if c.change == kind]
            if of_kind:
                body.append(f"**{heading} ({len(of_kind):,})**")
                body.extend(_change_line(c) for c in of_kind)
        chunks: list[list[str]] = [[]]
        size = 0
        for line in body:
            if chunks[-1] and (len(chunks[-1]) >= CHANGE_LINES_PER_PAGE or size + len(line) + 1 > CHUNK):
                chunks.append([])
                size = 0
            chunks[-1].append(line)
            size += len(line) + 1
        heading = f"Version of {group.version.generated_date} — against {group.previous.generated_date}"
        for number, chunk in enumerate(chunks, start=1):
            part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
            pages.append(
                Page(
                    [
                        make_embed(
                            f"{heading}{part}",
                            "\n".join(chunk),
                            footer=version_footer(group.version, f"{_group_summary(group)}{scope}"),
                            colour=COLOUR,
                        )
                    ]
                )
            )
    return Reply(pages)
