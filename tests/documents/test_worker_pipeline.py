"""The pipeline through a real Celery worker and the real broker: the shared
PDF corpus, a worker killed mid-step, crashes and time limits
(rows C1, C2, C3 and U6 of the checklist)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from documents.demo.pdfwriter import render_pdf
from documents.models import Document, PreviewKind, ProcessingStatus, ProcessingStep, StepState, VersionPreview
from tests.conftest import WorkerProcess, wait_for
from tests.library import CORPUS, Library, upload

pytestmark = pytest.mark.worker
FINAL = {ProcessingStatus.READY, ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD}


def big_pdf(pages: int) -> bytes:
    paragraph = "Boundary layer transition on a swept wing at moderate Reynolds number. " * 12
    return render_pdf("A long report", [paragraph] * (pages * 4))


def wait_until_final(documents: list[Document], timeout: float) -> None:
    ids = [d.pk for d in documents]

    def all_final() -> bool:
        return set(Document.objects.filter(pk__in=ids).values_list("status", flat=True)) <= FINAL

    try:
        wait_for(all_final, timeout=timeout, interval=0.5)
    except AssertionError as exc:
        steps = ProcessingStep.objects.filter(version__document_id__in=ids).order_by("version_id", "position")
        states = [(s.name, s.state, s.attempts, f"{s.progress_done}/{s.progress_total}", s.error[:80]) for s in steps]
        raise AssertionError(f"{exc}; steps: {states}") from None


def test_every_corpus_pdf_reaches_ready_with_text_and_thumbnail(
    lib: Library, librarian, celery_worker_process: WorkerProcess
) -> None:
    # files.json describes a larger collection; these are the ones shipped here
    listing = {entry["path"].split("/")[-1]: entry for entry in json.loads((CORPUS / "files.json").read_text())["data"]}
    shipped = sorted(CORPUS.glob("*.pdf"))
    assert len(shipped) >= 10, f"the shared corpus is missing from {CORPUS}"
    documents = {}
    for path in shipped:
        entry = listing[path.name]
        documents[path.name] = (entry, upload(librarian, lib.library, path.read_bytes(), filename=path.name))

    wait_until_final([doc for _, doc in documents.values()], timeout=240)

    for name, (entry, document) in documents.items():
        document.refresh_from_db()
        version = document.current_version
        if entry["encrypted"]:
            assert document.status == ProcessingStatus.NEEDS_PASSWORD, name
            assert "password" in version.error
            continue
        assert document.status == ProcessingStatus.READY, f"{name}: {version.error}"
        assert version.page_count == entry["pages"], name
        assert version.previews.filter(kind=PreviewKind.THUMB_SMALL).count() == 1, name
        assert version.pages.count() == entry["pages"], name


def test_worker_killed_mid_step_resumes_after_restart_and_keeps_one_preview_set(
    lib: Library, librarian, worker_factory: Callable[..., WorkerProcess]
) -> None:
    # given a worker that redelivers unacknowledged work quickly after a crash
    worker = worker_factory(
        CELERY_VISIBILITY_TIMEOUT="3", CELERY_UNACKED_RESTORE_INTERVAL="1", CELERY_UNACKED_RESTORE_THROTTLE="1"
    )
    document = upload(librarian, lib.library, big_pdf(pages=2500), filename="long.pdf")
    version = document.current_version

    # when the worker is SIGKILLed while extraction is running
    wait_for(
        lambda: ProcessingStep.objects.filter(version=version, name="extract", state=StepState.RUNNING).exists(),
        timeout=60,
        interval=0.05,
    )
    time.sleep(0.5)
    worker.kill()
    step = ProcessingStep.objects.get(version=version, name="extract")
    assert step.state == StepState.RUNNING and step.finished_at is None

    # then a restarted worker finishes the document
    worker.start()
    wait_until_final([document], timeout=300)
    document.refresh_from_db()
    assert document.status == ProcessingStatus.READY, document.current_version.error
    step.refresh_from_db()
    version.refresh_from_db()
    assert step.attempts == 2
    # and there is exactly one page set and one preview set
    assert version.pages.count() == version.page_count
    assert VersionPreview.objects.filter(version=version, kind=PreviewKind.THUMB_SMALL).count() == 1
    assert VersionPreview.objects.filter(version=version, kind=PreviewKind.PAGE).count() == 20


def test_document_that_crashes_its_worker_process_every_time_is_failed_and_the_queue_flows(
    lib: Library,
    librarian,
    celery_worker_process: WorkerProcess,
) -> None:
    # given a document whose processing crashes the pool process every time
    # (the test kills it mid-step, as a segfault in a parser would)
    crasher = upload(librarian, lib.library, big_pdf(pages=2500), filename="crasher.pdf")
    step = ProcessingStep.objects.filter(version=crasher.current_version, name="extract")
    for attempt in (1, 2, 3):
        wait_for(lambda a=attempt: step.filter(state=StepState.RUNNING, attempts=a).exists(), timeout=60, interval=0.05)
        assert celery_worker_process.kill_pool_processes() == 1
    small = upload(librarian, lib.library, render_pdf("Small", ["fits easily"]), filename="small.pdf")

    # then it is retried at most three times and failed; the next document still flows
    wait_until_final([crasher, small], timeout=120)
    crasher.refresh_from_db()
    small.refresh_from_db()
    assert crasher.status == ProcessingStatus.FAILED
    assert "gave up after 3 attempts" in crasher.current_version.error
    assert step.get().attempts == 3
    assert small.status == ProcessingStatus.READY


def test_step_over_its_soft_time_limit_fails_with_timeout_and_the_worker_continues(
    lib: Library, librarian, worker_factory: Callable[..., WorkerProcess]
) -> None:
    worker_factory(PROCESSING_STEP_TIME_LIMIT="1")
    slow = upload(librarian, lib.library, big_pdf(pages=2500), filename="slow.pdf")
    quick = upload(librarian, lib.library, render_pdf("Quick", ["done in no time"]), filename="quick.pdf")

    wait_until_final([slow, quick], timeout=180)

    slow.refresh_from_db()
    quick.refresh_from_db()
    assert slow.status == ProcessingStatus.FAILED
    assert slow.current_version.error.startswith("timeout:")
    assert quick.status == ProcessingStatus.READY
