"""Summaries of document versions.

Through the ``summary`` chain of providers: an external model returns
structured output (``{"summary": "..."}``), validated and cut to size; the
local fallback picks the document's most central sentences by embedding
(an extractive summary: every sentence is the document's own). Results are
kept by (content hash, capability, provider, model, prompt version), so
unchanged text is never summarised twice.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from ai.errors import AIDisabled
from ai.models import Summary
from ai.providers import embedding_backend
from ai.providers.base import EmbeddingBackend, GenerationRequest, GenerationResult
from ai.services.cache import InvalidOutput, cached_generate
from ai.services.text import (
    UNTRUSTED_RULES,
    bound_text,
    content_hash,
    estimate_tokens,
    normalise,
    split_sentences,
    untrusted,
)
from documents import selectors
from documents.models import AIPolicy, AuditAction, Document, DocumentVersion
from documents.pipeline import SLOW_QUEUE
from documents.services import audit_record

logger = logging.getLogger(__name__)
_WORD = re.compile(r"\w+")

CAPABILITY = "summary"
PROMPT_VERSION = "1"
MAX_SUMMARY_CHARS = 2_000
#: Sentences the local summariser weighs (embedding them all costs ~2 s per 100).
MAX_CANDIDATE_SENTENCES = 300
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "Three to five plain sentences."}},
    "required": ["summary"],
    "additionalProperties": False,
}
SYSTEM = (
    "You write the summary shown in a library catalog for one document. In three to five plain "
    "sentences, say what the document is, what it covers and what it concludes. Use only the "
    'document\'s content; do not add opinions. Reply with a JSON object with one key, "summary". ' + UNTRUSTED_RULES
)


def local_model_id(backend: EmbeddingBackend | None = None, *, lexical: bool = False) -> str:
    if lexical:
        return "extractive/lexical"
    backend = backend or embedding_backend()
    return f"extractive/{backend.model.name}"


def extractive_summary(
    text: str, *, sentences: int | None = None, backend: EmbeddingBackend | None = None, lexical: bool = False
) -> str:
    """The ``sentences`` most central sentences of ``text``, in document order.

    Centrality is the similarity of a sentence's vector to the mean of all
    of them; a sentence nearly identical to one already chosen is passed
    over. Vectors come from the embedding model, or — ``lexical``, for text
    that may not reach an external embedding provider — from word counts.
    """
    import numpy as np

    wanted = sentences or settings.AI_SUMMARY_SENTENCES
    candidates = list(dict.fromkeys(split_sentences(text)))[:MAX_CANDIDATE_SENTENCES]
    if not candidates:
        # No full sentences (a form, a table, a list): its opening words.
        words = normalise(text).split()
        return " ".join(words[:60]) + (" …" if len(words) > 60 else "")
    if len(candidates) <= wanted:
        return " ".join(candidates)
    if lexical:
        vectors = _word_vectors(candidates)
    else:
        backend = backend or embedding_backend()
        vectors = np.asarray(backend.embed_documents(candidates), dtype=np.float32)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    centrality = vectors @ centroid
    chosen: list[int] = []
    for index in np.argsort(-centrality, kind="stable"):
        if len(chosen) == wanted:
            break
        if chosen and float(np.max(vectors[chosen] @ vectors[index])) > 0.92:
            continue
        chosen.append(int(index))
    return " ".join(candidates[i] for i in sorted(chosen))


def _word_vectors(sentences: list[str]):
    """Unit-length vectors of log word counts (words of three letters or more)."""
    import numpy as np

    tokenised = [[w for w in _WORD.findall(s.casefold()) if len(w) >= 3] for s in sentences]
    vocabulary = {word: i for i, word in enumerate(sorted({w for words in tokenised for w in words}))}
    vectors = np.zeros((len(sentences), max(1, len(vocabulary))), dtype=np.float32)
    for row, words in enumerate(tokenised):
        for word in words:
            vectors[row, vocabulary[word]] += 1.0
    vectors = np.log1p(vectors)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


def validate_summary(result: GenerationResult) -> GenerationResult:
    """Only the ``summary`` string survives, whitespace-normalised and cut to size."""
    data = result.data
    if data is None and result.text:
        try:
            data = json.loads(result.text)
        except ValueError:
            data = None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), str):
        raise InvalidOutput("expected an object with a string 'summary'")
    summary = normalise(data["summary"])
    if not summary:
        raise InvalidOutput("the summary is empty")
    if len(summary) > MAX_SUMMARY_CHARS:
        cut = summary[:MAX_SUMMARY_CHARS]
        summary = cut[: cut.rfind(" ")] + " …"
    return GenerationResult(
        text="",
        data={"summary": summary},
        provider=result.provider,
        model=result.model,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
    )


def build_request(text: str) -> tuple[GenerationRequest, bool]:
    """The request for ``text``, bounded by ``AI_INPUT_MAX_TOKENS``; and whether it was cut."""
    bounded = bound_text(text, settings.AI_INPUT_MAX_TOKENS)
    note = ""
    if bounded.truncated:
        note = (
            f"The document is about {bounded.original_tokens} tokens long; only its first "
            f"{estimate_tokens(bounded.text)} tokens are included. Summarise what is included.\n\n"
        )
    request = GenerationRequest(
        capability=CAPABILITY,
        system=SYSTEM,
        prompt=note + untrusted("document", bounded.text),
        schema=SCHEMA,
        max_output_tokens=600,
        prompt_version=PROMPT_VERSION,
    )
    return request, bounded.truncated


def version_summarise(*, version: DocumentVersion, user: Any = None, force: bool = False) -> Summary | None:
    """The version's summary, made (or taken from the cache) when needed.

    ``None`` when the version has no text. ``force`` asks the providers
    again instead of using a kept result. Raises ``AIDisabled`` for
    collections without AI and ``NoProviderAvailable`` when the whole chain
    failed.
    """
    document = version.document
    if document.collection.ai_policy == AIPolicy.DISABLED:
        raise AIDisabled
    text = version.text
    if not text.strip():
        return None
    request, truncated = build_request(text)
    digest = content_hash(request.system, request.prompt, request.schema)
    backend = embedding_backend()
    # A local-only collection's sentences may not go to an external embedding provider.
    lexical = document.collection.ai_policy == AIPolicy.LOCAL_ONLY and backend.model.provider != "local"
    bounded = bound_text(text, settings.AI_INPUT_MAX_TOKENS).text
    model = local_model_id(backend, lexical=lexical)

    def local() -> GenerationResult:
        summary = extractive_summary(bounded, backend=backend, lexical=lexical)
        return GenerationResult(data={"summary": summary}, provider="local", model=model)

    result = cached_generate(
        request,
        content_hash=digest,
        local=local,
        local_model=model,
        validate=validate_summary,
        document=document,
        user=user,
        use_cache=not force,
    )
    text_out = result.data["summary"]
    with transaction.atomic():
        existing = Summary.objects.filter(version=version).first()
        # The same text from the same provider for the same input is the same
        # summary: a cached result names the configured model (an alias), the
        # stored summary the dated model that wrote it; keep that provenance.
        if (
            existing is not None
            and existing.content_hash == digest
            and (existing.provider, existing.prompt_version, existing.text)
            == (result.provider, PROMPT_VERSION, text_out)
        ):
            return existing
        Summary.objects.filter(version=version).delete()
        summary = Summary.objects.create(
            version=version,
            text=text_out,
            provider=result.provider,
            model=result.model,
            prompt_version=PROMPT_VERSION,
            content_hash=digest,
            truncated=truncated,
        )
    if Document.objects.filter(pk=document.pk, current_version_id=version.pk).exists():
        from search.services.index import documents_reindex

        documents_reindex([document.pk])
    return summary


def summary_regenerate(document: Document, user: Any) -> None:
    """Summarise the document's current version again, asking the providers
    afresh (in the background, after commit). For librarians who may edit it."""
    if not selectors.documents_editable_by(user).filter(pk=document.pk).exists():
        raise PermissionDenied("You may not edit this document.")
    if document.collection.ai_policy == AIPolicy.DISABLED:
        raise AIDisabled
    version_id = document.current_version_id
    if version_id is None:
        return
    audit_record(actor=user, action=AuditAction.REPROCESS, obj=document, details={"regenerate": "summary"})
    user_id = user.pk

    def send() -> None:
        from ai.tasks import regenerate_summary

        regenerate_summary.apply_async(args=[version_id, user_id], queue=SLOW_QUEUE)

    transaction.on_commit(send, robust=True)
