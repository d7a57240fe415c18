"""Turning ranked ids into what pages and the API show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Prefetch

from documents.models import Document, PreviewKind, VersionPreview
from documents.selectors import collections_visible_to, documents_visible_to

if TYPE_CHECKING:
    from search.services.query import Hit

DID_YOU_MEAN_THRESHOLD = 0.3


def attach_documents(hits: list[Hit]) -> None:
    """Load the page's documents in a fixed number of queries."""
    ids = [hit.document_id for hit in hits]
    thumbnails = VersionPreview.objects.filter(kind=PreviewKind.THUMB_SMALL)
    documents = {
        doc.id: doc
        for doc in Document.objects.filter(id__in=ids)
        .select_related("collection", "current_version")
        .prefetch_related("tags", Prefetch("current_version__previews", queryset=thumbnails, to_attr="thumbnails"))
    }
    for hit in hits:
        hit.document = documents.get(hit.document_id)


def sort_hits(hits: list[Hit], sort: str) -> list[Hit]:
    if not hits:
        return hits
    ids = [hit.document_id for hit in hits]
    fields = {"date": ("-document_date", "-created_at"), "title": ("title",)}.get(sort, ("-created_at",))
    order = list(Document.objects.filter(id__in=ids).order_by(*fields, "id").values_list("id", flat=True))
    position = {doc: index for index, doc in enumerate(order)}
    return sorted(hits, key=lambda hit: position.get(hit.document_id, len(order)))


def did_you_mean(user: Any, query: str) -> str | None:
    """The closest title, tag or collection name the user may see, by trigram
    similarity, when it is close enough and different from the query."""
    visible_docs = documents_visible_to(user).values("id")
    docs_sql, docs_params = visible_docs.query.sql_with_params()
    collections_sql, collections_params = collections_visible_to(user).values("id").query.sql_with_params()
    sql = f"""
        SELECT candidate, similarity(candidate, %s) AS score FROM (
            SELECT title AS candidate FROM documents_document WHERE id IN ({docs_sql})
            UNION SELECT t.name FROM documents_tag t
                JOIN documents_document_tags dt ON dt.tag_id = t.id WHERE dt.document_id IN ({docs_sql})
            UNION SELECT name FROM documents_collection WHERE id IN ({collections_sql})
        ) names
        WHERE candidate %% %s
        ORDER BY score DESC LIMIT 1
    """  # noqa: S608 - trusted fragments
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *docs_params, *docs_params, *collections_params, query])
        row = cursor.fetchone()
    if row and row[1] >= DID_YOU_MEAN_THRESHOLD and row[0].lower() != query.lower():
        return row[0]
    return None
