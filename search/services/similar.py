"""Similar documents by embedding, and near-duplicate flagging at ingest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from documents.models import Document
from search.models import EmbeddingSpace, NearDuplicate
from search.services.embed import active_space
from search.services.filters import SearchFilters
from search.services.query import CHUNKS_PER_DOCUMENT, SemanticScope, _filtered_sql, _fold, _semantic, semantic_scope


@dataclass
class Similar:
    document: Document
    similarity: float


def document_vector(document_id: int, space: EmbeddingSpace) -> list[float] | None:
    """The mean of the current version's passage vectors (a document centroid)."""
    dims = int(space.dimensions)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT avg(e.embedding::vector({dims}))::text
            FROM search_chunkembedding e
            WHERE e.document_id = %s AND e.model_id = %s
            """,  # noqa: S608 - dims is an int
            [document_id, space.model_id],
        )
        row = cursor.fetchone()
    if not row or row[0] is None:
        return None
    return [float(x) for x in row[0].strip("[]").split(",")]


def _nearest(document: Document, user: Any, limit: int) -> list[tuple[int, int, float]]:
    """Nearest other documents; ``user=None`` means every live document."""
    space = active_space()
    if space is None:
        return []
    vector = document_vector(document.pk, space)
    if vector is None:
        return []
    if user is None:
        sql, params = Document.objects.alive().exclude(pk=document.pk).values("id").query.sql_with_params()
        condition: tuple[str, list] = ("NOT e.trashed AND e.document_id <> %s", [document.pk])
        scope = SemanticScope(filtered=(sql, tuple(params)), exact=condition, approximate=condition)
    else:
        scope = semantic_scope(user, SearchFilters(), _filtered_sql(user, SearchFilters()), exclude=document.pk)
    return _fold(_semantic(vector, space, scope, limit * CHUNKS_PER_DOCUMENT * 2))[:limit]


def similar_documents(*, user: Any, document: Document, limit: int = 5) -> list[Similar]:
    """Documents ``user`` may see that are closest in meaning to ``document``."""
    nearest = _nearest(document, user, limit)
    found = Document.objects.in_bulk([doc for doc, _, _ in nearest])
    return [Similar(document=found[doc], similarity=round(sim, 4)) for doc, _, sim in nearest if doc in found]


def near_duplicates_flag(document: Document) -> NearDuplicate | None:
    """Record the closest other document when it is nearly identical in
    meaning (cosine ≥ ``SEARCH_NEAR_DUPLICATE_THRESHOLD``)."""
    nearest = _nearest(document, None, 1)
    NearDuplicate.objects.filter(document=document).delete()
    if not nearest or nearest[0][2] < settings.SEARCH_NEAR_DUPLICATE_THRESHOLD:
        return None
    other, _, similarity = nearest[0]
    return NearDuplicate.objects.create(document=document, similar_to_id=other, similarity=similarity)
