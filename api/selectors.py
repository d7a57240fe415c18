"""Reads of the API that shape many rows at once."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from api.serializers.documents import NO_TEXT, ROW_FIELDS, document_data
from documents.models import Document, DocumentPage, PreviewKind, VersionPreview


def document_rows(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The columns a document list shows, as plain values (no model objects)."""
    return documents.values(*ROW_FIELDS)


def document_list_data(rows: list[dict[str, Any]], *, include_text: bool = False) -> list[dict[str, Any]]:
    """The page's documents as the API shows them: two more queries (three
    with the text) whatever the page size."""
    ids = [row["id"] for row in rows]
    version_ids = [row["current_version_id"] for row in rows if row["current_version_id"]]
    tags: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
    tag_rows = (
        Document.tags.through.objects.filter(document_id__in=ids)
        .order_by("tag__name")
        .values_list("document_id", "tag_id", "tag__name", "tag__slug", "tag__colour")
    )
    for document_id, *tag in tag_rows:
        tags[document_id].append(tuple(tag))
    thumbnails = set(
        VersionPreview.objects.filter(version_id__in=version_ids, kind=PreviewKind.THUMB_SMALL, page=1)
        .order_by()
        .values_list("version_id", flat=True)
    )
    texts: dict[int, list[str]] = defaultdict(list)
    if include_text:
        pages = DocumentPage.objects.filter(version_id__in=version_ids).order_by("version_id", "number")
        for version_id, text in pages.values_list("version_id", "text"):
            texts[version_id].append(text)
    result = []
    for row in rows:
        version_id = row["current_version_id"]
        text: Any = NO_TEXT
        if include_text:
            text = "\n\n".join(texts[version_id]) if version_id else None
        result.append(document_data(row, tags=tags[row["id"]], has_thumbnail=version_id in thumbnails, text=text))
    return result
