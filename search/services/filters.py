"""Search filters and facet counts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet

from catalog_site.caching import cached_or_computed
from documents.models import Document


@dataclass
class SearchFilters:
    collections: list[int] = field(default_factory=list)  # sub-collections included
    tags: list[int] = field(default_factory=list)
    tags_mode: str = "all"  # "all" or "any"
    types: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    uploaded_from: date | None = None
    uploaded_to: date | None = None
    uploaders: list[int] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(value for value in vars(self).values() if value not in ("all", "any"))


def with_descendants(collection_ids: list[int]) -> list[int]:
    """The collections and every collection below them (one query)."""
    if not collection_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE tree(id) AS (
                SELECT id FROM documents_collection WHERE id = ANY(%s)
                UNION SELECT c.id FROM documents_collection c JOIN tree t ON c.parent_id = t.id
            )
            SELECT id FROM tree
            """,
            [list(collection_ids)],
        )
        return [row[0] for row in cursor.fetchall()]


def apply_filters(documents: QuerySet[Document], filters: SearchFilters) -> QuerySet[Document]:
    if filters.collections:
        documents = documents.filter(collection_id__in=with_descendants(filters.collections))
    if filters.tags:
        if filters.tags_mode == "any":
            documents = documents.filter(tags__in=filters.tags).distinct()
        else:
            for tag in filters.tags:
                documents = documents.filter(tags=tag)
    if filters.types:
        documents = documents.filter(current_version__mime_type__in=filters.types)
    if filters.languages:
        documents = documents.filter(language__in=filters.languages)
    if filters.date_from:
        documents = documents.filter(document_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(document_date__lte=filters.date_to)
    if filters.uploaded_from:
        documents = documents.filter(created_at__date__gte=filters.uploaded_from)
    if filters.uploaded_to:
        documents = documents.filter(created_at__date__lte=filters.uploaded_to)
    if filters.uploaders:
        documents = documents.filter(created_by_id__in=filters.uploaders)
    if filters.statuses:
        documents = documents.filter(status__in=filters.statuses)
    return documents


FACET_CACHE_SECONDS = 30


def facet_counts_cached(document_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """``facet_counts``, cached for ``FACET_CACHE_SECONDS``. The key is the
    set of matching documents itself — only ever documents the user may see —
    so two users share an entry only when they see exactly the same matches,
    and a permission change that alters the matches alters the key. It also
    holds the latest re-indexing time of those documents, which every edit of
    title, tags or collection moves, so an edit shows at once. The cache being
    down is not an error."""
    if not document_ids:
        return facet_counts(document_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(updated_at) FROM search_documentsearchindex WHERE document_id = ANY(%s)", [document_ids]
        )
        changed = cursor.fetchone()[0]
    ids = ",".join(map(str, sorted(document_ids)))
    digest = hashlib.sha256(f"{ids}@{changed}".encode()).hexdigest()
    return cached_or_computed(f"search:facets:{digest}", lambda: facet_counts(document_ids), FACET_CACHE_SECONDS)


def facet_counts(document_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Counts by collection, tag, type and year over the matching documents
    (already limited to what the user may see)."""
    if not document_ids:
        return {"collections": [], "tags": [], "types": [], "years": []}
    documents = Document.objects.filter(id__in=document_ids)
    collections = (
        documents.values("collection_id", "collection__name")
        .annotate(count=Count("id"))
        .order_by("-count", "collection__name")
    )
    tags = (
        documents.filter(tags__isnull=False)
        .values("tags__id", "tags__name")
        .annotate(count=Count("id"))
        .order_by("-count", "tags__name")
    )
    types = documents.values("current_version__mime_type").annotate(count=Count("id")).order_by("-count")
    years = (
        documents.exclude(document_date__isnull=True)
        .values("document_date__year")
        .annotate(count=Count("id"))
        .order_by("-document_date__year")
    )
    return {
        "collections": [
            {"id": row["collection_id"], "name": row["collection__name"], "count": row["count"]} for row in collections
        ],
        "tags": [{"id": row["tags__id"], "name": row["tags__name"], "count": row["count"]} for row in tags[:30]],
        "types": [
            {"value": row["current_version__mime_type"], "count": row["count"]}
            for row in types
            if row["current_version__mime_type"]
        ],
        "years": [{"value": row["document_date__year"], "count": row["count"]} for row in years],
    }
