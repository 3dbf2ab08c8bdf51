"""Credentials and keys out of URLs before they are shown or logged (UN_LIST_URL, feed addresses)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

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


def url_secrets(url: str, *, username: bool = True) -> list[str]:
    """The secret pieces of a URL, as written and percent-decoded (for the log filter's list of strings never to
    print): the password, the user name (unless `username` is False: a database's user is no secret), secret-
    looking query values and key-like path segments."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    # Pieces other than the password need four characters: a one-letter "secret" would scrub every log line.
    found = [parts.username] if username and parts.username and len(parts.username) >= 4 else []
    found += [parts.password] if parts.password else []
    query = parse_qsl(parts.query, keep_blank_values=True)
    found += [v for k, v in query if len(v) >= 4 and _SECRET_PARAM.search(k)]
    found += [s for s in parts.path.split("/") if _KEY_SEGMENT.match(s)]
    out: list[str] = []
    for piece in found:
        for form in (piece, unquote(piece)):
            if form and form not in out:
                out.append(form)
    return out
