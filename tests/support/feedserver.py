"""A real HTTP server on 127.0.0.1 serving feed and page fixtures, for tests and benchmarks.

Each path has a ``Route``: a body (or a sequence of answers), headers, conditional-GET
validators, a delay, a trickle rate, a redirect. Every request is logged with its headers so
tests can assert on what the client sent. Runs in a background thread; only loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Answer", "FeedServer", "Route"]


@dataclass
class Answer:
    """One HTTP answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    """How one path answers."""

    answer: Answer = field(default_factory=Answer)
    # Answers given in turn before ``answer`` takes over (e.g. a 500, then recovery).
    sequence: list[Answer] = field(default_factory=list)
    # A callable answer, given the request count for this path (1 for the first request).
    dynamic: Callable[[int], Answer] | None = None
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    trickle_bytes_per_second: float | None = None
    omit_length: bool = False
    hits: int = 0


@dataclass(frozen=True)
class Request:
    """A request the server received."""

    path: str
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-answer are expected (limits, timeouts, keep-alive ends)


class FeedServer:
    """Serve ``routes`` on 127.0.0.1 (an ephemeral port) until ``close()``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        """The server's base URL, without a trailing slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> Route:
        """Serve ``body`` at ``path``; other keyword arguments set ``Route`` fields."""
        status = kwargs.pop("status", 200)
        headers = kwargs.pop("headers", {})
        data = body.encode() if isinstance(body, str) else body
        route = Route(answer=Answer(int(status), data, dict(headers)), **kwargs)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def requests_for(self, path: str) -> list[Request]:
        """The requests received for ``path``, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self._lock:
            self.requests.append(Request(path, {k.lower(): v for k, v in handler.headers.items()}))
            route = self.routes.get(path)
            if route is not None:
                route.hits += 1
                hits = route.hits
        if route is None:
            self._send(handler, Answer(404, b"not found"), None)
            return
        if route.delay:
            time.sleep(route.delay)
        if route.dynamic is not None:
            answer = route.dynamic(hits)
        elif hits <= len(route.sequence):
            answer = route.sequence[hits - 1]
        else:
            answer = route.answer
        headers = dict(answer.headers)
        if answer.status == 200:
            if route.etag:
                headers["ETag"] = route.etag
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
            if (route.etag and handler.headers.get("If-None-Match") == route.etag) or (
                route.last_modified
                and handler.headers.get("If-Modified-Since") == route.last_modified
            ):
                answer = Answer(304, b"", headers)
        self._send(handler, Answer(answer.status, answer.body, headers), route)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, answer: Answer, route: Route | None) -> None:
        try:
            handler.send_response(answer.status)
            headers = {"Content-Type": "application/xml; charset=utf-8", **answer.headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            chunked = route is not None and route.omit_length
            if chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            elif answer.status != 304:
                handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            if answer.status == 304:
                return
            rate = route.trickle_bytes_per_second if route else None
            step = 64 * 1024 if not rate else max(1, int(rate / 10))
            for start in range(0, len(answer.body), step):
                piece = answer.body[start : start + step]
                if chunked:
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    handler.wfile.write(piece)
                if rate:
                    handler.wfile.flush()
                    time.sleep(0.1)
            if chunked:
                handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (size limit, timeout): that is the point of some tests
