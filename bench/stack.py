"""A throw-away catalog for end-to-end benchmarks: embedded PostgreSQL and
Valkey from the dev stack, Django set up against them, and real Celery
workers.

Everything lives under ``var/bench-stack/`` (database, broker, media, worker
log) and is deleted afterwards. The dev stack's own ``var/`` data and the
test stack are never touched: the bench stack ignores ``DATABASE_URL`` /
``REDIS_URL`` from the shell and uses its own Redis port.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.results import BASE_DIR
from catalog_site.devstack.runner import worker_command
from catalog_site.devstack.services import Stack, StackError

logger = logging.getLogger(__name__)

VAR_DIR = BASE_DIR / "var" / "bench-stack"
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6391"))
WORKER_QUEUES = ("celery", "pipeline-fast", "pipeline-slow")
# Settings that would point the bench at someone else's services or storage.
FOREIGN_SETTINGS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL", "AWS_STORAGE_BUCKET_NAME")


@dataclass(frozen=True)
class Catalog:
    env: dict[str, str]  # the environment a worker process needs
    var_dir: Path


def _clear_scratch(var_dir: Path) -> None:
    if not var_dir.exists():
        return
    if (var_dir / "pgdata" / "postmaster.pid").exists():
        raise StackError(f"a PostgreSQL server may still be running from {var_dir}; stop it and remove the folder")
    logger.info("Removing leftovers of an earlier run in %s", var_dir)
    shutil.rmtree(var_dir)


@contextmanager
def running_catalog(var_dir: Path = VAR_DIR, redis_port: int = REDIS_PORT) -> Iterator[Catalog]:
    """Start the services, point this process's Django at them, migrate.

    Enter at most once per process: ``django.setup()`` binds the process to
    these settings for good.
    """
    import django
    from django.core.management import call_command
    from django.db import connections

    _clear_scratch(var_dir)
    stack = Stack(var_dir=var_dir, redis_port=redis_port, environ={}, persist=False)
    urls = stack.start()
    try:
        for name in FOREIGN_SETTINGS:
            os.environ.pop(name, None)
        env_overrides = {
            **urls,
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "catalog_site.settings.test",
            "CATALOG_IGNORE_DEVSTACK_ENV": "1",
            # Test settings keep media in VAR_DIR/test-media: here, inside the scratch folder.
            "CATALOG_VAR_DIR": str(var_dir),
            # ...but downloaded models stay in the shared cache, not in a folder deleted after the run.
            "AI_MODEL_CACHE_DIR": os.environ.get("AI_MODEL_CACHE_DIR", str(BASE_DIR / "var" / "models")),
        }
        os.environ.update(env_overrides)
        django.setup()
        # Django's LOGGING (WARNING in test settings) has just replaced the handlers; keep the bench's progress lines.
        # ("__main__" is the benchmark run with ``python -m bench.<name>``.)
        for name in ("bench", "__main__"):
            logging.getLogger(name).setLevel(logging.INFO)
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        logger.info("Migrated the bench database in %.1f s", time.monotonic() - started)
        try:
            yield Catalog(env=dict(os.environ), var_dir=var_dir)
        finally:
            connections.close_all()
    finally:
        stack.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
        logger.info("Stopped the bench stack and removed %s", var_dir)


class Worker:
    """One real ``celery worker`` process (prefork pool) on the bench catalog."""

    def __init__(
        self, catalog: Catalog, *, concurrency: int = 1, queues: Sequence[str] = WORKER_QUEUES, name: str = "bench"
    ) -> None:
        self.catalog = catalog
        self.log_path = catalog.var_dir / f"worker-{name}.log"
        self.args = worker_command(
            hostname=f"{name}-{os.getpid()}@%h",
            concurrency=concurrency,
            extra=["-Q", ",".join(queues), "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.args,
                env=self.catalog.env,
                cwd=BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes():
                logger.info("Worker %d ready", self.proc.pid)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the celery worker did not become ready; its log ends:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # warm shutdown: the pool child exits with it
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            logger.warning("Worker %d did not stop in 20 s; killing its process group", self.proc.pid)
            # Its own session (start_new_session), so this reaches the pool child too and nothing else.
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
