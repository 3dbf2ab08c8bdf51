"""Domain errors. Each carries what a user needs to know; the tree handler and the CLI turn them into messages.

`UserError`s are the user's mistake (shown ephemerally, CLI exit 2). Other `SanctionsBotError`s are
operational failures we can describe (shown ephemerally, CLI exit 1). Anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.text import one_line


def quote(text: str, limit: int = 60) -> str:
    """What a user typed, made safe to echo: one line, no backticks or invisible characters, cut, in `code`."""
    text = one_line(text.replace("`", "'"))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"`{text}`" if text else "`(empty)`"


class SanctionsBotError(Exception):
    """Base of every error we raise on purpose."""

    exit_code = 1

    @property
    def message(self) -> str:
        """The one-line message for a user or the terminal."""
        return str(self)


class UsageError(Exception):
    """The command line does not name a command or gives a bad option: exit code 2."""


class UserError(SanctionsBotError):
    """A mistake in what the user asked: shown to them, never logged as a failure."""

    exit_code = 2


class SettingsError(SanctionsBotError):
    """A configuration variable is missing or malformed."""

    exit_code = 2

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    return " Did you mean " + ", ".join(quote(s) for s in suggestions[:3]) + "?"


class ListNotLoaded(UserError):
    """No UN list has been imported yet."""

    def __init__(self) -> None:
        super().__init__(
            "The UN Consolidated List has not been loaded yet. An administrator can run "
            "`sanctionsbot sync` (or wait for the scheduled sync)."
        )


class UnknownRegime(UserError):
    """A regime name that is not on the list."""

    def __init__(self, regime: str, suggestions: Sequence[str] = (), known: Sequence[str] = ()) -> None:
        self.regime = regime
        self.suggestions = list(suggestions)
        self.known = list(known)
        text = f"There is no regime called {quote(regime)} on the list."
        text += _did_you_mean(self.suggestions)
        if not self.suggestions and self.known:
            text += " Known regimes: " + ", ".join(self.known) + "."
        super().__init__(text)


class UnknownReference(UserError):
    """A reference number that is not on the list (nor in its history)."""

    def __init__(self, reference: str, suggestions: Sequence[str] = ()) -> None:
        self.reference = reference
        self.suggestions = list(suggestions)
        super().__init__(f"No such entry: {quote(reference)}." + _did_you_mean(self.suggestions))


class InvalidOption(UserError):
    """An option value that is well-typed but not acceptable (a bad date, an empty query, …)."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{quote(option)}: {problem}")


class NotPermitted(UserError):
    """The user may not run this command (owner-only, or Manage Server needed)."""


class GuildOnly(UserError):
    """The command needs a server (it was used in a DM, or from the terminal without --guild)."""

    def __init__(self) -> None:
        super().__init__("This command only works in a server.")


class ImportRefused(SanctionsBotError):
    """A list file was refused; the store is unchanged."""


class NotAConsolidatedList(ImportRefused):
    """Well-formed XML of another kind (e.g. OFAC's SDN list)."""


class MalformedList(ImportRefused):
    """Not well-formed XML, truncated, or missing what every UN list has."""


class HostileXml(ImportRefused):
    """XML with a DTD, entity declarations or external references."""


class ListTooLarge(ImportRefused):
    """A file or download over the size cap."""


class TooManyRemovals(ImportRefused):
    """The new list would remove more than the allowed share of current entries."""

    def __init__(self, removed: int, current: int, limit: float) -> None:
        self.removed = removed
        self.current = current
        self.limit = limit
        share = removed / current if current else 0.0
        super().__init__(
            f"refused: this list would remove {removed} of {current} current entries ({share:.1%}), "
            f"more than the {limit:.0%} allowed; a truncated download must not wipe the list. "
            "Use --force if the removals are real."
        )


class OutOfOrder(ImportRefused):
    """A list generated before the latest imported version."""


class FetchFailed(SanctionsBotError):
    """Downloading the list (or a feed) failed."""


class StoreUnavailable(SanctionsBotError):
    """The database cannot be opened or written."""


class ListenLost(StoreUnavailable):
    """The connection held to hear announcements (LISTEN) was lost: whatever was announced since went unheard."""


class DiscordUnavailable(SanctionsBotError):
    """Discord could not be reached at start-up (DNS, connection, timeout, 5xx), retries included."""


class TokenRefused(DiscordUnavailable):
    """Discord answered 401 to the bot's token: retrying cannot help."""

    def __init__(self) -> None:
        super().__init__(
            "Discord refused the token (401 Unauthorized): check DISCORD_TOKEN (Developer Portal → Bot → Reset Token)"
        )


class KnowledgeError(SanctionsBotError):
    """A knowledge file (bot/data/*.toml) is malformed or breaks a rule; nothing was loaded from it."""

    def __init__(self, file: str, record: str, problem: str) -> None:
        self.file = file
        self.record = record
        self.problem = problem
        where = f"{file}: {record}" if record else file
        super().__init__(f"{where}: {problem}")


class KnowledgeNotLoaded(SanctionsBotError):
    """The knowledge files have not been loaded into the store (a failed start-up load)."""

    def __init__(self, reason: str | None = None) -> None:
        text = "The committee and statement data is not loaded."
        if reason:
            text += f" Last load failed: {reason}"
        super().__init__(text)


class UnknownYear(UserError):
    """A year outside the knowledge files' coverage."""

    def __init__(self, year: int, first: int, last: int) -> None:
        self.year = year
        self.first = first
        self.last = last
        shown = str(year) if -(10**6) < year < 10**6 else "that year"
        super().__init__(f"No Security Council membership data for {shown}: the known years are {first}–{last}.")


class UnknownStatement(UserError):
    """A statement id that is not in the knowledge files."""

    def __init__(self, statement_id: str, suggestions: Sequence[str] = (), known: Sequence[str] = ()) -> None:
        self.statement_id = statement_id
        self.suggestions = list(suggestions)
        self.known = list(known)
        text = f"There is no statement {quote(statement_id)}."
        text += _did_you_mean(self.suggestions)
        if not self.suggestions and self.known:
            text += " Known statements: " + ", ".join(quote(k) for k in self.known[:10]) + "."
        text += " `/statement list` shows them all."
        super().__init__(text)


# --- News feeds and digests -------------------------------------------------------------------------------


class NotAFeed(UserError):
    """Content that is not an RSS or Atom feed (an HTML page, JSON, garbage); names feeds a page links to."""

    def __init__(self, what: str, suggestions: Sequence[str] = ()) -> None:
        self.what = what
        self.suggestions = list(suggestions)
        text = f"That is not an RSS or Atom feed ({what})."
        if self.suggestions:
            text += " The page links to " + ", ".join(quote(s, 200) for s in self.suggestions[:3]) + "."
        super().__init__(text)


class FeedRefused(UserError):
    """A feed URL we will not fetch: not http(s), malformed, or on a private, loopback or link-local host."""


class DuplicateFeed(UserError):
    """The server already follows this feed."""


class UnknownFeed(UserError):
    """No feed of this server matches what the user typed."""


class FeedTooLarge(FetchFailed):
    """A feed download over the size cap."""


class UnknownTimezone(UserError):
    """A time zone name that is not in the IANA database."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        super().__init__(
            f"{quote(name)} is not a time zone I know (use an IANA name such as `Europe/Berlin`)."
            + _did_you_mean(self.suggestions)
        )


class ChannelNotPostable(UserError):
    """The bot cannot post in a channel (deleted, not a text channel, or missing permissions)."""


class NoSubscription(UserError):
    """The server has no digest subscription for a channel."""


class DeliveryUnavailable(SanctionsBotError):
    """Messages cannot be sent right now (the bot is not connected to Discord)."""


class MalformedReference(UserError):
    """Text given as a reference number that is not shaped like one (KP, kpi33, KPi.0333, a name)."""

    def __init__(self, reference: str, problem: str, suggestions: Sequence[str] = ()) -> None:
        self.reference = reference
        self.problem = problem
        self.suggestions = list(suggestions)
        text = f"{quote(reference)} is not a reference number: {problem}."
        super().__init__(text + _did_you_mean(self.suggestions))


UNKNOWN_INTERACTION = 10062  # Discord's error code for an interaction it no longer knows (expired)
