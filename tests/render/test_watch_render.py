"""Alert messages within Discord's limits however many entries fire, with list and user text escaped."""

from __future__ import annotations

from bot.core import Core
from bot.models import Entry
from bot.render import limits
from bot.render.watch import alert_pages, alert_payload, describe_amendment
from bot.services.watch import EntryChange, WatchHit
from bot.store import lists as list_store
from bot.store.watches import Watch
from tests.e2e.hostile import unsafe_mentions

HOSTILE_NOTE = "@everyone <@&1150000000000000010> **bold** ||spoiler|| `code` [x](http://e.vil) \u202eevil"


def watch(watch_id: int, kind: str, target: str, note: str = "") -> Watch:
    return Watch(watch_id, 1, kind, target, target.casefold(), note, 0, None, "2026-01-01T00:00:00+00:00")  # type: ignore[arg-type]


def check_page_limits(payload: list[dict]) -> None:
    for message in payload:
        embeds = message["embeds"]
        assert 1 <= len(embeds) <= limits.EMBEDS_PER_MESSAGE
        total = 0
        for e in embeds:
            assert len(e.get("title", "")) <= limits.TITLE
            assert len(e.get("description", "")) <= limits.DESCRIPTION
            assert len(e.get("fields", [])) <= limits.FIELDS
            for f in e.get("fields", []):
                assert 0 < len(f["name"]) <= limits.FIELD_NAME and 0 < len(f["value"]) <= limits.FIELD_VALUE
            total += len(e.get("title", "")) + len(e.get("description", "")) + len(e["footer"]["text"])
            total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
        assert total <= limits.EMBED_TOTAL
        assert len(message.get("content") or "") <= limits.CONTENT


async def test_an_alert_for_every_change_of_2020_fits_discords_limits(loaded_core: Core) -> None:
    versions = await list_store.list_versions(loaded_core.db)
    change_set = await loaded_core.watches.change_set(versions[2])  # 2020-03-20: 812 changed entries
    watches = [watch(i, "reference", ref, HOSTILE_NOTE) for i, ref in enumerate(sorted(change_set.changes), 1)]
    watches.append(watch(10_000, "name", "Kim", HOSTILE_NOTE))
    hits = change_set.hits(watches, 50)
    assert len(hits) > len(change_set.changes)  # every reference, plus the name's matches
    pages = alert_pages(change_set.version, change_set.previous, hits, role_id=42)
    payload = alert_payload(pages, 42)
    assert len(payload) > 10
    check_page_limits(payload)
    shown = [f["name"].split(" · ")[1].split()[0] for m in payload for e in m["embeds"] for f in e.get("fields", [])]
    assert sorted(shown) == sorted(change_set.changes)  # every changed entry once, none lost in the split
    assert unsafe_mentions([m["embeds"] for m in payload]) == []
    assert "\u202e" not in str(payload)
    # Only the first message mentions the role, and only it allows that mention.
    assert payload[0]["content"].startswith("<@&42> ") and payload[0]["allowed_roles"] == ["42"]
    assert all("allowed_roles" not in m and not m.get("content") for m in payload[1:])


async def test_amendments_show_old_and_new_when_short(loaded_core: Core) -> None:
    versions = await list_store.list_versions(loaded_core.db)
    change = (await loaded_core.watches.change_set(versions[3])).changes["KPi.055"]
    lines = describe_amendment(change.old, change.new, change.fields)
    assert "dates of birth: 1969-11-08 → 1969-11-07" in lines
    assert "last-updated dates: — → 2023-06-29" in lines


def test_long_values_become_additions_removals_or_counts() -> None:
    old = Entry("individual", "KPi.001", "DPRK", first_name="A", comments="x " * 200, nationalities=("DPRK",))
    new = Entry(
        "individual",
        "KPi.001",
        "DPRK",
        first_name="A",
        comments="y " * 200,
        nationalities=("DPRK", "Very long country name " * 5),
    )
    lines = describe_amendment(old, new, ["comments", "nationalities"])
    assert lines[0].startswith("narrative changed (too long to show")
    assert lines[1].startswith("nationality: + Very long country name")


async def test_a_single_hit_is_one_message_without_mentions(loaded_core: Core) -> None:
    entry = Entry("individual", "QDi.168", "Al-Qaida", first_name="AHMAD **ZERFAOUI** @here")
    change = EntryChange("QDi.168", "removed", "individual", "Al-Qaida", entry.name, (), entry, None)
    hit = WatchHit(watch(1, "reference", "QDi.168", HOSTILE_NOTE), change)
    version = loaded_core.lists.require_version()
    payload = alert_payload(alert_pages(version, None, [hit]), None)
    assert len(payload) == 1 and payload[0]["content"] is None and "allowed_roles" not in payload[0]
    assert unsafe_mentions(payload) == []
    [field] = payload[0]["embeds"][0]["fields"]
    assert "\\*\\*ZERFAOUI\\*\\*" in field["name"]
