"""The AI tests fake external providers only at the HTTP transport.

The SDKs (anthropic, openai, google-genai) send through ``httpx2``/``httpcore2``,
a fork of httpx under its own name; respx patches ``httpcore``. The mocker
below is respx's own ``HTTPCoreMocker`` pointed at ``httpcore2``'s connection
pools, so each SDK builds its real request, respx answers it (or raises the
transport's real timeout), and the SDK parses the response as it would the
provider's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpcore2
import pytest
import respx
from respx.mocks import HTTPCoreMocker

from ai.providers import reset_backends
from ai.services import breaker


class HTTPCore2Mocker(HTTPCoreMocker):
    name = "httpcore2"
    targets = [
        "httpcore2._sync.connection.HTTPConnection",
        "httpcore2._sync.connection_pool.ConnectionPool",
        "httpcore2._sync.http_proxy.HTTPProxy",
        "httpcore2._async.connection.AsyncHTTPConnection",
        "httpcore2._async.connection_pool.AsyncConnectionPool",
        "httpcore2._async.http_proxy.AsyncHTTPProxy",
    ]

    @classmethod
    def from_sync_httpx_response(cls, httpx_response: Any, target: Any, **kwargs: Any) -> httpcore2.Response:
        return httpcore2.Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )


PROVIDERS = ("anthropic", "openai", "gemini")


@pytest.fixture
def provider_http() -> Iterator[respx.Router]:
    """A respx router in front of every provider SDK; unmatched requests fail."""
    with respx.mock(using=HTTPCore2Mocker.name, assert_all_called=False) as router:
        yield router


@pytest.fixture(autouse=True)
def _clean_ai_state(settings: Any) -> Iterator[None]:
    """Fresh backends, closed circuits and quick retries for every test."""
    settings.AI_RETRY_BASE_DELAY = 0.01
    settings.AI_RETRY_MAX_DELAY = 2.0
    settings.AI_RETRY_ATTEMPTS = 3
    settings.AI_BREAKER_FAILURES = 5
    settings.AI_BREAKER_COOLDOWN_SECONDS = 60
    settings.AI_DAILY_BUDGETS = {name: {"tokens": None, "cost": None} for name in PROVIDERS}
    reset_backends()
    for name in PROVIDERS:
        breaker.reset(name)
    yield
    reset_backends()
    for name in PROVIDERS:
        breaker.reset(name)
