"""Request rates per API key, per signed-in user and per anonymous address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api import limits
from api.models import ApiKey
from documents.services.audit import client_ip


def bucket(request: Request) -> tuple[str, int]:
    """The counter a request is charged to and its limit per minute."""
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}", settings.API_THROTTLE_KEY_PER_MINUTE
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}", settings.API_THROTTLE_USER_PER_MINUTE
    # The address as the trusted proxies saw it: a client that sends its own
    # X-Forwarded-For still lands in the same bucket.
    return f"anon:{client_ip(request) or 'unknown'}", settings.API_THROTTLE_ANON_PER_MINUTE


class ClientRateThrottle(BaseThrottle):
    """429 with ``Retry-After`` past the caller's rate (settings read per request)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        name, limit = bucket(request)
        self._wait = limits.hit(name, limit)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
