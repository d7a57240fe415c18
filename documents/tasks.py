"""Celery tasks of the documents app: thin wrappers around services."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings

from documents import services
from documents.errors import TransientError

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="documents.run_step",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def run_step(self: Task, version_id: int, step_name: str) -> None:
    """Run one pipeline step of one version; the service enqueues the next."""
    services.step_execute(
        version_id=version_id, step_name=step_name, final_attempt=self.request.retries >= self.max_retries
    )


@shared_task(name="documents.sweep_stuck_processing", ignore_result=True)
def sweep_stuck_processing() -> dict[str, int]:
    result = services.versions_sweep_stuck(
        queued_after=timedelta(seconds=settings.PROCESSING_QUEUED_DEADLINE_SECONDS),
        running_after=timedelta(seconds=settings.PROCESSING_RUNNING_DEADLINE_SECONDS),
    )
    if result["requeued"]:
        logger.info("Sweeper re-enqueued %d stuck versions", result["requeued"])
    return result


@shared_task(name="documents.purge_expired_trash", ignore_result=True)
def purge_expired_trash() -> int:
    purged = services.documents_purge_expired()
    if purged:
        logger.info("Purged %d documents past their trash retention", purged)
    return purged
