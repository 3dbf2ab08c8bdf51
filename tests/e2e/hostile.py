"""Hostile option values, and a bot running in a background thread so hypothesis can drive it synchronously."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from hypothesis import strategies as st

from bot.app import SanctionsBot
from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.settings import Settings
from tests.conftest import NOW
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import CHANNEL, GUILD, MOD_ROLE, OTHER_CHANNEL, new_fake
from tests.fixtures.digest import isolate

T = TypeVar("T")

HOSTILE_TEXT = [
    "",
    " ",
    "\t\n ",
    "@everyone",
    "@here",
    "<@123>",
    "<@!123456789012345678>",
    "<@&123>",
    "<#123456789012345678>",
    "@everyone free coins <@&1150000000000000010>",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "```py\nprint(1)\n```",
    "`",
    "'; DROP TABLE list_versions; --",
    '" OR 1=1 --',
    "NEAR(kim ri)",
    "kim* OR ri AND NOT x",
    '"unbalanced',
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "zero\u200bwidth\u200d",
    "\ufeffbom",
    "🇰🇵🚀💥",
    "Kim Jong-un",
    "2018-02-30",
    "18/05/2018",
    "0000-00-00",
    "9999-12-31",
    "1900-01-01",
    "2018-05-02",
    "25:00",
    "7pm",
    "-1",
    "x" * 6000,
    "y" * 100_000,
    "KPi.033",
    "KP",
    "kpi33",
    "KPi.0333",
    "DPRK",
    "Mars/Olympus_Mons",
    "../../etc/passwd",
    "http://127.0.0.1:1/feed.xml",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
]


def text_values() -> st.SearchStrategy[str]:
    """Hostile strings: the corpus above, arbitrary text, and the two glued together."""
    arbitrary = st.text(max_size=200)
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        arbitrary,
        st.tuples(st.sampled_from(HOSTILE_TEXT), arbitrary).map(lambda p: p[0] + p[1]),
    )


def int_values() -> st.SearchStrategy[Any]:
    """Integers at and beyond every sensible limit, and values of the wrong type."""
    return st.one_of(
        st.sampled_from(
            [0, -1, 1, 2, 24, 25, 26, 99, 100, 101, 1990, 2006, 2026, 3000, 2**31, 2**53, 2**53 + 1, -(2**63)]
        ),
        st.integers(),
        st.sampled_from(["twenty", "", "1e3", None, 1.5, True]),
    )


def number_values() -> st.SearchStrategy[Any]:
    """Floats including the awkward ones, and wrong types."""
    return st.one_of(st.floats(allow_nan=False), st.sampled_from([0.0, -0.0, 1e308, -1e308, "1,5"]))


def id_values(kind: str) -> st.SearchStrategy[Any]:
    """Known and unknown ids for channel/role/user options."""
    known = {"channel": [CHANNEL, OTHER_CHANNEL], "role": [MOD_ROLE], "user": [GUILD + 99]}.get(kind, [])
    return st.one_of(st.sampled_from(known or [1]), st.integers(min_value=1, max_value=2**63), st.just("not-an-id"))


def values_for(option_type: int) -> st.SearchStrategy[Any]:
    """A strategy for one option type (3 string, 4 integer, 5 boolean, 7 channel, 8 role, 6 user, 10 number)."""
    return {
        3: text_values(),
        4: int_values(),
        5: st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])),
        6: id_values("user"),
        7: id_values("channel"),
        8: id_values("role"),
        9: id_values("role"),
        10: number_values(),
    }.get(option_type, text_values())


@dataclass(frozen=True)
class Leaf:
    """A leaf command as registered with Discord."""

    path: str
    options: tuple[dict[str, Any], ...]


def leaves(commands: list[dict[str, Any]]) -> list[Leaf]:
    """Every leaf command path with its declared options, from the registered command payloads."""
    out: list[Leaf] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            out.append(Leaf(prefix, tuple(options)))
            return
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in commands:
        walk(command["name"], command.get("options") or [])
    return sorted(out, key=lambda leaf: leaf.path)


MENTION = re.compile(r"(?<![`\u200b])@(everyone|here)\b|<@[!&]?\d+>")


def unsafe_mentions(body: Any) -> list[str]:
    """Mention syntax that would ping if mentions were allowed, anywhere in the text of a message body.

    Text inside inline code is shown literally by Discord, so `@everyone` in backticks is fine; escape() adds a
    zero-width space after '@'. Anything else is reported.
    """
    found: list[str] = []

    def scan(value: Any) -> None:
        if isinstance(value, str):
            without_code = re.sub(r"`[^`]*`", "", value)
            found.extend(m.group(0) for m in MENTION.finditer(without_code))
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in ("custom_id", "url", "proxy_url", "icon_url"):
                    scan(v)
        elif isinstance(value, list):
            for v in value:
                scan(v)

    scan(body)
    return found


class _ErrorCollector(logging.Handler):
    """Keeps ERROR records from anywhere (a crashed command, discord.py's 'Ignoring exception …')."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# PostgreSQL has no data_version: every row written to any of the store's tables (and every TRUNCATE) draws a
# number from a sequence, whether its transaction commits or not (a read-only command that even tries to write
# is caught). Installed by the test on its own database copy, after the store's migrations.
_PG_COUNT_WRITES = """
CREATE SEQUENCE hostile_writes;
CREATE FUNCTION hostile_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('hostile_writes');
    RETURN NULL;
END $$;
"""
_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"


class ThreadedBot:
    """The real bot and the fake Discord on an event loop in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sqlite_watcher: sqlite3.Connection | None = None
        self.pg_watcher: asyncpg.Connection | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hostile-bot", daemon=True)
        self.thread.start()
        self.stack = contextlib.AsyncExitStack()
        self.errors = _ErrorCollector()
        logging.getLogger().addHandler(self.errors)
        self.fake: FakeDiscord
        self.core: Core
        self.call(self._start(), timeout=60)

    async def _start(self) -> None:
        settings = self.settings
        self.core = isolate(await self.stack.enter_async_context(open_core(settings, clock=ManualClock(NOW))))
        await self._watch_writes()
        self.fake = new_fake()
        await self.fake.start()
        self.stack.push_async_callback(self.fake.stop)
        bot = SanctionsBot(self.core, run_background=False, guild_ready_timeout=0.05)
        self.run = await self.stack.enter_async_context(running_bot(self.fake, bot, token="dummy.token.hostile"))

    async def _watch_writes(self) -> None:
        if self.settings.database_url is None:
            path = self.settings.database_path
            self.sqlite_watcher = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            self.stack.callback(self.sqlite_watcher.close)
            return
        conn = await asyncpg.connect(self.settings.database_url.reveal(), timeout=10)
        self.pg_watcher = conn
        self.stack.push_async_callback(conn.close)
        await conn.execute(_PG_COUNT_WRITES)
        for (table,) in await conn.fetch(_PG_TABLES):
            quoted = '"' + table.replace('"', '""') + '"'  # a name from the catalogue, never a test's input
            await conn.execute(
                f"CREATE TRIGGER hostile_rows AFTER INSERT OR UPDATE OR DELETE ON {quoted} "
                "FOR EACH ROW EXECUTE FUNCTION hostile_count_write();"
                f"CREATE TRIGGER hostile_truncate AFTER TRUNCATE ON {quoted} "
                "FOR EACH STATEMENT EXECUTE FUNCTION hostile_count_write()"
            )

    def write_mark(self) -> object:
        """A value that changes whenever the bot writes to its store (SQLite: another connection commits)."""
        if self.sqlite_watcher is not None:
            # data_version only moves when ANOTHER connection commits: exactly "did the bot write?".
            return self.sqlite_watcher.execute("PRAGMA data_version").fetchone()[0]
        assert self.pg_watcher is not None
        row = self.call(self.pg_watcher.fetchrow("SELECT last_value, is_called FROM hostile_writes"))
        return tuple(row)

    def call(self, coro: Awaitable[T], timeout: float = 30) -> T:
        """Run a coroutine on the bot's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    async def _cancel_leftovers(self) -> None:
        """Cancel what is still pending (e.g. pager view timeouts) so the loop closes quietly."""
        current = asyncio.current_task()
        leftovers = [t for t in asyncio.all_tasks() if t is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    def close(self) -> None:
        """Stop the bot, the fake and the loop."""
        try:
            self.call(self.stack.aclose(), timeout=30)
            self.call(self._cancel_leftovers(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            logging.getLogger().removeHandler(self.errors)
