"""Generative calls made at most once per input: results are kept by
(capability, content hash, provider, model, prompt version)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from ai.models import AIRun, CachedGeneration, Outcome
from ai.providers.base import GenerationRequest, GenerationResult
from ai.providers.registry import generation_backend
from ai.services.gateway import chain, generate

logger = logging.getLogger(__name__)


class InvalidOutput(ValueError):
    """A model's output does not match the capability's schema."""


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
    raises ``InvalidOutput`` when nothing usable is left. A provider's
    invalid output is not kept; the local fallback answers instead.
    """
    if use_cache:
        hit = cached_result(request, content_hash=content_hash, local_model=local_model)
        if hit is not None:
            try:
                return validate(hit)
            except InvalidOutput:
                logger.warning("Discarding an invalid cached %s result", request.capability)
    result = generate(request, local=local, document=document, user=user)
    try:
        result = validate(result)
    except InvalidOutput as exc:
        if result.provider == "local":
            raise
        # Counted in the ledger as a call that returned nothing usable.
        logger.warning("Invalid %s output from %s: %s", request.capability, result.provider, exc)
        _mark_invalid(request, result, str(exc), document)
        result = validate(_run_local(request, local, document, user))
    _keep(request, result, content_hash, document)
    return result


def _keep(request: GenerationRequest, result: GenerationResult, content_hash: str, document: Any) -> None:
    try:
        with transaction.atomic():
            CachedGeneration.objects.update_or_create(
                capability=request.capability,
                content_hash=content_hash,
                provider=result.provider,
                model=result.model,
                prompt_version=request.prompt_version,
                defaults={"text": result.text, "data": result.data},
                create_defaults={"text": result.text, "data": result.data, "document": document},
            )
    except IntegrityError:  # a concurrent run kept the same result first
        pass


def _mark_invalid(request: GenerationRequest, result: GenerationResult, reason: str, document: Any) -> None:
    run = (
        AIRun.objects.filter(
            capability=request.capability, provider=result.provider, outcome=Outcome.OK, document=document
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if run is not None:
        AIRun.objects.filter(pk=run.pk).update(outcome=Outcome.ERROR, error=f"invalid output: {reason}"[:1000])


def _run_local(
    request: GenerationRequest, local: Callable[[], GenerationResult], document: Any, user: Any
) -> GenerationResult:
    """The local fallback after a provider's unusable answer, in the ledger like any call."""
    started = time.monotonic()
    result = local()
    result.provider = result.provider or "local"
    AIRun.objects.create(
        capability=request.capability,
        provider="local",
        model=result.model,
        prompt_version=request.prompt_version,
        document=document,
        user=user if getattr(user, "is_authenticated", False) else None,
        outcome=Outcome.OK,
        latency_ms=int((time.monotonic() - started) * 1000),
    )
    return result
