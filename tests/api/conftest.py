"""API clients: a DRF test client per person, authenticated by a real API key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from api.services import api_key_create
from documents import services
from documents.models import Document
from tests.library import Library, pdf_bytes, upload


def key_client(user, scopes: tuple[str, ...] = ("read", "write")) -> APIClient:
    issued = api_key_create(user=user, name="test", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")
    client.secret = issued.secret
    return client


@pytest.fixture
def api_for() -> Callable[..., APIClient]:
    return key_client


def processed(document: Document, steps: tuple[str, ...] | None = None) -> Document:
    """Run the pipeline steps in-process (the worker tests cover the real worker)."""
    for step in document.current_version.steps.order_by("position"):
        if steps is None or step.name in steps:
            services.step_execute(version_id=document.current_version_id, step_name=step.name)
    document.refresh_from_db()
    return document


@pytest.fixture
def public_doc(lib: Library, librarian) -> Document:
    return processed(
        upload(
            librarian,
            lib.library,
            pdf_bytes(title="Wing slats", text="Leading-edge slats delay the stall of a swept wing."),
            filename="wing.pdf",
            title="Wing slats",
            language="en",
        )
    )


@pytest.fixture
def secret_doc(lib: Library, board_member) -> Document:
    return processed(
        upload(
            board_member,
            lib.restricted,
            pdf_bytes(title="Board budget", text="Secret merger budget: slats of the wing and four million euros."),
            filename="budget.pdf",
            title="Board budget secret",
            language="en",
        )
    )


@pytest.fixture(autouse=True)
def fresh_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate-limit counters live in the real cache; start each test at zero,
    in the middle of a window (a test must not straddle a minute boundary)."""
    import time

    from django.core.cache import cache

    from api import limits

    middle = (int(time.time() // limits.WINDOW_SECONDS) + 0.5) * limits.WINDOW_SECONDS
    monkeypatch.setattr(limits, "_now", lambda: middle)

    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match="*api-limit:*"):
        client.delete(key)
