"""The command line: run, import, sync, versions, ask. Domain errors become one line and an exit code."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import __version__
from bot.errors import FetchFailed, ListTooLarge, SanctionsBotError, SettingsError, UsageError
from bot.log import setup_logging
from bot.redact import redact_url, url_secrets
from bot.settings import Settings, load_settings

log = logging.getLogger("bot")

# How long SIGTERM/SIGINT waits for answers and digest deliveries in progress (systemd's TimeoutStopSec is 30).
SHUTDOWN_GRACE_SECONDS = 20.0


def modules_loaded() -> None:
    """Start-up's modules are loaded: keep them out of the collector's passes, and collect normally from here.

    main() pauses the cyclic collector while modules load (its full passes over the growing module graph cost a
    terminal command a fifth of its CPU); nothing loaded so far is garbage, so it is frozen, not collected.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="sanctionsbot", description="UN sanctions answers on Discord and here.")
    parser.add_argument("--version", action="version", version=f"sanctionsbot {__version__}")
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="read settings from this file too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="start the bot")
    p = sub.add_parser("import", help="import one UN Consolidated List XML (a file or a URL)")
    p.add_argument("target", metavar="PATH_OR_URL")
    p.add_argument("--force", action="store_true", help="accept large removals or an out-of-order list")
    sub.add_parser("sync", help="fetch UN_LIST_URL and import it if its content changed")
    sub.add_parser("versions", help="list the imported versions")
    p = sub.add_parser("ask", help="answer a slash command here, e.g. `ask sanctions count regime:DPRK`")
    p.add_argument("words", nargs="*", metavar="WORD", help="command path then option:value pairs")
    p.add_argument("--json", action="store_true", help="print the exact payload Discord would receive")
    p.add_argument("--guild", type=int, default=None, help="answer as if in this server (id)")
    p.add_argument("--user", type=int, default=None, help="answer as if asked by this user (id)")
    p.add_argument("--channel", type=int, default=None, help="answer as if asked in this channel (id)")
    p.add_argument("--save-files", type=Path, default=None, help="write attachments (charts) to this folder")
    p.add_argument("--page", type=int, default=None, metavar="N", help="print only page N of a long answer")
    p.add_argument("--locale", default="en-US", help="answer as Discord would for this locale, e.g. ko")
    p = sub.add_parser("backup", help="copy the database to PATH (safe while the bot runs)")
    p.add_argument("path", type=Path, metavar="PATH")
    p = sub.add_parser("restore", help="check PATH, then copy it over the database (stop the bot first)")
    p.add_argument("path", type=Path, metavar="PATH")
    sub.add_parser("health", help="exit 0 if the store opens, its schema is current and the list is fresh")
    return parser


def _read_list_file(path: Path, max_bytes: int) -> bytes:
    """A list file's bytes, refusing a missing or oversized file before reading it."""
    if not path.is_file():
        raise FetchFailed(f"{path}: no such file")
    if path.stat().st_size > max_bytes:
        raise ListTooLarge(f"refused: {path} is over the {max_bytes // 2**20} MB cap")
    return path.read_bytes()


async def _cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.core import open_core
    from bot.render.terminal import import_report
    from bot.sources.un_xml import MAX_LIST_BYTES

    target: str = args.target
    async with open_core(settings, eager=False) as core:
        if target.startswith(("http://", "https://")):
            from bot.fetch import fetch  # aiohttp only for a URL

            data = (await fetch(core.session, target, max_bytes=MAX_LIST_BYTES)).body
        else:
            data = await asyncio.to_thread(_read_list_file, Path(target), MAX_LIST_BYTES)
        modules_loaded()
        result = await core.importer.import_bytes(data, target, force=args.force)
        sys.stdout.write(import_report(result))
    return 0


async def _cmd_sync(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.core import open_core
    from bot.render.terminal import import_report

    async with open_core(settings, eager=False) as core:
        modules_loaded()
        outcome = await core.sync.run()
        if outcome.outcome == "failed":
            sys.stderr.write(f"sanctionsbot: sync failed, last good data kept: {outcome.error}\n")
            return 1
        if outcome.outcome == "not_modified":
            sys.stdout.write(f"{redact_url(settings.un_list_url)} has not changed since the last sync.\n")
        elif outcome.result is not None:
            sys.stdout.write(import_report(outcome.result))
    return 0


async def _cmd_versions(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.core import open_core
    from bot.render.terminal import versions_table
    from bot.store import lists as store

    async with open_core(settings, writable=False, eager=False) as core:
        versions = await store.list_versions(core.db)
        counts = await store.all_version_counts(core.db)
        sys.stdout.write(versions_table(versions, counts))
    return 0


async def _cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_ask import as_json, ask, readable
    from bot.core import open_core

    async with open_core(settings, writable=False, eager=False) as core:
        outcome = await ask(
            core,
            args.words,
            guild_id=args.guild,
            user_id=args.user,
            channel_id=args.channel,
            locale=args.locale,
        )
        modules_loaded()
    if args.json:
        sys.stdout.write(as_json(outcome.reply, page=args.page) + "\n")
    elif outcome.error is not None:
        sys.stderr.write(f"sanctionsbot: {outcome.error}\n")
    else:
        # One page at a time, as on Discord: the first unless --page says which.
        pages = len(outcome.reply.pages)
        page = args.page if args.page is not None else (1 if pages > 1 else None)
        sys.stdout.write(readable(outcome.reply, page=page))
        if pages > 1:
            sys.stdout.write(f"(page {page} of {pages}; add --page N for another)\n")
    if args.save_files and outcome.reply.files:
        args.save_files.mkdir(parents=True, exist_ok=True)
        for attachment in outcome.reply.files:
            (args.save_files / Path(attachment.filename).name).write_bytes(attachment.data)
    return outcome.exit_code


async def _cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.app import SanctionsBot, apply_discord_endpoints, discord_api_base
    from bot.core import open_core

    token = settings.require_token()
    apply_discord_endpoints(settings)
    async with open_core(settings) as core:
        from bot.startup import check_login, one_line_failure

        # A refused token or an unreachable Discord: one line and exit 1 (after a few retries), not a traceback.
        offset = await check_login(core.session, discord_api_base(), token.reveal())
        bot = SanctionsBot(core)
        bot.clock_offset = offset
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        modules_loaded()
        async with bot:
            runner = asyncio.create_task(bot.start(token.reveal()), name="discord-client")
            waiter = asyncio.create_task(stop.wait(), name="shutdown-signal")
            done, _pending = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                log.info("shutdown requested; finishing work in progress")
                await bot.shutdown(grace=SHUTDOWN_GRACE_SECONDS)
            await bot.close()
            waiter.cancel()
            if runner in done and runner.exception() is not None:
                raise one_line_failure(runner.exception())  # type: ignore[arg-type]
    return 0


def _sqlite_only(settings: Settings, command: str) -> None:
    if settings.database_url is not None:
        raise UsageError(
            f"`{command}` copies the SQLite file; with DATABASE_URL (PostgreSQL) use pg_dump and pg_restore instead"
        )


async def _cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.backup import backup

    _sqlite_only(settings, "backup")
    checked = await asyncio.to_thread(backup, settings.database_path, args.path)
    sys.stdout.write(
        f"Backed up {settings.database_path} to {checked.path}: schema {checked.schema_version}, "
        f"{checked.versions} list versions, integrity {checked.integrity}.\n"
    )
    return 0


async def _cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.backup import restore

    _sqlite_only(settings, "restore")
    checked = await asyncio.to_thread(restore, args.path, settings.database_path)
    sys.stdout.write(
        f"Restored {settings.database_path} from {checked.path}: schema {checked.schema_version}, "
        f"{checked.versions} list versions.\n"
    )
    return 0


async def _cmd_health(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.services.health import check_health

    verdict = await check_health(settings.store_location(), SystemClock().now(), settings.list_max_age_hours)
    (sys.stdout if verdict.ok else sys.stderr).write(f"{verdict.summary}\n")
    return 0 if verdict.ok else 1


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": _cmd_run,
    "import": _cmd_import,
    "sync": _cmd_sync,
    "versions": _cmd_versions,
    "ask": _cmd_ask,
    "backup": _cmd_backup,
    "restore": _cmd_restore,
    "health": _cmd_health,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sanctionsbot` console script and of `python -m bot`."""
    if argv is None:  # a process of its own (not a test calling main): see modules_loaded()
        gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(dotenv_path=args.env_file)
    except SettingsError as exc:
        sys.stderr.write(f"sanctionsbot: configuration error: {exc.message}\n")
        return 2
    secrets = [settings.discord_token.reveal()] if settings.discord_token else []
    if settings.database_url is not None:
        secrets += url_secrets(settings.database_url.reveal(), username=False)
    secrets += url_secrets(settings.un_list_url)  # credentials or keys in UN_LIST_URL never reach a log line
    # Terminal commands print their own one-line outcome; only errors from the log are worth adding there.
    setup_logging(settings.log_level if args.command == "run" else "ERROR", settings.log_format, secrets)
    try:
        return asyncio.run(COMMANDS[args.command](settings, args))
    except UsageError as exc:
        sys.stderr.write(f"sanctionsbot: {exc}\n")
        return 2
    except SanctionsBotError as exc:
        sys.stderr.write(f"sanctionsbot: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
