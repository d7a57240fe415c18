"""Running the pipeline: one step of one version at a time, recorded.

Each step holds a PostgreSQL advisory lock while it runs, so a redelivered
task never runs a step twice at once; a worker killed mid-step drops its
connection and with it the lock, so the redelivery (or the sweeper) re-runs
the step. Attempts that started but never finished are counted and the step
is failed after ``Step.max_attempts``.
"""

from __future__ import annotations

import logging
import signal
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalog_site import metrics
from documents.dispatch import enqueue_step
from documents.errors import ProcessingError, StepTimeout, TransientError
from documents.models import Document, DocumentVersion, ProcessingStatus, ProcessingStep, StepState
from documents.pipeline import StepContext, StepSkipped, get_step, registered_steps

logger = logging.getLogger(__name__)

FINISHED_STEP_STATES = (StepState.DONE, StepState.SKIPPED)
FINAL_VERSION_STATES = (ProcessingStatus.READY, ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD)


def version_enqueue(*, version: DocumentVersion, from_step: str | None = None) -> None:
    """(Re)create the version's step rows and enqueue the first unfinished one
    after commit. With ``from_step``, that step and all later ones are reset."""
    steps = registered_steps()
    if not steps:
        _finish_version(version.pk)
        return
    existing = {step.name: step for step in version.steps.all()}
    reset_from = next((s.position for s in steps if s.name == from_step), None) if from_step else None
    for spec in steps:
        row = existing.get(spec.name)
        if row is None:
            ProcessingStep.objects.create(version=version, name=spec.name, position=spec.position)
        elif reset_from is not None and spec.position >= reset_from:
            row.state, row.attempts, row.error = StepState.PENDING, 0, ""
            row.progress_done = row.progress_total = 0
            row.started_at = row.finished_at = None
            row.save()
    DocumentVersion.objects.filter(pk=version.pk).update(status=ProcessingStatus.QUEUED, error="", processed_at=None)
    _sync_document_status(version.pk)
    first = version.steps.exclude(state__in=FINISHED_STEP_STATES).order_by("position").first()
    if first is None:
        _finish_version(version.pk)
    else:
        enqueue_step(version.pk, first.name)


@contextmanager
def _step_lock(version_id: int, step_name: str) -> Iterator[bool]:
    key = zlib.crc32(f"{version_id}:{step_name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [7301, key - 2**31])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [7301, key - 2**31])


def step_execute(*, version_id: int, step_name: str, final_attempt: bool = True) -> None:
    """Run one step. Raises ``TransientError`` only when a retry should follow."""
    spec = get_step(step_name)
    if spec is None:
        logger.warning("Unknown pipeline step %s for version %s", step_name, version_id)
        return
    with _step_lock(version_id, step_name) as acquired:
        if not acquired:
            logger.info("Step %s of version %s is already running elsewhere", step_name, version_id)
            return
        step = _begin(version_id, step_name, spec.max_attempts)
        if step is None:
            return
        structlog.contextvars.bind_contextvars(version_id=version_id, document_id=step.version.document_id)
        context = StepContext(step=step)
        try:
            with step_deadline(settings.PROCESSING_STEP_TIME_LIMIT):
                spec.run(step.version, context)
        except StepSkipped as skipped:
            _end(step, StepState.SKIPPED, note=skipped.reason)
        except ProcessingError as exc:
            _fail(step, exc.reason, version_state=exc.state)
            return
        except (StepTimeout, SoftTimeLimitExceeded):
            limit = min(settings.PROCESSING_STEP_TIME_LIMIT, settings.CELERY_TASK_SOFT_TIME_LIMIT)
            _fail(step, f"timeout: the {step_name} step took longer than {limit:g} s")
            return
        except TransientError as exc:
            if final_attempt:
                _fail(step, f"gave up after repeated temporary errors: {exc.reason}")
                return
            ProcessingStep.objects.filter(pk=step.pk).update(state=StepState.PENDING, error=f"will retry: {exc.reason}")
            metrics.step_finished(step=step.name, outcome="retry", started_at=step.started_at)
            raise
        except Exception as exc:
            # A parser choking on one file must fail that document only.
            logger.exception("Step %s of version %s crashed", step_name, version_id)
            _fail(step, f"could not process the file ({step_name}: {exc.__class__.__name__})")
            return
        else:
            _end(step, StepState.DONE)
    try:
        _advance(version_id)
    except SoftTimeLimitExceeded:
        # Celery's limit landed after the work was done: finish the bookkeeping.
        _advance(version_id)


@contextmanager
def step_deadline(seconds: float) -> Iterator[None]:
    """Raise ``StepTimeout`` in this thread after ``seconds``.

    Celery's soft time limit is not delivered reliably by the prefork pool
    (and may land after the work, in our bookkeeping), so steps carry their
    own alarm; Celery's limits stay as the backstop. Only the main thread
    can take signals, which is where prefork runs tasks.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise StepTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _begin(version_id: int, step_name: str, max_attempts: int) -> ProcessingStep | None:
    with transaction.atomic():
        step = (
            ProcessingStep.objects.select_for_update()
            .select_related("version__document")
            .filter(version_id=version_id, name=step_name)
            .first()
        )
        if step is None:
            return None  # the version was purged, or the step was never planned
        if step.version.status in (ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD):
            return None
        if step.state in FINISHED_STEP_STATES:
            transaction.on_commit(lambda: _advance(version_id))
            return None
        if step.state == StepState.RUNNING and step.attempts >= max_attempts:
            # Every earlier attempt started and never finished: the worker died.
            reason = f"gave up after {step.attempts} attempts: processing crashed or was killed each time"
            _fail_locked(step, reason, ProcessingStatus.FAILED)
            return None
        step.state = StepState.RUNNING
        step.attempts += 1
        step.started_at = timezone.now()
        step.finished_at = None
        step.error = ""
        step.save(update_fields=["state", "attempts", "started_at", "finished_at", "error"])
        DocumentVersion.objects.filter(pk=version_id, status=ProcessingStatus.QUEUED).update(
            status=ProcessingStatus.PROCESSING
        )
        _sync_document_status(version_id)
    step.version.refresh_from_db()
    return step


def _end(step: ProcessingStep, state: StepState, note: str = "") -> None:
    ProcessingStep.objects.filter(pk=step.pk).update(state=state, finished_at=timezone.now(), error=note)
    metrics.step_finished(step=step.name, outcome=str(state), started_at=step.started_at)
    logger.info("Step %s of version %s: %s", step.name, step.version_id, state)


def _fail(step: ProcessingStep, reason: str, version_state: str = ProcessingStatus.FAILED) -> None:
    with transaction.atomic():
        _fail_locked(step, reason, version_state)
    logger.warning("Version %s failed at %s: %s", step.version_id, step.name, reason)


def _fail_locked(step: ProcessingStep, reason: str, version_state: str) -> None:
    ProcessingStep.objects.filter(pk=step.pk).update(state=StepState.FAILED, finished_at=timezone.now(), error=reason)
    metrics.step_finished(step=step.name, outcome=str(StepState.FAILED), started_at=step.started_at)
    DocumentVersion.objects.filter(pk=step.version_id).update(
        status=version_state, error=reason, processed_at=timezone.now()
    )
    _sync_document_status(step.version_id)


def _advance(version_id: int) -> None:
    """Enqueue the next unfinished step, or mark the version ready."""
    following = (
        ProcessingStep.objects.filter(version_id=version_id)
        .exclude(state__in=FINISHED_STEP_STATES)
        .order_by("position")
        .first()
    )
    if following is None:
        _finish_version(version_id)
    elif following.state != StepState.FAILED:
        enqueue_step(version_id, following.name)


def _finish_version(version_id: int) -> None:
    with transaction.atomic():
        DocumentVersion.objects.filter(pk=version_id).exclude(status__in=FINAL_VERSION_STATES).update(
            status=ProcessingStatus.READY, error="", processed_at=timezone.now()
        )
        _sync_document_status(version_id)


def _sync_document_status(version_id: int) -> None:
    """A document's status is its current version's."""
    version = DocumentVersion.objects.filter(pk=version_id).values("status", "document_id").first()
    if version is None:
        return
    Document.objects.filter(pk=version["document_id"], current_version_id=version_id).update(status=version["status"])


def versions_sweep_stuck(*, queued_after: timedelta, running_after: timedelta) -> dict[str, int]:
    """Re-enqueue versions whose work was lost: ``queued`` for too long (the
    broker was down when they were enqueued) or a step ``running`` for longer
    than any task may run (its worker died). Repeated crashes end in failure
    through the attempt count."""
    now = timezone.now()
    requeued = 0
    stale_steps = ProcessingStep.objects.filter(
        state__in=(StepState.PENDING, StepState.RUNNING),
        version__status__in=(ProcessingStatus.QUEUED, ProcessingStatus.PROCESSING),
    )
    queued = stale_steps.filter(state=StepState.PENDING, enqueued_at__lt=now - queued_after)
    running = stale_steps.filter(state=StepState.RUNNING, started_at__lt=now - running_after)
    seen: set[int] = set()
    for step in (queued | running).order_by("version_id", "position").only("version_id", "name", "state"):
        if step.version_id in seen:
            continue
        seen.add(step.version_id)
        with transaction.atomic():
            enqueue_step(step.version_id, step.name)
        requeued += 1
    return {"requeued": requeued}
