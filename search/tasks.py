"""Search's periodic work."""

from __future__ import annotations

import logging

from celery import shared_task

from search.services import embed, index

logger = logging.getLogger(__name__)
BATCH = 256


@shared_task(name="search.embed_backlog", ignore_result=True, acks_late=True)
def embed_backlog() -> dict[str, int]:
    """Fill the configured embedding space (after a model change, or work lost
    earlier) a batch at a time; resumable by construction."""
    result = embed.backlog_drain(batch=BATCH)
    if result["computed"]:
        logger.info("Embedded %d backlog passages", result["computed"])
    if result["chunks"] == BATCH:
        # More is waiting: keep going now rather than at the next slot.
        embed_backlog.apply_async(countdown=1)
    return result


@shared_task(name="search.term_statistics_rebuild", ignore_result=True)
def term_statistics_rebuild() -> int:
    """Recount the keyword term statistics (purges and concurrent edits let
    the running counts drift slightly)."""
    lexemes = index.term_statistics_rebuild()
    logger.info("Recounted %d lexemes", lexemes)
    return lexemes
