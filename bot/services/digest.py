"""Compose a digest: a server's matching news since the previous digest, the UN list changes since then, and
today's DPRK counts. Pure reading: nothing is written here (the scheduler records what it sends)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import parse_stamp
from bot.models import Change, ListVersion, RegimeCount
from bot.models_feeds import GuildFeed, StoredItem
from bot.services.feeds import FeedService
from bot.store import feeds as feed_store
from bot.store import lists as list_store
from bot.store.db import Database

log = logging.getLogger(__name__)

ITEMS_PER_FEED = 10
FOCUS_REGIME = "DPRK"


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One news item as a digest shows it."""

    id: int
    title: str
    link: str | None
    when: dt.datetime  # publication time, never later than when we first saw it (feeds do post-date)


@dataclass(frozen=True, slots=True)
class FeedSection:
    """One feed's matching items, newest first, at most ITEMS_PER_FEED, and how many more there were."""

    feed_id: int
    name: str
    items: tuple[DigestItem, ...]
    more: int


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A feed that could not be read: its name, the error, and since when it has been failing."""

    name: str
    error: str
    last_success_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class RegimeChanges:
    """The list changes of one regime over the digest's versions."""

    regime: str
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    amended: tuple[Change, ...]

    @property
    def total(self) -> int:
        """Changes of all three kinds."""
        return len(self.added) + len(self.removed) + len(self.amended)


@dataclass(frozen=True)
class Digest:
    """Everything one digest says, and how far it reaches (so the next one starts after it)."""

    guild_id: int
    generated_at: dt.datetime
    since: dt.datetime | None
    sections: tuple[FeedSection, ...]
    problems: tuple[FeedProblem, ...]
    changes: tuple[RegimeChanges, ...]
    versions: tuple[ListVersion, ...]
    version: ListVersion | None
    focus: RegimeCount | None
    through_item_id: int
    through_version_id: int
    keywords: tuple[str, ...] = ()

    @property
    def item_count(self) -> int:
        """Matching items in total (including those past the per-feed cap)."""
        return sum(len(s.items) + s.more for s in self.sections)

    @property
    def change_count(self) -> int:
        """List changes in total."""
        return sum(c.total for c in self.changes)

    @property
    def empty(self) -> bool:
        """True when there is no news and no list change (the counts line alone is not news)."""
        return self.item_count == 0 and self.change_count == 0


@dataclass(frozen=True)
class DigestPost:
    """What the outbox renders for a digest: the digest and the zone its times are shown in."""

    digest: Digest
    tz: ZoneInfo


def _when(item: StoredItem) -> dt.datetime:
    seen = parse_stamp(item.seen_at)
    assert seen is not None
    published = parse_stamp(item.published_at)
    return min(published, seen) if published else seen


def group_items(
    items: Sequence[StoredItem], order: Sequence[GuildFeed], per_feed: int = ITEMS_PER_FEED
) -> list[FeedSection]:
    """Items by feed (in the server's order), newest first, cut to `per_feed` with a count of the rest."""
    by_feed: dict[int, list[StoredItem]] = {}
    for item in items:
        by_feed.setdefault(item.feed_id, []).append(item)
    sections = []
    for gf in order:
        group = by_feed.get(gf.feed.id)
        if not group:
            continue
        group.sort(key=lambda i: (_when(i), i.id), reverse=True)
        shown = tuple(DigestItem(i.id, i.title, i.link, _when(i)) for i in group[:per_feed])
        sections.append(FeedSection(gf.feed.id, gf.name, shown, max(0, len(group) - per_feed)))
    return sections


def group_changes(changes: Sequence[Change], focus: str = FOCUS_REGIME) -> list[RegimeChanges]:
    """Changes per regime (the focus regime first, then alphabetically), each kind sorted by name."""
    by_regime: dict[str, dict[str, list[Change]]] = {}
    for change in changes:
        kinds = by_regime.setdefault(change.regime, {"added": [], "removed": [], "amended": []})
        kinds[change.change].append(change)
    out = []
    for regime in sorted(by_regime, key=lambda r: (r != focus, r.casefold())):
        kinds = by_regime[regime]

        def ordered(kind: str, kinds: dict[str, list[Change]] = kinds) -> tuple[Change, ...]:
            return tuple(sorted(kinds[kind], key=lambda c: (c.name.casefold(), c.reference)))

        out.append(RegimeChanges(regime, ordered("added"), ordered("removed"), ordered("amended")))
    return out


@dataclass
class Snapshot:
    """What every digest composed in one scheduler pass reads alike: the newest item id, the list versions,
    the latest version's counts, and the list changes after a version (filled as digests ask). A digest
    composed with it covers exactly up to its item and version ids (its cursors move there), so a version
    imported during the pass goes into each server's next digest, not lost."""

    through_item_id: int
    versions: list[ListVersion]
    counts: list[RegimeCount]
    changes: dict[int, list[Change]]


class DigestComposer:
    """Builds digests from the store: news since an item id, list changes since a version id."""

    def __init__(self, db: Database, feeds: FeedService) -> None:
        self._db = db
        self._feeds = feeds

    async def compose(
        self,
        guild_id: int,
        *,
        after_item_id: int,
        after_version_id: int,
        now: dt.datetime,
        since: dt.datetime | None = None,
        shared: Snapshot | None = None,
    ) -> Digest:
        """A server's digest of the items after `after_item_id` and the versions after `after_version_id`
        (what is alike for every server read once per pass when `shared` is given)."""
        started = time.perf_counter()
        shared = shared if shared is not None else await self.snapshot()
        through_item = shared.through_item_id
        guild_feeds = await self._feeds.guild_feeds(guild_id)
        matcher = await self._feeds.matcher(guild_id)
        candidates = await feed_store.candidate_items(
            self._db, guild_id, after_id=after_item_id, through_id=through_item
        )
        matching = [i for i in candidates if matcher.matches(i.title, i.summary)]
        sections = group_items(matching, guild_feeds)
        problems = tuple(
            FeedProblem(gf.name, gf.feed.last_error or "unknown error", parse_stamp(gf.feed.last_success_at))
            for gf in guild_feeds
            if gf.feed.failing
        )
        all_versions = shared.versions
        latest = all_versions[-1] if all_versions else None
        through_version = latest.id if latest else 0
        changes: list[Change] = []
        versions: tuple[ListVersion, ...] = ()
        if latest is not None and through_version > after_version_id:
            # The first version ever imported "adds" the whole list: that is a starting point, not news.
            baseline = all_versions[0].id
            changes = [
                c
                for c in await self._changes_after(shared, max(after_version_id, baseline))
                if c.version_id <= through_version
            ]
            versions = tuple(v for v in all_versions if max(after_version_id, baseline) < v.id <= through_version)
        focus = next((c for c in shared.counts if c.regime == FOCUS_REGIME), None) if latest is not None else None
        digest = Digest(
            guild_id=guild_id,
            generated_at=now,
            since=since,
            sections=tuple(sections),
            problems=problems,
            changes=tuple(group_changes(changes)),
            versions=versions,
            version=latest,
            focus=focus,
            through_item_id=through_item,
            through_version_id=through_version,
            keywords=matcher.keywords,
        )
        log.debug(
            "digest composed guild=%s candidates=%d items=%d changes=%d ms=%.1f",
            guild_id,
            len(candidates),
            digest.item_count,
            digest.change_count,
            (time.perf_counter() - started) * 1000,
        )
        return digest

    async def snapshot(self) -> Snapshot:
        """Read what every digest composed now shares (once per scheduler pass)."""
        through_item = await feed_store.max_item_id(self._db)
        versions = await list_store.list_versions(self._db)
        counts = await list_store.version_counts(self._db, versions[-1].id) if versions else []
        return Snapshot(through_item, versions, counts, {})

    async def _changes_after(self, shared: Snapshot, after_version_id: int) -> list[Change]:
        if after_version_id not in shared.changes:
            shared.changes[after_version_id] = await list_store.changes_after(self._db, after_version_id)
        return shared.changes[after_version_id]

    async def lookback_cursors(self, now: dt.datetime, days: int = 1) -> tuple[int, int]:
        """(item id, version id) cursors covering the last `days` days (previews without a subscription)."""
        cutoff = now - dt.timedelta(days=days)
        item = await feed_store.max_item_id_seen_before(self._db, cutoff)
        versions = await list_store.list_versions(self._db)
        older = [v.id for v in versions if (parse_stamp(v.imported_at) or now) <= cutoff]
        return item, max(older, default=versions[-1].id if versions else 0)
