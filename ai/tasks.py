"""Celery tasks of the AI capabilities: thin wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from ai.errors import AIDisabled
from ai.services.gateway import NoProviderAvailable
from ai.services.summaries import version_summarise
from documents.models import DocumentVersion

logger = logging.getLogger(__name__)


@shared_task(
    name="ai.regenerate_summary",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(NoProviderAvailable,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    ignore_result=True,
)
def regenerate_summary(version_id: int, user_id: int | None = None) -> None:
    """Summarise a version again, asking the providers afresh."""
    version = DocumentVersion.objects.select_related("document__collection").filter(pk=version_id).first()
    if version is None:
        return
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        version_summarise(version=version, user=user, force=True)
    except AIDisabled:
        logger.info("Not summarising version %s: AI is disabled for its collection", version_id)
