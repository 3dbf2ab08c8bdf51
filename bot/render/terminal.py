"""Plain-text reports for the terminal commands (import, sync, versions)."""

from __future__ import annotations

from collections import Counter

from bot.models import ListVersion, RegimeCount
from bot.services.importer import ImportResult


def counts_table(counts: list[RegimeCount]) -> str:
    """Regime, individuals, entities — with a total line."""
    width = max([len("Regime"), *(len(c.regime) for c in counts)])
    lines = [f"{'Regime':<{width}}  Individuals  Entities"]
    lines += [f"{c.regime:<{width}}  {c.individuals:>11,}  {c.entities:>8,}" for c in counts]
    lines.append(
        f"{'Total':<{width}}  {sum(c.individuals for c in counts):>11,}  {sum(c.entities for c in counts):>8,}"
    )
    return "\n".join(lines)


def import_report(result: ImportResult, *, sample: int = 10) -> str:
    """What an import did: the version, counts per regime, and the changes against the previous version."""
    v = result.version
    if result.status == "unchanged":
        return (
            f"Already imported: this content (sha256 {v.sha256[:16]}…) is version {v.id}, generated "
            f"{v.generated_at}. Nothing changed.\n"
        )
    out = [
        f"Imported version {v.id}: UN Consolidated List generated {v.generated_date} ({v.generated_at})",
        f"Source: {v.source}",
        f"sha256: {v.sha256}",
        f"Entries: {v.entry_count:,} ({result.seconds:.2f} s)",
        "",
        counts_table(result.counts),
        "",
    ]
    d = result.diff
    if result.previous is None:
        out.append("First version: no earlier version to compare with.")
    elif d.is_empty:
        out.append(
            f"No entry changes against version {result.previous.id} (generated {result.previous.generated_date})."
        )
    else:
        out.append(
            f"Changes against version {result.previous.id} (generated {result.previous.generated_date}): "
            f"{len(d.added)} added, {len(d.removed)} removed, {len(d.amended)} amended"
        )
        per_regime: Counter[tuple[str, str]] = Counter()
        for e in d.added:
            per_regime[(e.regime, "added")] += 1
        for e in d.removed:
            per_regime[(e.regime, "removed")] += 1
        for _old, new, _fields in d.amended:
            per_regime[(new.regime, "amended")] += 1
        for regime in sorted({r for r, _ in per_regime}):
            out.append(
                f"  {regime}: {per_regime[(regime, 'added')]} added, {per_regime[(regime, 'removed')]} removed, "
                f"{per_regime[(regime, 'amended')]} amended"
            )
        for label, entries in (("Added", d.added), ("Removed", d.removed)):
            if entries:
                shown = ", ".join(f"{e.reference} {e.name}" for e in entries[:sample])
                more = f" … and {len(entries) - sample} more" if len(entries) > sample else ""
                out.append(f"{label}: {shown}{more}")
        if d.amended:
            shown = "; ".join(f"{new.reference} ({', '.join(fields)})" for _o, new, fields in d.amended[:sample])
            more = f" … and {len(d.amended) - sample} more" if len(d.amended) > sample else ""
            out.append(f"Amended: {shown}{more}")
    return "\n".join(out) + "\n"


def versions_table(versions: list[ListVersion], counts: dict[int, list[RegimeCount]]) -> str:
    """One line per imported version."""
    if not versions:
        return "No list imported yet. Run `sanctionsbot sync` or `sanctionsbot import PATH_OR_URL`.\n"
    lines = [
        f"{'id':>3}  {'generated':<29}  {'imported':<25}  {'ind.':>5}  {'ent.':>5}  {'+':>4}  {'-':>4}  {'~':>4}  "
        f"{'sha256':<12}  source"
    ]
    for v in versions:
        c = counts.get(v.id, [])
        lines.append(
            f"{v.id:>3}  {v.generated_at:<29}  {v.imported_at:<25}  {sum(x.individuals for x in c):>5}  "
            f"{sum(x.entities for x in c):>5}  {v.added:>4}  {v.removed:>4}  {v.amended:>4}  "
            f"{v.sha256[:12]}  {v.source}"
        )
    return "\n".join(lines) + "\n"
