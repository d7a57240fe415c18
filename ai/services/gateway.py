"""Every generative call goes through ``generate``: the capability's fallback
chain from ``settings.AI_PROVIDERS``, one ``AIRun`` ledger row per attempt.

The chain's ``local`` entry runs the caller's ``local`` function (extractive
summary, neighbour vote, best passages): it never leaves the server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings

from ai.models import AIRun, Outcome
from ai.providers.base import GenerationRequest, GenerationResult, ProviderError
from ai.providers.registry import generation_backend

log = structlog.get_logger(__name__)


class NoProviderAvailable(Exception):
    """Every provider of the chain failed or was not allowed."""


def chain(capability: str) -> list[dict[str, Any]]:
    return [dict(entry) for entry in settings.AI_PROVIDERS.get(capability, [{"backend": "local"}])]


def generate(
    request: GenerationRequest,
    *,
    local: Callable[[], GenerationResult] | None = None,
    document: Any = None,
    user: Any = None,
) -> GenerationResult:
    """Run ``request`` through its capability's chain; the first success wins."""
    errors: list[str] = []
    for entry in chain(request.capability):
        name = entry.get("backend", "")
        started = time.monotonic()
        run = AIRun(
            capability=request.capability,
            provider=name,
            prompt_version=request.prompt_version,
            document=document,
            user=user if getattr(user, "is_authenticated", False) else None,
        )
        try:
            if name == "local":
                if local is None:
                    continue
                result = local()
            else:
                backend = generation_backend(entry)
                run.model = backend.model
                result = backend.generate(request)
        except ProviderError as exc:
            run.outcome, run.error = Outcome.ERROR, str(exc)[:1000]
            errors.append(f"{name}: {exc}")
            log.warning("ai_call_failed", capability=request.capability, provider=name, error=str(exc)[:200])
        else:
            run.outcome = Outcome.OK
            run.model = result.model or run.model
            run.tokens_in, run.tokens_out = result.tokens_in, result.tokens_out
            result.provider = result.provider or name
        run.latency_ms = int((time.monotonic() - started) * 1000)
        run.save()
        if run.outcome == Outcome.OK:
            return result
    raise NoProviderAvailable("; ".join(errors) or f"no provider configured for {request.capability}")
