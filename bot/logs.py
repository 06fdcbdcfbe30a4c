"""Logging set-up: text or JSON lines on stderr, with context, and secrets redacted.

Context travels in ``extra`` (feed_id, feed_url, article_id, destination, …; see
``CONTEXT_KEYS``). The text format (the default) appends it as ``[key=value …]``; the JSON
format writes one object per record with ``time``, ``level``, ``logger``, ``message``, the
context keys present and, when there is one, ``exception``.

Secrets are never passed to a logger on purpose; settings hold them as ``SecretStr``. As a
second line of defence, ``setup_logging(..., secrets=[...])`` installs ``RedactSecrets`` on the
root handler: any configured secret value (or its URL-encoded form) appearing in a message,
its arguments, the context, an exception or a stack is replaced with ``[redacted]`` before the
record is formatted, and the formatted line is checked once more.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "CONTEXT_KEYS",
    "REDACTED",
    "JsonFormatter",
    "RedactSecrets",
    "TextFormatter",
    "secret_values",
    "setup_logging",
]

CONTEXT_KEYS = (
    "feed_id",
    "feed_url",
    "article_id",
    "article_url",
    "destination",
    "chat",
    "platform",
    "user",
    "admin",
)

REDACTED = "[redacted]"

_NOISY = ("httpx", "httpcore", "apscheduler", "alembic", "trafilatura", "htmldate")


class RedactSecrets(logging.Filter):
    """Replaces every occurrence of the given secret values in a record with ``[redacted]``.

    The message is rendered (``msg % args``) and redacted, so ``args`` are cleared; context
    extras, the exception text and the stack are redacted too. Always lets the record through.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants.update({secret, quote(secret, safe=""), quote(secret)})
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = tuple(sorted(variants, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; returns True (never drops a record)."""
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # bad format arguments: never echo them
            message = f"{record.msg} (unformattable log arguments withheld)"
        record.msg = self.redact(str(message))
        record.args = None
        for key in CONTEXT_KEYS:
            value = getattr(record, key, None)
            if isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """``2026-01-01 12:00:00 INFO logger: message [key=value …]``, then any traceback."""

    def __init__(self, redactor: RedactSecrets | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The record as one text line (plus its traceback, if any), context appended."""
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_KEYS if hasattr(record, key)
        )
        if context:
            # The context belongs to the first line, before any traceback.
            first, newline, rest = line.partition("\n")
            line = f"{first} [{context}]{newline}{rest}"
        return self._redactor.redact(line) if self._redactor else line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC ISO 8601), level, logger, message, context keys,
    and ``exception`` / ``stack`` when present. Non-ASCII text (Arabic) is written as is."""

    def __init__(self, redactor: RedactSecrets | None = None) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        if self._redactor is not None:
            data = {
                k: self._redactor.redact(v) if isinstance(v, str) else v for k, v in data.items()
            }
        line = json.dumps(data, ensure_ascii=False, default=str)
        return self._redactor.redact(line) if self._redactor else line


def secret_values(secrets: DataclassInstance) -> list[str]:
    """Every secret value held by ``secrets`` (``Settings.secrets``), for ``setup_logging``.

    Each ``SecretStr`` field that is set counts; for a database URL its password counts too
    (a driver may log the URL without it, or the password alone).
    """
    values: list[str] = []
    for value in (getattr(secrets, f.name) for f in dataclasses.fields(secrets)):
        if not isinstance(value, SecretStr):
            continue
        text = value.get_secret_value()
        values.append(text)
        if "://" in text:
            try:
                password = urlsplit(text).password
            except ValueError:
                password = None
            if password:
                values += [password, unquote(password)]
    return [v for v in dict.fromkeys(values) if v]


def setup_logging(
    level: str,
    *,
    json_logs: bool = False,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Send log records at ``level`` and above to ``stream`` (default stderr), once per process.

    ``json_logs`` writes JSON lines instead of text; every value in ``secrets`` is replaced with
    ``[redacted]`` wherever it would appear in the output. Calling again replaces the handler.
    """
    redactor = RedactSecrets(secrets)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if json_logs else TextFormatter(redactor))
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in _NOISY:  # at least WARNING; never louder than the code made one (trafilatura)
        library = logging.getLogger(noisy)
        library.setLevel(max(logging.WARNING, root.level, library.level))
