"""Parse RSS 2.0, RSS 1.0 (RDF) and Atom feeds into typed items: plain text, UTC dates and deduplication keys.

Bytes in, records out: no network, no database. feedparser does the format work; it is always handed a
stream (a bare bytes/str argument makes it open files or URLs by itself) and never fetches anything.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import io
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser

from bot.errors import NotAFeed
from bot.text import strip_invisible

MAX_FEED_BYTES = 5 * 1024 * 1024
TITLE_MAX = 1000
SUMMARY_MAX = 2000
LINK_MAX = 2048
GUID_MAX = 500
UNTITLED = "(untitled)"

# Block-level tags: their boundaries separate words ("<p>a</p><p>b</p>" is "a b", not "ab").
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
_ROUTINE_BOZO = frozenset({"CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType"})
_TRACKING_PARAM = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.I)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One news item: plain-text title and summary, an http(s) link if any, its publication time in UTC."""

    dedup_key: str
    title: str
    link: str | None
    guid: str | None
    summary: str
    published: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A whole feed: its format (feedparser's name: rss20, rss10, atom10, …), title, link and items."""

    kind: str
    title: str
    link: str | None
    items: tuple[FeedItem, ...]
    warning: str | None = None  # set when the XML was not well-formed and the items were recovered


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment; entities decoded, scripts and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def fold(text: str) -> str:
    """Drop control and invisible characters and fold every run of whitespace into one space."""
    return " ".join(strip_invisible(text).split())


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment: tags stripped, entities decoded, whitespace folded."""
    if "<" not in fragment and "&" not in fragment:
        return fold(fragment)
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # html.parser is lenient, but never let one odd summary sink the whole feed
        return fold(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return fold("".join(parser.parts))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def web_link(url: str | None, base: str = "") -> str | None:
    """An absolute http(s) URL (resolved against base), or None for anything else (javascript:, …)."""
    if not url:
        return None
    url = fold(url)
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        _port = parts.port  # raises on ports like ":8o" that urlsplit alone lets through
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > LINK_MAX:
        return None
    return url


def normalise_link(url: str) -> str:
    """A link in a canonical form for deduplication: scheme and host lower-cased, default port, fragment and
    tracking parameters dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        host = (parts.hostname or "").lower()
        port = parts.port if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)) else None
        netloc = f"{host}:{port}" if port else host
    except ValueError:  # a malformed port: keep the authority as written, lower-cased
        netloc = parts.netloc.lower()
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def dedup_key(guid: str | None, link: str | None, title: str, published: dt.datetime | None) -> str:
    """How an item is recognised across polls: its guid, else its normalised link, else its title and date."""
    if guid:
        return "g:" + guid
    if link:
        return "l:" + normalise_link(link)
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title.casefold()}|{stamp}".encode()).hexdigest()
    return "t:" + digest


def _utc(parsed: time.struct_time | None) -> dt.datetime | None:
    if parsed is None:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _text_of(entry: feedparser.FeedParserDict, key: str) -> str:
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    # feedparser hands back HTML as HTML (tags kept, entities encoded) and plain text already decoded.
    if detail.get("type") == "text/plain":
        return fold(value)
    return html_to_text(value)


def _item(entry: feedparser.FeedParserDict, base: str) -> FeedItem | None:
    title = _cut(_text_of(entry, "title"), TITLE_MAX)
    summary = _cut(_text_of(entry, "summary"), SUMMARY_MAX)
    if not summary and entry.get("content"):
        first = entry["content"][0]
        summary = _cut(
            html_to_text(first.get("value", "")) if first.get("type") != "text/plain" else fold(first.get("value", "")),
            SUMMARY_MAX,
        )
    link = web_link(entry.get("link"), base)
    guid = fold(entry.get("id") or "")[:GUID_MAX] or None
    published = _utc(entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed"))
    if not (title or link or guid or summary):
        return None
    if not title:
        title = _cut(summary, 200) if summary else (link or UNTITLED)
    return FeedItem(dedup_key(guid, link, title, published), title, link, guid, summary, published)


def feed_links_in_html(data: bytes, base: str = "") -> list[str]:
    """The feeds an HTML page advertises (<link rel="alternate" type="application/rss+xml" href=…>)."""
    found: list[str] = []

    class _Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag != "link":
                return
            values = {k.lower(): (v or "") for k, v in attrs}
            kinds = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
            if "alternate" in values.get("rel", "").lower().split() and values.get("type", "").lower() in kinds:
                link = web_link(values.get("href"), base)
                if link and link not in found:
                    found.append(link)

    try:
        parser = _Links()
        parser.feed(data[: 512 * 1024].decode("utf-8", errors="replace"))
    except Exception:  # a broken page simply advertises nothing
        return found
    return found


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._:-]{1,40})", content_type)
    return match.group(1) if match else None


def parse_feed(data: bytes, base_url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse a feed; NotAFeed for HTML pages, JSON, empty or unrecoverable bodies and entity declarations."""
    if not data.strip():
        raise NotAFeed("the response was empty")
    if len(data) > MAX_FEED_BYTES:
        raise NotAFeed(f"it is over the {MAX_FEED_BYTES // 2**20} MB cap")
    prolog = data[:4096]
    if b"<!ENTITY" in prolog or b"<!entity" in prolog:
        raise NotAFeed("it declares XML entities, which feeds never need")
    # The format is judged from the content, not the server's label (feeds are often served as text/html or
    # text/plain); only a declared charset is passed on.
    charset = _charset(content_type)
    headers = {"content-type": "application/xml" + (f"; charset={charset}" if charset else "")}
    if base_url:
        headers["content-location"] = base_url
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    version = parsed.get("version") or ""
    if not version:
        if _looks_like_html(data):
            raise NotAFeed("it is an HTML page", feed_links_in_html(data, base_url))
        reason = parsed.get("bozo_exception")
        raise NotAFeed(f"not readable XML: {_cut(str(reason), 80)}" if reason else "no feed elements found")
    meta = parsed.get("feed", {})
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in parsed.get("entries", []):
        item = _item(entry, base_url)
        if item is not None and item.dedup_key not in seen:  # a feed listing one item twice keeps the first
            seen.add(item.dedup_key)
            items.append(item)
    warning = None
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), Exception):
        exc = parsed["bozo_exception"]
        # Encoding overrides are routine (a server mislabelling UTF-8); only XML errors are worth a note.
        if type(exc).__name__ not in _ROUTINE_BOZO:
            warning = f"not well-formed XML ({_cut(str(exc), 60)}); {len(items)} item(s) recovered"
    if warning and not items and not meta.get("title"):
        raise NotAFeed(warning.split(";")[0])
    return ParsedFeed(
        kind=version,
        title=_cut(_text_of(meta, "title"), 256) if meta else "",
        link=web_link(meta.get("link"), base_url) if meta else None,
        items=tuple(items),
        warning=warning,
    )
