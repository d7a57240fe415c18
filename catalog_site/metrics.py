"""Prometheus metrics recorded by the web processes and the Celery workers.

Why counts go through Redis rather than prometheus-client's multiprocess
directory: on Render the web service and each worker service run on separate
machines, so there is no directory they could share, and a scrape of one
gunicorn worker must still see what the others (and the Celery workers)
counted. Each process therefore keeps its increments in memory and adds them
to hashes in the cache Redis every ``METRICS_FLUSH_SECONDS`` (and after each
Celery task). ``/metrics`` on any web instance reads those hashes, plus what
the database and the broker say at scrape time (see
``catalog_site.metrics_collectors``). While Redis is down the increments wait
in memory and are added once it is back; nothing on the request path ever
waits for Redis.

This module imports no app code, so every app may record through it.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STEP_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_INF = float("inf")


class _Buffer:
    """Increments not yet added to Redis, per process (reset after a fork)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, str], float] = defaultdict(float)
        self.pid = 0
        self.client: Any = None

    def add(self, metric: str, field: str, amount: float) -> None:
        with self.lock:
            if self.pid != os.getpid():
                # A forked child (prefork pool) must not re-send its parent's counts.
                self.pending.clear()
                self.pid = os.getpid()
                self.client = None
                _start_flusher()
            self.pending[(metric, field)] += amount

    def take(self) -> dict[tuple[str, str], float]:
        with self.lock:
            taken, self.pending = self.pending, defaultdict(float)
            return taken

    def give_back(self, taken: dict[tuple[str, str], float]) -> None:
        with self.lock:
            for key, amount in taken.items():
                self.pending[key] += amount


_buffer = _Buffer()


def redis_client() -> Any:
    import redis

    url = settings.METRICS_REDIS_URL
    if _buffer.client is None or _buffer.client[0] != url:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT, socket_timeout=settings.REDIS_SOCKET_TIMEOUT
        )
        _buffer.client = (url, client)
    return _buffer.client[1]


def _key(metric: str) -> str:
    return f"{settings.METRICS_KEY_PREFIX}:{metric}"


def flush() -> bool:
    """Add this process's pending increments to Redis. False if Redis is down
    (the increments are kept for the next try)."""
    import redis

    taken = _buffer.take()
    if not taken:
        return True
    try:
        pipe = redis_client().pipeline(transaction=False)
        for (metric, field), amount in taken.items():
            pipe.hincrbyfloat(_key(metric), field, amount)
        pipe.execute()
    except redis.RedisError as exc:
        _buffer.give_back(taken)
        logger.debug("Metrics not flushed: %s", exc.__class__.__name__)
        return False
    return True


def _flush_forever() -> None:
    while True:
        time.sleep(settings.METRICS_FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # the flusher must outlive anything
            logger.exception("Metrics flush failed")


_flusher_pid = 0


def _start_flusher() -> None:
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    _flusher_pid = os.getpid()
    threading.Thread(target=_flush_forever, name="metrics-flush", daemon=True).start()


atexit.register(flush)

# --- Metric kinds ---------------------------------------------------------------

_REGISTRY: dict[str, _Metric] = {}


class _Metric:
    kind = ""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        _REGISTRY[name] = self

    def _values(self, labels: dict[str, str]) -> list[str]:
        return [str(labels.get(label, "")) for label in self.labels]


class Counter(_Metric):
    kind = "counter"

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        _buffer.add(self.name, json.dumps(self._values(labels)), amount)

    def family(self, stored: dict[str, float]) -> Metric:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for field, value in sorted(stored.items()):
            family.add_metric(json.loads(field), value)
        return family


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...], buckets: tuple[float, ...]) -> None:
        super().__init__(name, documentation, labels)
        self.buckets = buckets

    def observe(self, value: float, **labels: str) -> None:
        values = self._values(labels)
        bound = next((b for b in self.buckets if value <= b), _INF)
        # Per-bucket counts (not cumulative) so that concurrent increments add up.
        _buffer.add(self.name, json.dumps([*values, "bucket", bound if bound != _INF else "+Inf"]), 1)
        _buffer.add(self.name, json.dumps([*values, "sum"]), value)

    def family(self, stored: dict[str, float]) -> Metric:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        series: dict[tuple[str, ...], dict[str, Any]] = {}
        for field, value in stored.items():
            parts = json.loads(field)
            n = len(self.labels)
            entry = series.setdefault(tuple(parts[:n]), {"buckets": defaultdict(float), "sum": 0.0})
            if parts[n] == "sum":
                entry["sum"] = value
            else:
                bound = parts[n + 1]
                entry["buckets"][_INF if bound == "+Inf" else float(bound)] += value
        for labels, entry in sorted(series.items()):
            cumulative, rows = 0.0, []
            for bound in [*self.buckets, _INF]:
                cumulative += entry["buckets"].get(bound, 0.0)
                rows.append(("+Inf" if bound == _INF else repr(float(bound)), cumulative))
            family.add_metric(list(labels), rows, entry["sum"])
        return family


def stored_families() -> Iterator[Metric]:
    """What every process has flushed so far, as Prometheus families."""
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    metrics = list(_REGISTRY.values())
    for metric in metrics:
        pipe.hgetall(_key(metric.name))
    for metric, raw in zip(metrics, pipe.execute(), strict=True):
        stored = {field.decode(): float(value) for field, value in raw.items()}
        yield metric.family(stored)


# --- The catalog's metrics ------------------------------------------------------

HTTP_REQUESTS = Counter(
    "catalog_http_requests", "HTTP requests answered, by view, method and status code.", ("view", "method", "status")
)
HTTP_DURATION = Histogram(
    "catalog_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ("view", "method"),
    DURATION_BUCKETS,
)
STEP_RUNS = Counter("catalog_pipeline_steps", "Pipeline steps finished, by step and outcome.", ("step", "outcome"))
STEP_DURATION = Histogram(
    "catalog_pipeline_step_duration_seconds",
    "Time a pipeline step ran before it finished or failed.",
    ("step", "outcome"),
    STEP_BUCKETS,
)
TASKS = Counter("catalog_celery_tasks", "Celery tasks run by the workers, by task and state.", ("task", "state"))
SEARCHES = Counter(
    "catalog_searches",
    'Searches run, by mode and whether they found nothing (zero-result rate: result="zero" over all).',
    ("mode", "result"),
)
SEARCH_DURATION = Histogram(
    "catalog_search_duration_seconds", "Time to answer a search, by mode.", ("mode",), DURATION_BUCKETS
)
STORAGE_ERRORS = Counter("catalog_storage_errors", "File storage operations that failed, by operation.", ("operation",))
PERIODIC_JOBS = Counter(
    "catalog_periodic_jobs",
    "Periodic job starts, by job and outcome (ran, or skipped as a duplicate).",
    ("job", "outcome"),
)


def step_finished(*, step: str, outcome: str, started_at: datetime | None) -> None:
    """Called by the pipeline when a step ends (done, skipped, failed, retry)."""
    STEP_RUNS.inc(step=step, outcome=outcome)
    if started_at is not None:
        STEP_DURATION.observe(max(0.0, (timezone.now() - started_at).total_seconds()), step=step, outcome=outcome)


def storage_error(operation: str) -> None:
    STORAGE_ERRORS.inc(operation=operation)


def observe_search(func: F) -> F:
    """Wraps ``search()`` at its call boundary: latency per mode, zero results."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        results = func(*args, **kwargs)
        mode = results.mode if results.query else "browse"
        SEARCH_DURATION.observe(time.monotonic() - started, mode=mode)
        SEARCHES.inc(mode=mode, result="zero" if results.total == 0 else "some")
        return results

    return wrapper  # type: ignore[return-value]
