"""Periodic jobs run once per slot, even when two beat processes overlap.

A deploy starts the new beat before the old one has stopped, so for a moment
both send the same job. Every job sent by beat (django-celery-beat marks its
messages with a ``periodic_task_name`` header) first claims its slot: one
conditional ``UPDATE`` on its ``PeriodicJobRun`` row that succeeds only if the
last start is older than ``PERIODIC_SLOT_FRACTION`` of the job's interval.
PostgreSQL re-checks that condition after a concurrent update commits, so of
two starts racing for a slot exactly one wins. Keyed by the job rather than
by the clock, so two beats a few seconds apart on either side of a slot
boundary still count as one slot. Jobs run by hand are not affected.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from catalog_site import metrics

logger = logging.getLogger(__name__)

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def job_interval(job: str) -> float | None:
    """The interval of a periodic job, from its declaration (or the beat table)."""
    from django_celery_beat.models import PeriodicTask

    from catalog_site.management.commands.setup_periodic_tasks import MANAGED_PREFIX

    for spec in settings.CATALOG_PERIODIC_TASKS:
        if MANAGED_PREFIX + spec["name"] == job:
            return float(spec["every_seconds"])
    task = PeriodicTask.objects.filter(name=job).select_related("interval").first()
    if task is not None and task.interval is not None:
        return float(task.interval.every * {"days": 86400, "hours": 3600, "minutes": 60}.get(task.interval.period, 1))
    return None


def slot_claim(job: str, *, interval: float | None = None) -> bool:
    """True if this start owns the job's current slot; False if another start
    already ran in it (the skip is counted)."""
    from catalog_site.models import PeriodicJobRun

    interval = interval if interval is not None else job_interval(job)
    if not interval:
        return True
    now = timezone.now()
    PeriodicJobRun.objects.get_or_create(job=job, defaults={"started_at": _LONG_AGO})
    threshold = now - timedelta(seconds=interval * settings.PERIODIC_SLOT_FRACTION)
    claimed = PeriodicJobRun.objects.filter(job=job, started_at__lte=threshold).update(
        started_at=now, finished_at=None, runs=F("runs") + 1
    )
    if not claimed:
        PeriodicJobRun.objects.filter(job=job).update(skipped=F("skipped") + 1)
        logger.info("Periodic job %s already ran in this slot; skipping", job)
    metrics.PERIODIC_JOBS.inc(job=job, outcome="ran" if claimed else "skipped")
    return bool(claimed)


def slot_finish(job: str, result: Any) -> None:
    from catalog_site.models import PeriodicJobRun

    stored = result if isinstance(result, dict | list | int | float | str | bool) or result is None else str(result)
    PeriodicJobRun.objects.filter(job=job).update(finished_at=timezone.now(), result={"result": stored})
