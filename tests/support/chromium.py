"""Headless Chromium (Debian's ``chromium`` package) driven through the Chrome DevTools
Protocol over aiohttp's websocket client: no Playwright, nothing downloads a browser.

``Chromium.start()`` runs the browser with a private profile and remote debugging on a free
port; ``open_page()`` attaches to its first tab. ``Page.load(url)`` navigates and waits for the
load event; everything the page reports as a problem (console errors, uncaught exceptions,
log entries of level error: failed loads and Content-Security-Policy violations) is kept in
``Page.problems``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["Chromium", "Page", "chromium_path"]

_LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")


def chromium_path() -> str | None:
    """The Chromium executable: ``NEWSDIGEST_CHROMIUM``, else ``chromium`` on the PATH."""
    return os.environ.get("NEWSDIGEST_CHROMIUM") or shutil.which("chromium")


class Page:
    """One tab over its DevTools websocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._next = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self.problems: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (``RuntimeError`` on a protocol error)."""
        self._next += 1
        answer = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = answer
        await self._socket.send_json({"id": self._next, "method": method, "params": params})
        message = await asyncio.wait_for(answer, 30)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        result: dict[str, Any] = message.get("result", {})
        return result

    def next_event(self, method: str) -> asyncio.Future[dict[str, Any]]:
        """A future of the next ``method`` event's parameters."""
        future = asyncio.get_running_loop().create_future()
        self._events.setdefault(method, []).append(future)
        return future

    async def load(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event."""
        loaded = self.next_event("Page.loadEventFired")
        result = await self.call("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")
        await asyncio.wait_for(loaded, 30)

    async def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page (promises awaited)."""
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self, path: Path) -> None:
        """Save the visible part of the page as PNG."""
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._socket.close()

    async def _read(self) -> None:
        async for frame in self._socket:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if "id" in message:
                answer = self._waiting.pop(message["id"], None)
                if answer is not None and not answer.done():
                    answer.set_result(message)
                continue
            method, params = message.get("method", ""), message.get("params", {})
            self._note(method, params)
            for future in self._events.pop(method, []):
                if not future.done():
                    future.set_result(params)

    def _note(self, method: str, params: dict[str, Any]) -> None:
        """Keep what counts as a problem: console errors, exceptions, error log entries."""
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            values = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
            self.problems.append("console: " + " ".join(values))
        elif method == "Runtime.exceptionThrown":
            self.problems.append("exception: " + json.dumps(params["exceptionDetails"])[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.problems.append(f"log ({entry.get('source')}): {entry.get('text')}")


class Chromium:
    """A headless Chromium process with remote debugging; ``async with Chromium.start()``."""

    def __init__(self, process: asyncio.subprocess.Process, endpoint: str, profile: str):
        self._process = process
        self._endpoint = endpoint  # http://127.0.0.1:<port>
        self._profile = profile

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, executable: str) -> AsyncIterator[Chromium]:
        """Run ``executable`` headless (a phone-sized window) until the block ends."""
        profile = tempfile.mkdtemp(prefix="newsdigest-chromium-")
        process = await asyncio.create_subprocess_exec(
            executable,
            "--headless",
            "--no-sandbox",  # tests may run as root (CI does)
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--lang=ar",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=412,900",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            endpoint = await asyncio.wait_for(cls._endpoint_of(process), 30)
            yield cls(process, endpoint, profile)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            shutil.rmtree(profile, ignore_errors=True)

    @staticmethod
    async def _endpoint_of(process: asyncio.subprocess.Process) -> str:
        assert process.stderr is not None
        seen = b""
        while True:
            line = await process.stderr.readline()
            if not line:
                raise RuntimeError(f"chromium exited without a DevTools endpoint: {seen[-2000:]!r}")
            seen += line
            found = _LISTENING.search(line)
            if found:
                address = found.group(1).decode().split("/devtools/")[0]
                return address.replace("ws://", "http://")

    @contextlib.asynccontextmanager
    async def open_page(self, session: aiohttp.ClientSession) -> AsyncIterator[Page]:
        """The first tab, with the Page, Runtime and Log domains on."""
        async with session.get(f"{self._endpoint}/json/list") as response:
            targets = await response.json()
        [target] = [t for t in targets if t["type"] == "page"][:1]
        socket = await session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(socket)
        try:
            for domain in ("Page", "Runtime", "Log"):
                await page.call(f"{domain}.enable")
            yield page
        finally:
            await page.close()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
