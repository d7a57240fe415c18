"""Upload files into a throw-away catalog and time real workers processing
them: the end-to-end half of the ingest benchmark, reusable by others.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.results import Stats
from bench.stack import Worker, running_catalog

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.05


@dataclass(frozen=True)
class StepTimes:
    """Durations of one pipeline step over every document, from its finished
    rows (done or skipped: a skipped step still costs its time)."""

    name: str
    stats_ms: Stats
    total_s: float
    skipped: int


@dataclass(frozen=True)
class IngestRun:
    documents: int
    pages: int
    upload_s: float  # first upload started -> last upload committed
    wall_s: float  # first upload started -> every document final
    steps: list[StepTimes]
    step_names: list[str]  # registered when the run started, in order
    previews_per_document: float
    preview_max_pages: int
    services: str


def wait_until_final(document_ids: list[int], timeout: float) -> None:
    from documents.models import Document, ProcessingStatus

    final = [ProcessingStatus.READY, ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD]
    deadline = time.monotonic() + timeout
    pending = Document.objects.filter(pk__in=document_ids).exclude(status__in=final)
    while pending.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending.count()} documents were not processed within {timeout:.0f} s")
        time.sleep(POLL_INTERVAL_S)


def step_times(document_ids: list[int]) -> list[StepTimes]:
    from documents.models import ProcessingStep, StepState
    from documents.pipeline import registered_steps

    rows = ProcessingStep.objects.filter(version__document_id__in=document_ids, finished_at__isnull=False)
    times = []
    for spec in registered_steps():
        finished = list(rows.filter(name=spec.name).only("state", "started_at", "finished_at"))
        durations = [(row.finished_at - row.started_at).total_seconds() for row in finished]
        if durations:
            skipped = sum(row.state == StepState.SKIPPED for row in finished)
            times.append(StepTimes(spec.name, Stats.of(durations).scaled(1000), sum(durations), skipped))
    return times


def services_versions() -> str:
    import redis
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    info = redis.Redis.from_url(settings.REDIS_URL).info("server")
    broker = info.get("valkey_version") or info.get("redis_version", "?")
    return f"PostgreSQL {postgres}, Valkey {broker} (both embedded)"


def ingest_with_worker(files: Sequence[tuple[str, bytes]], *, concurrency: int = 1, timeout: float = 1800) -> IngestRun:
    """Start a catalog and one worker, upload ``files`` (name, bytes) one
    after another through ``document_create`` into a collection whose AI
    policy is ``disabled`` while the worker consumes, and wait until every
    document is final. Raises if any is not ``ready``."""
    with running_catalog() as catalog:
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from documents import services
        from documents.models import AIPolicy, Collection, DocumentVersion, ProcessingStatus, VersionPreview
        from documents.pipeline import registered_steps

        step_names = [spec.name for spec in registered_steps()]
        user = get_user_model().objects.create_superuser(username="bench", email="bench@example.invalid")
        # The supported switch for "AI steps off": AI steps skip this collection.
        collection = Collection(name="Benchmark", slug="benchmark", ai_policy=AIPolicy.DISABLED)
        collection.full_clean()
        collection.save()
        with Worker(catalog, concurrency=concurrency) as worker:
            logger.info("Uploading %d files", len(files))
            started = time.perf_counter()
            ids = [
                services.document_create(user=user, collection=collection, stream=io.BytesIO(data), filename=name).pk
                for name, data in files
            ]
            upload_s = time.perf_counter() - started
            try:
                wait_until_final(ids, timeout)
            except TimeoutError:
                logger.error("Worker log ends:\n%s", worker.log_tail())
                raise
            wall_s = time.perf_counter() - started
        logger.info("All %d documents final %.1f s after the first upload", len(ids), wall_s)

        versions = DocumentVersion.objects.filter(document_id__in=ids)
        failed = versions.exclude(status=ProcessingStatus.READY)
        if failed.exists():
            reasons = "; ".join(f"{v.original_filename}: {v.status} ({v.error})" for v in failed)
            logger.error("Worker log ends:\n%s", worker.log_tail())
            raise RuntimeError(f"not every document became ready: {reasons}")
        return IngestRun(
            documents=len(ids),
            pages=sum(versions.values_list("page_count", flat=True)),
            upload_s=upload_s,
            wall_s=wall_s,
            steps=step_times(ids),
            step_names=step_names,
            previews_per_document=VersionPreview.objects.filter(version__in=versions).count() / len(ids),
            preview_max_pages=settings.PREVIEW_MAX_PAGES,
            services=services_versions(),
        )
