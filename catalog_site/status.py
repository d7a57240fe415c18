"""Checks behind ``/healthz`` (liveness) and the staff status report.

Each check is bounded by short timeouts so a missing dependency shows up as
``ok: false`` with a reason instead of hanging the page.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from catalog_site.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

Check = dict[str, Any]


def database_alive() -> bool:
    """The liveness probe: one ``SELECT 1``, nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("Liveness: database unreachable", exc_info=True)
        return False


def record_heartbeat(*, worker: str) -> None:
    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"seen_at": timezone.now()})


def check_database() -> Check:
    ok = database_alive()
    return {"ok": ok, "detail": "reachable" if ok else "unreachable"}


def check_migrations() -> Check:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    return {
        "ok": not pending,
        "detail": "all applied" if not pending else f"{len(pending)} pending",
        "pending": pending,
    }


def check_broker() -> Check:
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "detail": f"unreachable: {exc.__class__.__name__}"}
    finally:
        client.close()
    return {"ok": True, "detail": "reachable"}


def check_worker() -> Check:
    now = timezone.now()
    workers = {beat.worker: int((now - beat.seen_at).total_seconds()) for beat in WorkerHeartbeat.objects.all()[:50]}
    alive = [name for name, age in workers.items() if age <= settings.HEARTBEAT_MAX_AGE_SECONDS]
    if not workers:
        return {"ok": False, "detail": "no heartbeat recorded yet", "workers": {}}
    detail = f"{len(alive)} alive" if alive else f"none alive; last seen {min(workers.values())}s ago"
    return {"ok": bool(alive), "detail": detail, "workers": workers}


def check_beat() -> Check:
    from django.db.models import Max
    from django_celery_beat.models import PeriodicTask

    last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    if last is None:
        return {"ok": False, "detail": "no periodic task has run yet"}
    age = (timezone.now() - last).total_seconds()
    ok = age <= settings.HEARTBEAT_MAX_AGE_SECONDS
    return {"ok": ok, "detail": f"last run {int(age)}s ago", "last_run": last.isoformat()}


def check_storage() -> Check:
    name = f"status-probes/{uuid.uuid4().hex}.txt"
    try:
        saved = default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(saved)
    except Exception as exc:  # storage backends raise many kinds of errors
        return {"ok": False, "detail": f"not writable: {exc.__class__.__name__}"}
    return {"ok": True, "detail": f"writable ({default_storage.__class__.__name__})"}


def check_ai_providers() -> Check:
    from ai.checks import unsafe_base_urls
    from ai.services import breaker

    providers = getattr(settings, "AI_PROVIDERS", {})
    configured = {capability: [p["backend"] for p in chain] for capability, chain in providers.items()}
    refused = unsafe_base_urls()
    external = sorted({name for chain in configured.values() for name in chain if name != "local"})
    open_circuits = [name for name in external if breaker.open_until(name) is not None]
    if refused:
        detail = "; ".join(refused)
    elif open_circuits:
        detail = f"configured; skipped after repeated failures: {', '.join(open_circuits)}"
    else:
        detail = "configured" if configured else "none configured"
    return {"ok": not refused, "detail": detail, "chains": configured, "open_circuits": open_circuits}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
    "storage": check_storage,
    "ai_providers": check_ai_providers,
}


def full_report() -> dict[str, Any]:
    report: dict[str, Any] = {}
    database_up = True
    for name, check in CHECKS.items():
        started = time.monotonic()
        if not database_up and name in {"migrations", "beat"}:
            result: Check = {"ok": False, "detail": "skipped: database unreachable"}
        else:
            try:
                result = check()
            except Exception as exc:  # one broken check must not hide the others
                logger.exception("Status check %s failed", name)
                result = {"ok": False, "detail": f"check failed: {exc.__class__.__name__}"}
        result["ms"] = round((time.monotonic() - started) * 1000, 1)
        report[name] = result
        if name == "database":
            database_up = result["ok"]
    return {"ok": all(item["ok"] for item in report.values()), "checks": report}
