"""Generative calls made at most once per input: results are kept by
(capability, content hash, provider, model, prompt version)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from ai.errors import InvalidOutput
from ai.models import CachedGeneration
from ai.providers.base import GenerationRequest, GenerationResult
from ai.providers.registry import generation_backend
from ai.services.gateway import chain, generate

__all__ = ["InvalidOutput", "cached_generate", "cached_result", "chain_identities"]

logger = logging.getLogger(__name__)


def chain_identities(capability: str, local_model: str) -> list[tuple[str, str]]:
    """(provider, model) of each entry of the capability's chain, in order."""
    identities = []
    for entry in chain(capability):
        name = entry.get("backend", "")
        if name == "local":
            identities.append(("local", local_model))
            continue
        model = entry.get("model")
        if not model:
            try:
                model = generation_backend(entry).model
            except Exception:  # an unknown or misconfigured provider is skipped by the gateway too
                logger.debug("No model known for provider %s", name)
                continue
        identities.append((name, str(model)))
    return identities


def cached_result(request: GenerationRequest, *, content_hash: str, local_model: str) -> GenerationResult | None:
    """The kept result for this input from the first provider of the chain that has one."""
    identities = chain_identities(request.capability, local_model)
    if not identities:
        return None
    rows = {
        (row.provider, row.model): row
        for row in CachedGeneration.objects.filter(
            capability=request.capability,
            content_hash=content_hash,
            prompt_version=request.prompt_version,
            provider__in={provider for provider, _ in identities},
        )
    }
    for identity in identities:
        row = rows.get(identity)
        if row is not None:
            return GenerationResult(text=row.text, data=row.data, provider=row.provider, model=row.model)
    return None


def cached_generate(
    request: GenerationRequest,
    *,
    content_hash: str,
    local: Callable[[], GenerationResult],
    local_model: str,
    validate: Callable[[GenerationResult], GenerationResult],
    document: Any = None,
    user: Any = None,
    use_cache: bool = True,
) -> GenerationResult:
    """A validated result for ``request``: from the cache, or through the
    gateway (one ledger row per attempt) and then kept.

    ``validate`` returns the result reduced to what the capability allows and
    raises ``InvalidOutput`` when nothing usable is left. The gateway
    applies it to each provider's answer: an invalid one is that provider's
    error on the ledger and the next provider of the chain is asked. Only
    valid results are kept.
    """
    if use_cache:
        hit = cached_result(request, content_hash=content_hash, local_model=local_model)
        if hit is not None:
            try:
                return validate(hit)
            except InvalidOutput:
                logger.warning("Discarding an invalid cached %s result", request.capability)
    result = generate(request, local=local, document=document, user=user, validate=validate)
    _keep(request, result, content_hash, document)
    return result


def _keep(request: GenerationRequest, result: GenerationResult, content_hash: str, document: Any) -> None:
    # Kept under the model as configured, which is what the chain looks up:
    # providers report a dated snapshot for an alias ("claude-sonnet-4-5").
    model = result.requested_model or result.model
    try:
        with transaction.atomic():
            CachedGeneration.objects.update_or_create(
                capability=request.capability,
                content_hash=content_hash,
                provider=result.provider,
                model=model,
                prompt_version=request.prompt_version,
                defaults={"text": result.text, "data": result.data},
                create_defaults={"text": result.text, "data": result.data, "document": document},
            )
    except IntegrityError:  # a concurrent run kept the same result first
        pass
