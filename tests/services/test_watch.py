"""Watchlist alerts on a real store with the shared list versions and a fake Discord (enforce_nonce semantics):
exactly the expected hits, once; across crashes and restarts; paused on 403/404, retried on 5xx; shard scope."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import tasks
from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.errors import InvalidOption, ListNotLoaded, MalformedReference, UserError
from bot.models import ListVersion, diff_entries
from bot.services.search import SearchIndex
from bot.services.watch import EXACT_LEVEL, MAX_TARGET, ChangeSet, EntryChange, check_threshold, parse_target
from bot.settings import Settings
from bot.sharding import ShardScope
from bot.sources.un_xml import parse_consolidated_list
from bot.store import lists as list_store
from bot.store import watches as store
from bot.store.watches import Watch
from tests.fixtures.digest import CHANNEL, GUILD, Crash, FakeDeliverer, FakeDiscord
from tests.fixtures.lists import consolidated, entity, individual
from tests.shared_files import UN_LIST_DATES, un_list

OTHER_GUILD = 333
OTHER_CHANNEL = 444


async def no_sleep(_seconds: float) -> None:
    return None


def connect(core: Core, discord: FakeDiscord) -> FakeDeliverer:
    """What the bot does on login: a deliverer for alerts (instant retries in tests)."""
    deliverer = FakeDeliverer(discord)
    core.watches.deliverer = deliverer  # type: ignore[assignment]
    core.watches._sleep = no_sleep
    return deliverer


async def settle() -> None:
    """Let background sends started by the version listener finish."""
    await asyncio.gather(*tasks.running(), return_exceptions=True)


async def import_date(core: Core, date: str, *, notice: bool = True) -> None:
    """Import one shared version; with `notice`, refresh as the bot does after an import (listeners run)."""
    await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
    if notice:
        await core.after_import()
        await settle()


@asynccontextmanager
async def opened(settings: Settings, clock: ManualClock) -> AsyncIterator[Core]:
    async with open_core(settings, clock=clock) as core:
        yield core


@pytest.fixture
def discord() -> FakeDiscord:
    return FakeDiscord()


@pytest.fixture
async def first(settings: Settings, clock: ManualClock) -> AsyncIterator[Core]:
    """A core whose store holds only the 2017-06-20 version (not connected to Discord)."""
    async with opened(settings, clock) as core:
        await import_date(core, UN_LIST_DATES[0])
        yield core


async def watch_the_two(core: Core, guild: int = GUILD, channel: int | None = CHANNEL) -> None:
    """An Al-Qaida reference removed on 2017-07-03 and a DPRK name added by 2020-03-20."""
    await core.watches.add(guild, "QDi.168", "removed 2017", user_id=1)
    await core.watches.add(guild, "Kim Mun Chol", None, user_id=1)
    if channel is not None:
        await core.watches.set_channel(guild, channel)


# --- What fires, and how often -------------------------------------------------------------------------------


async def test_importing_in_order_alerts_exactly_the_two_once(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await watch_the_two(first)
    versions = {}
    for date in UN_LIST_DATES[1:]:
        await import_date(first, date)
        versions[date] = (await list_store.latest_version(first.db)).id  # type: ignore[union-attr]
    hits = await store.hits_of(first.db, GUILD)
    assert [(h.version_id, h.reference, h.change) for h in hits] == [
        (versions["2017-07-03"], "QDi.168", "removed"),
        (versions["2020-03-20"], "KPi.060", "added"),
    ]
    assert [h.score for h in hits] == [None, 100]
    posted = discord.in_channel(CHANNEL)
    assert len(posted) == 2 and len(discord.messages) == 2
    first_alert = str(posted[0].message.embeds)
    assert "QDi.168" in first_alert and "Removed from the list" in first_alert and "removed 2017" in first_alert
    second_alert = str(posted[1].message.embeds)
    assert "KIM MUN CHOL" in second_alert and "score 100, exact" in second_alert
    assert all(not m.message.allowed_roles for m in posted)
    # Nothing more on any later pass: every hit is recorded, every record sent, every cursor at the latest.
    await first.watches.run()
    assert len(discord.messages) == 2
    server = await store.server(first.db, GUILD)
    assert server is not None and server.through_version_id == versions["2024-09-26"]
    assert [d.status for d in await store.deliveries_of(first.db, GUILD)] == ["sent", "sent"]


async def test_a_version_without_entry_changes_alerts_nothing(first: Core, discord: FakeDiscord) -> None:
    for date in UN_LIST_DATES[1:4]:
        await import_date(first, date)
    connect(first, discord)
    # Watch what the 2024-09-21 version changed (a reference and a name): 2024-09-26 changes none of it.
    await first.watches.add(GUILD, "KPi.055", None, user_id=1)
    await first.watches.add(GUILD, "Han Jang Su", None, user_id=1)
    await first.watches.set_channel(GUILD, CHANNEL)
    await import_date(first, "2024-09-26")
    assert discord.messages == [] and await store.deliveries_of(first.db, GUILD) == []
    server = await store.server(first.db, GUILD)
    latest = await list_store.latest_version(first.db)
    assert server is not None and latest is not None and server.through_version_id == latest.id


async def test_a_new_server_is_not_flooded_with_history(loaded_core: Core, discord: FakeDiscord) -> None:
    connect(loaded_core, discord)
    await loaded_core.watches.add(GUILD, "KPi.055", None, user_id=1)  # added 2020, amended 2024
    await loaded_core.watches.set_channel(GUILD, CHANNEL)
    await loaded_core.watches.run()
    assert discord.messages == []


async def test_a_watch_added_after_an_import_does_not_fire_for_it(first: Core, discord: FakeDiscord) -> None:
    await first.watches.add(GUILD, "QDi.169", None, user_id=1)
    await first.watches.set_channel(GUILD, CHANNEL)
    await import_date(first, "2017-07-03", notice=False)  # recorded; alerts not worked out yet
    await first.watches.add(GUILD, "QDi.168", None, user_id=1)  # the list already says it is gone
    connect(first, discord)
    await first.watches.run()
    assert [h.reference for h in await store.hits_of(first.db, GUILD)] == ["QDi.169"]
    assert len(discord.messages) == 1


async def test_a_reference_not_yet_listed_alerts_when_it_is_added(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    result = await first.watches.add(GUILD, "kpi.055", None, user_id=1)  # any case; listed only in 2017-08
    assert result.watch.target == "KPi.055" and result.matches.entry is None and not result.matches.known
    await first.watches.set_channel(GUILD, CHANNEL)
    for date in UN_LIST_DATES[1:4]:
        await import_date(first, date)
    hits = await store.hits_of(first.db, GUILD)
    assert [(h.reference, h.change) for h in hits] == [("KPi.055", "added"), ("KPi.055", "amended")]
    amended = str(discord.in_channel(CHANNEL)[1].message.embeds)
    # old → new of the short fields that changed
    assert "dates of birth: 1969-11-08 → 1969-11-07" in amended
    assert "Chief Representative of the Foreign Trade Bank → Former Representative" in amended


async def test_every_server_gets_its_own_alert(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await watch_the_two(first)
    await first.watches.add(OTHER_GUILD, "QDi.168", None, user_id=2)
    await first.watches.set_channel(OTHER_GUILD, OTHER_CHANNEL)
    await import_date(first, "2017-07-03")
    assert len(discord.in_channel(CHANNEL)) == 1 and len(discord.in_channel(OTHER_CHANNEL)) == 1


# --- Exactly once across crashes and restarts ---------------------------------------------------------------


async def test_a_restart_between_import_and_alert_sends_it_once(
    settings: Settings, clock: ManualClock, discord: FakeDiscord
) -> None:
    async with opened(settings, clock) as core:
        await import_date(core, "2017-06-20")
        await watch_the_two(core)
        await import_date(core, "2017-07-03")  # not connected: nothing is worked out or sent here
        assert await store.deliveries_of(core.db, GUILD) == []
    async with opened(settings, clock) as core:  # the bot starts: it finds the version it has not checked
        connect(core, discord)
        checked, sent = await core.watches.run()
        assert (checked.alerts, sent.sent) == (1, 1)
    async with opened(settings, clock) as core:
        connect(core, discord)
        await core.watches.run()
    assert len(discord.messages) == 1


async def test_a_crash_after_discord_accepted_resends_with_the_same_nonce(
    settings: Settings, clock: ManualClock, discord: FakeDiscord
) -> None:
    async with opened(settings, clock) as core:
        await import_date(core, "2017-06-20")
        await watch_the_two(core)
        await import_date(core, "2017-07-03", notice=False)
        deliverer = connect(core, discord)
        deliverer.crash_after_post = 1
        await core.watches.check_versions()
        with pytest.raises(Crash):
            await core.watches.send_pending()
        [delivery] = await store.deliveries_of(core.db, GUILD)
        assert delivery.status == "pending" and delivery.parts_sent == 0  # Discord has it; we never heard back
    async with opened(settings, clock) as core:
        again = connect(core, discord)
        await core.watches.run()
        [delivery] = await store.deliveries_of(core.db, GUILD)
        assert delivery.status == "sent" and delivery.message_ids == [discord.messages[0].id]
    assert len(discord.messages) == 1
    assert again.sent_nonces == deliverer.sent_nonces  # the same nonce: Discord returned the message it had


async def test_two_passes_at_once_record_one_alert(first: Core, discord: FakeDiscord) -> None:
    await watch_the_two(first)
    await import_date(first, "2017-07-03", notice=False)
    connect(first, discord)
    await asyncio.gather(first.watches.run(), first.watches.run(), first.watches.check_versions())
    assert len(await store.deliveries_of(first.db, GUILD)) == 1
    assert len(discord.messages) == 1


async def test_another_process_already_recorded_the_version(first: Core, discord: FakeDiscord) -> None:
    await watch_the_two(first)
    await import_date(first, "2017-07-03", notice=False)
    stale = await store.servers_behind(first.db, 10**6)
    connect(first, discord)
    await first.watches.check_versions()
    version = await list_store.latest_version(first.db)
    assert version is not None
    # A second writer that read the cursor before the first moved it records nothing.
    written = await store.record_alerts(
        first.db, version_id=version.id, guild_ids=[s.guild_id for s in stale], alerts=[], now=first.clock.now()
    )
    assert written == [] and len(await store.deliveries_of(first.db, GUILD)) == 1


# --- Delivery problems ----------------------------------------------------------------------------------------


async def test_a_deleted_channel_pauses_with_the_reason_and_channel_resumes(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await watch_the_two(first)
    discord.deleted.add(CHANNEL)
    await import_date(first, "2017-07-03")
    overview = await first.watches.overview(GUILD)
    assert overview.server is not None and overview.server.paused
    assert overview.server.paused_reason == "the channel no longer exists" and overview.pending == 1
    await import_date(first, "2020-03-20")  # worked out and kept while paused, nothing sent
    assert discord.messages == [] and (await first.watches.overview(GUILD)).pending == 2
    server, pending = await first.watches.set_channel(GUILD, OTHER_CHANNEL)
    assert not server.paused and pending == 2
    await settle()
    await first.watches.send_pending()
    assert len(discord.in_channel(OTHER_CHANNEL)) == 2
    assert (await first.watches.overview(GUILD)).pending == 0


async def test_transient_failures_are_retried_later(first: Core, discord: FakeDiscord, clock: ManualClock) -> None:
    deliverer = connect(first, discord)
    await watch_the_two(first)
    deliverer.transient_failures = 3  # every attempt of this pass fails
    await import_date(first, "2017-07-03")
    [delivery] = await store.deliveries_of(first.db, GUILD)
    assert (
        delivery.status == "pending" and delivery.next_attempt_at is not None and "503" in (delivery.last_error or "")
    )
    await first.watches.send_pending()
    assert discord.messages == []  # not due yet
    clock.advance(minutes=5)
    await first.watches.send_pending()
    assert len(discord.messages) == 1
    assert (await store.deliveries_of(first.db, GUILD))[0].status == "sent"


async def test_transient_failures_give_up_after_a_day(first: Core, discord: FakeDiscord, clock: ManualClock) -> None:
    deliverer = connect(first, discord)
    await watch_the_two(first)
    deliverer.transient_failures = 10**6
    await import_date(first, "2017-07-03")
    clock.advance(hours=25)
    await first.watches.send_pending()
    [delivery] = await store.deliveries_of(first.db, GUILD)
    assert delivery.status == "failed" and "gave up" in (delivery.last_error or "")


async def test_without_a_channel_alerts_wait(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await watch_the_two(first, channel=None)
    await import_date(first, "2017-07-03")
    assert discord.messages == [] and (await first.watches.overview(GUILD)).pending == 1
    await first.watches.set_channel(GUILD, CHANNEL)
    await settle()
    assert len(discord.in_channel(CHANNEL)) == 1


async def test_the_terminal_never_sends(first: Core) -> None:
    await watch_the_two(first)
    await import_date(first, "2017-07-03")
    checked, sent = await first.watches.run()
    assert (sent.sent, sent.messages) == (0, 0)
    assert checked.alerts == 1  # worked out and recorded: the bot sends it when it runs


async def test_shard_scope_limits_alerts_to_its_servers(first: Core, discord: FakeDiscord) -> None:
    guild_on_shard_1 = (1 << 22) * 3 + 5  # (id >> 22) % 2 == 1
    connect(first, discord)
    first.watches.scope = ShardScope(count=2, ids=frozenset({0}))
    await watch_the_two(first, guild=guild_on_shard_1)
    await import_date(first, "2017-07-03")
    assert discord.messages == []
    server = await store.server(first.db, guild_on_shard_1)
    assert server is not None and server.through_version_id == 1  # left for the process owning shard 1
    first.watches.scope = ShardScope(count=2, ids=frozenset({1}))
    await first.watches.run()
    assert len(discord.messages) == 1


# --- Names: thresholds, former names, several watches on one entry ------------------------------------------


async def test_threshold_decides_which_names_fire(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await first.watches.add(GUILD, "Kim Mun Choll", None, user_id=1)  # one letter off
    await first.watches.set_channel(GUILD, CHANNEL)
    await import_date(first, "2017-07-03")
    test = await first.watches.test(GUILD)
    assert test.hits == [] and test.change_set is not None
    await first.watches.set_threshold(GUILD, 80)
    await import_date(first, "2020-03-20")
    [hit] = await store.hits_of(first.db, GUILD)
    assert hit.reference == "KPi.060" and hit.score is not None and 80 <= hit.score < 90
    assert "typo" in str(discord.messages[0].message.embeds)


async def test_renamed_entry_matches_its_former_name(settings: Settings, clock: ManualClock) -> None:
    async with opened(settings, clock) as core:
        before = consolidated([individual("KPi.900", "ALPHA", "BRAVO")], [entity("KPe.900", "DELTA TRADING")])
        after = consolidated(
            [individual("KPi.900", "CHARLIE", "BRAVO")],
            [entity("KPe.900", "DELTA TRADING")],
            generated="2024-02-01T00:00:00Z",
        )
        await core.importer.import_bytes(before, "before")
        await core.after_import()
        discord = FakeDiscord()
        connect(core, discord)
        await core.watches.add(GUILD, "Alpha Bravo", None, user_id=1)
        await core.watches.add(GUILD, "KPi.900", "the same person", user_id=1)
        await core.watches.set_channel(GUILD, CHANNEL)
        await core.importer.import_bytes(after, "after")
        await core.after_import()
        await settle()
        hits = await store.hits_of(core.db, GUILD)
        assert [(h.watch_id, h.reference, h.change, h.score) for h in hits] == [
            (1, "KPi.900", "amended", 100),  # the name it had
            (2, "KPi.900", "amended", None),  # the reference
        ]
        [message] = discord.messages
        text = str(message.message.embeds)
        assert "former name" in text and "name: ALPHA BRAVO → CHARLIE BRAVO" in text
        assert text.count("Amended · KPi.900") == 1  # both watches in one entry's block


async def test_watch_test_reports_hits_and_near_misses(loaded_core: Core) -> None:
    await loaded_core.watches.add(GUILD, "Han Jang Su", None, user_id=1)
    await loaded_core.watches.add(GUILD, "Han Jang Sue", None, user_id=1)
    result = await loaded_core.watches.test(GUILD)
    assert result.change_set is not None and result.change_set.version.generated_date == "2024-09-21"
    assert result.latest is not None and result.latest.generated_date == "2024-09-26"
    assert [(h.watch.target, h.change.reference, h.score) for h in result.hits] == [("Han Jang Su", "KPi.055", 100)]
    assert [(n.watch.target, n.match.reference) for n in result.near] == [("Han Jang Sue", "KPi.055")]
    assert len(result.change_set) == 46 + 185 + 677


# --- Commands -------------------------------------------------------------------------------------------------


async def test_add_says_what_it_matches_today(loaded_core: Core) -> None:
    ref = await loaded_core.watches.add(GUILD, "KPi.033", None, user_id=1)
    assert ref.matches.entry is not None and ref.matches.entry.name == "RI WON HO"
    gone = await loaded_core.watches.add(GUILD, "QDi.168", None, user_id=1)
    assert gone.matches.entry is None and gone.matches.known
    name = await loaded_core.watches.add(GUILD, "ri won ho", None, user_id=1)
    assert [h.reference for h in name.matches.hits] == ["KPi.033"] and name.matches.hits[0].score == 100
    miss = await loaded_core.watches.add(GUILD, "Kim Jong Un", None, user_id=1)
    assert miss.matches.hits == [] and miss.matches.closest is not None and miss.matches.closest.score < 90
    assert miss.count == 4 and miss.server.through_version_id == miss.version.id


async def test_duplicates_and_the_limit_are_refused(
    tmp_path: Path, loaded_settings: Settings, clock: ManualClock
) -> None:
    settings = dataclasses.replace(loaded_settings, watch_limit=2)
    async with opened(settings, clock) as core:
        await core.watches.add(GUILD, "Ri Won Ho", None, user_id=1)
        with pytest.raises(UserError, match="already watches the name"):
            await core.watches.add(GUILD, "RI  WON-HO", None, user_id=1)  # the same words
        await core.watches.add(GUILD, "KPi.033", None, user_id=1)
        with pytest.raises(UserError, match=r"already watches reference KPi\.033"):
            await core.watches.add(GUILD, "kpi.033", None, user_id=1)
        with pytest.raises(UserError, match="already watches 2 names and references"):
            await core.watches.add(GUILD, "Kim Jong Sik", None, user_id=1)
        await core.watches.add(OTHER_GUILD, "Kim Jong Sik", None, user_id=1)  # the limit is per server
        removed = await core.watches.remove(GUILD, 1)
        assert removed.target == "Ri Won Ho"
        with pytest.raises(UserError, match="no watch #1"):
            await core.watches.remove(GUILD, 1)
        with pytest.raises(UserError, match="no watch #3"):
            await core.watches.remove(GUILD, 3)  # another server's watch
        await core.watches.add(GUILD, "Kim Jong Sik", None, user_id=1)


async def test_add_needs_a_list(core: Core) -> None:
    with pytest.raises(ListNotLoaded):
        await core.watches.add(GUILD, "KPi.033", None, user_id=1)


async def test_ping_role_never_everyone(loaded_core: Core) -> None:
    with pytest.raises(InvalidOption, match="@everyone"):
        await loaded_core.watches.set_ping(GUILD, GUILD, "@everyone")
    server = await loaded_core.watches.set_ping(GUILD, 555, "Sanctions desk")
    assert (server.ping_role_id, server.ping_role_name) == (555, "Sanctions desk")
    server = await loaded_core.watches.set_ping(GUILD, None, "ignored")
    assert (server.ping_role_id, server.ping_role_name) == (None, None)


async def test_role_ping_is_stored_with_the_alert(first: Core, discord: FakeDiscord) -> None:
    connect(first, discord)
    await watch_the_two(first)
    await first.watches.set_ping(GUILD, 555, "desk")
    await import_date(first, "2017-07-03")
    [posted] = discord.messages
    assert posted.message.allowed_roles == (555,)
    assert posted.message.content is not None and posted.message.content.startswith("<@&555> ")


# --- What users type --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    """The search index of the 2024-09-26 list (QDi.168, removed in 2017, known from history)."""
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    version = ListVersion(5, parsed.generated_at, "sha", "test", "now", len(parsed.entries), 0, 0, 0)
    return SearchIndex(version, parsed.entries, ["QDi.168"])


def test_targets(index: SearchIndex) -> None:
    assert parse_target("KPi.033", index) == ("reference", "KPi.033", "kpi.033")
    assert parse_target("  qdi.168 ", index) == ("reference", "QDi.168", "qdi.168")
    assert parse_target("XYi.123", index) == ("reference", "XYi.123", "xyi.123")  # well-formed, never listed
    assert parse_target("Kim  Jong-Un", index) == ("name", "Kim Jong-Un", "kim jong un")
    assert parse_target("Ali", index)[0] == "name"
    assert parse_target("Laskar 99", index) == ("name", "Laskar 99", "laskar 99")  # a listed alias
    for text, error, words in [
        ("", InvalidOption, "type a name"),
        ("   ", InvalidOption, "type a name"),
        ("x", InvalidOption, "at least 3 letters"),
        ("K.", InvalidOption, "at least 3 letters"),
        ("@everyone", InvalidOption, "Discord mention"),
        ("<@&123> Kim", InvalidOption, "Discord mention"),
        ("<#123456789012345678>", InvalidOption, "Discord mention"),
        ("**Kim Jong Un**", InvalidOption, "formatting characters"),
        ("Kim_Jong", InvalidOption, "formatting characters"),
        ("x" * 6000, InvalidOption, "6,000 characters"),
        ("kpi33", MalformedReference, "dot and three digits"),
        ("KPi.0333", MalformedReference, "three digits"),
    ]:
        with pytest.raises(error, match=words):
            parse_target(text, index)


@given(text=st.text(max_size=300))
def test_any_target_is_accepted_cleanly_or_refused_with_a_user_error(index: SearchIndex, text: str) -> None:
    try:
        kind, target, key = parse_target(text, index)
    except UserError:
        return
    assert 0 < len(target) <= MAX_TARGET and key
    assert "@" not in target or kind == "name"
    assert not any(ch in target for ch in "*_~`|>\\")


@given(value=st.integers())
def test_threshold_values(value: int) -> None:
    if 50 <= value <= 100:
        assert check_threshold(value) == value
    else:
        with pytest.raises(InvalidOption, match="from 50 to 100"):
            check_threshold(value)


# --- Skipping the search at exact-level thresholds never loses a hit ---------------------------------------


@pytest.fixture(scope="module")
def change_set_2024() -> ChangeSet:
    """The 2020-03-20 → 2024-09-21 change set, built from the files (as the store would give it)."""
    old = {e.reference: e for e in parse_consolidated_list(un_list("2020-03-20").read_bytes()).entries}
    new = {e.reference: e for e in parse_consolidated_list(un_list("2024-09-21").read_bytes()).entries}
    diff = diff_entries(old, new)
    changes = (
        [EntryChange(e.reference, "added", e.kind, e.regime, e.name, (), None, e) for e in diff.added]
        + [EntryChange(e.reference, "removed", e.kind, e.regime, e.name, (), e, None) for e in diff.removed]
        + [EntryChange(n.reference, "amended", n.kind, n.regime, n.name, f, o, n) for o, n, f in diff.amended]
    )
    version = ListVersion(4, "2024-09-21T00:00:02Z", "sha", "test", "now", len(new), 0, 0, 0)
    return ChangeSet(version, None, changes)


def _changed_names(change_set: ChangeSet) -> list[str]:
    names: list[str] = []
    for change in change_set.changes.values():
        for entry in (change.old, change.new):
            if entry is not None:
                names.append(entry.name)
                names.extend(a.name for a in entry.aliases[:2] if a.name)
    return sorted(set(names))


MUTATIONS = st.sampled_from(["as is", "join", "split", "reverse", "lower", "variant", "typo", "wrap"])


@given(data=st.data())
def test_skipped_names_could_never_reach_the_threshold(change_set_2024: ChangeSet, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(_changed_names(change_set_2024)))
    words = name.split()
    how = data.draw(MUTATIONS)
    if how == "join" and len(words) >= 2:
        i = data.draw(st.integers(0, len(words) - 2))
        words[i : i + 2] = [words[i] + words[i + 1]]
    elif how == "split" and any(len(w) >= 4 for w in words):
        i = next(i for i, w in enumerate(words) if len(w) >= 4)
        words[i : i + 1] = [words[i][:2], words[i][2:]]
    elif how == "reverse":
        words.reverse()
    elif how == "lower":
        words = [w.lower() for w in words]
    elif how == "variant":
        swaps = {"RI": "Lee", "CHOL": "Chul", "JONG": "Chong", "MOHAMMED": "Muhammad", "AL": "El"}
        words = [swaps.get(w.upper(), w) for w in words]
    elif how == "typo" and words and len(words[0]) >= 4:
        words[0] = words[0][1] + words[0][0] + words[0][2:]
    elif how == "wrap":
        words = ["Is", *words, "listed"]
    target = " ".join(words)
    if not target.strip():
        return
    best = max((m.score for m in change_set_2024.name_matches(target)), default=0)
    if not change_set_2024.may_match_exactly(target):
        assert best < EXACT_LEVEL, (target, best)
    # and the alert path agrees with filtering the full search at every exact-level threshold
    watch = Watch(1, 1, "name", target, target, "", 0, None, "")
    for threshold in (EXACT_LEVEL, 90, 95, 100):
        fast = [(h.change.reference, h.score) for h in change_set_2024.hits([watch], threshold)]
        full = [(m.reference, m.score) for m in change_set_2024.name_matches(target) if m.score >= threshold]
        assert fast == full
