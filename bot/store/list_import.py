"""Writing one imported list version: its revisions, counts and changes, all inside one write transaction."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import msgspec

from bot.models import Entry, ListDiff, ListVersion
from bot.store.db import POSTGRESQL, Database
from bot.store.lists import (
    SELECT_VERSIONS,
    VERSIONS_CHANNEL,
    StoredEntry,
    StoredRevision,
    decode_entries,
    version_of_row,
)

_ENTRY = msgspec.json.Decoder(Entry)


def decode_entry(data: str) -> Entry:
    """A stored record as an Entry: what Entry.from_json gives, decoded in C (a quarter of the time)."""
    return _ENTRY.decode(data)


class ListWriter:
    """The reads and writes of one import, all inside ONE write transaction (see import_transaction)."""

    def __init__(self, conn: aiosqlite.Connection, *, notify: bool = False) -> None:
        self._conn = conn
        self._notify = notify

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def version_by_sha(self, sha256: str) -> ListVersion | None:
        """The version imported from content with this hash, as committed by any process up to now."""
        rows = await self._fetchall(SELECT_VERSIONS + " WHERE sha256 = ?", (sha256,))
        return version_of_row(rows[0]) if rows else None

    async def latest_version(self) -> ListVersion | None:
        """The latest version, as committed by any process up to now."""
        rows = await self._fetchall(SELECT_VERSIONS + " ORDER BY id DESC LIMIT 1")
        return version_of_row(rows[0]) if rows else None

    async def version_entries(self, version_id: int) -> dict[str, StoredEntry]:
        """Every entry of one version, keyed by reference number."""
        rows = await self._fetchall(
            "SELECT r.id, r.content_hash, r.data FROM version_entries v "
            "JOIN entry_revisions r ON r.id = v.revision_id WHERE v.version_id = ?",
            (version_id,),
        )
        return await asyncio.to_thread(decode_entries, rows)

    async def version_revisions(self, version_id: int) -> dict[str, StoredRevision]:
        """Every entry of one version as its revision and content hash, keyed by reference (no record decoded)."""
        rows = await self._fetchall(
            "SELECT r.reference, r.id, r.content_hash FROM version_entries v "
            "JOIN entry_revisions r ON r.id = v.revision_id WHERE v.version_id = ?",
            (version_id,),
        )
        return {reference: StoredRevision(rid, content_hash) for reference, rid, content_hash in rows}

    async def revision_entries(self, revision_ids: Sequence[int]) -> dict[int, Entry]:
        """The records of these revisions, decoded (off the event loop), by revision id."""
        rows: list[sqlite3.Row] = []
        ids = sorted(set(revision_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows += await self._fetchall(
                f"SELECT id, data FROM entry_revisions WHERE id IN ({marks})",  # noqa: S608 (placeholders only)
                chunk,
            )
        return await asyncio.to_thread(lambda: {rid: decode_entry(data) for rid, data in rows})

    async def save_version(
        self,
        *,
        generated_at: str,
        sha256: str,
        source: str,
        imported_at: str,
        entries: Sequence[Entry],
        hashes: Sequence[str],
        diff: ListDiff,
        previous: Mapping[str, StoredRevision],
        records: Sequence[str] | None = None,
    ) -> ListVersion:
        """Write a new version, its revisions, counts and changes (committed, or not at all, with the transaction).

        `records` are the entries' JSON (Entry.to_json, already made by the caller), else they are made here.
        """
        conn = self._conn
        counts: dict[str, list[int]] = {}
        for entry in entries:
            pair = counts.setdefault(entry.regime, [0, 0])
            pair[0 if entry.kind == "individual" else 1] += 1
        # Version numbers are what people read ("version 6"): the next after the highest, on both engines. A
        # PostgreSQL identity would skip the number of an import that was rolled back or killed; the import's
        # lock (see import_transaction) makes MAX + 1 safe.
        async with conn.execute(
            "INSERT INTO list_versions"
            " (id, generated_at, sha256, source, imported_at, entry_count, added, removed, amended)"
            " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM list_versions), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                generated_at,
                sha256,
                source,
                imported_at,
                len(entries),
                len(diff.added),
                len(diff.removed),
                len(diff.amended),
            ),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None  # RETURNING gives the new row
        version_id = int(row[0])
        # Entries unchanged since the previous version keep their revision; only new content is written.
        revision_ids, fresh = await asyncio.to_thread(_split_revisions, entries, hashes, records, previous)
        if fresh:
            await conn.executemany(
                "INSERT INTO entry_revisions (reference, content_hash, kind, regime, name, listed_on, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                fresh,
            )
            wanted = {(ref, content_hash) for ref, content_hash, *_ in fresh}
            refs = sorted({ref for ref, _ in wanted})
            for start in range(0, len(refs), 500):
                chunk = refs[start : start + 500]
                marks = ",".join("?" * len(chunk))
                async with conn.execute(
                    f"SELECT id, reference, content_hash FROM entry_revisions WHERE reference IN ({marks})",  # noqa: S608
                    chunk,
                ) as cur:
                    for rid, ref, content_hash in await cur.fetchall():
                        if (ref, content_hash) in wanted:
                            revision_ids[ref] = rid
        await conn.executemany(
            "INSERT INTO version_entries (version_id, revision_id) VALUES (?, ?)",
            [(version_id, rid) for rid in revision_ids.values()],
        )
        await conn.executemany(
            "INSERT INTO version_counts (version_id, regime, individuals, entities) VALUES (?, ?, ?, ?)",
            [(version_id, regime, ind, ent) for regime, (ind, ent) in sorted(counts.items())],
        )
        change_rows = (
            [
                (
                    version_id,
                    e.reference,
                    "added",
                    e.kind,
                    e.regime,
                    e.name,
                    "[]",
                    None,
                    revision_ids[e.reference],
                )
                for e in diff.added
            ]
            + [
                (
                    version_id,
                    e.reference,
                    "removed",
                    e.kind,
                    e.regime,
                    e.name,
                    "[]",
                    previous[e.reference].revision_id,
                    None,
                )
                for e in diff.removed
            ]
            + [
                (
                    version_id,
                    new.reference,
                    "amended",
                    new.kind,
                    new.regime,
                    new.name,
                    json.dumps(list(fields)),
                    previous[new.reference].revision_id,
                    revision_ids[new.reference],
                )
                for _old, new, fields in diff.amended
            ]
        )
        await conn.executemany(
            "INSERT INTO entry_changes (version_id, reference, change, kind, regime, name, fields,"
            " old_revision_id, new_revision_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            change_rows,
        )
        version = ListVersion(
            version_id,
            generated_at,
            sha256,
            source,
            imported_at,
            len(entries),
            len(diff.added),
            len(diff.removed),
            len(diff.amended),
        )
        if self._notify:
            # Delivered to every listening process when (and only if) the import commits.
            await self._conn.execute("SELECT pg_notify(?, ?)", (VERSIONS_CHANNEL, str(version.id)))
        return version


@asynccontextmanager
async def import_transaction(db: Database) -> AsyncIterator[ListWriter]:
    """One write transaction for a whole import: BEGIN IMMEDIATE takes SQLite's write lock, which another process
    importing at the same moment cannot hold too. So what the import reads here (duplicates, the latest version,
    its entries) is still true when it writes: no version can slip in between. On PostgreSQL an advisory lock
    does the same across every process and host sharing the database, and the new version is announced with
    NOTIFY on VERSIONS_CHANNEL as the transaction commits."""
    async with db.transaction(exclusive="import") as conn:
        yield ListWriter(conn, notify=db.dialect == POSTGRESQL)


def _split_revisions(
    entries: Sequence[Entry],
    hashes: Sequence[str],
    records: Sequence[str] | None,
    previous: Mapping[str, StoredRevision],
) -> tuple[dict[str, int], list[tuple[str, ...]]]:
    """Revision ids kept from the previous version, and rows to write for new content (CPU work, for a thread)."""
    revision_ids: dict[str, int] = {}
    fresh: list[tuple[str, ...]] = []
    texts = records if records is not None else [None] * len(entries)
    for entry, content_hash, text in zip(entries, hashes, texts, strict=True):
        old = previous.get(entry.reference)
        if old is not None and old.content_hash == content_hash:
            revision_ids[entry.reference] = old.revision_id
        else:
            fresh.append(
                (
                    entry.reference,
                    content_hash,
                    entry.kind,
                    entry.regime,
                    entry.name,
                    entry.listed_on,
                    text if text is not None else entry.to_json(),
                )
            )
    return revision_ids, fresh
