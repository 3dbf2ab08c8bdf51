"""The UN list tables, read side: versions, revisions, counts, changes, sync state (imports: store.list_import)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.models import Change, Entry, ListVersion, RegimeCount, SyncStatus
from bot.store.db import Database

# PostgreSQL: each committed import is announced on this channel (payload: the new version's id).
VERSIONS_CHANNEL = "sanctionsbot_versions"

SELECT_VERSIONS = (
    "SELECT id, generated_at, sha256, source, imported_at, entry_count, added, removed, amended FROM list_versions"
)


def version_of_row(row: sqlite3.Row) -> ListVersion:
    return ListVersion(*row)


@dataclass(frozen=True, slots=True)
class StoredRevision:
    """Which revision of an entry a version holds, and its content hash (enough to tell what changed)."""

    revision_id: int
    content_hash: str


@dataclass(frozen=True, slots=True)
class StoredEntry(StoredRevision):
    """An entry as stored in one version: its revision id and content hash, and the record."""

    entry: Entry


async def latest_version(db: Database) -> ListVersion | None:
    """The most recently imported version, if any."""
    row = await db.fetchone(SELECT_VERSIONS + " ORDER BY id DESC LIMIT 1")
    return version_of_row(row) if row else None


async def list_versions(db: Database) -> list[ListVersion]:
    """Every imported version, oldest first."""
    rows = await db.fetchall(SELECT_VERSIONS + " ORDER BY id")
    return [version_of_row(r) for r in rows]


async def version_by_sha(db: Database, sha256: str) -> ListVersion | None:
    """The version imported from content with this hash, if any."""
    row = await db.fetchone(SELECT_VERSIONS + " WHERE sha256 = ?", (sha256,))
    return version_of_row(row) if row else None


async def version_counts(db: Database, version_id: int) -> list[RegimeCount]:
    """Per-regime counts of one version, by regime name."""
    rows = await db.fetchall(
        "SELECT regime, individuals, entities FROM version_counts WHERE version_id = ? ORDER BY regime",
        (version_id,),
    )
    return [RegimeCount(*r) for r in rows]


async def all_version_counts(db: Database) -> dict[int, list[RegimeCount]]:
    """Per-regime counts of every version, keyed by version id."""
    rows = await db.fetchall(
        "SELECT version_id, regime, individuals, entities FROM version_counts ORDER BY version_id, regime"
    )
    out: dict[int, list[RegimeCount]] = {}
    for version_id, regime, individuals, entities in rows:
        out.setdefault(version_id, []).append(RegimeCount(regime, individuals, entities))
    return out


async def version_entries(db: Database, version_id: int) -> dict[str, StoredEntry]:
    """Every entry of one version, keyed by reference number."""
    rows = await db.fetchall(
        "SELECT r.id, r.content_hash, r.data FROM version_entries v "
        "JOIN entry_revisions r ON r.id = v.revision_id WHERE v.version_id = ?",
        (version_id,),
    )
    # Decoding a thousand JSON records takes tens of milliseconds: keep it off the event loop.
    return await asyncio.to_thread(decode_entries, rows)


def decode_entries(rows: list[sqlite3.Row]) -> dict[str, StoredEntry]:
    out = {}
    for revision_id, content_hash, data in rows:
        entry = Entry.from_json(data)
        out[entry.reference] = StoredEntry(revision_id, content_hash, entry)
    return out


def _change(row: sqlite3.Row | tuple[Any, ...]) -> Change:
    version_id, reference, change, kind, regime, name, fields = row
    return Change(version_id, reference, change, kind, regime, name, tuple(json.loads(fields)))


_SELECT_CHANGES = "SELECT version_id, reference, change, kind, regime, name, fields FROM entry_changes"


async def changes_of_version(db: Database, version_id: int) -> list[Change]:
    """The changes one version made, by change kind then reference."""
    rows = await db.fetchall(
        _SELECT_CHANGES + " WHERE version_id = ? ORDER BY change, reference",
        (version_id,),
    )
    return [_change(r) for r in rows]


async def changes_with_revisions(db: Database, version_id: int) -> list[tuple[Change, Entry | None, Entry | None]]:
    """The changes one version made, each with the entry before (amended, removed) and after (added, amended)."""
    rows = await db.fetchall(
        "SELECT c.version_id, c.reference, c.change, c.kind, c.regime, c.name, c.fields, o.data, n.data"
        " FROM entry_changes c LEFT JOIN entry_revisions o ON o.id = c.old_revision_id"
        " LEFT JOIN entry_revisions n ON n.id = c.new_revision_id"
        " WHERE c.version_id = ? ORDER BY c.change, c.reference",
        (version_id,),
    )
    # Decoding up to a couple of thousand JSON records: off the event loop, like version_entries.
    return await asyncio.to_thread(_decode_changes, rows)


def _decode_changes(rows: list[sqlite3.Row]) -> list[tuple[Change, Entry | None, Entry | None]]:
    return [
        (
            _change(row[:7]),
            Entry.from_json(row[7]) if row[7] else None,
            Entry.from_json(row[8]) if row[8] else None,
        )
        for row in rows
    ]


async def changes_after(db: Database, after_version_id: int, *, regime: str | None = None) -> list[Change]:
    """Every change recorded by versions newer than the given one (0 for all), newest version first."""
    sql = _SELECT_CHANGES + " WHERE version_id > ?"
    params: list[object] = [after_version_id]
    if regime is not None:
        sql += " AND regime = ?"
        params.append(regime)
    rows = await db.fetchall(sql + " ORDER BY version_id DESC, change, reference", params)
    return [_change(r) for r in rows]


async def changes_of_reference(db: Database, reference: str) -> list[Change]:
    """The history of one entry: every change that touched it, oldest first."""
    rows = await db.fetchall(_SELECT_CHANGES + " WHERE reference = ? ORDER BY version_id", (reference,))
    return [_change(r) for r in rows]


async def latest_revision(db: Database, reference: str) -> tuple[Entry, int] | None:
    """The newest stored revision of an entry (also for removed entries) and the last version holding it."""
    row = await db.fetchone(
        "SELECT r.data, MAX(v.version_id) FROM entry_revisions r JOIN version_entries v ON v.revision_id = r.id "
        "WHERE r.reference = ? GROUP BY r.id ORDER BY MAX(v.version_id) DESC LIMIT 1",
        (reference,),
    )
    return (Entry.from_json(row[0]), int(row[1])) if row else None


async def all_references(db: Database) -> list[str]:
    """Every reference number ever stored, sorted."""
    rows = await db.fetchall("SELECT DISTINCT reference FROM entry_revisions ORDER BY reference")
    return [r[0] for r in rows]


async def listed_on_by_version(db: Database, version_id: int) -> list[tuple[str, str, str, str]]:
    """(reference, kind, regime, listed_on) of every entry in one version."""
    rows = await db.fetchall(
        "SELECT r.reference, r.kind, r.regime, r.listed_on FROM version_entries v "
        "JOIN entry_revisions r ON r.id = v.revision_id WHERE v.version_id = ?",
        (version_id,),
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def sync_status(db: Database) -> SyncStatus:
    """What the last sync did."""
    row = await db.fetchone(
        "SELECT last_attempt_at, last_success_at, last_error, consecutive_failures, next_attempt_at, etag,"
        " last_modified FROM sync_state WHERE id = 1"
    )
    return SyncStatus(*row) if row else SyncStatus()


async def record_sync(
    db: Database,
    *,
    attempt_at: str,
    ok: bool,
    error: str | None = None,
    next_attempt_at: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """Record the outcome of one sync attempt (keeping the validators of the last good download)."""
    async with db.transaction() as conn:
        if ok:
            await conn.execute(
                "UPDATE sync_state SET last_attempt_at = ?, last_success_at = ?, last_error = NULL,"
                " consecutive_failures = 0, next_attempt_at = ?, etag = COALESCE(?, etag),"
                " last_modified = COALESCE(?, last_modified) WHERE id = 1",
                (attempt_at, attempt_at, next_attempt_at, etag, last_modified),
            )
        else:
            await conn.execute(
                "UPDATE sync_state SET last_attempt_at = ?, last_error = ?,"
                " consecutive_failures = consecutive_failures + 1, next_attempt_at = ? WHERE id = 1",
                (attempt_at, error, next_attempt_at),
            )


async def versions_holding(db: Database, reference: str) -> list[int]:
    """Ids of the versions in which an entry (by reference) is present, oldest first."""
    rows = await db.fetchall(
        "SELECT DISTINCT v.version_id FROM entry_revisions r JOIN version_entries v ON v.revision_id = r.id "
        "WHERE r.reference = ? ORDER BY v.version_id",
        (reference,),
    )
    return [int(r[0]) for r in rows]


async def removals_between(
    db: Database, after_version_id: int, up_to_version_id: int
) -> list[tuple[str, str, str, str]]:
    """(reference, kind, regime, listed_on) of entries removed by versions after one and up to another."""
    rows = await db.fetchall(
        "SELECT c.reference, r.kind, r.regime, r.listed_on FROM entry_changes c "
        "JOIN entry_revisions r ON r.id = c.old_revision_id "
        "WHERE c.change = 'removed' AND c.version_id > ? AND c.version_id <= ? "
        "ORDER BY c.version_id, c.reference",
        (after_version_id, up_to_version_id),
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def known_regimes(db: Database) -> dict[str, str]:
    """Every regime any imported version held, with the earliest listing date seen under it."""
    rows = await db.fetchall("SELECT regime, MIN(listed_on) FROM entry_revisions WHERE listed_on != '' GROUP BY regime")
    out = {str(regime): str(first) for regime, first in rows}
    for (regime,) in await db.fetchall("SELECT DISTINCT regime FROM version_counts"):
        out.setdefault(str(regime), "")
    return out


async def revision_up_to(db: Database, reference: str, version_id: int) -> tuple[Entry, int] | None:
    """The newest revision of an entry held by a version up to `version_id`, and the last such version."""
    row = await db.fetchone(
        "SELECT r.data, MAX(v.version_id) FROM entry_revisions r "
        "JOIN version_entries v ON v.revision_id = r.id WHERE r.reference = ? AND v.version_id <= ? "
        "GROUP BY r.id ORDER BY MAX(v.version_id) DESC LIMIT 1",
        (reference, version_id),
    )
    return (Entry.from_json(row[0]), int(row[1])) if row else None


async def version_size(db: Database, version_id: int) -> int:
    """How many entries one version holds."""
    row = await db.fetchone("SELECT COUNT(*) FROM version_entries WHERE version_id = ?", (version_id,))
    return int(row[0]) if row else 0


async def newest_revision_id(db: Database) -> int:
    """The id of the newest stored entry revision (0 for none): it moves whenever a reference may be new."""
    row = await db.fetchone("SELECT MAX(id) FROM entry_revisions")
    return int(row[0]) if row and row[0] is not None else 0
