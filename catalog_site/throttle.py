"""Login throttling: after ``LOGIN_THROTTLE_ATTEMPTS`` failed sign-ins within
``LOGIN_THROTTLE_WINDOW_SECONDS``, from one client address or for one
username, further attempts get 429 with ``Retry-After`` until the window
ends.

The address is the one ``documents.services.client_ip`` trusts: with
``TRUSTED_PROXY_COUNT`` proxies it is read that many hops from the right of
``X-Forwarded-For``, so a client writing its own header cannot reset its
count. Counts live in the cache (fixed windows); if the cache is down the
throttle lets sign-ins through rather than locking everyone out.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from documents.services import client_ip

logger = logging.getLogger(__name__)


def _window() -> tuple[int, int]:
    """(index of the current window, seconds until it ends)."""
    size = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    now = int(time.time())
    return now // size, size - now % size


def _keys(request: HttpRequest, username: str) -> list[str]:
    index, _ = _window()
    keys = [f"login-throttle:ip:{client_ip(request) or 'unknown'}:{index}"]
    if username:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        keys.append(f"login-throttle:user:{digest}:{index}")
    return keys


def _is_login(request: HttpRequest) -> bool:
    return request.method == "POST" and request.path in settings.LOGIN_THROTTLE_PATHS


def seconds_blocked(request: HttpRequest, username: str) -> int:
    """Seconds until ``request`` may try again; 0 if it may now."""
    try:
        counts = cache.get_many(_keys(request, username))
    except Exception as exc:  # the cache being down must not lock people out
        logger.warning("Login throttle unavailable: %s", exc.__class__.__name__)
        return 0
    if any(count >= settings.LOGIN_THROTTLE_ATTEMPTS for count in counts.values()):
        return _window()[1]
    return 0


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    if request is None or not _is_login(request):
        return
    try:
        for key in _keys(request, str(credentials.get("username", ""))):
            cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS + 5)
            cache.incr(key)
    except Exception as exc:
        logger.warning("Login throttle could not count a failure: %s", exc.__class__.__name__)


class LoginThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_login(request):
            wait = seconds_blocked(request, request.POST.get("username", ""))
            if wait:
                logger.warning("Sign-in throttled for %s", client_ip(request))
                response = HttpResponse(
                    f"Too many failed sign-ins. Try again in {wait} seconds.",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
