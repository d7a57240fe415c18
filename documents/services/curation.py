"""Librarians' writes: metadata edits, moving, tagging, trash and restore,
purge, reprocess, merging tags. Admin actions, pages and the API all call
these, so the rules are written once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, QuerySet
from django.utils import timezone

from documents import selectors
from documents.models import AuditAction, Collection, Document, Tag, VersionPreview
from documents.pipeline import notify_documents_changed
from documents.services.audit import RequestMeta, audit_record
from documents.services.processing import version_enqueue
from documents.storage import storage

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("title", "description", "language", "document_date", "metadata")


def _require_editable(user: Any, documents: Iterable[Document]) -> list[Document]:
    documents = list(documents)
    allowed = set(
        selectors.documents_editable_by(user, include_trashed=True)
        .filter(pk__in=[d.pk for d in documents])
        .values_list("pk", flat=True)
    )
    if any(document.pk not in allowed for document in documents):
        raise PermissionDenied("You may not edit one or more of these documents.")
    return documents


@transaction.atomic
def document_update(
    *,
    user: Any,
    document: Document,
    title: str | None = None,
    description: str | None = None,
    language: str | None = None,
    document_date: date | None = None,
    metadata: dict[str, Any] | None = None,
    tags: Iterable[Tag] | None = None,
    meta: RequestMeta | None = None,
) -> Document:
    _require_editable(user, [document])
    values = {"title": title, "description": description, "language": language, "metadata": metadata}
    changed = {}
    for name, value in values.items():
        if value is not None and getattr(document, name) != value:
            changed[name] = value
            setattr(document, name, value)
    if document_date is not None and document.document_date != document_date:
        changed["document_date"] = document_date.isoformat()
        document.document_date = document_date
    document.full_clean()
    document.save()
    if tags is not None:
        new_tags = set(tags)
        if new_tags != set(document.tags.all()):
            document.tags.set(new_tags)
            changed["tags"] = sorted(tag.name for tag in new_tags)
    if changed:
        audit_record(actor=user, action=AuditAction.EDIT, obj=document, meta=meta, details={"changed": list(changed)})
        notify_documents_changed([document.pk])
    return document


@transaction.atomic
def documents_move(
    *, user: Any, documents: Iterable[Document], collection: Collection, meta: RequestMeta | None = None
) -> int:
    documents = _require_editable(user, documents)
    if not selectors.can_edit_collection(user, collection):
        raise PermissionDenied("You may not add documents to that collection.")
    for document in documents:
        if document.collection_id != collection.pk:
            previous = document.collection_id
            document.collection = collection
            document.save(update_fields=["collection", "updated_at"])
            audit_record(
                actor=user,
                action=AuditAction.EDIT,
                obj=document,
                meta=meta,
                details={"moved_from": previous, "moved_to": collection.pk},
            )
    notify_documents_changed([d.pk for d in documents])
    return len(documents)


@transaction.atomic
def documents_tag(
    *, user: Any, documents: Iterable[Document], add: Iterable[Tag] = (), remove: Iterable[Tag] = ()
) -> int:
    documents = _require_editable(user, documents)
    add, remove = list(add), list(remove)
    for document in documents:
        if add:
            document.tags.add(*add)
        if remove:
            document.tags.remove(*remove)
        audit_record(
            actor=user,
            action=AuditAction.EDIT,
            obj=document,
            details={"tags_added": [t.name for t in add], "tags_removed": [t.name for t in remove]},
        )
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(updated_at=timezone.now())
    notify_documents_changed([d.pk for d in documents])
    return len(documents)


@transaction.atomic
def documents_trash(*, user: Any, documents: Iterable[Document], meta: RequestMeta | None = None) -> int:
    documents = _require_editable(user, documents)
    count = 0
    for document in documents:
        if document.trashed_at is None:
            document.trashed_at = timezone.now()
            document.save(update_fields=["trashed_at", "updated_at"])
            audit_record(actor=user, action=AuditAction.TRASH, obj=document, meta=meta)
            count += 1
    notify_documents_changed([d.pk for d in documents])
    return count


@transaction.atomic
def documents_restore(*, user: Any, documents: Iterable[Document], meta: RequestMeta | None = None) -> int:
    documents = _require_editable(user, documents)
    count = 0
    for document in documents:
        if document.trashed_at is not None:
            document.trashed_at = None
            document.save(update_fields=["trashed_at", "updated_at"])
            audit_record(actor=user, action=AuditAction.RESTORE, obj=document, meta=meta)
            count += 1
    notify_documents_changed([d.pk for d in documents])
    return count


def document_purge(*, document: Document, actor: Any = None) -> None:
    """Delete a document, its versions and previews for good. The blobs are
    deleted only after the database commit, so a rollback loses nothing."""
    blob_names = [name for name in document.versions.values_list("file", flat=True) if name]
    blob_names += list(
        VersionPreview.objects.filter(version__document=document).values_list("file", flat=True).exclude(file="")
    )
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.PURGE, obj=document, details={"title": document.title})
        Document.objects.filter(pk=document.pk).update(current_version=None)
        document.delete()
        transaction.on_commit(lambda: _delete_blobs_quietly(blob_names))


def _delete_blobs_quietly(names: list[str]) -> None:
    store = storage()
    for name in names:
        try:
            store.delete(name)
        except Exception:  # an orphan blob is reported by the integrity check
            logger.exception("Could not delete blob %s", name)


def documents_purge_expired(*, now: Any = None) -> int:
    """Purge trashed documents past their collection's retention period."""
    now = now or timezone.now()
    retention = ExpressionWrapper(
        F("collection__trash_retention_days") * timedelta(days=1), output_field=DurationField()
    )
    expired: QuerySet[Document] = (
        Document.objects.trashed().annotate(purge_after=F("trashed_at") + retention).filter(purge_after__lt=now)
    )
    purged = 0
    for document in expired.iterator():
        document_purge(document=document)
        purged += 1
    return purged


def documents_reprocess(*, user: Any, documents: Iterable[Document], meta: RequestMeta | None = None) -> int:
    """Run the whole pipeline again on each document's current version."""
    documents = _require_editable(user, documents)
    count = 0
    for document in documents:
        if document.current_version is None:
            continue
        with transaction.atomic():
            version_enqueue(version=document.current_version, from_step="extract")
            audit_record(actor=user, action=AuditAction.REPROCESS, obj=document, meta=meta)
        count += 1
    return count


def documents_of_collection_or_tag_changed(*, collection: Collection | None = None, tag: Tag | None = None) -> None:
    """A collection or tag was renamed: its documents' indexes follow."""
    documents = Document.objects.all()
    if collection is not None:
        documents = documents.filter(collection=collection)
    if tag is not None:
        documents = documents.filter(tags=tag)
    notify_documents_changed(list(documents.values_list("pk", flat=True)))


@transaction.atomic
def tags_merge(*, user: Any, sources: Iterable[Tag], target: Tag) -> int:
    """Move every document of ``sources`` to ``target`` and delete the sources."""
    if not (user.is_superuser or user.has_perm("documents.change_tag")):
        raise PermissionDenied("You may not merge tags.")
    sources = [tag for tag in sources if tag.pk != target.pk]
    through = Document.tags.through
    affected = list(through.objects.filter(tag__in=sources).values_list("document_id", flat=True))
    for source in sources:
        document_ids = through.objects.filter(tag=source).values_list("document_id", flat=True)
        already = set(through.objects.filter(tag=target).values_list("document_id", flat=True))
        through.objects.bulk_create(
            [through(document_id=doc_id, tag=target) for doc_id in document_ids if doc_id not in already]
        )
        source.delete()
    notify_documents_changed(affected)
    return len(sources)
