"""Enqueueing pipeline work: always after the surrounding transaction commits.

``robust=True``: if the broker is down the commit still stands; the version
stays ``queued`` and the sweeper enqueues it once the broker is back.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from documents.models import ProcessingStep
from documents.pipeline import get_step

logger = logging.getLogger(__name__)


def enqueue_step(version_id: int, step_name: str, *, countdown: float | None = None) -> None:
    step = get_step(step_name)
    if step is None:
        logger.warning("Not enqueueing unknown pipeline step %s", step_name)
        return

    ProcessingStep.objects.filter(version_id=version_id, name=step_name).update(enqueued_at=timezone.now())

    def send() -> None:
        from documents.tasks import run_step

        run_step.apply_async(args=[version_id, step_name], queue=step.queue, countdown=countdown)

    transaction.on_commit(send, robust=True)
