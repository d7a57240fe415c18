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
INSERT INTO search_documentsearchindex (document_id, config, search_vector, updated_at)
SELECT d.id, cfg.name,
       setweight(to_tsvector(cfg.name::regconfig, coalesce(d.title, '')), 'A')
    || setweight(to_tsvector(cfg.name::regconfig,
           coalesce(c.name, '') || ' ' || coalesce(tags.names, '') || ' ' || coalesce(d.description, '')
           || ' ' || coalesce(meta.text, '') || ' ' || coalesce(summary.text, '')), 'B')
    || setweight(to_tsvector(cfg.name::regconfig, left(coalesce(body.text, ''), %(max_body)s)), 'C'),
       now()
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
WHERE d.id = ANY(%(ids)s)
ON CONFLICT (document_id) DO UPDATE
SET config = EXCLUDED.config, search_vector = EXCLUDED.search_vector, updated_at = EXCLUDED.updated_at
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
