"""Logging: secrets are scrubbed from messages, arguments and tracebacks; JSON lines parse."""

from __future__ import annotations

import json
import logging

from bot.log import JsonFormatter, RedactSecrets

SECRET = "fake-test-token.not-real.abcdefghijklmnopqrstuvwxyz0123456789AB"


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_secret_is_scrubbed_everywhere() -> None:
    try:
        raise RuntimeError(f"login failed with {SECRET}")
    except RuntimeError as caught:
        record = _record("token=%s", SECRET, exc=caught)
    assert RedactSecrets([SECRET]).filter(record)
    formatted = logging.Formatter("%(message)s").format(record)
    assert SECRET not in formatted
    assert "[redacted]" in formatted and "login failed" in formatted


def test_json_formatter_emits_one_object_per_line() -> None:
    record = _record("command=%s ms=%d", "sanctions count", 3)
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["message"] == "command=sanctions count ms=3" and data["level"] == "ERROR"
    assert "\n" not in line
