"""A stand-in internet for the fetcher's address check: names resolved from a table, and a
wire on which a connection to any address lands on the fixture server on 127.0.0.1.

Only these two seams of ``addresses.PinnedNetwork`` are replaced; resolving once, checking the
answers and connecting to the checked address stay the product's own. ``LocalInternet`` records
each address it was asked to connect to, so a test sees where a fetch went.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence

import httpcore

from tests.support.feedserver import FeedServer

__all__ = ["PUBLIC", "LocalInternet", "Resolver"]

PUBLIC = "93.184.216.34"  # a global address, which the check lets through


class Resolver:
    """Answers names from a table; each name's answers are given in turn (the last repeats)."""

    def __init__(self, answers: dict[str, Sequence[Sequence[str]]]) -> None:
        self._answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        turns = self._answers.get(host)
        if not turns:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(turns[min(self.asked.count(host), len(turns)) - 1])


class LocalInternet(httpcore.AsyncNetworkBackend):
    """A wire on which a connection to any address lands on ``server``; records the address."""

    def __init__(self, server: FeedServer) -> None:
        self._port = int(server.base.rsplit(":", 1)[1])
        self._wire = httpcore.AnyIOBackend()
        self.connected: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        return await self._wire.connect_tcp(
            "127.0.0.1", self._port, timeout=timeout, local_address=local_address
        )

    async def sleep(self, seconds: float) -> None:
        await self._wire.sleep(seconds)
