"""Keeping the search indexes in step with documents: passages per version
and the weighted full-text vector per document."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction

from documents.models import DocumentVersion
from search.chunking import split_pages
from search.models import DocumentChunk

logger = logging.getLogger(__name__)

# Document language (ISO 639-1) → PostgreSQL text search configuration.
LANGUAGE_CONFIGS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
DEFAULT_CONFIG = "english"
# to_tsvector refuses more than 1 MB; keep the body well below.
MAX_BODY_CHARS = 600_000


def chunks_rebuild(*, version: DocumentVersion) -> int:
    """(Re)build the version's passages. Unchanged passages keep their rows
    (and so their embeddings); changed ones are replaced."""
    pages = list(version.pages.order_by("number").values_list("text", flat=True))
    passages = split_pages(pages)
    with transaction.atomic():
        existing = {chunk.number: chunk for chunk in DocumentChunk.objects.filter(version=version)}
        to_create = []
        for passage in passages:
            current = existing.pop(passage.number, None)
            if current is not None and current.content_hash == passage.content_hash:
                continue
            if current is not None:
                current.delete()
            to_create.append(
                DocumentChunk(
                    version=version,
                    document_id=version.document_id,
                    number=passage.number,
                    page_start=passage.page_start,
                    page_end=passage.page_end,
                    text=passage.text,
                    content_hash=passage.content_hash,
                    word_count=passage.word_count,
                )
            )
        DocumentChunk.objects.filter(pk__in=[chunk.pk for chunk in existing.values()]).delete()
        DocumentChunk.objects.bulk_create(to_create, batch_size=500)
    return len(passages)


_INDEX_SQL = """
WITH new AS (
    SELECT d.id AS document_id, cfg.name AS config, head.vector AS head_vector, d.collection_id,
           d.trashed_at IS NOT NULL AS trashed,
           -- The summary weighs like the head (B) but, drawn from the body, stays
           -- out of the head-only candidate index.
           head.vector || setweight(to_tsvector(cfg.name::regconfig, coalesce(summary.text, '')), 'B')
           || setweight(to_tsvector(cfg.name::regconfig, left(coalesce(body.text, ''), %(max_body)s)), 'C')
               AS search_vector
    FROM documents_document d
    JOIN documents_collection c ON c.id = d.collection_id
    CROSS JOIN LATERAL (SELECT %(configs)s::jsonb ->> lower(left(d.language, 2)) AS lang) l
    CROSS JOIN LATERAL (
        SELECT CASE WHEN d.language = '' THEN %(default)s ELSE coalesce(l.lang, 'simple') END AS name
    ) cfg
    LEFT JOIN LATERAL (
        SELECT string_agg(t.name, ' ') AS names
        FROM documents_document_tags dt JOIN documents_tag t ON t.id = dt.tag_id
        WHERE dt.document_id = d.id
    ) tags ON true
    LEFT JOIN LATERAL (
        SELECT string_agg(value, ' ') AS text
        FROM jsonb_each_text(CASE WHEN jsonb_typeof(d.metadata) = 'object' THEN d.metadata ELSE '{}'::jsonb END)
    ) meta ON true
    LEFT JOIN LATERAL (
        SELECT s.text FROM ai_summary s WHERE s.version_id = d.current_version_id ORDER BY s.created_at DESC LIMIT 1
    ) summary ON true
    LEFT JOIN LATERAL (
        SELECT string_agg(p.text, ' ' ORDER BY p.number) AS text
        FROM documents_documentpage p WHERE p.version_id = d.current_version_id
    ) body ON true
    CROSS JOIN LATERAL (
        SELECT setweight(to_tsvector(cfg.name::regconfig, coalesce(d.title, '')), 'A')
            || setweight(to_tsvector(cfg.name::regconfig,
                   coalesce(c.name, '') || ' ' || coalesce(tags.names, '') || ' ' || coalesce(d.description, '')
                   || ' ' || coalesce(meta.text, '')), 'B') AS vector
    ) head
    WHERE d.id = ANY(%(ids)s)
),
-- Read before the upsert below (one snapshot for the whole statement).
old AS (
    SELECT search_vector FROM search_documentsearchindex WHERE document_id = ANY(%(ids)s)
),
upsert AS (
    INSERT INTO search_documentsearchindex (document_id, config, search_vector, head_vector, collection_id, trashed,
                                            updated_at)
    SELECT document_id, config, search_vector, head_vector, collection_id, trashed, clock_timestamp() FROM new
    ON CONFLICT (document_id) DO UPDATE
    SET config = EXCLUDED.config, search_vector = EXCLUDED.search_vector, head_vector = EXCLUDED.head_vector,
        collection_id = EXCLUDED.collection_id, trashed = EXCLUDED.trashed, updated_at = EXCLUDED.updated_at
    RETURNING 1
),
delta AS (
    SELECT lexeme, sum(n)::int AS n FROM (
        SELECT unnest(tsvector_to_array(search_vector)) AS lexeme, 1 AS n FROM new
        UNION ALL
        SELECT unnest(tsvector_to_array(search_vector)), -1 FROM old
    ) changes
    GROUP BY lexeme HAVING sum(n) <> 0
)
-- In lexeme order, so concurrent re-indexing takes row locks in one order.
INSERT INTO search_termstatistic (lexeme, documents)
SELECT lexeme, n FROM delta ORDER BY lexeme
ON CONFLICT (lexeme) DO UPDATE SET documents = search_termstatistic.documents + EXCLUDED.documents
"""


def documents_reindex(document_ids: Iterable[int]) -> None:
    """Recompute the full-text vectors of these documents, in one statement."""
    import json

    ids = list(document_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _INDEX_SQL,
            {
                "ids": ids,
                "configs": json.dumps(LANGUAGE_CONFIGS),
                "default": DEFAULT_CONFIG,
                "max_body": MAX_BODY_CHARS,
            },
        )


def term_statistics_rebuild() -> int:
    """Recount every lexeme's documents from the full-text vectors (fixes the
    drift purges and concurrent edits leave). Returns the number of lexemes."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE search_termstatistic IN EXCLUSIVE MODE")
        cursor.execute(
            "CREATE TEMP TABLE fresh_terms ON COMMIT DROP AS SELECT word, ndoc FROM ts_stat("
            "'SELECT search_vector FROM search_documentsearchindex')"
        )
        cursor.execute(
            "DELETE FROM search_termstatistic t WHERE NOT EXISTS (SELECT 1 FROM fresh_terms f WHERE f.word = t.lexeme)"
        )
        cursor.execute(
            "INSERT INTO search_termstatistic (lexeme, documents) SELECT word, ndoc FROM fresh_terms ORDER BY word "
            "ON CONFLICT (lexeme) DO UPDATE SET documents = EXCLUDED.documents"
        )
        cursor.execute("SELECT count(*) FROM fresh_terms")
        return cursor.fetchone()[0]
