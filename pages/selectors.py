"""Reads the staff pages need beyond ``search()``: each starts from the
access selectors and loads what a page shows in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from documents.models import (
    Collection,
    Document,
    DocumentVersion,
    PreviewKind,
    ProcessingStatus,
    VersionPreview,
)
from documents.selectors import (
    collections_editable_by,
    collections_visible_to,
    documents_editable_by,
    documents_visible_to,
)

FINAL_STATUSES = {ProcessingStatus.READY, ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD}


def with_thumbnails(documents: QuerySet[Document]) -> QuerySet[Document]:
    thumbnails = VersionPreview.objects.filter(kind=PreviewKind.THUMB_SMALL)
    return documents.select_related("collection", "current_version").prefetch_related(
        "tags", Prefetch("current_version__previews", queryset=thumbnails, to_attr="thumbnails")
    )


def recent_documents(user: Any, *, limit: int = 8) -> list[Document]:
    return list(with_thumbnails(documents_visible_to(user)).order_by("-created_at")[:limit])


def collections_with_counts(user: Any) -> list[Collection]:
    """Collections the user may see, each with its number of live documents."""
    return list(
        collections_visible_to(user)
        .annotate(document_count=Count("documents", filter=Q(documents__trashed_at__isnull=True)))
        .order_by("name")
    )


@dataclass
class TreeNode:
    collection: Collection
    children: list[TreeNode] = field(default_factory=list)


def collection_tree(collections: list[Collection]) -> list[TreeNode]:
    """Nest the given (visible) collections; one whose parent is hidden
    from the user shows as a root."""
    nodes = {c.pk: TreeNode(c) for c in collections}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.collection.parent_id)
        (parent.children if parent else roots).append(node)
    return roots


@dataclass
class QueueSummary:
    queued: int
    processing: int
    failed: int
    recent_failures: list[Document]

    @property
    def busy(self) -> int:
        return self.queued + self.processing


def queue_summary(user: Any) -> QueueSummary | None:
    """Processing counts over the documents ``user`` may edit; ``None`` for
    a user who edits nothing."""
    if not collections_editable_by(user).exists():
        return None
    documents = documents_editable_by(user)
    failed = (ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD)
    counts = documents.aggregate(
        queued=Count("id", filter=Q(status=ProcessingStatus.QUEUED)),
        processing=Count("id", filter=Q(status=ProcessingStatus.PROCESSING)),
        failed=Count("id", filter=Q(status__in=failed)),
    )
    failures = list(documents.filter(status__in=failed).select_related("current_version").order_by("-updated_at")[:5])
    return QueueSummary(recent_failures=failures, **counts)


def page_previews(version: DocumentVersion | None) -> list[VersionPreview]:
    if version is None:
        return []
    return list(version.previews.filter(kind=PreviewKind.PAGE).order_by("page"))


def document_versions(document: Document) -> list[DocumentVersion]:
    return list(document.versions.select_related("created_by").order_by("-number"))


def can_edit(user: Any, document: Document) -> bool:
    return documents_editable_by(user).filter(pk=document.pk).exists()


def processing_state(user: Any, uuid: str) -> Document:
    """A visible document with its current version's steps, for the live
    processing status."""
    steps = Prefetch("current_version__steps")
    return documents_visible_to(user).select_related("current_version").prefetch_related(steps).get(uuid=uuid)
