"""The documents app's own pipeline steps: text extraction and previews."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from documents.errors import ProcessingError, TransientError
from documents.models import DocumentPage, DocumentVersion, VersionPreview
from documents.pipeline import StepContext, register_step
from documents.processing.extract import Limits, extract_text
from documents.processing.previews import render_previews
from documents.storage import preview_key, storage

logger = logging.getLogger(__name__)


@contextmanager
def local_copy(version: DocumentVersion) -> Iterator[Path]:
    """The version's bytes as a local file: the stored file itself on a local
    disk, a temporary copy for remote storage."""
    store = storage()
    name = version.file.name
    try:
        local: Path | None = Path(store.path(name))
    except NotImplementedError:
        local = None
    if local is not None:
        if not local.exists():
            raise ProcessingError("the stored file is missing; upload it again")
        yield local
        return
    try:
        source = store.open(name, "rb")
    except FileNotFoundError as exc:
        raise ProcessingError("the stored file is missing; upload it again") from exc
    except Exception as exc:  # S3 clients raise their own error types
        raise TransientError(f"storage unavailable: {exc.__class__.__name__}") from exc
    with source, tempfile.NamedTemporaryFile(prefix="catalog-work-", dir=settings.FILE_UPLOAD_TEMP_DIR) as temp:
        shutil.copyfileobj(source, temp, length=1024 * 1024)
        temp.flush()
        yield Path(temp.name)


def processing_limits() -> Limits:
    return Limits(max_pages=settings.PROCESSING_MAX_PAGES, max_image_pixels=settings.PROCESSING_MAX_IMAGE_PIXELS)


@register_step("extract", position=10)
def extract_step(version: DocumentVersion, context: StepContext) -> None:
    with local_copy(version) as path:
        result = extract_text(path, version.mime_type, progress=context.progress, limits=processing_limits())
    with transaction.atomic():
        # Replace, never append: the step may run again after a crash.
        version.pages.all().delete()
        DocumentPage.objects.bulk_create(
            [DocumentPage(version=version, number=i, text=text) for i, text in enumerate(result.pages, start=1)],
            batch_size=500,
        )
        version.page_count = result.page_count
        version.metadata = {**version.metadata, "extraction": result.metadata}
        version.save(update_fields=["page_count", "metadata"])
        if result.language and not version.document.language:
            type(version.document).objects.filter(pk=version.document_id, language="").update(language=result.language)


@register_step("previews", position=20)
def previews_step(version: DocumentVersion, context: StepContext) -> None:
    with local_copy(version) as path:
        images = render_previews(
            path,
            version.mime_type,
            max_pages=settings.PREVIEW_MAX_PAGES,
            limits=processing_limits(),
            progress=context.progress,
        )
    store = storage()
    keep: list[int] = []
    for image in images:
        key = preview_key(
            document_uuid=str(version.document.uuid), number=version.number, kind=image.kind, page=image.page
        )
        # Overwrite in place: one preview set per version, however often this runs.
        if store.exists(key):
            store.delete(key)
        name = store.save(key, ContentFile(image.data))
        preview, _ = VersionPreview.objects.update_or_create(
            version=version,
            kind=image.kind,
            page=image.page,
            defaults={"file": name, "width": image.width, "height": image.height},
        )
        keep.append(preview.pk)
    stale = version.previews.exclude(pk__in=keep)
    for preview in stale:
        store.delete(preview.file.name)
    stale.delete()
