"""Integrity check (B2), tidy jobs, and periodic jobs running once per slot
even when two beat processes send them (C8)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from pytest_django.fixtures import Settings

from catalog_site import tasks
from catalog_site.models import IntegrityReport, PeriodicJobRun
from catalog_site.periodic import slot_claim
from catalog_site.services import tidy
from documents.models import AuditAction, AuditEvent
from tests.conftest import WorkerProcess, wait_for
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_storage(settings: Settings, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(media)}},
    }
    return media


def test_integrity_check_reports_missing_mismatched_and_orphaned_files(
    local_storage: Path, lib: Library, librarian: Any, admin_client: Client
) -> None:
    intact, lost, altered = (upload(librarian, lib.library, pdf_bytes(f"Doc {n}")) for n in range(3))
    lost_name, altered_name = lost.current_version.file.name, altered.current_version.file.name
    default_storage.delete(lost_name)
    (local_storage / altered_name).write_bytes(b"%PDF-1.7 not what was uploaded")
    stray = default_storage.save("documents/stray/v1-0000.pdf", ContentFile(b"left behind"))

    tasks.integrity_check()

    report = IntegrityReport.objects.get()
    assert report.checked == 3
    assert report.missing == [{"file": lost_name, "version": lost.current_version.pk}]
    assert [(m["file"], m["expected"]) for m in report.mismatched] == [(altered_name, altered.current_version.sha256)]
    assert report.orphaned == [stray]
    assert not report.ok
    # shown in the admin and on the status page
    listing = admin_client.get("/admin/catalog_site/integrityreport/").content.decode()
    assert "integrity" in listing.lower() and ">1<" in listing
    status_check = admin_client.get("/status.json").json()["checks"]["integrity"]
    assert status_check["detail"] == "1 missing, 1 mismatched, 1 orphaned"
    assert status_check["ok"] is False
    assert intact.current_version.file.name not in str(report.missing + report.mismatched + report.orphaned)


def test_integrity_check_of_a_healthy_catalog_is_ok(local_storage: Path, lib: Library, librarian: Any) -> None:
    upload(librarian, lib.library, pdf_bytes("Fine"))

    tasks.integrity_check()

    report = IntegrityReport.objects.get()
    assert report.ok and report.checked == 1


def test_orphaned_blobs_are_deleted_only_after_the_grace_period(
    local_storage: Path, lib: Library, librarian: Any
) -> None:
    kept = upload(librarian, lib.library, pdf_bytes("Kept")).current_version.file.name
    old = default_storage.save("previews/gone/v1/thumb_small-1.webp", ContentFile(b"old"))
    fresh = default_storage.save("documents/in-flight/v1-1111.pdf", ContentFile(b"upload in progress"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(local_storage / old, (two_days_ago, two_days_ago))

    deleted = tidy.orphans_delete(older_than=timedelta(hours=24))

    assert deleted == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(fresh) and default_storage.exists(kept)


def test_stale_temporary_uploads_are_deleted(tmp_path: Path) -> None:
    stale, fresh, unrelated = tmp_path / "catalog-upload-abc", tmp_path / "catalog-upload-def", tmp_path / "other"
    for path in (stale, fresh, unrelated):
        path.write_bytes(b"x")
    os.utime(stale, (time.time() - 3 * 86400,) * 2)
    os.utime(unrelated, (time.time() - 3 * 86400,) * 2)

    deleted = tidy.temp_files_delete(older_than=timedelta(hours=24), directory=str(tmp_path))

    assert deleted == 1
    assert not stale.exists() and fresh.exists() and unrelated.exists()


def test_audit_events_past_retention_are_pruned(lib: Library, librarian: Any) -> None:
    document = upload(librarian, lib.library, pdf_bytes("Audited"))
    old = AuditEvent.objects.create(action=AuditAction.DOWNLOAD, object_type="document", object_id=str(document.pk))
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))

    assert tidy.audit_events_prune(retention_days=365) == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.UPLOAD).exists()


def test_setup_creates_every_tidy_job_with_an_expiry_shorter_than_its_interval() -> None:
    call_command("setup_periodic_tasks", verbosity=0)

    tasks_by_name = {task.task: task for task in PeriodicTask.objects.filter(name__startswith="catalog: ")}
    assert {
        "documents.purge_expired_trash",
        "documents.sweep_stuck_processing",
        "search.embed_backlog",
        "catalog_site.integrity_check",
        "catalog_site.delete_orphans",
        "catalog_site.prune_audit_events",
    } <= set(tasks_by_name)
    for task in tasks_by_name.values():
        assert 0 < task.expire_seconds < task.interval.every


def test_a_second_start_in_the_same_slot_is_skipped_and_the_next_slot_runs() -> None:
    assert slot_claim("catalog: Integrity check") is True
    assert slot_claim("catalog: Integrity check") is False

    PeriodicJobRun.objects.filter(job="catalog: Integrity check").update(
        started_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    assert slot_claim("catalog: Integrity check") is True
    run = PeriodicJobRun.objects.get(job="catalog: Integrity check")
    assert (run.runs, run.skipped) == (2, 1)


@pytest.mark.worker
def test_a_job_sent_by_two_overlapping_beats_runs_once(celery_worker_process: WorkerProcess) -> None:
    """Both beats send the job with django-celery-beat's header; the real
    worker runs the first and skips the second. Each run writes a report, so
    a double run would show as two rows."""
    headers = {"periodic_task_name": "catalog: Integrity check"}

    tasks.integrity_check.apply_async(headers=headers)
    tasks.integrity_check.apply_async(headers=headers)

    run = wait_for(
        lambda: PeriodicJobRun.objects.filter(job="catalog: Integrity check", runs=1, skipped=1).first(), timeout=30
    )
    assert run.finished_at is not None
    assert IntegrityReport.objects.count() == 1
    # a job started by hand (no beat header) is never held back
    tasks.integrity_check.apply_async()
    wait_for(lambda: IntegrityReport.objects.count() == 2, timeout=30)
