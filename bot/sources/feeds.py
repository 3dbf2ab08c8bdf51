"""Parse RSS 2.0, RSS 1.0 (RDF) and Atom feeds into typed items: plain text, UTC dates and deduplication keys.

Bytes in, records out: no network, no database. feedparser does the format work; it is always handed a
stream (a bare bytes/str argument makes it open files or URLs by itself) and never fetches anything.
"""

from __future__ import annotations

import calendar
import codecs
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
from bot.models_feeds import FeedItem
from bot.text import one_line

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_ITEMS_PER_POLL = 200  # a feed lists newest first: the rest of a longer one is never read
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
class ParsedFeed:
    """A whole feed: its format (feedparser's name: rss20, rss10, atom10, …), title, link and items."""

    kind: str
    title: str
    link: str | None
    items: tuple[FeedItem, ...]
    warning: str | None = None  # set when the XML was not well-formed and the items were recovered
    skipped: int = 0  # entries beyond MAX_ITEMS_PER_POLL, not read


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
    return one_line(text)


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


# Byte order marks, longest first (UTF-32 LE's begins with UTF-16 LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]{0,300}\?>")
_ENTITY_DECL = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!\s*DOCTYPE[^>\[]*[>\[]", re.IGNORECASE)


def _sniff(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told by where the zero bytes of the first ASCII character are."""
    head = data[:4]
    if len(head) < 4:
        return None
    if head[:3] == b"\0\0\0":
        return "utf-32-be"
    if head[1:] == b"\0\0\0":
        return "utf-32-le"
    if head[0] == 0 and head[2] == 0:
        return "utf-16-be"
    if head[1] == 0 and head[3] == 0:
        return "utf-16-le"
    return None


def decode_document(data: bytes, content_type: str = "") -> str:
    """The text of an XML document, decoded the one way the parser will then see it.

    A BOM decides, then zero-byte patterns (UTF-16/32 without a BOM), then the declared charset, the XML
    declaration's encoding, UTF-8 and Windows-1252; Latin-1 reads anything. Unknown or unusable encoding names
    are skipped, never trusted to a codec that fails half-way.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    sniffed = _sniff(data)
    if sniffed:
        return data.decode(sniffed, errors="replace")
    declared = _XML_DECL_ENCODING.match(data[:1024])
    candidates = [_charset(content_type), declared.group(1).decode("ascii") if declared else None]
    for name in (*candidates, "utf-8", "windows-1252"):
        if not name:
            continue
        try:
            if codecs.lookup(name).name in ("utf-16", "utf-32"):  # no BOM and no zero bytes: not really
                continue
            return data.decode(name)
        except (LookupError, ValueError):  # ValueError includes UnicodeError
            continue
    return data.decode("latin-1")


def defuse(data: bytes, content_type: str = "") -> bytes:
    """The document as UTF-8 without any DTD: NotAFeed if it declares entities or a DTD subset anywhere.

    Checked on the decoded text, so no encoding, BOM or padding hides a declaration; the parser is then handed
    exactly the text that was checked (as UTF-8, its XML declaration removed), so it cannot decode it another way.
    """
    text = decode_document(data, content_type).lstrip("\ufeff")
    text = _XML_DECL.sub("", text, count=1)
    if _ENTITY_DECL.search(text):
        raise NotAFeed("it declares XML entities, which feeds never need")
    pieces = []
    last = 0
    for match in _DOCTYPE.finditer(text):
        if match.group(0).endswith("["):
            raise NotAFeed("it declares a DTD, which feeds never need")
        pieces.append(text[last : match.start()])
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces).encode("utf-8", errors="replace")


_ITEM_START = re.compile(rb"<(?:item|entry)[\s>/]")
_ROOT = re.compile(rb"<([A-Za-z_][\w:.-]*)")


def _first_items(data: bytes, max_items: int) -> tuple[bytes, int]:
    """The document cut before its (max_items + 1)-th item or entry and closed again, and how many were cut.

    Parsing 90,000 items to keep 200 costs seconds; the parser recovers what was cut short anyway."""
    starts = _ITEM_START.finditer(data)
    cut_at = None
    skipped = 0
    for n, match in enumerate(starts):
        if n == max_items:
            cut_at = match.start()
        if n >= max_items:
            skipped += 1
    if cut_at is None:
        return data, 0
    root = _ROOT.search(data)
    name = root.group(1) if root else b"rss"
    closing = b"</channel></rss>" if name == b"rss" else b"</" + name + b">"
    return data[:cut_at] + closing, skipped


def parse_feed(
    data: bytes, base_url: str = "", content_type: str = "", *, max_items: int = MAX_ITEMS_PER_POLL
) -> ParsedFeed:
    """Parse a feed; NotAFeed for HTML pages, JSON, empty or unreadable bodies and entity declarations.

    At most `max_items` items are read (the first ones: feeds list newest first). Any error of the parser on a
    hostile body is a NotAFeed naming it, never another exception.
    """
    if not data.strip():
        raise NotAFeed("the response was empty")
    if len(data) > MAX_FEED_BYTES:
        raise NotAFeed(f"it is over the {MAX_FEED_BYTES // 2**20} MB cap")
    clean, skipped = _first_items(defuse(data, content_type), max_items)
    try:
        return _parse_clean(clean, base_url, max_items, skipped)
    except NotAFeed:
        raise
    except MemoryError:
        raise NotAFeed("it needs too much memory to read") from None
    except RecursionError:
        raise NotAFeed("it is nested too deeply to read") from None
    except ValueError:  # UnicodeError too: &#xD800;, &#99999999;, bytes no codec reads
        raise NotAFeed("it contains an invalid character or character reference") from None
    except Exception as exc:  # anything else feedparser meets on a hostile body
        raise NotAFeed(f"the feed parser failed on it ({type(exc).__name__})") from None


def _parse_clean(data: bytes, base_url: str, max_items: int, skipped: int) -> ParsedFeed:
    # The format is judged from the content, not the server's label (feeds are often served as text/html or
    # text/plain); the body is UTF-8 now, whatever it was.
    headers = {"content-type": "application/xml; charset=utf-8"}
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
    entries = parsed.get("entries", [])
    for entry in entries:
        if len(items) >= max_items:
            break
        item = _item(entry, base_url)
        if item is not None and item.dedup_key not in seen:  # a feed listing one item twice keeps the first
            seen.add(item.dedup_key)
            items.append(item)
    skipped += max(0, len(entries) - max_items)
    warning = None
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), Exception):
        exc = parsed["bozo_exception"]
        # Encoding overrides are routine (a server mislabelling UTF-8); only XML errors are worth a note.
        if type(exc).__name__ not in _ROUTINE_BOZO:
            warning = f"not well-formed XML ({_cut(str(exc), 60)}); {len(items)} item(s) recovered"
    if warning and not items and not meta.get("title"):
        raise NotAFeed(warning.split(";")[0])
    if skipped:
        note = f"{skipped} older item(s) beyond the first {max_items} not read"
        warning = f"{warning}; {note}" if warning else note
    return ParsedFeed(
        kind=version,
        title=_cut(_text_of(meta, "title"), 256) if meta else "",
        link=web_link(meta.get("link"), base_url) if meta else None,
        items=tuple(items),
        warning=warning,
        skipped=skipped,
    )
