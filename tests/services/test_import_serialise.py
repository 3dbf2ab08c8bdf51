"""One encoding per entry for the import: the same hashes and records as Entry's own methods, byte for byte."""

from __future__ import annotations

import gc
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.memory import collector_paused
from bot.models import Address, Alias, Entry
from bot.services.importer import serialise
from bot.sources import un_xml
from bot.store.list_import import decode_entry
from tests.shared_files import UN_LIST_DATES, un_list


@pytest.mark.parametrize("date", UN_LIST_DATES)
def test_real_lists_serialise_as_entry_does(date: str) -> None:
    entries = un_xml.parse_consolidated_list(un_list(date).read_bytes()).entries
    hashes, records = serialise(entries)
    assert hashes == [e.content_hash() for e in entries]
    assert records == [e.to_json() for e in entries]
    assert [Entry.from_json(r) for r in records] == list(entries)
    assert [decode_entry(r) for r in records] == list(entries)


# Any text a list could carry after parsing: quotes, backslashes, control and format characters, astral planes.
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(_TEXT, _TEXT, st.lists(_TEXT, max_size=3), _TEXT)
@settings(max_examples=300)
def test_any_text_serialises_as_entry_does(name: str, comment: str, titles: list[str], alias: str) -> None:
    entry = Entry(
        kind="individual",
        reference="KPi.001",
        regime="DPRK",
        first_name=name,
        comments=comment,
        titles=tuple(titles),
        aliases=(Alias(name=alias or "x", note=comment),),
        addresses=(Address(city=name),),
        dataid=comment,
        sort_key=name,
    )
    hashes, records = serialise([entry])
    assert hashes == [entry.content_hash()]
    assert records == [entry.to_json()]


def test_bookkeeping_fields_change_the_record_but_not_the_hash() -> None:
    one = Entry(kind="entity", reference="KPe.001", regime="DPRK", first_name="KOMID", dataid="1", versionnum="1")
    two = Entry(kind="entity", reference="KPe.001", regime="DPRK", first_name="KOMID", dataid="2", versionnum="3")
    (h1, h2), (r1, r2) = serialise([one, two])
    assert h1 == h2 and r1 != r2


def test_a_pause_in_a_thread_without_freeze_overlapping_another_freezes_nothing() -> None:
    assert gc.isenabled()
    inner_started, outer_done = threading.Event(), threading.Event()

    def inner() -> None:
        with collector_paused(freeze=False):
            inner_started.set()
            outer_done.wait(5)

    worker = threading.Thread(target=inner)
    frozen = gc.get_freeze_count()
    with collector_paused(freeze=False):
        worker.start()
        inner_started.wait(5)
    assert not gc.isenabled()  # the other pause is still on
    outer_done.set()
    worker.join(5)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # nothing frozen when no pause asked for it
