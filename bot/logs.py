"""Logging set-up: human-readable lines on stderr with the context each record carries.

Context travels in ``extra`` (feed_id, feed_url, article_id, destination) and is appended as
key=value pairs. Secrets are never passed to a logger; settings hold them as ``SecretStr``.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["CONTEXT_KEYS", "setup_logging"]

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


class _ContextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_KEYS if hasattr(record, key)
        )
        return f"{line} [{context}]" if context else line


def setup_logging(level: str) -> None:
    """Send log records at ``level`` and above to stderr, once per process."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _ContextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
