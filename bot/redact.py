"""Credentials and keys out of URLs before they are shown or logged (UN_LIST_URL, feed addresses)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

MASK = "***"
# Query parameters that carry credentials under their usual names (api_key, access_token, sig, X-Amz-Signature, …).
_SECRET_PARAM = re.compile(
    r"(key|token|secret|pass|pwd|auth|sig|session|sid|credential|cred|code|ticket|hash|jwt|bearer)", re.IGNORECASE
)
# A path segment that looks like a key: long, letters and digits mixed, no word separators.
_KEY_SEGMENT = re.compile(r"^(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{32,}$")


def _parts(url: str) -> tuple[str, str, list[str], list[tuple[str, str]], str] | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    return parts.scheme, netloc, parts.path.split("/"), parse_qsl(parts.query, keep_blank_values=True), parts.query


def redact_url(url: str) -> str:
    """The URL with its user name and password, secret-looking query values and key-like path segments
    replaced by ***, and no fragment. Unparseable text comes back as a placeholder, never as it was."""
    split = _parts(url)
    if split is None:
        return "(an address that could not be read)"
    scheme, netloc, segments, query, raw_query = split
    path = "/".join(MASK if _KEY_SEGMENT.match(s) else s for s in segments)
    if any(_SECRET_PARAM.search(k) for k, _v in query):
        raw_query = "&".join(f"{k}={MASK}" if _SECRET_PARAM.search(k) else (f"{k}={v}" if v else k) for k, v in query)
    return urlunsplit((scheme, netloc, path, raw_query, ""))


def url_secrets(url: str) -> list[str]:
    """The secret pieces of a URL as written (for the log filter's list of strings never to print)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [p for p in (parts.username, parts.password) if p]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if v and _SECRET_PARAM.search(k)]
    found += [s for s in parts.path.split("/") if _KEY_SEGMENT.match(s)]
    return [s for s in found if len(s) >= 4]  # a one-letter "secret" would scrub every log line
