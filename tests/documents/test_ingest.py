"""Uploads: validation while streaming, storage under generated keys, rows
and tasks only on success (rows U1, U2, U4, U7 and Z4 of the checklist)."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage

from documents import services
from documents.errors import FileTypeMismatch, UnsupportedFileType, UploadRejected, UploadTooLarge
from documents.models import AuditEvent, Document, DocumentVersion, ProcessingStatus, ProcessingStep
from documents.pipeline import registered_steps
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def temp_files() -> set[str]:
    import tempfile

    folder = settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()
    return {name for name in os.listdir(folder) if name.startswith("catalog-upload-")}


def test_upload_creates_document_version_and_enqueues_processing_on_commit(
    lib: Library, librarian, django_capture_on_commit_callbacks
) -> None:
    # when a librarian uploads a PDF
    with django_capture_on_commit_callbacks() as callbacks:
        document = upload(librarian, lib.library, pdf_bytes(), filename="annual-report_2025.pdf")

    # then the document and its first version exist, queued, with a generated storage key
    version = document.current_version
    assert document.title == "annual report 2025"
    assert document.status == ProcessingStatus.QUEUED
    assert version.number == 1
    assert version.mime_type == "application/pdf"
    assert version.original_filename == "annual-report_2025.pdf"
    assert "annual" not in version.file.name
    assert version.file.name.startswith(f"documents/{document.uuid}/v1-{version.sha256[:16]}")
    assert default_storage.exists(version.file.name)
    # and the pipeline steps are planned and the first is enqueued after commit
    planned = list(ProcessingStep.objects.filter(version=version).values_list("name", flat=True))
    assert planned[:2] == ["extract", "previews"]
    assert planned == [step.name for step in registered_steps()]
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="upload", document_uuid=document.uuid).count() == 1


def test_upload_over_the_cap_leaves_nothing_behind(lib: Library, librarian, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 10_000
    before_files, before_temp = stored_files(), temp_files()

    with pytest.raises(UploadTooLarge) as error:
        upload(librarian, lib.library, pdf_bytes(text=secrets.token_hex(20_000)))

    assert "9.8\xa0KB" in error.value.reason and "10000 bytes" in error.value.reason
    assert error.value.status_code == 413
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert stored_files() == before_files
    assert temp_files() == before_temp


@pytest.mark.parametrize(
    ("filename", "data", "error", "message"),
    [
        (
            "x.pdf",
            b"<html><body><script>alert(1)</script></body></html>",
            FileTypeMismatch,
            "named .pdf but its content is HTML",
        ),
        ("photo.png", b"%PDF-1.4 not really a png", FileTypeMismatch, "named .png but its content is a PDF"),
        (
            "program.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
            UnsupportedFileType,
            "unsupported",
        ),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 100, UnsupportedFileType, "unsupported"),
    ],
)
def test_content_that_does_not_match_its_name_is_refused(
    lib: Library, librarian, filename: str, data: bytes, error: type, message: str
) -> None:
    before = stored_files()

    with pytest.raises(error) as raised:
        upload(librarian, lib.library, data, filename=filename)

    assert message in raised.value.reason
    assert raised.value.status_code == 415
    assert not Document.objects.exists()
    assert stored_files() == before


def test_empty_file_is_refused(lib: Library, librarian) -> None:
    with pytest.raises(UploadRejected, match="empty"):
        upload(librarian, lib.library, b"", filename="empty.txt")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("a\x00.pdf", "a.pdf"),
        ("a\r\nSet-Cookie:x.pdf", "aSet-Cookiex.pdf"),
        ("report\u202egpj.pdf", "reportgpj.pdf"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
    ],
)
def test_hostile_filenames_are_kept_only_as_clean_metadata(lib: Library, librarian, raw: str, expected: str) -> None:
    document = upload(librarian, lib.library, pdf_bytes(), filename=raw)

    version = document.current_version
    assert version.original_filename == expected
    assert version.file.name.startswith(f"documents/{document.uuid}/")
    assert ".." not in version.file.name


def test_very_long_filename_is_shortened_keeping_its_extension(lib: Library, librarian) -> None:
    document = upload(librarian, lib.library, pdf_bytes(), filename="a" * 500 + ".pdf")

    name = document.current_version.original_filename
    assert len(name) <= 200 and name.endswith(".pdf")


def test_same_bytes_twice_is_flagged_as_duplicate_of_the_first(lib: Library, librarian) -> None:
    data = pdf_bytes(text="identical bytes")
    first = upload(librarian, lib.library, data)

    second = upload(librarian, lib.library, data, filename="copy.pdf")

    assert second.duplicate_of == first
    assert first.duplicate_of is None
    assert second.current_version.file.name != first.current_version.file.name


def test_upload_into_a_collection_without_edit_rights_is_refused_and_stores_nothing(lib: Library, reader) -> None:
    before = stored_files()

    with pytest.raises(PermissionDenied):
        upload(reader, lib.library, pdf_bytes())

    assert not Document.objects.exists()
    assert stored_files() == before


def test_new_version_becomes_current_and_identical_bytes_are_refused(lib: Library, librarian) -> None:
    document = upload(librarian, lib.library, pdf_bytes(text="first"))

    version = services.document_version_create(
        user=librarian, document=document, stream=io.BytesIO(pdf_bytes(text="second")), filename="v2.pdf"
    )
    document.refresh_from_db()

    assert version.number == 2
    assert document.current_version == version
    assert list(document.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    with pytest.raises(UploadRejected, match="identical to the current version"):
        services.document_version_create(
            user=librarian, document=document, stream=io.BytesIO(pdf_bytes(text="second")), filename="v2.pdf"
        )


def test_failure_while_saving_rows_removes_the_stored_blob(lib: Library, librarian, monkeypatch) -> None:
    before = stored_files()

    def broken_audit(**kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("documents.services.ingest.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        upload(librarian, lib.library, pdf_bytes())

    assert stored_files() == before
    assert not Document.objects.exists()


def test_multi_file_upload_reports_each_file_on_its_own(lib: Library, librarian) -> None:
    outcomes = services.documents_create_many(
        user=librarian,
        collection=lib.library,
        files=[
            ("good.pdf", io.BytesIO(pdf_bytes())),
            ("bad.pdf", io.BytesIO(b"<html></html>")),
            ("notes.txt", io.BytesIO(b"plain notes")),
        ],
    )

    assert [bool(o.document) for o in outcomes] == [True, False, True]
    assert outcomes[1].status_code == 415
    assert Document.objects.count() == 2
