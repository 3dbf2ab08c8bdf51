"""Concurrency limits keyed by a server or a host: one key's slow or hanging work never takes another's slots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class KeyedLimiter:
    """At most `per_key` holders per key at once; a key's state is dropped when nobody holds or waits for it."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._slots: dict[object, asyncio.Semaphore] = {}
        self._users: dict[object, int] = {}

    def busy(self, key: object) -> int:
        """How many hold or wait for a slot of this key."""
        return self._users.get(key, 0)

    def full(self, key: object) -> bool:
        """True when every slot of this key is taken (a new holder would wait)."""
        return self.busy(key) >= self.per_key

    @asynccontextmanager
    async def slot(self, key: object, *, wait: float | None = None) -> AsyncIterator[None]:
        """Hold one of the key's slots; TimeoutError if none frees up within `wait` seconds."""
        gate = self._slots.setdefault(key, asyncio.Semaphore(self.per_key))
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with asyncio.timeout(wait):
                await gate.acquire()
            try:
                yield
            finally:
                gate.release()
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._slots[key]


def host_key(url: str) -> str:
    """The host (and port) a URL is fetched from, lower-cased: what per-host limits count."""
    try:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or ''}"
    except ValueError:
        return url
