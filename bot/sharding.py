"""Which servers this process answers for, when the bot runs as several processes (SHARD_COUNT / SHARD_IDS)."""

from __future__ import annotations

from dataclasses import dataclass


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's rule: a server belongs to shard (guild_id >> 22) % shard_count."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class ShardScope:
    """The shards this process runs, out of `count`. Background work for other shards' servers is not ours."""

    count: int
    ids: frozenset[int]

    def owns(self, guild_id: int) -> bool:
        """True when the server's shard runs in this process."""
        return shard_of(guild_id, self.count) in self.ids


def scope_from_settings(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> ShardScope | None:
    """The scope of this process, or None when it runs every shard (so owns every server)."""
    if shard_count is None or shard_ids is None or set(shard_ids) >= set(range(shard_count)):
        return None
    return ShardScope(shard_count, frozenset(shard_ids))
