"""Circuit breaker per provider, its state in the Django cache (Redis) so
that every web and worker process sees the same.

After ``AI_BREAKER_FAILURES`` consecutive failed calls the provider is
skipped for ``AI_BREAKER_COOLDOWN_SECONDS``; then one call is let through and
its outcome closes the circuit or opens it again. When the cache itself is
unreachable the breaker stays closed: calls are still made and retried.
"""

from __future__ import annotations

import time

import structlog
from django.conf import settings
from django.core.cache import cache

log = structlog.get_logger(__name__)


def _failures_key(provider: str) -> str:
    return f"ai:breaker:{provider}:failures"


def _open_key(provider: str) -> str:
    return f"ai:breaker:{provider}:open-until"


def open_until(provider: str) -> float | None:
    """Unix time until which ``provider`` is skipped, or None when closed."""
    try:
        until = cache.get(_open_key(provider))
    except Exception:  # a cache outage must not stop AI calls
        log.warning("ai_breaker_cache_unavailable", provider=provider)
        return None
    if until is None or until <= time.time():
        return None
    return float(until)


def record_failure(provider: str) -> bool:
    """Count a failed call; True when this failure opened the circuit."""
    key = _failures_key(provider)
    cooldown = settings.AI_BREAKER_COOLDOWN_SECONDS
    try:
        cache.add(key, 0, timeout=max(cooldown * 4, 3600))
        failures = cache.incr(key)
        if failures < settings.AI_BREAKER_FAILURES:
            return False
        cache.set(_open_key(provider), time.time() + cooldown, timeout=cooldown)
        # Half-open after the cool-down: the next failure alone opens it again.
        cache.set(key, settings.AI_BREAKER_FAILURES - 1, timeout=max(cooldown * 4, 3600))
    except Exception:  # a cache outage must not stop AI calls
        log.warning("ai_breaker_cache_unavailable", provider=provider)
        return False
    log.warning("ai_circuit_opened", provider=provider, failures=failures, cooldown_seconds=cooldown)
    return True


def record_success(provider: str) -> None:
    try:
        cache.delete_many([_failures_key(provider), _open_key(provider)])
    except Exception:  # a cache outage must not stop AI calls
        log.warning("ai_breaker_cache_unavailable", provider=provider)


def reset(provider: str) -> None:
    """Close the circuit (an operator fixed the key, tests start clean)."""
    record_success(provider)
