"""Shared fixtures. The suite runs against real PostgreSQL + pgvector and a
real Redis-compatible server, started by ``make test`` (or named by
``DATABASE_URL`` / ``REDIS_URL``)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from catalog_site.devstack.runner import worker_command

# People, collections and upload helpers shared by every app's tests.
pytest_plugins = ["tests.library"]

BASE_DIR = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def database_url_for(name: str) -> str:
    """DATABASE_URL pointing at another database on the same server."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


class WorkerProcess:
    """A real ``celery worker`` process bound to the test database."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # A restarted worker appends to the same log; readiness is judged on the new part.
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            worker_command(
                hostname=f"test-worker-{os.getpid()}@%h",
                extra=["--without-gossip", "--without-mingle", "--max-tasks-per-child", "1000"],
            ),
            env=self.env,
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes()[self._offset :]:
                return
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"celery worker did not become ready; log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill_pool_processes(self) -> int:
        """SIGKILL the pool's child processes (as a segfault in a parser
        would); the main worker process lives on and starts new ones."""
        import psutil

        assert self.proc is not None
        children = psutil.Process(self.proc.pid).children()
        for child in children:
            child.kill()
        return len(children)

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or OOM kill would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


@pytest.fixture
def worker_factory(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers that consume from the real broker and write to the
    test database, with optional extra environment (e.g. time limits).
    Tests using it commit their data (transactional_db)."""
    started: list[WorkerProcess] = []

    def start(**env_overrides: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": database_url_for(connection.settings_dict["NAME"]),
            **env_overrides,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture
def celery_worker_process(worker_factory: Callable[..., WorkerProcess]) -> WorkerProcess:
    return worker_factory()


def wait_for(predicate: Callable[[], T], timeout: float = 30, interval: float = 0.2) -> T:
    """Poll ``predicate`` until it returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
