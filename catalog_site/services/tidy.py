"""Tidy jobs: orphaned blobs, stale temporary uploads, old audit events."""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from catalog_site.models import IntegrityReport
from catalog_site.services.integrity import orphaned_files
from documents.models import AuditEvent
from documents.storage import storage

logger = logging.getLogger(__name__)

TEMP_PREFIXES = ("catalog-upload-", "catalog-export-", "catalog-import-")


def orphans_delete(*, older_than: timedelta | None = None) -> int:
    """Delete blobs no row refers to, once they are older than the grace
    period (a blob is written before its row commits)."""
    older_than = older_than if older_than is not None else timedelta(hours=settings.ORPHAN_GRACE_HOURS)
    store = storage()
    cutoff = timezone.now() - older_than
    deleted = 0
    for name in orphaned_files(store):
        try:
            if store.get_modified_time(name) > cutoff:
                continue
            store.delete(name)
        except FileNotFoundError:
            continue
        deleted += 1
        logger.info("Deleted orphaned blob %s", name)
    return deleted


def temp_files_delete(*, older_than: timedelta | None = None, directory: str | None = None) -> int:
    """Delete temporary files our uploads, exports and imports left behind
    (a killed process cannot clean up after itself)."""
    older_than = older_than if older_than is not None else timedelta(hours=settings.ORPHAN_GRACE_HOURS)
    folder = Path(directory or settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    cutoff = time.time() - older_than.total_seconds()
    deleted = 0
    for path in folder.iterdir() if folder.is_dir() else []:
        if not path.name.startswith(TEMP_PREFIXES) and not path.name.endswith(".upload"):
            continue
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except OSError:
            continue
    return deleted


def audit_events_prune(*, retention_days: int | None = None) -> int:
    """Delete audit events (and old integrity reports) past the retention."""
    days = retention_days if retention_days is not None else settings.AUDIT_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    IntegrityReport.objects.filter(created_at__lt=cutoff).delete()
    if deleted:
        logger.info("Pruned %d audit events older than %d days", deleted, days)
    return deleted
