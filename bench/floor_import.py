"""The floor for an import: stdlib ElementTree + sqlite3 writing the same rows as `sanctionsbot import`.

One revision row per entry (reference, content hash, kind, regime, name, listing date, the record as JSON), one
version row, one version-entry link per entry and the per-regime counts, in one transaction. No validation, no
diff, no safety checks: what the job costs with nothing around it.

Run: python bench/floor_import.py LIST.xml STORE.sqlite3
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import xml.etree.ElementTree as ET


def record(element: ET.Element) -> dict[str, object]:
    """Every child's text (nested children as lists of dicts), like the project's Entry record."""
    out: dict[str, object] = {}
    for child in element:
        if len(child):
            out.setdefault(child.tag, []).append(record(child))  # type: ignore[union-attr]
        else:
            out[child.tag] = " ".join((child.text or "").split())
    return out


def main(source: str, target: str) -> int:
    """Parse the list and write its rows; print how many."""
    with open(source, "rb") as fh:
        data = fh.read()
    root = ET.fromstring(data)
    db = sqlite3.connect(target)
    db.executescript(
        "CREATE TABLE IF NOT EXISTS versions (id INTEGER PRIMARY KEY, generated_at TEXT, sha256 TEXT UNIQUE,"
        " entry_count INTEGER);"
        "CREATE TABLE IF NOT EXISTS revisions (id INTEGER PRIMARY KEY, reference TEXT, content_hash TEXT,"
        " kind TEXT, regime TEXT, name TEXT, listed_on TEXT, data TEXT, UNIQUE (reference, content_hash));"
        "CREATE TABLE IF NOT EXISTS version_entries (version_id INTEGER, revision_id INTEGER,"
        " PRIMARY KEY (version_id, revision_id)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS counts (version_id INTEGER, regime TEXT, individuals INTEGER, entities INTEGER,"
        " PRIMARY KEY (version_id, regime)) WITHOUT ROWID;"
    )
    rows = []
    counts: dict[str, list[int]] = {}
    for kind, container, item in (("individual", "INDIVIDUALS", "INDIVIDUAL"), ("entity", "ENTITIES", "ENTITY")):
        for element in root.iterfind(f"{container}/{item}"):
            fields = record(element)
            text = json.dumps(fields, sort_keys=True)
            regime = str(fields.get("UN_LIST_TYPE", ""))
            name = " ".join(str(fields.get(t, "")) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")).strip()
            digest = hashlib.sha256(text.encode()).hexdigest()
            ref = str(fields.get("REFERENCE_NUMBER", ""))
            rows.append((ref, digest, kind, regime, name, str(fields.get("LISTED_ON", "")), text))
            pair = counts.setdefault(regime, [0, 0])
            pair[0 if kind == "individual" else 1] += 1
    with db:
        cur = db.execute(
            "INSERT INTO versions (generated_at, sha256, entry_count) VALUES (?, ?, ?)",
            (root.get("dateGenerated"), hashlib.sha256(data).hexdigest(), len(rows)),
        )
        version = cur.lastrowid
        ids = [db.execute("INSERT INTO revisions VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)", row).lastrowid for row in rows]
        db.executemany("INSERT INTO version_entries VALUES (?, ?)", [(version, i) for i in ids])
        db.executemany("INSERT INTO counts VALUES (?, ?, ?, ?)", [(version, r, i, e) for r, (i, e) in counts.items()])
    db.close()
    print(f"{len(rows)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
