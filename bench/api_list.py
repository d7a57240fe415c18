"""REST API document list: 50 documents a page, on gunicorn with 2 workers,
under load from ``wrk`` on the same machine.

10,000 documents (with versions, two tags each and a thumbnail row) are
generated straight into PostgreSQL in 5 collections; the caller is a
non-superuser with an API key who may see 4 of them, so the permission
subquery is part of every request. Reported: requests per second and latency
percentiles from wrk, and the SQL queries one request makes (counted
in-process with the same key). Targets: ≥ 400 requests/s and ≤ 5 queries.

``BENCH_API_SECONDS`` sets the length of the load run (default 20 s) and
``BENCH_API_THREADS`` the threads per worker (default 4, as gunicorn.conf.py);
a shorter run with half the threads is reported for comparison.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import results
from bench.results import BASE_DIR
from bench.stack import running_catalog

logger = logging.getLogger(__name__)

NAME = "api_list"
TITLE = "REST API document list (target: ≥ 400 requests/s, ≤ 5 queries per request)"
DOCUMENTS = 10_000
COLLECTIONS = 5
SECONDS = int(os.environ.get("BENCH_API_SECONDS", "20"))
CONNECTIONS = 16
THREADS = int(os.environ.get("BENCH_API_THREADS", "4"))  # gunicorn.conf.py's default
URL_PATH = "/api/v1/documents/?page_size=50"


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    logger.info("wrk is missing; installing it with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed (apt-get install wrk)")
    return found


def _seed() -> str:
    """The catalog and an API key for a reader of 4 of the 5 collections."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from api.services import api_key_create

    readers = Group.objects.create(name="bench readers")
    user = User.objects.create_user("bench-reader", password=None)
    user.groups.add(readers)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO documents_collection (name, slug, description, ai_policy, trash_retention_days, "
            "ai_auto_apply, ai_auto_apply_threshold, created_at) "
            "SELECT 'API bench ' || i, 'api-bench-' || i, '', 'external_allowed', 30, false, 0.9, now() "
            "FROM generate_series(1, %s) i",
            [COLLECTIONS],
        )
        cursor.execute(
            "INSERT INTO documents_collection_viewer_groups (collection_id, group_id) "
            "SELECT id, %s FROM documents_collection WHERE slug LIKE 'api-bench-%%' ORDER BY id LIMIT %s",
            [readers.pk, COLLECTIONS - 1],
        )
        cursor.execute(
            """
            INSERT INTO documents_document (uuid, title, description, language, metadata, created_at, updated_at,
                                            status, collection_id)
            SELECT gen_random_uuid(), 'Document ' || i, 'A benchmark document.', 'en', '{"pages": 3}'::jsonb,
                   now() - (i || ' minutes')::interval, now(), 'ready',
                   (SELECT min(id) FROM documents_collection WHERE slug LIKE 'api-bench-%%') + (i %% %s)
            FROM generate_series(1, %s) i
            """,
            [COLLECTIONS, DOCUMENTS],
        )
        cursor.execute(
            """
            INSERT INTO documents_documentversion (document_id, number, file, original_filename, mime_type, size,
                                                   sha256, page_count, metadata, status, error, created_at)
            SELECT id, 1, 'bench/' || id || '.pdf', 'report.pdf', 'application/pdf', 1000, md5(id::text), 3,
                   '{}'::jsonb, 'ready', '', now()
            FROM documents_document
            """
        )
        cursor.execute(
            "UPDATE documents_document d SET current_version_id = v.id "
            "FROM documents_documentversion v WHERE v.document_id = d.id"
        )
        cursor.execute(
            "INSERT INTO documents_versionpreview (version_id, kind, page, file, width, height) "
            "SELECT id, 'thumb_small', 1, 'bench/' || id || '.webp', 160, 200 FROM documents_documentversion"
        )
        cursor.execute(
            "INSERT INTO documents_tag (name, slug, colour) "
            "SELECT 'tag ' || i, 'tag-' || i, '#6b7280' FROM generate_series(1, 50) i"
        )
        cursor.execute(
            """
            INSERT INTO documents_document_tags (document_id, tag_id)
            SELECT d.id, t.id FROM documents_document d
            JOIN documents_tag t ON t.slug IN ('tag-' || (d.id % 50 + 1), 'tag-' || ((d.id + 7) % 50 + 1))
            """
        )
        # The state autovacuum keeps a live catalog in (visibility map set,
        # statistics current), so its work does not land inside the load run.
        cursor.execute("VACUUM ANALYZE")
    return api_key_create(user=user, name="bench", scopes=["read"]).secret


def _queries_per_request(secret: str) -> tuple[int, int]:
    """SQL queries of one list request: (with an API key, with a session)."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(URL_PATH, HTTP_X_API_KEY=secret)  # first use writes last_used_at
    with CaptureQueriesContext(connection) as by_key:
        response = client.get(URL_PATH, HTTP_X_API_KEY=secret)
    assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content[:300]
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(User.objects.get(username="bench-reader"))
    with CaptureQueriesContext(connection) as by_session:
        browser.get(URL_PATH)
    return len(by_key), len(by_session)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, secret: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"X-API-Key": secret})  # noqa: S310 - local URL
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def _parse_wrk(output: str) -> dict[str, str]:
    figures = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)}
    for label in ("50%", "90%", "99%"):
        match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+\w+)", output, flags=re.MULTILINE)
        figures[label] = match.group(1) if match else "n/a"
    total = re.search(r"(\d+) requests in", output)
    figures["requests"] = total.group(1) if total else "n/a"
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = errors.group(1) if errors else "0"
    return figures


def _cpu_seconds(processes: list) -> dict[int, float]:
    """CPU seconds so far per process id."""
    spent = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except Exception:  # noqa: S112 - a process that ended has nothing more to add
            continue
        spent[process.pid] = times.user + times.system
    return spent


def _spent_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings; a process that started in
    between counts from zero (one that ended is missed)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _stack_processes(server_pid: int, var_dir: object) -> tuple[list, list]:
    """(gunicorn master and workers, PostgreSQL postmaster and backends) of this run."""
    import psutil

    web = [psutil.Process(server_pid), *psutil.Process(server_pid).children(recursive=True)]
    database = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in cmdline and str(var_dir) in cmdline:
            database = [process, *process.children(recursive=True)]
            break
    return web, database


def _load(
    wrk: str, url: str, secret: str, server_pid: int, var_dir: object, seconds: int, *, latency: bool
) -> tuple[subprocess.CompletedProcess, tuple[float, float, float]]:
    """Run wrk against ``url``; its output and the CPU seconds spent meanwhile
    by gunicorn, PostgreSQL and wrk itself."""
    web, database = _stack_processes(server_pid, var_dir)
    before = (_cpu_seconds(web), _cpu_seconds(database), resource.getrusage(resource.RUSAGE_CHILDREN))
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-H", f"X-API-Key: {secret}", url]
    if latency:
        command.insert(1, "--latency")
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    web, database = _stack_processes(server_pid, var_dir)
    after = (_cpu_seconds(web), _cpu_seconds(database), resource.getrusage(resource.RUSAGE_CHILDREN))
    children = after[2].ru_utime + after[2].ru_stime - before[2].ru_utime - before[2].ru_stime
    return output, (_spent_between(before[0], after[0]), _spent_between(before[1], after[1]), children)


@contextmanager
def _gunicorn(catalog: Any, threads: int) -> Iterator[tuple[int, int]]:
    """gunicorn with 2 workers on a free port: (port, master pid)."""
    port = _free_port()
    env = {**catalog.env, "API_THROTTLE_KEY_PER_MINUTE": "100000000", "LOG_LEVEL": "WARNING"}
    with (catalog.var_dir / "gunicorn.log").open("ab") as log:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "catalog_site.wsgi:application",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", str(threads),
            ],
            env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _warm(wrk: str, url: str, secret: str) -> None:
    _wait_for(url, secret)
    warm = subprocess.run(
        [wrk, "-t2", f"-c{CONNECTIONS}", "-d3s", "-H", f"X-API-Key: {secret}", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    logger.info("Warm-up: %s requests/s", _parse_wrk(warm.stdout)["rps"])


def run() -> str:
    started = time.monotonic()
    wrk = _ensure_wrk()
    with running_catalog() as catalog:
        secret = _seed()
        key_queries, session_queries = _queries_per_request(secret)
        with _gunicorn(catalog, THREADS) as (port, pid):
            url = f"http://127.0.0.1:{port}{URL_PATH}"
            _warm(wrk, url, secret)
            load, cpu = _load(wrk, url, secret, pid, catalog.var_dir, SECONDS, latency=True)
            # Calibration: the cheapest request of the stack (one SELECT 1, no DRF).
            health, health_cpu = _load(
                wrk, f"http://127.0.0.1:{port}/healthz", secret, pid, catalog.var_dir, 5, latency=False
            )
        # For comparison: the same with half the threads per worker.
        with _gunicorn(catalog, max(1, THREADS // 2)) as (port, pid):
            url = f"http://127.0.0.1:{port}{URL_PATH}"
            _warm(wrk, url, secret)
            fewer_threads, _ = _load(wrk, url, secret, pid, catalog.var_dir, max(5, SECONDS // 2), latency=False)
    figures = _parse_wrk(load.stdout)
    rps = float(figures["rps"])
    served = max(1, int(figures["requests"]))
    web_ms, db_ms, wrk_ms = (seconds * 1000 / served for seconds in cpu)
    health_figures = _parse_wrk(health.stdout)
    health_served = max(1, int(health_figures["requests"]))
    health_web_ms = health_cpu[0] * 1000 / health_served
    cores = results.usable_cores()
    projected = cores * 1000 / max(0.001, web_ms + db_ms + wrk_ms)
    logger.info("%s requests/s, %s queries per request", figures["rps"], key_queries)
    rows = [
        (f"requests/s (wrk, 2 threads, {CONNECTIONS} connections, {SECONDS} s)", f"{rps:.0f}", "≥ 400",
         results.verdict(rps, 400, higher_is_better=True)),
        ("CPU per request: gunicorn / PostgreSQL / wrk", f"{web_ms:.1f} / {db_ms:.1f} / {wrk_ms:.1f} ms", "", ""),
        ("for scale: `/healthz` (one `SELECT 1`, no DRF) on the same gunicorn",
         f"{float(health_figures['rps']):.0f} requests/s, {health_web_ms:.1f} ms gunicorn CPU each", "", ""),
        (f"requests/s the {cores} cores would serve alone (cores ÷ CPU per request)", f"{projected:.0f}", "≥ 400",
         results.verdict(projected, 400, higher_is_better=True)),
        (f"for comparison: requests/s with `--threads {max(1, THREADS // 2)}`",
         f"{float(_parse_wrk(fewer_threads.stdout)['rps']):.0f}", "", ""),
        ("latency p50 / p90 / p99", f"{figures['50%']} / {figures['90%']} / {figures['99%']}", "", ""),
        ("requests served (non-2xx)", f"{figures['requests']} ({figures['non_2xx']})", "0 non-2xx",
         "PASS" if figures["non_2xx"] == "0" else "MISS"),
        ("SQL queries per request, API key", str(key_queries), "≤ 5",
         results.verdict(key_queries, 5, higher_is_better=False)),
        ("SQL queries per request, browser session", str(session_queries), "≤ 5",
         results.verdict(session_queries, 5, higher_is_better=False)),
    ]  # fmt: skip
    return "\n\n".join(
        [
            results.section_preamble(started),
            f"`GET {URL_PATH}` with an API key (read scope) of a user who may see 4 of 5 collections; "
            f"{DOCUMENTS:,} documents with a version, two tags and a thumbnail each; cursor pagination (no COUNT). "
            f"gunicorn `--workers 2 --threads {THREADS}` (as `make run`) and wrk share the machine's cores with "
            "PostgreSQL and Valkey; test settings (DEBUG off). The machine is shared: when the load average is well "
            "above the core count, the measured rate is what was left over, and the CPU time each request cost "
            "(read from the processes' counters) gives the rate the cores would serve on their own.",
            results.table(["measure", "value", "target", "verdict"], rows),
        ]
    )


if __name__ == "__main__":
    results.main(NAME, TITLE, run)
