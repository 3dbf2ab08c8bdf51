"""The outbox table: the migration that moves digest and alert deliveries into it keeps every record (pending ones
go on from where they stopped), and the lane rules, on a real temporary SQLite file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.models_outbox import NewPost
from bot.store import digests, outbox, watches
from bot.store.db import Database, bundled_migrations

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
AT = "2026-11-27T12:00:00+00:00"
GUILD, OTHER = 111, 333


async def _before_the_outbox(path: Path) -> None:
    """A store as the code before the outbox left it: a sent and a pending digest, and three alerts."""
    async with await Database.open(path, migrate=False) as db:
        (outbox_migration,) = [m for m in bundled_migrations() if m.name == "outbox"]
        await db.migrate([m for m in bundled_migrations() if m.version < outbox_migration.version])
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO digest_subscriptions (id, guild_id, channel_id, cadence, local_time, timezone,"
                " created_at, next_run_at) VALUES (1, ?, 222, 'daily', '13:00', 'UTC', ?, ?)",
                (GUILD, AT, AT),
            )
            page = json.dumps([{"content": None, "embeds": [{"title": "Digest"}]}])
            for id_, status, parts, ids in ((1, "sent", 1, '["900"]'), (2, "pending", 0, "[]")):
                await conn.execute(
                    "INSERT INTO digest_deliveries (id, subscription_id, period, status, channel_id, nonce_seed,"
                    " payload, parts_sent, message_ids, through_item_id, through_version_id, item_count,"
                    " change_count, created_at, updated_at, attempts, next_attempt_at, last_error)"
                    " VALUES (?, 1, ?, ?, 222, ?, ?, ?, ?, 7, 3, 2, 1, ?, ?, ?, ?, ?)",
                    (
                        id_,
                        f"2026-11-2{id_}",
                        status,
                        f"seed{id_}",
                        page,
                        parts,
                        ids,
                        AT,
                        AT,
                        id_ - 1,
                        None if status == "sent" else AT,
                        None if status == "sent" else "Discord server error 503",
                    ),
                )
            for guild, channel, paused in (
                (GUILD, 444, None),
                (OTHER, None, None),
                (555, 666, "the channel no longer exists"),
            ):
                await conn.execute(
                    "INSERT INTO watch_servers (guild_id, channel_id, through_version_id, created_at, paused_at,"
                    " paused_reason) VALUES (?, ?, 3, ?, ?, ?)",
                    (guild, channel, AT, AT if paused else None, paused),
                )
                await conn.execute(
                    "INSERT INTO watch_deliveries (guild_id, version_id, status, nonce_seed, payload, hit_count,"
                    " created_at, updated_at) VALUES (?, 3, 'pending', ?, ?, 2, ?, ?)",
                    (guild, f"alert{guild}", page, AT, AT),
                )


@pytest.mark.sqlite_only("the SQLite migration series (PostgreSQL's 0005 made the outbox in its current shape)")
async def test_the_migration_moves_every_delivery_into_the_outbox(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    await _before_the_outbox(path)
    async with await Database.open(path) as db:
        sent, pending = await digests.deliveries_of(db, 1)
        assert (sent.status, sent.parts_sent, sent.message_ids, sent.nonce_seed) == ("sent", 1, [900], "seed1")
        assert (pending.status, pending.attempts, pending.last_error) == ("pending", 1, "Discord server error 503")
        assert (pending.through_item_id, pending.through_version_id, pending.item_count) == (7, 3, 2)
        assert pending.payload == [{"content": None, "embeds": [{"title": "Digest"}]}] and pending.channel_id == 222
        assert await digests.has_pending_delivery(db, 1)
        (ready,) = await watches.deliveries_of(db, GUILD)
        (no_channel,) = await watches.deliveries_of(db, OTHER)
        (paused,) = await watches.deliveries_of(db, 555)
        assert (ready.status, ready.channel_id, ready.hit_count, ready.nonce_seed) == (
            "pending",
            444,
            2,
            f"alert{GUILD}",
        )
        assert (no_channel.status, no_channel.last_error) == ("held", "no alert channel set")
        assert (paused.status, paused.last_error) == ("held", "the channel no longer exists")
        assert len({d.outbox_id for d in (sent, pending, ready, no_channel, paused)}) == 5
        due = await outbox.due(db, "digest", NOW + dt.timedelta(hours=1))
        assert [p.id for p in due] == [pending.outbox_id]
        assert [p.id for p in await outbox.due(db, "alert", NOW)] == [ready.outbox_id]
        columns = {r[1] for r in await db.fetchall("PRAGMA table_info(digest_deliveries)")}
        assert "payload" not in columns and "nonce_seed" not in columns and "outbox_id" in columns


async def test_a_lane_goes_in_order_and_a_held_post_holds_the_rest(store_location: Path | str) -> None:
    async with await Database.open(store_location) as db:
        ids = []
        async with db.transaction() as conn:
            for n in range(3):
                ids.append(
                    await outbox.insert(conn, NewPost("alert", "alert:1", 1, 10, f"s{n}", [{"content": "x"}]), NOW)
                )
            other = await outbox.insert(conn, NewPost("alert", "alert:2", 2, 20, "t", [{"content": "y"}]), NOW)
        assert [p.id for p in await outbox.due(db, "alert", NOW)] == [ids[0], other]  # one per lane, the first
        first = await outbox.post_by_id(db, ids[0])
        assert first is not None
        await outbox.hold(db, first, reason="the channel no longer exists", now=NOW)
        assert [p.id for p in await outbox.due(db, "alert", NOW)] == [other]
        assert await outbox.unfinished(db, "alert:1") == 3
        async with db.transaction() as conn:
            assert await outbox.release_in(conn, "alert:1", 11, NOW) == 3
        released = [await outbox.post_by_id(db, i) for i in ids]
        assert [(p.status, p.channel_id) for p in released if p] == [("pending", 11)] * 3
        await outbox.finish(db, ids[0], status="sent", now=NOW)
        assert [p.id for p in await outbox.due(db, "alert", NOW)] == [ids[1], other]
