"""Importing the list: versions, counts, changes, refusals that leave the store as it was."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from bot.core import Core
from bot.errors import (
    HostileXml,
    ListTooLarge,
    MalformedList,
    NotAConsolidatedList,
    OutOfOrder,
    TooManyRemovals,
)
from bot.store import lists as store
from tests.fixtures.lists import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HTML_PAGE,
    OFAC_SDN,
    consolidated,
    entity,
    individual,
)
from tests.shared_files import UN_LIST_DATES, un_list

BOOKKEEPING = {"DATAID", "VERSIONNUM", "SORT_KEY", "SORT_KEY_LAST_MOD"}
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[\d:.]+)?(?:Z|[+-]\d{2}:\d{2})?$")


def independent_snapshot(path: str) -> dict[str, tuple[str, ...]]:
    """Every entry as the ordered list of its non-empty leaf values, straight from ElementTree.

    Written separately from bot.sources.un_xml: whitespace folded, glued date offsets dropped, bookkeeping
    fields ignored — the same normalisation rules, not the same code.
    """
    root = ET.parse(path).getroot()
    out: dict[str, tuple[str, ...]] = {}
    for el in list(root.iter("INDIVIDUAL")) + list(root.iter("ENTITY")):
        ref = " ".join((el.findtext("REFERENCE_NUMBER") or "").split())
        leaves = []
        for node in el.iter():
            if node.tag in BOOKKEEPING or len(node):
                continue
            text = " ".join((node.text or "").split())
            text = _DATE.sub(r"\1", text)
            if text:
                leaves.append(f"{node.tag}={text}")
        out[ref] = tuple(leaves)
    return out


async def import_all(core: Core) -> list:
    results = []
    for date in UN_LIST_DATES:
        results.append(await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml"))
    return results


async def test_five_versions_in_date_order(core: Core) -> None:
    results = await import_all(core)
    assert [r.status for r in results] == ["imported"] * 5
    versions = await store.list_versions(core.db)
    assert [v.generated_date for v in versions] == list(UN_LIST_DATES)
    counts = await store.all_version_counts(core.db)
    dprk = {v.generated_date: next(c for c in counts[v.id] if c.regime == "DPRK") for v in versions}
    assert (dprk["2017-07-03"].individuals, dprk["2017-07-03"].entities) == (53, 46)
    assert (dprk["2020-03-20"].individuals, dprk["2020-03-20"].entities) == (80, 75)
    assert (dprk["2024-09-26"].individuals, dprk["2024-09-26"].entities) == (80, 75)
    for v in versions:
        assert sum(c.total for c in counts[v.id]) == v.entry_count


async def test_changes_match_an_independent_comparison(core: Core) -> None:
    await import_all(core)
    versions = await store.list_versions(core.db)
    snapshots = [independent_snapshot(str(un_list(d))) for d in UN_LIST_DATES]
    assert versions[0].added == versions[0].removed == versions[0].amended == 0  # nothing to compare with
    for i in range(1, len(versions)):
        old, new = snapshots[i - 1], snapshots[i]
        expected = {
            "added": set(new) - set(old),
            "removed": set(old) - set(new),
            "amended": {r for r in set(old) & set(new) if old[r] != new[r]},
        }
        changes = await store.changes_of_version(core.db, versions[i].id)
        got = {kind: {c.reference for c in changes if c.change == kind} for kind in expected}
        assert got == expected, UN_LIST_DATES[i]


async def test_2020_to_2024_removes_about_18_percent(core: Core) -> None:
    results = await import_all(core)
    r = results[3]
    assert r.previous is not None
    share = len(r.diff.removed) / r.previous.entry_count
    assert round(share * 100, 1) == 18.2


async def test_same_entries_new_date_is_a_version_without_changes(core: Core) -> None:
    results = await import_all(core)
    last = results[4]
    assert last.status == "imported" and last.diff.is_empty
    assert await store.changes_of_version(core.db, last.version.id) == []


async def test_byte_identical_content_adds_nothing(core: Core) -> None:
    await import_all(core)
    before = await store.list_versions(core.db)
    again = await core.importer.import_bytes(un_list("2024-09-26").read_bytes(), "again.xml")
    assert again.status == "unchanged" and again.version.id == before[-1].id
    assert await store.list_versions(core.db) == before


async def snapshot_tables(core: Core) -> dict[str, list]:
    tables = ["list_versions", "entry_revisions", "version_entries", "version_counts", "entry_changes"]
    return {t: [tuple(r) for r in await core.db.fetchall(f"SELECT * FROM {t} ORDER BY 1, 2")] for t in tables}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (BILLION_LAUGHS, HostileXml),
        (EXTERNAL_ENTITY, HostileXml),
        (OFAC_SDN, NotAConsolidatedList),
        (HTML_PAGE, MalformedList),
        (b"", MalformedList),
    ],
)
async def test_refused_imports_leave_the_store_unchanged(core: Core, data: bytes, error: type) -> None:
    await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "base.xml")
    before = await snapshot_tables(core)
    with pytest.raises(error):
        await core.importer.import_bytes(data, "bad.xml")
    assert await snapshot_tables(core) == before


async def test_truncated_and_oversized_are_refused(core: Core) -> None:
    await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "base.xml")
    before = await snapshot_tables(core)
    full = un_list("2024-09-21").read_bytes()
    with pytest.raises(MalformedList):
        await core.importer.import_bytes(full[: len(full) * 2 // 3], "truncated.xml")
    with pytest.raises(ListTooLarge):
        await core.importer.import_bytes(full + b" " * (51 * 2**20), "huge.xml")
    assert await snapshot_tables(core) == before


async def test_mass_removal_needs_force(core: Core) -> None:
    await core.importer.import_bytes(un_list("2024-09-21").read_bytes(), "base.xml")
    before = await snapshot_tables(core)
    tiny = consolidated([individual("KPi.001", "KIM")], [entity("KPe.001", "KOMID")], generated="2025-01-01T00:00:00Z")
    with pytest.raises(TooManyRemovals) as info:
        await core.importer.import_bytes(tiny, "tiny.xml")
    assert "--force" in info.value.message and "873 of 875" in info.value.message
    assert await snapshot_tables(core) == before
    forced = await core.importer.import_bytes(tiny, "tiny.xml", force=True)
    assert forced.status == "imported" and len(forced.diff.removed) == 873


async def test_an_older_list_is_refused(core: Core) -> None:
    await core.importer.import_bytes(un_list("2024-09-21").read_bytes(), "new.xml")
    before = await snapshot_tables(core)
    with pytest.raises(OutOfOrder, match="date order"):
        await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "old.xml")
    assert await snapshot_tables(core) == before


async def test_amendment_names_the_changed_fields(core: Core) -> None:
    first = consolidated([individual("KPi.001", "KIM", "IL", comments="old")], [], generated="2024-01-01T00:00:00Z")
    second = consolidated(
        [individual("KPi.001", "KIM", "IL SUNG", comments="new")], [], generated="2024-02-01T00:00:00Z"
    )
    await core.importer.import_bytes(first, "a.xml")
    result = await core.importer.import_bytes(second, "b.xml")
    ((_old, _new, fields),) = result.diff.amended
    assert fields == ("comments", "second_name")
    history = await store.changes_of_reference(core.db, "KPi.001")
    assert [(c.change, c.fields) for c in history] == [("amended", ("comments", "second_name"))]


async def test_unchanged_entries_share_their_revision(core: Core) -> None:
    await import_all(core)
    revisions = await core.db.fetchone("SELECT COUNT(*) FROM entry_revisions")
    links = await core.db.fetchone("SELECT COUNT(*) FROM version_entries")
    assert revisions is not None and links is not None
    assert links[0] == 1024 + 1021 + 1014 + 875 + 875
    versions = await store.list_versions(core.db)
    # A revision is written only for new content: the first list, then each version's additions and amendments.
    expected = versions[0].entry_count + sum(v.added + v.amended for v in versions[1:])
    assert revisions[0] == expected < links[0] / 1.9
