"""A throwaway PostgreSQL server on 127.0.0.1 for the tests and benchmarks.

``PostgresServer.start()`` runs the server binaries of the Debian ``postgresql`` package
(``/usr/lib/postgresql/<version>/bin``, or wherever ``pg_ctl`` is on PATH) against a new data
folder in a temporary directory, listening on 127.0.0.1 on a free port, with durability turned
off (the data is thrown away). As root it runs the server as the ``postgres`` user, since
PostgreSQL refuses to run as root. ``NEWSDIGEST_TEST_POSTGRES_URL`` names an existing server
instead (an ``postgresql+asyncpg://`` URL of a user that may create databases).

Each test gets a database of its own, copied from a template that already has the schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

ENV_URL = "NEWSDIGEST_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (with the reason)."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (install the Debian package: "
            "apt-get install postgresql; or set " + ENV_URL + ")"
        )
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


T = TypeVar("T")


def _run_in_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` to completion on a loop of its own (callers may be inside a running loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


def query(url: str, sql: str) -> list[Any]:
    """Run ``sql`` on the database at ``url`` (a SQLAlchemy asyncpg URL) with a connection of
    its own and return the rows (none for a statement that returns none). Synchronous."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg", "postgresql")

    async def run() -> list[Any]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    return _run_in_thread(run)


class PostgresServer:
    """A running server: ``url(database)`` gives SQLAlchemy URLs; ``stop()`` removes it."""

    def __init__(
        self,
        base_url: str,
        *,
        root: Path | None = None,
        bin_dir: Path | None = None,
        as_postgres: bool = False,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._root = root
        self._bin = bin_dir
        self._as_postgres = as_postgres
        self._template: str | None = None

    @classmethod
    def start(cls) -> PostgresServer:
        """Start a private server (or attach to ``NEWSDIGEST_TEST_POSTGRES_URL``)."""
        external = os.environ.get(ENV_URL)
        if external:
            base = external.rsplit("/", 1)[0]
            return cls(base)
        bin_dir = _bin_dir()
        root = Path(tempfile.mkdtemp(prefix="newsdigest-pg-"))
        data = root / "data"
        run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and there is no postgres user") from exc
            os.chown(root, owner.pw_uid, owner.pw_gid)
            run_as = ["runuser", "-u", "postgres", "--"]
        port = _free_port()
        try:
            subprocess.run(
                [
                    *run_as,
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={port} -k {root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=300 -c shared_buffers=128MB"
            )
            subprocess.run(
                [
                    *run_as,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            shutil.rmtree(root, ignore_errors=True)
            reason = detail.decode(errors="replace")
            raise PostgresUnavailable(
                f"could not start PostgreSQL from {bin_dir}: {exc} {reason}"
            ) from exc
        return cls(
            f"postgresql+asyncpg://postgres@127.0.0.1:{port}",
            root=root,
            bin_dir=bin_dir,
            as_postgres=bool(run_as),
        )

    @property
    def local(self) -> bool:
        """Whether this process started the server (its backends are local processes, which a
        test may signal), rather than attaching to ``NEWSDIGEST_TEST_POSTGRES_URL``."""
        return self._root is not None

    def url(self, database: str) -> str:
        """The SQLAlchemy (asyncpg) URL of ``database`` on this server."""
        return f"{self._base}/{database}"

    def _psql(self, sql: str) -> None:
        """Run one statement in the ``postgres`` database."""
        query(self.url("postgres"), sql)

    def create_database(self, *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); returns its name."""
        name = "t_" + uuid.uuid4().hex[:16]
        clause = f" TEMPLATE {template}" if template else " TEMPLATE template0"
        self._psql(f"CREATE DATABASE {name}{clause}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still on it."""
        with contextlib.suppress(Exception):
            self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def migrated_database(self) -> str:
        """A new database with the current schema (copied from a template migrated once)."""
        if self._template is None:
            from digests.store import Store

            template = self.create_database()

            async def migrate() -> None:
                store = await Store.open(self.url(template))
                await store.close()

            _run_in_thread(migrate)
            self._template = template
        return self.create_database(template=self._template)

    def stop(self) -> None:
        """Stop the private server and delete its files (an external server is left alone)."""
        if self._root is None or self._bin is None:
            if self._template:
                self.drop_database(self._template)
            return
        run_as = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        data = str(self._root / "data")
        stop = [str(self._bin / "pg_ctl"), "-D", data, "-m", "immediate", "stop"]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([*run_as, *stop], capture_output=True, timeout=60)
        shutil.rmtree(self._root, ignore_errors=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A server for the duration of the block (for benchmarks and scripts)."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()
