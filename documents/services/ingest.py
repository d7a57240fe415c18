"""Accepting files: the one upload path used by the admin, the pages and the API.

A file is streamed to a temporary file while it is hashed and measured
(refused past the size cap), its type is sniffed from the content and
checked against the allow-list and its name, and only then are the bytes
stored and the rows created — in one transaction, with the processing
enqueued on commit. Whatever goes wrong leaves no row, no blob, no temporary
file and no task.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from catalog_site import metrics
from documents import selectors
from documents.errors import StorageUnreachable, UploadRejected, UploadTooLarge
from documents.filenames import sanitize_filename, title_from_filename
from documents.models import AuditAction, Collection, Document, DocumentVersion, ProcessingStatus, Tag
from documents.services.audit import RequestMeta, audit_record
from documents.services.processing import version_enqueue
from documents.sniffing import resolve_type
from documents.storage import storage, version_key

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    size: int
    sha256: str
    mime_type: str


@dataclass
class UploadOutcome:
    """The result of one file of a multi-file upload."""

    filename: str
    document: Document | None = None
    error: str = ""
    status_code: int = 201
    duplicate_of: Document | None = field(default=None, repr=False)


def max_upload_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def too_large_message(limit: int | None = None) -> str:
    limit = max_upload_bytes() if limit is None else limit
    return f"the file is larger than the upload limit of {filesizeformat(limit)} ({limit} bytes)"


@contextmanager
def receive_file(stream: IO[bytes], filename: str) -> Iterator[ReceivedFile]:
    """Copy ``stream`` to a temporary file, hashing and measuring as it goes.

    The temporary file is removed when the block exits, whatever happens.
    """
    limit = max_upload_bytes()
    clean_name = sanitize_filename(filename)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(prefix="catalog-upload-", dir=settings.FILE_UPLOAD_TEMP_DIR) as temp:
        if hasattr(stream, "seek"):
            stream.seek(0)
        while chunk := stream.read(CHUNK_SIZE):
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge(too_large_message(limit))
            digest.update(chunk)
            temp.write(chunk)
        temp.flush()
        if size == 0:
            raise UploadRejected("the file is empty")
        path = Path(temp.name)
        yield ReceivedFile(
            path=path,
            filename=clean_name,
            size=size,
            sha256=digest.hexdigest(),
            mime_type=resolve_type(path, clean_name),
        )


def _store_version(
    *, document: Document, received: ReceivedFile, number: int, user: Any, stored: list[str]
) -> DocumentVersion:
    key = version_key(
        document_uuid=str(document.uuid), number=number, sha256=received.sha256, mime_type=received.mime_type
    )
    with received.path.open("rb") as handle:
        try:
            name = storage().save(key, File(handle, name=key))
        except Exception as exc:  # storage backends raise many kinds of errors
            metrics.storage_error("write")
            logger.warning("Storage refused %s: %s", key, exc.__class__.__name__)
            raise StorageUnreachable(
                "the file store cannot be reached right now; nothing was saved — please try again in a minute"
            ) from exc
    stored.append(name)
    version = DocumentVersion(
        document=document,
        number=number,
        file=name,
        original_filename=received.filename,
        mime_type=received.mime_type,
        size=received.size,
        sha256=received.sha256,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    version.full_clean(exclude=["document", "file"])
    version.save()
    return version


def _delete_blobs(names: Iterable[str]) -> None:
    for name in names:
        try:
            storage().delete(name)
        except Exception:  # cleanup after a failure must not mask it
            logger.exception("Could not delete blob %s after a failed upload", name)


def _earlier_document_with(sha256: str, *, exclude: Document) -> Document | None:
    version = (
        DocumentVersion.objects.filter(sha256=sha256, document__trashed_at__isnull=True)
        .exclude(document=exclude)
        .select_related("document")
        .order_by("created_at")
        .first()
    )
    return version.document if version else None


def document_create(
    *,
    user: Any,
    collection: Collection,
    stream: IO[bytes],
    filename: str,
    title: str = "",
    description: str = "",
    tags: Iterable[Tag] = (),
    language: str = "",
    document_date: date | None = None,
    metadata: dict[str, Any] | None = None,
    meta: RequestMeta | None = None,
) -> Document:
    """Create a document with its first version from an uploaded file."""
    if not selectors.can_edit_collection(user, collection):
        raise PermissionDenied("You may not add documents to this collection.")
    stored: list[str] = []
    with receive_file(stream, filename) as received:
        try:
            with transaction.atomic():
                document = Document(
                    title=(title or title_from_filename(received.filename))[:500],
                    description=description,
                    collection=collection,
                    language=language,
                    document_date=document_date,
                    metadata=metadata or {},
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    status=ProcessingStatus.QUEUED,
                )
                document.full_clean()
                document.save()
                if tags:
                    document.tags.set(tags)
                version = _store_version(document=document, received=received, number=1, user=user, stored=stored)
                document.current_version = version
                document.duplicate_of = _earlier_document_with(received.sha256, exclude=document)
                document.save(update_fields=["current_version", "duplicate_of"])
                audit_record(
                    actor=user,
                    action=AuditAction.UPLOAD,
                    obj=document,
                    meta=meta,
                    details={"filename": received.filename, "size": received.size, "sha256": received.sha256},
                )
                version_enqueue(version=version)
        except BaseException:
            _delete_blobs(stored)
            raise
    logger.info("Document %s uploaded (%s, %d bytes)", document.uuid, received.mime_type, received.size)
    return document


def document_version_create(
    *, user: Any, document: Document, stream: IO[bytes], filename: str, meta: RequestMeta | None = None
) -> DocumentVersion:
    """Add a new version to ``document``; it becomes the current version."""
    if not selectors.documents_editable_by(user).filter(pk=document.pk).exists():
        raise PermissionDenied("You may not add versions to this document.")
    stored: list[str] = []
    with receive_file(stream, filename) as received:
        try:
            with transaction.atomic():
                locked = Document.objects.select_for_update().get(pk=document.pk)
                current = locked.current_version
                if current is not None and current.sha256 == received.sha256:
                    raise UploadRejected(f"this file is identical to the current version (v{current.number})")
                number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
                version = _store_version(document=locked, received=received, number=number, user=user, stored=stored)
                locked.current_version = version
                locked.status = ProcessingStatus.QUEUED
                locked.save(update_fields=["current_version", "status", "updated_at"])
                audit_record(
                    actor=user,
                    action=AuditAction.NEW_VERSION,
                    obj=version,
                    meta=meta,
                    details={"filename": received.filename, "size": received.size, "number": number},
                )
                version_enqueue(version=version)
        except BaseException:
            _delete_blobs(stored)
            raise
    document.refresh_from_db()
    return version


def documents_create_many(
    *,
    user: Any,
    collection: Collection,
    files: Iterable[tuple[str, IO[bytes]]],
    tags: Iterable[Tag] = (),
    meta: RequestMeta | None = None,
) -> list[UploadOutcome]:
    """Upload several files; each succeeds or fails on its own."""
    if not selectors.can_edit_collection(user, collection):
        raise PermissionDenied("You may not add documents to this collection.")
    tags = list(tags)
    outcomes: list[UploadOutcome] = []
    for filename, stream in files:
        try:
            document = document_create(
                user=user, collection=collection, stream=stream, filename=filename, tags=tags, meta=meta
            )
        except UploadRejected as exc:
            outcomes.append(UploadOutcome(filename=filename, error=exc.reason, status_code=exc.status_code))
        else:
            outcomes.append(UploadOutcome(filename=filename, document=document, duplicate_of=document.duplicate_of))
    return outcomes
