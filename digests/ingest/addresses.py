"""Whether a URL's host may be fetched: public addresses only, unless private ones are allowed.

Used before an admin's feed or OPML URL is fetched from chat. The check resolves the host and
refuses it when any address it resolves to is private, loopback, link-local, multicast,
reserved or unspecified.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["HostProblem", "host_problem", "is_public"]

HostProblem = Literal["dns", "private"]


async def host_problem(url: str, *, within: float) -> HostProblem | None:
    """Why ``url``'s host may not be fetched: ``dns`` (no answer ``within`` seconds, or a name
    IDNA refuses), ``private`` (a non-public address), or None when it may."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(within):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError, UnicodeError):
        return "dns"
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
        if not is_public(address):
            return "private"
    return None


def is_public(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6, v4-mapped included) is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)
