"""Reads. Every surface — pages, API, admin, search, AI — starts from these,
so a user never learns that a document they may not see exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from documents.models import Collection, Document, DocumentVersion
from documents.querysets import collection_ids_for

if TYPE_CHECKING:
    from documents.querysets import User


def documents_visible_to(user: User, *, include_trashed: bool = False) -> QuerySet[Document]:
    documents = Document.objects.visible_to(user)
    return documents if include_trashed else documents.alive()


def documents_editable_by(user: User, *, include_trashed: bool = False) -> QuerySet[Document]:
    documents = Document.objects.editable_by(user)
    return documents if include_trashed else documents.alive()


def collections_visible_to(user: User) -> QuerySet[Collection]:
    ids = collection_ids_for(user, edit=False)
    return Collection.objects.all() if ids is None else Collection.objects.filter(id__in=ids)


def collections_editable_by(user: User) -> QuerySet[Collection]:
    ids = collection_ids_for(user, edit=True)
    return Collection.objects.all() if ids is None else Collection.objects.filter(id__in=ids)


def can_edit_collection(user: User, collection: Collection) -> bool:
    return collections_editable_by(user).filter(pk=collection.pk).exists()


def document_get(user: User, uuid: str) -> Document:
    """One visible document or ``Document.DoesNotExist`` (shown as 404)."""
    return (
        documents_visible_to(user)
        .select_related("collection", "current_version", "created_by")
        .prefetch_related("tags")
        .get(uuid=uuid)
    )


def version_get(user: User, uuid: str, number: int | None = None) -> DocumentVersion:
    """A version of a visible document: the current one when ``number`` is None."""
    document = document_get(user, uuid)
    if number is None:
        if document.current_version is None:
            raise DocumentVersion.DoesNotExist
        return document.current_version
    return document.versions.get(number=number)
