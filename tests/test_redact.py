"""Credentials and keys are masked in URLs shown or logged (issue 11, item 8)."""

from __future__ import annotations

import pytest

from bot.redact import redact_url, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://u:p4ss@list.example/x.xml?api_key=K123&lang=en#f",
            "https://***@list.example/x.xml?api_key=***&lang=en",
        ),
        ("https://TOKEN@list.example/x.xml", "https://***@list.example/x.xml"),
        ("http://127.0.0.1:8080/rss?access_token=abc&x=1", "http://127.0.0.1:8080/rss?access_token=***&x=1"),
        ("https://f.example/u/a8f93kd02jfh38fh39fh39fh3k2jd93j/rss", "https://f.example/u/***/rss"),
        (
            "https://s3.example/f.xml?X-Amz-Signature=abcd&X-Amz-Credential=efgh",
            "https://s3.example/f.xml?X-Amz-Signature=***&X-Amz-Credential=***",
        ),
        ("https://press.un.org/en/rss.xml", "https://press.un.org/en/rss.xml"),
        ("https://news.un.org/feed/subscribe/en/news/topic/peace-and-security/feed/rss.xml", None),
        ("http://x:99999/", "(an address that could not be read)"),
    ],
)
def test_redact_url(url: str, shown: str | None) -> None:
    assert redact_url(url) == (shown or url)


def test_url_secrets_lists_what_the_log_filter_scrubs() -> None:
    assert url_secrets("https://user1:pass1@h.example/a?token=T0K3N&q=1") == ["user1", "pass1", "T0K3N"]
    assert url_secrets("https://press.un.org/en/rss.xml") == []
    # Also percent-decoded; a short password still counts; a database's user name can be left out.
    assert url_secrets("postgresql://bot:p%40@db.example/x") == ["p%40", "p@"]
    assert url_secrets("postgresql://postgres:s3cr%40t@db.example/x", username=False) == ["s3cr%40t", "s3cr@t"]
