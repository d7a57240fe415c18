"""Fixed-window counters in the cache's Redis, shared by every web process.

One round trip per request (INCR and EXPIRE in one pipeline). When Redis is
unreachable the counters fail open: an outage of the cache must not take
the API down with it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def _now() -> float:
    return time.time()


def _client(key: str) -> Any:
    # Django's RedisCache has no atomic "increment or create"; its client
    # does, and uses the cache's own connection pool and key prefix.
    return cache._cache.get_client(key, write=True)


def hit(name: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Count one event for ``name``; None while within ``limit``, otherwise
    the seconds until the window ends (the ``Retry-After``)."""
    now = _now()
    slot = int(now // window)
    key = cache.make_and_validate_key(f"api-limit:{name}:{slot}")
    try:
        pipe = _client(key).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window + 5, nx=True)
        count = pipe.execute()[0]
    except Exception as exc:  # the cache being down must not break requests
        logger.warning("Rate-limit counter unavailable: %s", exc.__class__.__name__)
        return None
    if count <= limit:
        return None
    return max(1, int((slot + 1) * window - now) + 1)
