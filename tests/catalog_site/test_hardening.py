"""Security headers on pages, and sign-in throttling (CHECKLIST K4)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_the_security_headers(client: Client) -> None:
    response = client.get("/")

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_sent_over_https_behind_the_proxy(client: Client, settings: Settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get("/", headers={"X-Forwarded-Proto": "https"})

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def attempt(client: Client, username: str, forwarded_for: str | None = None) -> object:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/admin/login/", {"username": username, "password": "wrong"}, headers=headers)


@pytest.fixture
def throttle(settings: Settings) -> Settings:
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 600
    # each test counts under its own cache keys
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"throttle-{uuid.uuid4().hex}"},
    }
    return settings


def test_repeated_bad_sign_ins_get_429_with_retry_after(client: Client, throttle: Settings) -> None:
    UserFactory(username="ada", is_staff=True)
    for _ in range(3):
        assert attempt(client, "ada").status_code == 200  # the form again, with an error

    blocked = attempt(client, "ada")

    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= 600
    assert "Too many failed sign-ins" in blocked.content.decode()
    # even the right password waits until the window ends
    good = client.post("/admin/login/", {"username": "ada", "password": "correct horse battery staple"})
    assert good.status_code == 429


def test_a_spoofed_forwarded_for_does_not_reset_the_count(client: Client, throttle: Settings) -> None:
    throttle.TRUSTED_PROXY_COUNT = 1
    # the proxy appends the real address; the client may write anything before it
    for n in range(3):
        attempt(client, f"user{n}", forwarded_for=f"10.9.8.{n}, 198.51.100.7")

    blocked = attempt(client, "someone-else", forwarded_for="203.0.113.200, 198.51.100.7")

    assert blocked.status_code == 429
    other_client = attempt(client, "someone-else", forwarded_for="198.51.100.8")
    assert other_client.status_code == 200


def test_one_username_tried_from_many_addresses_is_throttled(client: Client, throttle: Settings) -> None:
    for n in range(3):
        client.post("/admin/login/", {"username": "root", "password": "x"}, REMOTE_ADDR=f"192.0.2.{n + 1}")

    blocked = client.post("/admin/login/", {"username": "ROOT", "password": "x"}, REMOTE_ADDR="192.0.2.99")

    assert blocked.status_code == 429


def test_with_the_cache_down_sign_in_still_works(client: Client, throttle: Settings) -> None:
    throttle.CACHES = {
        **throttle.CACHES,
        "default": {**throttle.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    UserFactory(username="grace", is_staff=True)

    response = client.post("/admin/login/", {"username": "grace", "password": "correct horse battery staple"})

    assert response.status_code == 302
