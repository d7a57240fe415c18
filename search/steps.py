"""Search's pipeline steps and its listener for metadata changes."""

from __future__ import annotations

from ai.providers import embedding_backend
from documents.models import AIPolicy, DocumentVersion
from documents.pipeline import SLOW_QUEUE, StepContext, register_change_listener, register_step
from search.models import DocumentChunk, SpaceState
from search.services import embed, index, similar


@register_step("chunk", position=30)
def chunk_step(version: DocumentVersion, context: StepContext) -> None:
    index.chunks_rebuild(version=version)
    if version.document.current_version_id == version.pk:
        index.documents_reindex([version.document_id])


@register_step("embed", position=40, queue=SLOW_QUEUE)
def embed_step(version: DocumentVersion, context: StepContext) -> None:
    chunks = list(DocumentChunk.objects.filter(version=version).order_by("number"))
    if not chunks:
        context.skip("no text to embed")
    policy = version.document.collection.ai_policy
    if policy == AIPolicy.DISABLED:
        context.skip("AI processing is disabled for this collection")
    backend = embedding_backend()
    if policy == AIPolicy.LOCAL_ONLY and backend.model.provider != "local":
        context.skip("this collection's text may not leave the server")
    space = embed.configured_space(backend)
    missing = list(embed.chunks_missing(space).filter(version=version).order_by("number"))
    total = len(missing)
    done = 0
    for start in range(0, total, backend.batch_size):
        batch = missing[start : start + backend.batch_size]
        embed.chunks_embed(chunks=batch, space=space, backend=backend)
        done += len(batch)
        context.progress(done, total)
    embed.superseded_chunks_remove(version=version)
    if version.document.current_version_id == version.pk and space.state == SpaceState.ACTIVE:
        similar.near_duplicates_flag(version.document)


@register_change_listener
def reindex_changed(document_ids: list[int]) -> None:
    index.documents_reindex(document_ids)
    embed.embeddings_sync_access(document_ids)
