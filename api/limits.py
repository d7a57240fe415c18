"""Fixed-window counters in the cache (Redis), shared by every web process.

One ``INCR`` per request. When the cache is unreachable the counters fail
open: an outage of Redis must not take the API down with it.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def hit(name: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Count one event for ``name``; None if within ``limit``, otherwise the
    seconds until the window ends (the ``Retry-After``)."""
    now = time.time()
    slot = int(now // window)
    key = f"api-limit:{name}:{slot}"
    try:
        # add() is a no-op when the key exists; incr() is atomic in Redis.
        cache.add(key, 0, timeout=window + 5)
        count = cache.incr(key)
    except Exception as exc:  # the cache being down must not break requests
        logger.warning("Rate-limit counter unavailable: %s", exc.__class__.__name__)
        return None
    if count <= limit:
        return None
    return max(1, int((slot + 1) * window - now) + 1)


def exceeded(name: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Like ``hit`` but without counting: the wait if ``name`` is over ``limit``."""
    now = time.time()
    slot = int(now // window)
    try:
        count = cache.get(f"api-limit:{name}:{slot}") or 0
    except Exception:
        return None
    if count < limit:
        return None
    return max(1, int((slot + 1) * window - now) + 1)
