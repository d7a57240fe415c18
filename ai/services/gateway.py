"""Every generative call goes through ``generate``: the capability's fallback
chain from ``settings.AI_PROVIDERS``, one ``AIRun`` ledger row per attempt.

For each external provider of the chain, in order, the gateway checks

1. the collection AI policy (``local_only`` → skipped, ``disabled`` → nothing
   at all: ``AIDisabled`` is raised before any work),
2. the circuit breaker (open → skipped),
3. the daily budget (spent → skipped),

then calls it, retrying transient errors (429, 5xx, timeouts) with backoff
that honours ``Retry-After``. With a ``validate`` function, an answer that
fails the capability's validation is that provider's error (an ``error`` row
with its tokens and cost) and the chain goes on to the next provider.
Skips and failures are ledger rows too; the
chain's ``local`` entry runs the caller's ``local`` function (extractive
summary, neighbour vote, best passages), which never leaves the server.

Logs name the capability, provider, model and outcome: never the prompt,
the model's output or a key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ai.errors import InvalidOutput
from ai.models import AIRun, Outcome
from ai.providers.base import GenerationRequest, GenerationResult, ProviderError
from ai.providers.http import backoff_delay, redact
from ai.providers.ledger import cost_of
from ai.providers.registry import generation_backend
from ai.services import breaker, budget
from ai.services.policy import AIDisabled, ensure_allowed
from documents.models import AIPolicy

log = structlog.get_logger(__name__)

__all__ = ["AIDisabled", "InvalidOutput", "NoProviderAvailable", "Validator", "chain", "generate"]

#: Reduces a result to what the capability allows; raises ``InvalidOutput``
#: when nothing usable is left.
Validator = Callable[[GenerationResult], GenerationResult]


class NoProviderAvailable(Exception):
    """Every provider of the chain failed or was not allowed."""


def chain(capability: str) -> list[dict[str, Any]]:
    return [dict(entry) for entry in settings.AI_PROVIDERS.get(capability, [{"backend": "local"}])]


class _Attempt:
    """One ledger row in the making."""

    def __init__(self, request: GenerationRequest, provider: str, document: Any, user: Any) -> None:
        self.started = time.monotonic()
        self.run = AIRun(
            capability=request.capability,
            provider=provider,
            prompt_version=request.prompt_version,
            document=document,
            user=user if getattr(user, "is_authenticated", False) else None,
        )

    def finish(self, outcome: str, *, error: str = "", result: GenerationResult | None = None) -> AIRun:
        run = self.run
        run.outcome, run.error = outcome, error[:1000]
        if result is not None:
            run.model = result.model or run.model
            run.tokens_in, run.tokens_out = result.tokens_in, result.tokens_out
            run.cost = cost_of(run.model, run.tokens_in, run.tokens_out)
        run.latency_ms = int((time.monotonic() - self.started) * 1000)
        run.save()
        return run


def generate(
    request: GenerationRequest,
    *,
    local: Callable[[], GenerationResult] | None = None,
    document: Any = None,
    documents: Iterable[Any] = (),
    user: Any = None,
    validate: Validator | None = None,
) -> GenerationResult:
    """Run ``request`` through its capability's chain; the first valid answer wins.

    ``document`` is the document the request is about (kept on the ledger
    row); ``documents`` are any others whose text is in the prompt (the
    passages of an answer). The strictest of their collections' AI policies
    applies. ``validate`` (optional) checks and reduces each answer; an
    external provider's invalid answer counts as its error and the next
    provider is asked, an invalid local answer raises ``InvalidOutput``.
    Raises ``AIDisabled`` when that policy is ``disabled`` and
    ``NoProviderAvailable`` when no provider of the chain answered.
    """
    policy = ensure_allowed([document, *documents])
    errors: list[str] = []
    for entry in chain(request.capability):
        name = entry.get("backend", "")
        if name == "local":
            if local is None:
                continue
            attempt = _Attempt(request, name, document, user)
            result = local()
            result.provider = result.provider or "local"
            if validate is not None:
                try:
                    result = validate(result)
                except InvalidOutput as exc:
                    attempt.finish(Outcome.ERROR, error=f"invalid output: {exc}", result=result)
                    raise
            result.requested_model = result.requested_model or result.model
            attempt.finish(Outcome.OK, result=result)
            return result
        result = _try_external(
            request, entry, policy=policy, document=document, user=user, errors=errors, validate=validate
        )
        if result is not None:
            return result
    raise NoProviderAvailable("; ".join(errors) or f"no provider configured for {request.capability}")


def _try_external(
    request: GenerationRequest,
    entry: dict[str, Any],
    *,
    policy: AIPolicy,
    document: Any,
    user: Any,
    errors: list[str],
    validate: Validator | None = None,
) -> GenerationResult | None:
    """One external provider: policy, breaker and budget, then up to
    ``AI_RETRY_ATTEMPTS`` calls. The result, or None to go on down the chain."""
    name = entry["backend"]

    def skip(reason: str, model: str = "") -> None:
        attempt = _Attempt(request, name, document, user)
        attempt.run.model = model
        attempt.finish(Outcome.SKIPPED, error=reason)
        errors.append(f"{name}: {reason}")
        log.info("ai_provider_skipped", capability=request.capability, provider=name, reason=reason)

    if policy == AIPolicy.LOCAL_ONLY:
        skip("the collection's text may not leave the server (local only)", entry.get("model", ""))
        return None
    try:
        backend = generation_backend(entry)
    except ImproperlyConfigured as exc:
        skip(f"not configured: {redact(str(exc), entry.get('api_key', ''))}", entry.get("model", ""))
        return None
    until = breaker.open_until(name)
    if until is not None:
        skip(f"circuit open after repeated failures, retried after {int(until - time.time()) + 1}s", backend.model)
        return None
    over = budget.exceeded(name)
    if over:
        skip(over, backend.model)
        return None

    tries = 0
    while True:
        tries += 1
        attempt = _Attempt(request, name, document, user)
        attempt.run.model = backend.model
        try:
            result = backend.generate(request)
        except ProviderError as exc:
            message = redact(str(exc), entry.get("api_key", ""))
            attempt.finish(Outcome.ERROR, error=message)
            opened = breaker.record_failure(name)
            log.warning(
                "ai_call_failed",
                capability=request.capability,
                provider=name,
                model=backend.model,
                attempt=tries,
                transient=exc.transient,
                error=message[:300],
            )
            delay = backoff_delay(tries, exc.retry_after) if exc.transient else None
            if opened or delay is None or tries >= settings.AI_RETRY_ATTEMPTS:
                errors.append(f"{name}: {message}")
                return None
            time.sleep(delay)
            continue
        result.provider = name
        if validate is not None:
            try:
                result = validate(result)
            except InvalidOutput as exc:
                # The provider answered (and is paid for) but not usably: its
                # error, and the next provider of the chain is asked. Asking
                # the same model again would most likely repeat the answer.
                message = f"invalid output: {exc}"
                attempt.finish(Outcome.ERROR, error=message, result=result)
                breaker.record_success(name)
                errors.append(f"{name}: {message}")
                log.warning(
                    "ai_invalid_output",
                    capability=request.capability,
                    provider=name,
                    model=backend.model,
                    error=str(exc)[:300],
                )
                return None
            result.provider = name
        result.requested_model = backend.model
        run = attempt.finish(Outcome.OK, result=result)
        breaker.record_success(name)
        log.info(
            "ai_call",
            capability=request.capability,
            provider=name,
            model=run.model,
            tokens_in=run.tokens_in,
            tokens_out=run.tokens_out,
            cost=str(run.cost),
            latency_ms=run.latency_ms,
        )
        return result
