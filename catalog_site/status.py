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
from django.db.models import Q as models_q
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
        # Drop the broken connection now so the next probe reconnects.
        connection.close()
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
    """Configured chains, refused base URLs, open circuits, and today's use
    against each provider's daily budget (``AI_DAILY_BUDGETS``), from the
    AIRun ledger."""
    from django.db.models import Count, Sum

    from ai.checks import unsafe_base_urls
    from ai.models import AIRun, Outcome
    from ai.services import breaker

    providers = getattr(settings, "AI_PROVIDERS", {})
    configured = {capability: [p["backend"] for p in chain] for capability, chain in providers.items()}
    day_start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    today = {
        row["provider"]: row
        for row in AIRun.objects.filter(created_at__gte=day_start)
        .values("provider")
        .annotate(
            calls=Count("id"),
            errors=Count("id", filter=models_q(outcome=Outcome.ERROR)),
            tokens_in=Sum("tokens_in"),
            tokens_out=Sum("tokens_out"),
            cost=Sum("cost"),
        )
    }
    budgets = getattr(settings, "AI_DAILY_BUDGETS", {}) or {}
    usage: dict[str, dict[str, Any]] = {}
    exhausted = []
    for name in sorted({b for chain in configured.values() for b in chain} | set(today)):
        row = today.get(name, {})
        tokens = (row.get("tokens_in") or 0) + (row.get("tokens_out") or 0)
        cost = float(row.get("cost") or 0)
        budget = budgets.get(name) or {}
        entry: dict[str, Any] = {"calls_today": row.get("calls", 0), "errors_today": row.get("errors", 0)}
        entry.update({"tokens_today": tokens, "cost_today": round(cost, 4)})
        if budget.get("tokens"):
            entry["tokens_left"] = max(0, int(budget["tokens"]) - tokens)
            if entry["tokens_left"] == 0:
                exhausted.append(name)
        if budget.get("cost"):
            entry["cost_left"] = round(max(0.0, float(budget["cost"]) - cost), 4)
            if entry["cost_left"] == 0:
                exhausted.append(name)
        usage[name] = entry
    refused = unsafe_base_urls()
    external = sorted({name for chain in configured.values() for name in chain if name != "local"})
    open_circuits = [name for name in external if breaker.open_until(name) is not None]
    detail = "; ".join(refused) if refused else ("configured" if configured else "none configured")
    if open_circuits:
        detail += f"; skipped after repeated failures: {', '.join(open_circuits)}"
    if exhausted:
        detail += f"; daily budget used up: {', '.join(sorted(set(exhausted)))}"
    return {
        "ok": not refused,
        "detail": detail,
        "chains": configured,
        "open_circuits": open_circuits,
        "usage": usage,
    }


def check_queues() -> Check:
    from catalog_site.metrics_collectors import queue_lengths

    try:
        lengths = queue_lengths()
    except Exception as exc:  # redis raises its own errors and OSError
        return {"ok": False, "detail": f"unreachable: {exc.__class__.__name__}", "queues": {}}
    waiting = sum(lengths.values())
    limit = settings.STATUS_QUEUE_WARN_LENGTH
    ok = all(length <= limit for length in lengths.values())
    detail = f"{waiting} waiting" + ("" if ok else f" (a queue is over {limit})")
    return {"ok": ok, "detail": detail, "queues": lengths}


def check_backup() -> Check:
    from catalog_site.models import BackupRecord

    last = BackupRecord.objects.filter(ok=True).order_by("-finished_at").first()
    failed = BackupRecord.objects.filter(ok=False, finished_at__isnull=False).order_by("-finished_at").first()
    if last is None:
        return {"ok": False, "detail": "no export has completed yet"}
    age_hours = (timezone.now() - last.finished_at).total_seconds() / 3600
    ok = age_hours <= settings.BACKUP_MAX_AGE_HOURS
    detail = f"last export {age_hours:.1f} h ago ({last.documents} documents, {last.size} bytes)"
    if failed is not None and failed.finished_at > last.finished_at:
        ok = False
        detail += f"; the latest attempt failed: {failed.error[:200]}"
    return {"ok": ok, "detail": detail, "location": last.location, "finished_at": last.finished_at.isoformat()}


def check_integrity() -> Check:
    from catalog_site.models import IntegrityReport

    report = IntegrityReport.objects.order_by("-created_at").first()
    if report is None:
        return {"ok": False, "detail": "no integrity check has run yet"}
    counts = {kind: len(getattr(report, kind)) for kind in ("missing", "mismatched", "orphaned")}
    if report.error:
        detail = f"check failed: {report.error[:200]}"
    elif report.ok:
        detail = f"{report.checked} files verified"
    else:
        detail = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    return {"ok": report.ok, "detail": detail, "checked_at": report.created_at.isoformat(), **counts}


def check_periodic_jobs() -> Check:
    from catalog_site.models import PeriodicJobRun

    jobs = {
        run.job: {
            "started_at": run.started_at.isoformat(),
            "finished": run.finished_at is not None,
            "runs": run.runs,
            "skipped": run.skipped,
        }
        for run in PeriodicJobRun.objects.filter(runs__gt=0)
    }
    return {"ok": True, "detail": f"{len(jobs)} jobs have run", "jobs": jobs}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
    "storage": check_storage,
    "ai_providers": check_ai_providers,
    "queues": check_queues,
    "backup": check_backup,
    "integrity": check_integrity,
    "periodic_jobs": check_periodic_jobs,
}

# Checks that read the database, skipped when it is down.
_NEEDS_DATABASE = {"migrations", "worker", "beat", "ai_providers", "backup", "integrity", "periodic_jobs"}


def full_report() -> dict[str, Any]:
    report: dict[str, Any] = {}
    database_up = True
    for name, check in CHECKS.items():
        started = time.monotonic()
        if not database_up and name in _NEEDS_DATABASE:
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
