"""Polite HTTP fetching of feeds and pages.

One ``Fetcher`` per process wraps httpx's ``AsyncClient`` (one per address policy, below). It
bounds concurrency overall and per host, sends conditional-GET validators, follows redirects
(telling the caller when a redirect was permanent), enforces one deadline for the whole
request and never reads a body past the size limit. Errors come out as ``FetchError`` with a
``kind`` the store records on the feed.

Every connection goes through ``addresses.PinnedNetwork``: the host is resolved once and a
non-public address is refused (``PrivateAddress``) before anything is sent to it, on the first
request, on each redirect hop and for each article page, unless private addresses are allowed
(for every fetch, or for one call: a configured feed's ``allow_private``). The two policies use
two connection pools, so a connection opened for an allowed fetch is never reused by another.

The network seams are the resolver and the wire under ``PinnedNetwork`` (tests map names to
addresses and route a connection to the local server), or a whole httpx transport, which
replaces the network and with it the address check.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from collections import defaultdict
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpcore
import httpx

from digests.errors import FetchError, PrivateAddress, ResponseTooLarge
from digests.ingest.addresses import AddressRefused, PinnedNetwork, Resolver, system_resolver
from digests.ingest.settings import PollSettings
from digests.models import FetchResult

__all__ = ["IMAGE_MAX_BYTES", "IMAGE_TYPES", "Fetcher", "parse_retry_after"]

_PERMANENT_REDIRECTS = frozenset({301, 308})
IMAGE_MAX_BYTES = 5 * 1024 * 1024
"""The largest lead image (Telegram fetches photos by URL up to 5 MB)."""
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""The image types a lead image may have (what Telegram and Slack show as photos)."""


class Fetcher:
    """Fetches URLs within the limits of a ``PollSettings``; use as an async context manager.

    ``allow_private`` lets every fetch reach private addresses (``admin.allow_private_feed_urls``);
    ``resolver`` and ``network`` are the seams of ``PinnedNetwork``. ``resolver`` stays readable,
    so a check made before fetching resolves the same way.
    """

    def __init__(
        self,
        settings: PollSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        network: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._settings = settings
        self._limit_bytes = settings.max_response_kb * 1024
        self.resolver = resolver
        limits = httpx.Limits(
            max_connections=settings.concurrency,
            max_keepalive_connections=settings.concurrency,
        )

        def client(private: bool) -> httpx.AsyncClient:
            pinned = PinnedNetwork(allow_private=private, resolver=resolver, network=network)
            return self._client_over(transport or _pinned_transport(limits, pinned))

        self._open = client(True)
        self._guarded = self._open if allow_private or transport else client(False)
        self._overall = asyncio.Semaphore(settings.concurrency)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )

    def _client_over(self, transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
        settings = self._settings
        return httpx.AsyncClient(
            transport=transport,
            follow_redirects=True,
            max_redirects=5,
            timeout=httpx.Timeout(settings.timeout_seconds),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                "text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
                "Accept-Language": "ar, en;q=0.5",
            },
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self._open.aclose()
        if self._guarded is not self._open:
            await self._guarded.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = False,
    ) -> FetchResult:
        """GET ``url`` and return the response; 304 comes back as a result, not an error.

        Raises ``FetchError`` for network errors, the deadline, HTTP 4xx/5xx (with the server's
        Retry-After), ``ResponseTooLarge`` when the body passes the limit and
        ``PrivateAddress`` when the host or a redirect's resolves to a non-public address
        (``allow_private`` lets this one fetch, redirects included, reach it).
        """
        host = urlsplit(url).hostname
        if not host or urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "invalid_url", "not an http(s) URL")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._overall, self._per_host[host]:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._settings.timeout_seconds):
                    client = self._open if allow_private else self._guarded
                    return await self._get(client, url, headers, started)
            except TimeoutError:
                raise FetchError(
                    url, "timeout", f"no complete answer in {self._settings.timeout_seconds:g} s"
                ) from None
            except httpx.TimeoutException:
                raise FetchError(url, "timeout", "timed out") from None
            except httpx.TooManyRedirects:
                raise FetchError(url, "http", "too many redirects") from None
            except httpx.ConnectError as exc:
                if (refused := _refusal(exc)) is not None:
                    raise PrivateAddress(url, refused.host, refused.address) from None
                raise FetchError(url, _connect_kind(exc), _short(exc)) from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise FetchError(url, "other", _short(exc)) from None
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # bad port, bad IDNA
                raise FetchError(url, "invalid_url", _short(exc)) from None

    async def image_problem(self, url: str, *, allow_private: bool = False) -> str | None:
        """Why ``url`` is no lead image, or None when it is one: an http(s) address on a
        public host (the same pinned check as every fetch) answering a GET with a JPEG, PNG,
        GIF or WebP of at most ``IMAGE_MAX_BYTES`` (Telegram's limit for a photo by URL).
        Only the headers are read when they declare the length; else the body, up to it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "not an http(s) URL"
        async with self._overall, self._per_host[parts.hostname]:
            try:
                async with asyncio.timeout(self._settings.timeout_seconds):
                    client = self._open if allow_private else self._guarded
                    async with client.stream("GET", url) as response:
                        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
                        if response.status_code >= 400:
                            return f"HTTP {response.status_code}"
                        if kind.lower() not in IMAGE_TYPES:
                            return f"not an image ({kind or 'no content type'})"
                        declared = response.headers.get("Content-Length", "")
                        if declared.isdigit():
                            return "too large" if int(declared) > IMAGE_MAX_BYTES else None
                        size = 0
                        async for chunk in response.aiter_raw():
                            size += len(chunk)
                            if size > IMAGE_MAX_BYTES:
                                return "too large"
                        return None
            except httpx.ConnectError as exc:
                refused = _refusal(exc)
                return f"private address {refused.address}" if refused else _short(exc)
            except (TimeoutError, httpx.HTTPError, UnicodeError, ValueError) as exc:
                return _short(exc) or type(exc).__name__

    async def _get(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str], started: float
    ) -> FetchResult:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                raise FetchError(
                    url,
                    "http",
                    f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    status=response.status_code,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self._limit_bytes:
                raise ResponseTooLarge(url, self._limit_bytes)
            body = bytearray()
            # aiter_bytes yields decoded (decompressed) bytes, so a gzip bomb is cut here too.
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._limit_bytes:
                    raise ResponseTooLarge(url, self._limit_bytes)
            history = response.history
            permanent = (
                str(response.url)
                if history and all(r.status_code in _PERMANENT_REDIRECTS for r in history)
                else None
            )
            return FetchResult(
                url=url,
                final_url=str(response.url),
                status=response.status_code,
                body=bytes(body),
                headers={k.lower(): v for k, v in response.headers.items()},
                elapsed=time.perf_counter() - started,
                permanent_redirect=permanent,
            )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _pinned_transport(limits: httpx.Limits, network: PinnedNetwork) -> httpx.AsyncHTTPTransport:
    """httpx's own transport over a connection pool that connects through ``network``.

    httpx's transport takes no network backend, so its connection pool (all the transport
    holds besides request and response mapping) is replaced by an equal one built with it.
    """
    ssl_context = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=network,
    )
    return transport


def _refusal(exc: BaseException) -> AddressRefused | None:
    """The address refusal behind a connect error, if that is what it was."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, AddressRefused):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _connect_kind(exc: httpx.ConnectError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "dns"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text:
        return "dns"
    return "connect"


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
