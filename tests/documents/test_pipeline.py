"""The processing pipeline, step by step, run in-process (the worker tests
run the same steps through a real Celery worker)."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from documents import services
from documents.errors import TransientError
from documents.models import (
    AuditEvent,
    Document,
    DocumentVersion,
    PreviewKind,
    ProcessingStatus,
    ProcessingStep,
    StepState,
    VersionPreview,
)
from documents.pipeline import Step, get_step
from tests.library import CORPUS, Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def run_pipeline(version: DocumentVersion) -> DocumentVersion:
    """Run every planned step in order, as the worker would."""
    for step in version.steps.order_by("position"):
        services.step_execute(version_id=version.pk, step_name=step.name)
    version.refresh_from_db()
    return version


def test_pdf_is_extracted_previewed_and_ready(lib: Library, librarian) -> None:
    document = upload(librarian, lib.library, pdf_bytes(title="Wind tunnel", text="Slats delay the stall. " * 400))

    version = run_pipeline(document.current_version)
    document.refresh_from_db()

    assert version.status == ProcessingStatus.READY and document.status == ProcessingStatus.READY
    assert version.page_count > 1
    assert version.pages.count() == version.page_count
    assert "Slats delay the stall" in version.pages.get(number=1).text
    kinds = sorted(version.previews.values_list("kind", "page"))
    pages = [("page", n) for n in range(1, version.page_count + 1)]
    assert kinds == [*pages, ("thumb_medium", 1), ("thumb_small", 1)]
    assert set(version.steps.values_list("state", flat=True)) == {StepState.DONE}


def test_running_a_step_twice_keeps_exactly_one_preview_set(lib: Library, librarian) -> None:
    version = run_pipeline(upload(librarian, lib.library, pdf_bytes()).current_version)
    first = sorted(version.previews.values_list("kind", "page", "file"))

    services.version_enqueue(version=version, from_step="previews")
    services.step_execute(version_id=version.pk, step_name="previews")

    assert sorted(version.previews.values_list("kind", "page", "file")) == first
    assert VersionPreview.objects.filter(version=version, kind=PreviewKind.THUMB_SMALL).count() == 1


def test_corrupt_pdf_fails_that_document_only(lib: Library, librarian) -> None:
    good = upload(librarian, lib.library, pdf_bytes(text="healthy"))
    broken_bytes = pdf_bytes(text="broken")[:300]
    broken = upload(librarian, lib.library, broken_bytes, filename="broken.pdf")

    broken_version = run_pipeline(broken.current_version)
    good_version = run_pipeline(good.current_version)

    assert broken_version.status == ProcessingStatus.FAILED
    assert "corrupt" in broken_version.error
    assert good_version.status == ProcessingStatus.READY


def test_password_protected_pdf_ends_in_needs_password(lib: Library, librarian) -> None:
    data = (CORPUS / "libreoffice-writer-password.pdf").read_bytes()

    version = run_pipeline(upload(librarian, lib.library, data).current_version)

    assert version.status == ProcessingStatus.NEEDS_PASSWORD
    assert "password" in version.error
    assert version.steps.get(name="previews").state == StepState.PENDING


def test_step_that_never_finished_max_attempts_times_is_failed(lib: Library, librarian) -> None:
    version = upload(librarian, lib.library, pdf_bytes()).current_version
    # given three attempts that started and never finished (the worker died each time)
    ProcessingStep.objects.filter(version=version, name="extract").update(
        state=StepState.RUNNING, attempts=get_step("extract").max_attempts, started_at=timezone.now()
    )

    services.step_execute(version_id=version.pk, step_name="extract")
    version.refresh_from_db()

    assert version.status == ProcessingStatus.FAILED
    assert "gave up after 3 attempts" in version.error


def _replace_step(monkeypatch: pytest.MonkeyPatch, name: str, func) -> None:
    from documents import pipeline

    original = pipeline._registry[name]
    monkeypatch.setitem(
        pipeline._registry,
        name,
        Step(name=name, position=original.position, run=func, queue=original.queue, max_attempts=original.max_attempts),
    )


def test_soft_time_limit_fails_the_step_with_timeout(lib: Library, librarian, monkeypatch) -> None:
    def slow(version: DocumentVersion, context: object) -> None:
        raise SoftTimeLimitExceeded

    _replace_step(monkeypatch, "extract", slow)
    version = run_pipeline(upload(librarian, lib.library, pdf_bytes()).current_version)

    assert version.status == ProcessingStatus.FAILED
    assert version.error.startswith("timeout:")


def test_transient_error_is_retried_then_fails_visibly(lib: Library, librarian, monkeypatch) -> None:
    def flaky(version: DocumentVersion, context: object) -> None:
        raise TransientError("storage answered 503")

    _replace_step(monkeypatch, "extract", flaky)
    version = upload(librarian, lib.library, pdf_bytes()).current_version

    with pytest.raises(TransientError):
        services.step_execute(version_id=version.pk, step_name="extract", final_attempt=False)
    step = version.steps.get(name="extract")
    assert step.state == StepState.PENDING and "will retry" in step.error

    services.step_execute(version_id=version.pk, step_name="extract", final_attempt=True)
    version.refresh_from_db()
    assert version.status == ProcessingStatus.FAILED
    assert "storage answered 503" in version.error


def test_enqueue_inside_a_rolled_back_transaction_sends_nothing(
    lib: Library, librarian, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        upload(librarian, lib.library, pdf_bytes())
        raise RuntimeError("rolled back")

    assert callbacks == []


def test_sweeper_re_enqueues_stuck_versions(lib: Library, librarian, django_capture_on_commit_callbacks) -> None:
    stale = upload(librarian, lib.library, pdf_bytes(text="stale")).current_version
    fresh = upload(librarian, lib.library, pdf_bytes(text="fresh")).current_version
    crashed = upload(librarian, lib.library, pdf_bytes(text="crashed")).current_version
    long_ago = timezone.now() - timedelta(hours=2)
    fresh_enqueued_at = fresh.steps.get(name="extract").enqueued_at
    ProcessingStep.objects.filter(version=stale, name="extract").update(enqueued_at=long_ago)
    ProcessingStep.objects.filter(version=crashed, name="extract").update(
        state=StepState.RUNNING, started_at=long_ago, enqueued_at=long_ago
    )

    with django_capture_on_commit_callbacks() as callbacks:
        result = services.versions_sweep_stuck(queued_after=timedelta(minutes=10), running_after=timedelta(minutes=10))

    assert result == {"requeued": 2}
    assert len(callbacks) == 2
    # re-enqueueing stamps the step again; the fresh one was left alone
    assert stale.steps.get(name="extract").enqueued_at > long_ago
    assert crashed.steps.get(name="extract").enqueued_at > long_ago
    assert fresh.steps.get(name="extract").enqueued_at == fresh_enqueued_at


def test_step_running_past_its_time_limit_is_stopped_and_failed(lib: Library, librarian, monkeypatch, settings) -> None:
    settings.PROCESSING_STEP_TIME_LIMIT = 0.2

    def stuck(version: DocumentVersion, context: object) -> None:
        # a parser that swallows every Exception must not hide the timeout
        with contextlib.suppress(Exception):
            time.sleep(5)

    _replace_step(monkeypatch, "extract", stuck)
    started = time.monotonic()
    version = run_pipeline(upload(librarian, lib.library, pdf_bytes()).current_version)

    assert time.monotonic() - started < 3
    assert version.status == ProcessingStatus.FAILED
    assert version.error == "timeout: the extract step took longer than 0.2 s"


def _docx_bomb(path_size_mb: int = 200) -> bytes:
    """A structurally valid DOCX whose document.xml inflates to ``path_size_mb`` MB."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(path_size_mb):
                entry.write(chunk)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""
    import io
    import struct
    import zlib

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def test_zip_bomb_and_pixel_bomb_fail_their_document_only(lib: Library, librarian) -> None:
    bomb = upload(librarian, lib.library, _docx_bomb(), filename="bomb.docx")
    pixels = upload(librarian, lib.library, _png_claiming(50_000, 50_000), filename="huge.png")
    fine = upload(librarian, lib.library, pdf_bytes(text="still fine"))
    started = time.monotonic()

    bomb_version = run_pipeline(bomb.current_version)
    pixel_version = run_pipeline(pixels.current_version)

    assert time.monotonic() - started < 10
    assert bomb_version.status == ProcessingStatus.FAILED and "zip bomb" in bomb_version.error
    assert pixel_version.status == ProcessingStatus.FAILED and "pixels" in pixel_version.error
    assert run_pipeline(fine.current_version).status == ProcessingStatus.READY


def test_trash_past_retention_is_purged_with_its_files_after_commit(
    lib: Library, librarian, django_capture_on_commit_callbacks
) -> None:
    from django.core.files.storage import default_storage

    old = run_pipeline(upload(librarian, lib.library, pdf_bytes(text="old")).current_version).document
    recent = upload(librarian, lib.library, pdf_bytes(text="recent"))
    services.documents_trash(user=librarian, documents=[old, recent])
    Document.objects.filter(pk=old.pk).update(trashed_at=timezone.now() - timedelta(days=31))
    blobs = [old.current_version.file.name, *old.current_version.previews.values_list("file", flat=True)]
    assert len(blobs) > 2 and all(default_storage.exists(name) for name in blobs)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        purged = services.documents_purge_expired()
        # files are still there until the transaction commits
        assert all(default_storage.exists(name) for name in blobs)
    for callback in callbacks:
        callback()

    assert purged == 1
    assert not Document.objects.filter(pk=old.pk).exists()
    assert Document.objects.filter(pk=recent.pk).exists()
    assert not any(default_storage.exists(name) for name in blobs)
    assert AuditEvent.objects.filter(action="purge", document_uuid=old.uuid).exists()
