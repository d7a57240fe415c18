"""Embeddings: which vector space is active, filling a space, and the
per-model HNSW index.

Vectors are keyed by (content hash, model): a passage whose text did not
change is never embedded twice, even across versions and documents.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ai.providers import EmbeddingBackend, embedding_backend
from catalog_site.caching import cached_or_computed
from documents.models import DocumentVersion
from search.models import ChunkEmbedding, DocumentChunk, EmbeddingSpace, SpaceState

logger = logging.getLogger(__name__)

_SAFE_MODEL_ID = re.compile(r"^[A-Za-z0-9:._/-]{1,120}$")
QUERY_CACHE_SECONDS = 3600


def _quoted_model_id(model_id: str) -> str:
    # Index DDL cannot take parameters; model ids come from settings and are
    # checked against a strict pattern before being quoted.
    if not _SAFE_MODEL_ID.match(model_id):
        raise ValueError(f"unexpected characters in embedding model id {model_id!r}")
    return "'" + model_id.replace("'", "''") + "'"


def ensure_space_index(space: EmbeddingSpace) -> None:
    """A partial HNSW index over this space's vectors, cast to its dimensions."""
    sql = (
        f"CREATE INDEX IF NOT EXISTS {space.index_name} ON search_chunkembedding "
        f"USING hnsw ((embedding::vector({int(space.dimensions)})) vector_cosine_ops) "
        f"WITH (m = {int(settings.SEARCH_HNSW_M)}, ef_construction = {int(settings.SEARCH_HNSW_EF_CONSTRUCTION)}) "
        f"WHERE model_id = {_quoted_model_id(space.model_id)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)


def configured_space(backend: EmbeddingBackend | None = None) -> EmbeddingSpace:
    """The space of the configured model; the first one ever becomes active."""
    backend = backend or embedding_backend()
    model = backend.model
    with transaction.atomic():
        space, created = EmbeddingSpace.objects.get_or_create(
            model_id=model.id, defaults={"dimensions": model.dimensions}
        )
        if created:
            ensure_space_index(space)
            if not EmbeddingSpace.objects.filter(state=SpaceState.ACTIVE).exists():
                space.state = SpaceState.ACTIVE
                space.activated_at = timezone.now()
                space.save(update_fields=["state", "activated_at"])
    return space


def active_space() -> EmbeddingSpace | None:
    return EmbeddingSpace.objects.filter(state=SpaceState.ACTIVE).first()


def chunks_missing(space: EmbeddingSpace):
    present = ChunkEmbedding.objects.filter(chunk=OuterRef("pk"), model_id=space.model_id)
    return DocumentChunk.objects.filter(~Exists(present))


def chunks_embed(*, chunks: list[DocumentChunk], space: EmbeddingSpace, backend: EmbeddingBackend) -> int:
    """Give each chunk a vector in ``space``: reused by content hash where one
    exists, computed otherwise. Returns how many were computed."""
    if not chunks:
        return 0
    hashes = {chunk.content_hash for chunk in chunks}
    known = dict(
        ChunkEmbedding.objects.filter(model_id=space.model_id, content_hash__in=hashes)
        .order_by("content_hash")
        .distinct("content_hash")
        .values_list("content_hash", "embedding")
    )
    # One computation per distinct text: repeated passages (boilerplate,
    # identical pages) share a vector.
    todo = list({chunk.content_hash: chunk for chunk in chunks if chunk.content_hash not in known}.values())
    for start in range(0, len(todo), backend.batch_size):
        batch = todo[start : start + backend.batch_size]
        vectors = backend.embed_documents([chunk.text for chunk in batch])
        for chunk, vector in zip(batch, vectors, strict=True):
            known[chunk.content_hash] = vector
    ChunkEmbedding.objects.bulk_create(
        [
            ChunkEmbedding(
                chunk=chunk,
                document_id=chunk.document_id,
                model_id=space.model_id,
                content_hash=chunk.content_hash,
                embedding=known[chunk.content_hash],
            )
            for chunk in chunks
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    embeddings_sync_access({chunk.document_id for chunk in chunks})
    return len(todo)


def embeddings_sync_access(document_ids: Iterable[int]) -> None:
    """Copy each document's collection and trash state onto its vectors."""
    ids = list(document_ids)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE search_chunkembedding e
            SET collection_id = d.collection_id, trashed = d.trashed_at IS NOT NULL
            FROM documents_document d
            WHERE d.id = e.document_id AND d.id = ANY(%s)
              AND (e.collection_id <> d.collection_id OR e.trashed <> (d.trashed_at IS NOT NULL))
            """,
            [ids],
        )


def superseded_chunks_remove(*, version: DocumentVersion) -> int:
    """Drop the passages (and vectors) of the document's other versions once
    ``version`` is current and embedded: search only ever reads the current
    version, and this keeps the vector index small."""
    if version.document.current_version_id != version.pk:
        return 0
    deleted, _ = DocumentChunk.objects.filter(document_id=version.document_id).exclude(version=version).delete()
    return deleted


def space_try_activate(space: EmbeddingSpace) -> bool:
    """Switch search to ``space`` once every chunk has a vector in it."""
    if space.state == SpaceState.ACTIVE:
        return True
    if chunks_missing(space).exists():
        return False
    with transaction.atomic():
        EmbeddingSpace.objects.filter(state=SpaceState.ACTIVE).update(state=SpaceState.RETIRED)
        EmbeddingSpace.objects.filter(pk=space.pk).update(state=SpaceState.ACTIVE, activated_at=timezone.now())
    logger.info("Embedding space %s is now active", space.model_id)
    return True


def backlog_drain(*, batch: int = 256) -> dict[str, int]:
    """Embed chunks still missing a vector in the configured space (a model
    change, or work lost earlier); activate the space when complete.
    Resumable: each run picks up what is still missing."""
    backend = embedding_backend()
    space = configured_space(backend)
    chunks = list(chunks_missing(space).order_by("pk")[:batch])
    computed = chunks_embed(chunks=chunks, space=space, backend=backend)
    activated = space_try_activate(space) if len(chunks) < batch else False
    return {"chunks": len(chunks), "computed": computed, "activated": int(activated)}


def query_vector(text: str, backend: EmbeddingBackend | None = None) -> list[float]:
    """The query's embedding, cached (the cache being down is not an error)."""
    backend = backend or embedding_backend()
    key = "qvec:" + hashlib.sha256(f"{backend.model.id}\0{text}".encode()).hexdigest()
    return cached_or_computed(key, lambda: [float(x) for x in backend.embed_query(text)], QUERY_CACHE_SECONDS)
