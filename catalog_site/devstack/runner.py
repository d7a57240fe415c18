"""Run the whole catalog on one machine, or its test suite, with one command.

``python -m catalog_site.devstack run`` starts the backing services, prepares
the database (migrations, periodic tasks, an admin account, the demo catalog)
and supervises the web server, one Celery worker and Celery beat until Ctrl-C.

``python -m catalog_site.devstack test [pytest args]`` starts its own
throw-away services (separate from ``run``'s, so both can run at once) and
runs pytest against them.
"""

from __future__ import annotations

import fcntl
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from catalog_site.devstack.services import Stack, StackError, free_port, port_is_free

logger = logging.getLogger("catalog_site.devstack")

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable
SHUTDOWN_GRACE_SECONDS = 15


def _var_dir(environ: dict[str, str]) -> Path:
    return Path(environ.get("CATALOG_VAR_DIR", BASE_DIR / "var"))


def worker_command(*, hostname: str, concurrency: int = 1, extra: Sequence[str] = ()) -> list[str]:
    """The command line of a Celery worker of this project (used by ``make
    run``, the tests and the benchmarks). Without ``-Q`` in ``extra`` it
    consumes every queue in ``CELERY_TASK_QUEUES``."""
    return [
        PYTHON, "-m", "celery", "-A", "catalog_site", "worker",
        "--pool", "prefork", "--concurrency", str(concurrency),
        "--loglevel", "INFO", "--hostname", hostname, *extra,
    ]  # fmt: skip


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Record the stack's URLs so ``manage.py`` in another shell reaches it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in sorted(values.items())))


def _manage(args: Sequence[str], env: dict[str, str]) -> None:
    result = subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR, check=False)
    if result.returncode != 0:
        raise StackError(f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}")


def _spawn(name: str, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen:
    logger.info("Starting %s", name)
    # A session of its own: Ctrl-C reaches only this supervisor, which then
    # stops the children in order instead of all of them at once.
    return subprocess.Popen(list(args), env=env, cwd=BASE_DIR, start_new_session=True)


def _stop_children(children: dict[str, subprocess.Popen]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in time; killing it", name)
            proc.kill()
            proc.wait()


def run(environ: dict[str, str]) -> int:
    var_dir = _var_dir(environ)
    port = int(environ.get("PORT", "8000"))
    host = environ.get("HOST", "127.0.0.1")
    if not port_is_free(port, host):
        raise StackError(f"port {port} for the web server is busy; set PORT to a free port")

    stack = Stack(var_dir=var_dir, redis_port=int(environ.get("EMBEDDED_REDIS_PORT", "6380")), environ=environ)
    urls = stack.start()
    children: dict[str, subprocess.Popen] = {}
    try:
        write_env_file(var_dir / "devstack.env", urls)
        env = {**environ, **urls, "DJANGO_ENV": environ.get("DJANGO_ENV", "local"), "PYTHONUNBUFFERED": "1"}
        _manage(["migrate", "--noinput"], env)
        _manage(["setup_periodic_tasks"], env)
        _manage(["ensure_admin"], env)
        if environ.get("CATALOG_LOAD_DEMO", "1") != "0":
            _manage(["load_demo"], env)

        celery = [PYTHON, "-m", "celery", "-A", "catalog_site"]
        children["web"] = _spawn(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "catalog_site.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                environ.get("WEB_CONCURRENCY", "2"),
                "--threads",
                environ.get("GUNICORN_THREADS", "4"),
                "--access-logfile",
                "-",
            ],
            env,
        )
        concurrency = int(environ.get("CELERY_CONCURRENCY", "2"))
        children["worker"] = _spawn("worker", worker_command(hostname="worker@%h", concurrency=concurrency), env)
        children["beat"] = _spawn("beat", [*celery, "beat", "--loglevel", "INFO", "--pidfile="], env)

        print(f"\nDocument Catalog is running at http://{host}:{port}/  (admin: http://{host}:{port}/admin/)")
        print("Press Ctrl-C to stop.\n", flush=True)
        return _supervise(children)
    finally:
        _stop_children(children)
        stack.stop()
        print("Stopped.", flush=True)


def _supervise(children: dict[str, subprocess.Popen]) -> int:
    stop = {"requested": False}

    def _request_stop(signum: int, _frame: object) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    while not stop["requested"]:
        for name, proc in children.items():
            code = proc.poll()
            if code is not None:
                print(f"{name} exited with code {code}; stopping the rest.", file=sys.stderr)
                return code or 1
        time.sleep(0.5)
    print("\nStopping…", flush=True)
    return 0


@contextmanager
def _test_slot(root: Path) -> Iterator[Path]:
    """A data folder no other running ``make test`` of this checkout uses:
    the first slot whose lock is free (slots are reused between runs)."""
    root.mkdir(parents=True, exist_ok=True)
    for number in range(16):
        handle = (root / f"slot-{number}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield root / f"slot-{number}"
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise StackError(f"too many test runs at once in {root}")


def test(environ: dict[str, str], pytest_args: Sequence[str]) -> int:
    with _test_slot(_var_dir(environ) / "test-stack") as var_dir:
        return _test_in(var_dir, environ, pytest_args)


def _test_in(var_dir: Path, environ: dict[str, str], pytest_args: Sequence[str]) -> int:
    stack = Stack(
        var_dir=var_dir,
        # A free port unless one is asked for, so several checkouts can test at once.
        redis_port=int(environ.get("EMBEDDED_REDIS_TEST_PORT") or free_port()),
        environ=environ,
        persist=False,
    )
    urls = stack.start()
    try:
        env = {**environ, **urls, "DJANGO_ENV": "test", "CATALOG_IGNORE_DEVSTACK_ENV": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run([PYTHON, "-m", "pytest", *pytest_args], env=env, cwd=BASE_DIR, check=False)
        return result.returncode
    finally:
        stack.stop()
