"""The cache as an optimisation: a read or write that fails (Redis down)
falls back to computing the value, never to an error."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")


def cached_or_computed(key: str, compute: Callable[[], T], timeout: int) -> T:
    """The cached value for ``key``, or ``compute()`` stored for ``timeout``
    seconds. ``None`` is never cached (it means "not there")."""
    try:
        found = cache.get(key)
    except Exception:  # the cache is an optimisation; Redis may be down
        found = None
    if found is not None:
        return found
    value = compute()
    with contextlib.suppress(Exception):  # see above
        cache.set(key, value, timeout)
    return value
