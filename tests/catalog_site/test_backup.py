"""Catalog export and import (CHECKLIST B1): export, wipe, import gives back
identical documents, versions, metadata, checksums and previews — through
real storage (a local folder, and S3 on a moto server over HTTP)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings

from ai.models import AIRun, Suggestion, SuggestionKind, Summary
from catalog_site.models import BackupRecord
from catalog_site.services.backup import ImportRefused, catalog_export, catalog_import
from catalog_site.services.integrity import storage_walk
from documents import services
from documents.models import AuditEvent, Document, DocumentVersion, VersionPreview
from tests.documents.test_s3_storage import Bucket, bucket, moto_endpoint, s3  # noqa: F401
from tests.factories import TagFactory
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


def build_catalog(lib: Library, librarian: Any) -> None:
    """Two documents (one with two versions), tags, previews, AI rows, audit."""
    report = upload(librarian, lib.library, pdf_bytes("Annual report", "Revenue grew."), filename="report.pdf")
    minutes = upload(librarian, lib.library, pdf_bytes("Minutes", "Met at noon."))
    services.document_version_create(
        user=librarian, document=minutes, stream=io.BytesIO(pdf_bytes("Minutes v2", "Met at one.")), filename="m2.pdf"
    )
    report.tags.set([TagFactory(name="finance"), TagFactory(name="annual")])
    report.metadata = {"author": "Ada", "pages": 1}
    report.save()
    for version in DocumentVersion.objects.all():
        services.step_execute(version_id=version.pk, step_name="extract")
        services.step_execute(version_id=version.pk, step_name="previews")
    version = report.current_version
    Summary.objects.create(version=version, text="Revenue grew.", provider="local", content_hash="h" * 64)
    Suggestion.objects.create(
        document=report, kind=SuggestionKind.TAG, tag=report.tags.first(), confidence=0.8, provider="local"
    )
    AIRun.objects.create(capability="summary", provider="local", document=report, outcome="ok", tokens_in=12)


def snapshot() -> dict[str, Any]:
    """Everything B1 says must come back identical, plus each file's bytes."""
    store = default_storage
    files = {}
    for name in sorted(storage_walk(store, "documents")) + sorted(storage_walk(store, "previews")):
        with store.open(name, "rb") as handle:
            files[name] = hashlib.sha256(handle.read()).hexdigest()
    return {
        "documents": list(
            Document.objects.order_by("uuid").values(
                "id", "uuid", "title", "description", "collection__slug", "metadata", "status", "current_version_id",
                "duplicate_of_id", "created_by__username", "created_at",
            )
        ),
        "tags": sorted(Document.objects.values_list("uuid", "tags__name")),
        "versions": list(
            DocumentVersion.objects.order_by("id").values(
                "id", "document_id", "number", "file", "original_filename", "mime_type", "size", "sha256", "status",
                "page_count",
            )
        ),
        "pages": list(DocumentVersion.objects.order_by("id", "pages__number").values_list("id", "pages__text")),
        "previews": list(VersionPreview.objects.order_by("id").values("version_id", "kind", "page", "file", "width")),
        "audit": list(
            AuditEvent.objects.order_by("id").values("action", "document_uuid", "actor__username", "details")
        ),
        "summaries": list(Summary.objects.values("version_id", "text", "provider")),
        "suggestions": list(Suggestion.objects.values("document_id", "tag__name", "confidence", "status")),
        "ai_runs": list(AIRun.objects.values("capability", "provider", "document_id", "tokens_in")),
        "files": files,
    }  # fmt: skip


def wipe_catalog() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    for prefix in ("documents", "previews"):
        for name in list(storage_walk(default_storage, prefix)):
            default_storage.delete(name)


def test_export_wipe_import_gives_back_an_identical_catalog(
    local_storage: Path, tmp_path: Path, lib: Library, librarian: Any
) -> None:
    build_catalog(lib, librarian)
    before = snapshot()
    assert len(before["files"]) >= 3 + 3  # three versions, and at least a thumbnail each

    result = catalog_export(target=str(tmp_path / "backups"))
    wipe_catalog()
    assert Document.objects.count() == 0 and not list(storage_walk(default_storage, "documents"))
    counts = catalog_import(source=result.location, reindex=False)

    assert snapshot() == before
    assert counts["documents.document"] == 2 and counts["files"] == len(before["files"])


def test_the_archive_is_portable_with_a_manifest_of_checksums(
    local_storage: Path, tmp_path: Path, lib: Library, librarian: Any
) -> None:
    build_catalog(lib, librarian)

    result = catalog_export(target=str(tmp_path / "out.zip"))

    with zipfile.ZipFile(result.location) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(f"files/{entry['name']}")).hexdigest() == entry["sha256"]
        names = set(archive.namelist())
    assert manifest["format"] == "document-catalog-export"
    assert manifest["counts"]["documents.document"] == 2
    assert {"data/documents.collection.jsonl", "data/documents.tag.jsonl", "data/documents.auditevent.jsonl"} <= names
    assert {"data/ai.summary.jsonl", "data/ai.suggestion.jsonl", "data/auth.user.jsonl"} <= names
    versions = {v.file.name: v.sha256 for v in DocumentVersion.objects.all()}
    assert {e["name"]: e["sha256"] for e in manifest["files"] if e["name"] in versions} == versions
    record = BackupRecord.objects.get()
    assert record.ok and record.documents == 2 and record.location == result.location


def test_import_refuses_a_catalog_that_is_not_empty(
    local_storage: Path, tmp_path: Path, lib: Library, librarian: Any
) -> None:
    build_catalog(lib, librarian)
    result = catalog_export(target=str(tmp_path))

    with pytest.raises(CommandError, match="not empty"):
        call_command("catalog_import", result.location)


def test_a_damaged_archive_is_refused_and_leaves_nothing_behind(
    local_storage: Path, tmp_path: Path, lib: Library, librarian: Any
) -> None:
    build_catalog(lib, librarian)
    good = Path(catalog_export(target=str(tmp_path / "good.zip")).location)
    wipe_catalog()
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        names = source.namelist()
        last_file = [n for n in names if n.startswith("files/")][-1]
        for name in names:
            data = source.read(name)
            target.writestr(name, data + b"tampered" if name == last_file else data)

    with pytest.raises(ImportRefused, match="does not match its checksum"):
        catalog_import(source=str(damaged))

    assert Document.objects.count() == 0
    assert not list(storage_walk(default_storage, "documents")) and not list(storage_walk(default_storage, "previews"))


def test_scheduled_export_keeps_the_newest_n(
    local_storage: Path, tmp_path: Path, settings: Settings, lib: Library, librarian: Any
) -> None:
    upload(librarian, lib.library, pdf_bytes("Only one"))
    settings.BACKUP_TARGET, settings.BACKUP_KEEP = str(tmp_path / "scheduled"), 2

    for _ in range(3):
        call_command("catalog_export", "--scheduled", verbosity=0)

    kept = sorted(p.name for p in (tmp_path / "scheduled").iterdir())
    locations = list(BackupRecord.objects.order_by("started_at").values_list("location", flat=True))
    assert kept == [Path(loc).name for loc in locations[1:]]


def test_round_trip_through_s3(s3: Bucket, lib: Library, librarian: Any) -> None:  # noqa: F811
    """Files in S3 and the archive in S3 too: export, wipe, import from the bucket."""
    build_catalog(lib, librarian)
    before = snapshot()

    result = catalog_export(target=f"s3://{s3.name}/backups/", keep=5)
    assert result.location.startswith(f"s3://{s3.name}/backups/catalog-")
    wipe_catalog()
    assert s3.object_keys("documents/") == set()
    catalog_import(source=result.location, reindex=False)

    assert snapshot() == before
    head = s3.client.head_object(Bucket=s3.name, Key=result.location.split("/", 3)[3])
    assert head["ServerSideEncryption"] == "AES256"
