"""The import's diff reads back only the previous entries that changed (issue 12: the diff path decoded every
previous entry); what it reports is the same."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.models import Entry
from bot.store import list_import
from tests.shared_files import un_list


@pytest.mark.parametrize(("before", "after"), [("2024-09-21", "2024-09-26"), ("2017-06-20", "2017-07-03")])
async def test_only_changed_previous_entries_are_decoded(
    core: Core, monkeypatch: pytest.MonkeyPatch, before: str, after: str
) -> None:
    await core.importer.import_bytes(un_list(before).read_bytes(), before)
    decoded: list[str] = []
    original = list_import.decode_entry

    def counting(text: str) -> Entry:
        entry = original(text)
        decoded.append(entry.reference)
        return entry

    monkeypatch.setattr(list_import, "decode_entry", counting)
    newer: Any = un_list(after).read_bytes()
    result = await core.importer.import_bytes(newer, after)
    assert result.status == "imported"
    changed = len(result.diff.removed) + len(result.diff.amended)
    assert sorted(decoded) == sorted(
        [e.reference for e in result.diff.removed] + [old.reference for old, _new, _f in result.diff.amended]
    )
    assert changed < 100  # of hundreds: only what the diff reports
