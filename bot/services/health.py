"""Is the store usable and the list fresh? For `sanctionsbot health` (container health checks)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StoreUnavailable
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
        status = await store.sync_status(db)
        refreshed = max(filter(None, [status.last_success_at, latest.imported_at]))
        age = now - dt.datetime.fromisoformat(refreshed)
        hours = age.total_seconds() / 3600
        facts = f"list generated {latest.generated_date}, last refreshed {hours:.1f} h ago"
        if status.last_error:
            facts += f"; last sync error: {status.last_error}"
        if hours > max_age_hours:
            return Health(False, f"stale: {facts} (limit {max_age_hours} h)")
        return Health(True, f"ok: schema {schema}, {facts}")
    finally:
        await db.close()
