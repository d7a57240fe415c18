"""Unchanged text is never embedded twice: not across versions, not within one."""

from __future__ import annotations

import pytest

from ai.providers.registry import embedding_backend
from documents import services
from documents.demo.pdfwriter import render_pdf
from search.models import ChunkEmbedding, DocumentChunk
from search.services.embed import chunks_embed, configured_space
from tests.library import Library, upload

pytestmark = pytest.mark.django_db


def test_identical_passages_in_one_document_are_embedded_once(lib: Library, librarian) -> None:
    # a report whose pages repeat the same paragraphs (boilerplate does this)
    paragraph = "Boundary layer transition on a swept wing at moderate Reynolds number. " * 12
    document = upload(librarian, lib.library, render_pdf("Repeated", [paragraph] * 40), filename="repeated.pdf")
    for step in document.current_version.steps.filter(name__in=["extract", "chunk"]).order_by("position"):
        services.step_execute(version_id=document.current_version_id, step_name=step.name)
    chunks = list(DocumentChunk.objects.filter(version=document.current_version))
    distinct = {chunk.content_hash for chunk in chunks}
    assert len(chunks) > len(distinct) > 0

    backend = embedding_backend()
    computed = chunks_embed(chunks=chunks, space=configured_space(backend), backend=backend)

    assert computed == len(distinct)
    assert ChunkEmbedding.objects.filter(chunk__in=chunks).count() == len(chunks)
    # and re-embedding passages whose text already has a vector computes nothing
    first_of_each = {}
    for chunk in chunks:
        first_of_each.setdefault(chunk.content_hash, chunk.pk)
    ChunkEmbedding.objects.filter(chunk__in=chunks).exclude(chunk__in=first_of_each.values()).delete()
    assert chunks_embed(chunks=chunks, space=configured_space(backend), backend=backend) == 0
