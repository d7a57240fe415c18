"""Stored checksums against the blobs: what is missing, what no longer
matches, and what storage holds that no row refers to (CHECKLIST B2)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator

from django.core.files.storage import Storage

from catalog_site import metrics
from catalog_site.models import IntegrityReport
from documents.models import DocumentVersion, VersionPreview
from documents.storage import storage

logger = logging.getLogger(__name__)

# Where the catalog keeps blobs (see documents.storage): anything under these
# prefixes should belong to a row.
MANAGED_PREFIXES = ("documents", "previews")
# Lists in a report are capped so that a disaster does not make a huge row.
REPORT_CAP = 5000


def storage_walk(store: Storage, prefix: str) -> Iterator[str]:
    """Every file name under ``prefix``, through the storage API (local or S3)."""
    try:
        directories, files = store.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{prefix}/{name}"
    for directory in directories:
        yield from storage_walk(store, f"{prefix}/{directory}")


def file_sha256(store: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with store.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def known_files() -> set[str]:
    names = set(DocumentVersion.objects.values_list("file", flat=True))
    names.update(VersionPreview.objects.values_list("file", flat=True))
    return names


def orphaned_files(store: Storage | None = None) -> list[str]:
    store = store or storage()
    known = known_files()
    return [name for prefix in MANAGED_PREFIXES for name in storage_walk(store, prefix) if name not in known]


def integrity_check() -> IntegrityReport:
    """Verify every version's bytes against its sha256, check previews exist,
    list orphaned blobs; record and return the report."""
    started = time.monotonic()
    store = storage()
    missing: list[dict] = []
    mismatched: list[dict] = []
    checked = 0
    error = ""
    try:
        for version_id, name, expected in DocumentVersion.objects.values_list("id", "file", "sha256").iterator():
            checked += 1
            try:
                actual = file_sha256(store, name)
            except FileNotFoundError:
                missing.append({"file": name, "version": version_id})
                continue
            if actual != expected:
                mismatched.append({"file": name, "version": version_id, "expected": expected, "actual": actual})
        for preview_id, name in VersionPreview.objects.values_list("id", "file").iterator():
            checked += 1
            if not store.exists(name):
                missing.append({"file": name, "preview": preview_id})
        orphaned = orphaned_files(store)
    except Exception as exc:  # storage unreachable: say so in the report
        logger.exception("Integrity check could not finish")
        metrics.storage_error("integrity")
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        orphaned = []
    report = IntegrityReport.objects.create(
        duration_ms=int((time.monotonic() - started) * 1000),
        checked=checked,
        missing=missing[:REPORT_CAP],
        mismatched=mismatched[:REPORT_CAP],
        orphaned=orphaned[:REPORT_CAP],
        error=error,
    )
    if not report.ok:
        logger.warning(
            "Integrity check: %d missing, %d mismatched, %d orphaned%s",
            len(missing),
            len(mismatched),
            len(orphaned),
            f"; error: {error}" if error else "",
        )
    return report
