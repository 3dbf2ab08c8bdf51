"""Is the store usable and the list fresh? For `sanctionsbot health` (container health checks)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StoreUnavailable
from bot.services.lists import assess_freshness
from bot.store import lists as store
from bot.store.db import Database, is_database_url, schema_version_expected


@dataclass(frozen=True)
class Health:
    """The verdict and the facts behind it."""

    ok: bool
    summary: str


async def check_health(location: Path | str, now: dt.datetime, max_age_hours: int) -> Health:
    """Open the store (SQLite file or PostgreSQL URL) without changing it; check the schema is current and the
    list fresher than the limit."""
    if not is_database_url(location):
        path = Path(location)
        if not await asyncio.to_thread(path.is_file):
            return Health(False, f"no database at {path}")
    try:
        db = await Database.open(location, migrate=False)
    except StoreUnavailable as exc:
        return Health(False, exc.message)
    try:
        schema = await db.schema_version()
        expected = schema_version_expected(db.dialect)
        if schema != expected:
            return Health(False, f"schema version {schema}, expected {expected} (restart to migrate)")
        latest = await store.latest_version(db)
        if latest is None:
            return Health(False, "no list imported yet")
        fresh = assess_freshness(latest, await store.sync_status(db), now, max_age_hours)
        facts = (
            f"list generated {latest.generated_date}, last known current {fresh.age_hours:.1f} h ago "
            f"(limit {max_age_hours} h)"
        )
        if fresh.sync_failing:
            facts += f"; last sync failed ({fresh.failures} in a row): {fresh.last_error}"
        if fresh.stale:
            return Health(False, f"stale: {facts}")
        if fresh.sync_failing:
            return Health(False, f"sync failing: {facts}")
        return Health(True, f"ok: schema {schema}, {facts}")
    finally:
        await db.close()
