"""Which addresses may be fetched, and connecting only to the address that was checked.

Public addresses only, unless private ones are allowed (``admin.allow_private_feed_urls`` for
every fetch, a configured feed's ``allow_private`` for that feed). ``PinnedNetwork`` is the
httpcore network backend every fetch connects through: it resolves the host once, refuses the
connection when any answer is private, loopback, link-local, multicast, reserved or
unspecified, and connects to exactly an address it checked. The URL, the Host header, TLS SNI
and the certificate check keep the host name; only the socket is pinned. As every connection
(a feed, each redirect hop, each article page) is opened there, no second lookup can bring a
different answer between check and connection.

``host_problem`` is the same check without connecting, for URLs that are not fetched at once
(the feeds an OPML file lists) and to answer an admin before any request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Literal
from urllib.parse import urlsplit

import httpcore

__all__ = [
    "AddressRefused",
    "HostProblem",
    "PinnedNetwork",
    "Resolver",
    "host_problem",
    "is_public",
    "system_resolver",
]

HostProblem = Literal["dns", "private"]

# (host, port) -> the addresses the host resolves to; raises OSError when it has none.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver), in its order, once each."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def host_problem(
    url: str, *, within: float, resolver: Resolver = system_resolver
) -> HostProblem | None:
    """Why ``url``'s host may not be fetched: ``dns`` (no answer ``within`` seconds, or a name
    IDNA refuses), ``private`` (a non-public address), or None when it may."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        async with asyncio.timeout(within):
            addresses = await _addresses(host, parts.port or _default_port(parts.scheme), resolver)
    except (OSError, TimeoutError, UnicodeError, ValueError):
        return "dns"
    return "private" if any(not is_public(a) for a in addresses) else None


def is_public(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6) is a public unicast address; an IPv6 address that
    carries an IPv4 one (v4-mapped, 6to4, Teredo) is judged by the IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:  # fec0::/10, deprecated but still routed inside some networks
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:  # ::ffff:a.b.c.d, 2002:AABB:CCDD::/48 and Teredo reach IPv4
            return is_public(str(embedded))
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


class AddressRefused(httpcore.ConnectError):
    """``host`` resolved to ``address``, which is not public: no connection was opened."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, not a public address")
        self.host = host
        self.address = address


class PinnedNetwork(httpcore.AsyncNetworkBackend):
    """Connects to the addresses a host resolves to, once they are checked; refuses the host
    when any of them is not public (unless ``allow_private``).

    ``resolver`` answers the names (the system's by default); ``network`` is the wire the
    checked addresses are connected through (httpcore's own by default).
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        network: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._network = network or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host`` once, check every answer, connect to the first that accepts."""
        try:
            addresses = await _addresses(host, port, self._resolver)
        except (OSError, UnicodeError, ValueError) as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        if not self._allow_private:
            for address in addresses:
                if not is_public(address):
                    raise AddressRefused(host, address)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # try the next address (IPv6, then IPv4 …)
                failure = exc
        assert failure is not None  # _addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never used: feeds are fetched over TCP only."""
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wire does (httpcore's retries)."""
        await self._network.sleep(seconds)


async def _addresses(host: str, port: int, resolver: Resolver) -> list[str]:
    """An IP literal as itself; a name as its resolved addresses (``OSError`` when none)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        found = list(await resolver(host, port))
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address") from None
        return found
    return [host]


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
