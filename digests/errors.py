"""The exceptions newsdigest raises, one base and a subclass per stage.

::

    NewsdigestError
    ├── ConfigError            a configuration value was refused (file, key, value, what is allowed)
    ├── FetchError             a feed or page could not be fetched (url, kind)
    │   ├── ResponseTooLarge   the body passed the configured size limit
    │   └── PrivateAddress     the host (or a redirect's) is not a public address: not connected
    ├── ParseError             a feed could not be parsed at all (url)
    ├── ExtractError           no article text could be extracted from a page (url)
    └── StoreError             the database refused an operation
        └── AlreadySent        another instance sent a story to a destination first

Every error carries the context a reader needs to act on it; none carries a secret.
"""

from __future__ import annotations

__all__ = [
    "AlreadySent",
    "ConfigError",
    "ExtractError",
    "FetchError",
    "NewsdigestError",
    "ParseError",
    "PrivateAddress",
    "ResponseTooLarge",
    "StoreError",
]


class NewsdigestError(Exception):
    """Base of every error newsdigest raises on purpose."""


class ConfigError(NewsdigestError):
    """A configuration file or value was refused; the message names file, key, value and rule."""


class FetchError(NewsdigestError):
    """Fetching ``url`` failed.

    ``kind`` is one of dns, connect, private, timeout, http, too_large, invalid_url, other;
    ``status`` is the HTTP status for kind http; ``retry_after`` is the server's Retry-After in
    seconds.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}")
        self.url = url
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class ResponseTooLarge(FetchError):
    """The response body passed the configured maximum size and was not read further."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, "too_large", f"response larger than {limit} bytes")
        self.limit = limit


class PrivateAddress(FetchError):
    """``host`` (``url``'s, or a redirect's) resolved to ``address``, a private, loopback,
    link-local or otherwise non-public address; nothing was sent to it."""

    def __init__(self, url: str, host: str, address: str) -> None:
        where = f"{host} resolves to {address}," if host != address else f"{address} is"
        super().__init__(url, "private", f"{where} not a public address")
        self.host = host
        self.address = address


class ParseError(NewsdigestError):
    """The document at ``url`` is not a feed that can be read at all."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class ExtractError(NewsdigestError):
    """No main text could be extracted from the page at ``url``."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class StoreError(NewsdigestError):
    """The database refused an operation."""


class AlreadySent(StoreError):
    """Stories were already recorded as sent to ``destination`` (by a digest composed at the
    same time elsewhere, e.g. another instance); the digest that found out is not posted."""

    def __init__(self, destination: str, article_ids: set[int]) -> None:
        self.destination = destination
        self.article_ids = article_ids
        shown = ", ".join(str(i) for i in sorted(article_ids)[:10])
        super().__init__(f"destination {destination!r} was already sent article(s) {shown}")
