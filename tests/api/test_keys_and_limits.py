"""API keys, authentication, scopes, errors, throttling and CORS
(rows K1-K4, Z2, Z3 of the checklist)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey
from api.services import api_key_create
from tests.api.conftest import key_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DOCS = "/api/v1/documents/"


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_new_key_is_shown_once_and_stored_as_prefix_and_hash(reader) -> None:
    client = session_client(reader)

    created = client.post("/api/v1/keys/", {"name": "export", "scopes": ["read"]}, format="json")
    listed = client.get("/api/v1/keys/").json()

    secret = created.json()["key"]
    key = ApiKey.objects.get()
    assert created.status_code == 201 and secret.startswith(f"dcat_{key.prefix}.")
    assert key.hashed_secret != secret and len(key.hashed_secret) == 64
    assert secret not in str(ApiKey.objects.values().get())
    assert "key" not in listed[0] and listed[0]["prefix"] == key.prefix
    assert APIClient().get(DOCS, HTTP_X_API_KEY=secret).status_code == 200


def test_revoked_expired_and_wrong_keys_get_401(reader) -> None:
    revoked = key_client(reader)
    ApiKey.objects.update(revoked_at=timezone.now())
    expired = key_client(reader)
    ApiKey.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=revoked.secret.replace(".", ".x", 1).join(["Api-Key ", ""]))

    responses = [c.get(DOCS) for c in (revoked, expired, wrong)]

    assert [r.status_code for r in responses] == [401, 401, 401]
    assert responses[0]["WWW-Authenticate"].startswith("Api-Key")
    assert responses[0].json()["error"]["message"] == "Invalid, expired or revoked API key."


def test_a_deactivated_owner_locks_their_keys(reader) -> None:
    client = key_client(reader)
    User.objects.filter(pk=reader.pk).update(is_active=False)

    assert client.get(DOCS).status_code == 401


def test_rotation_keeps_both_keys_working_until_the_old_one_is_revoked(reader) -> None:
    old = key_client(reader)
    old_key = ApiKey.objects.get()
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(hours=1))

    rotated = old.post(f"/api/v1/keys/{old_key.pk}/rotate/").json()
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Api-Key {rotated['key']}")
    both_work = [old.get(DOCS).status_code, new.get(DOCS).status_code]
    old.post(f"/api/v1/keys/{old_key.pk}/revoke/")

    assert both_work == [200, 200]
    assert rotated["rotated_from"] == old_key.prefix and rotated["scopes"] == old_key.scopes
    assert old.get(DOCS).status_code == 401
    assert new.get(DOCS).status_code == 200
    old_key.refresh_from_db()
    assert old_key.last_used_at > timezone.now() - timedelta(minutes=1)


def test_scopes_limit_what_a_key_may_do(reader) -> None:
    read_only = key_client(reader, ("read",))
    write_only = key_client(reader, ("write",))

    assert read_only.get(DOCS).status_code == 200
    assert read_only.post("/api/v1/keys/", {"name": "x", "scopes": ["read"]}, format="json").status_code == 403
    assert write_only.get(DOCS).status_code == 403
    # Asking a question reads only, though it is a POST.
    assert read_only.post("/api/v1/ask/", {"question": "wings?"}, format="json").status_code == 200


def test_a_key_cannot_mint_a_wider_or_longer_lived_key_or_one_for_someone_else(reader) -> None:
    other = UserFactory(username="other")
    issued = api_key_create(
        user=reader, name="short", scopes=["read", "write"], expires_at=timezone.now() + timedelta(days=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.secret}")

    forever = client.post("/api/v1/keys/", {"name": "forever", "scopes": ["read"]}, format="json")
    for_other = client.post(
        "/api/v1/keys/",
        {"name": "theirs", "scopes": ["read"], "user": other.pk, "expires_at": issued.key.expires_at.isoformat()},
        format="json",
    )

    assert forever.status_code == 403
    assert for_other.status_code == 201
    assert ApiKey.objects.get(prefix=for_other.json()["prefix"]).user == reader
    assert not ApiKey.objects.filter(user=other).exists()


def test_staff_cannot_grant_themselves_superuser_or_groups(lib, librarian) -> None:
    browser = Client()
    browser.force_login(librarian)

    admin_edit = browser.post(
        f"/admin/auth/user/{librarian.pk}/change/", {"username": "librarian", "is_superuser": "on"}
    )
    widen = session_client(librarian).patch(
        f"/api/v1/collections/{lib.library.pk}/", {"viewer_groups": ["librarians", "board"]}, format="json"
    )

    librarian.refresh_from_db()
    assert admin_edit.status_code == 403 and not librarian.is_superuser
    assert widen.status_code == 403
    assert set(lib.library.viewer_groups.values_list("name", flat=True)) == {"readers"}


def test_401_without_credentials_403_without_rights_404_when_invisible(lib, reader, outsider) -> None:
    anonymous = APIClient().get(DOCS)
    forbidden = key_client(reader).get("/api/v1/audit-events/")
    invisible = key_client(outsider).get(f"/api/v1/collections/{lib.restricted.pk}/")

    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"]
    assert anonymous.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    assert invisible.status_code == 404 and invisible.json()["error"]["code"] == "not_found"


@override_settings(API_THROTTLE_KEY_PER_MINUTE=3)
def test_a_burst_beyond_the_key_rate_gets_429_with_retry_after(reader) -> None:
    client = key_client(reader)

    statuses = [client.get(DOCS).status_code for _ in range(4)]
    limited = client.get(DOCS)

    assert statuses == [200, 200, 200, 429]
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert limited.json()["error"]["code"] == "throttled"
    # Another key of the same user has its own allowance.
    assert key_client(reader).get(DOCS).status_code == 200


@override_settings(API_THROTTLE_ANON_PER_MINUTE=2, TRUSTED_PROXY_COUNT=1)
def test_a_spoofed_forwarded_for_does_not_reset_the_anonymous_limit() -> None:
    client = APIClient()
    # Render's proxy appends the real address; the client's own entries come first.
    statuses = [
        client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7").status_code for n in range(4)
    ]
    other_client = client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert statuses == [200, 200, 429, 429]
    assert other_client.status_code == 200


@override_settings(API_AUTH_FAILURES_PER_MINUTE=3)
def test_repeated_bad_keys_get_429_and_a_forged_forwarded_for_does_not_help(reader) -> None:
    bad = APIClient(REMOTE_ADDR="198.51.100.9")
    bad.credentials(HTTP_X_API_KEY="dcat_deadbeef.guess", HTTP_X_FORWARDED_FOR="1.2.3.4")

    statuses = [bad.get(DOCS).status_code for _ in range(4)]
    forged = bad.get(DOCS, HTTP_X_FORWARDED_FOR="5.6.7.8")
    other_address = APIClient(REMOTE_ADDR="198.51.100.10").get(DOCS, HTTP_X_API_KEY="dcat_deadbeef.guess")
    good_from_same_address = key_client(reader).get(DOCS, REMOTE_ADDR="198.51.100.9")

    assert statuses == [401, 401, 401, 429]
    assert forged.status_code == 429 and 1 <= int(forged["Retry-After"]) <= 61
    assert other_address.status_code == 401
    assert good_from_same_address.status_code == 200


def test_cors_is_off_by_default_and_follows_the_setting(reader) -> None:
    client = key_client(reader)

    off = client.get(DOCS, HTTP_ORIGIN="https://app.example.org")
    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.org"]):
        on = client.get(DOCS, HTTP_ORIGIN="https://app.example.org")

    assert "Access-Control-Allow-Origin" not in off
    assert on["Access-Control-Allow-Origin"] == "https://app.example.org"


def test_the_own_keys_page_creates_rotates_and_revokes(reader) -> None:
    browser = Client()
    browser.force_login(reader)

    created = browser.post("/account/api-keys/", {"name": "laptop", "scopes": ["read"]})
    key = ApiKey.objects.get()
    secret = created.context["issued"].secret
    again = browser.get("/account/api-keys/")
    rotated = browser.post(f"/account/api-keys/{key.pk}/rotate/")
    browser.post(f"/account/api-keys/{key.pk}/revoke/")

    assert created.status_code == 201 and secret in created.content.decode()
    assert secret not in again.content.decode() and key.prefix in again.content.decode()
    assert rotated.status_code == 201 and ApiKey.objects.count() == 2
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert APIClient().get(DOCS, HTTP_X_API_KEY=secret).status_code == 401
    assert browser.get("/account/api-keys/9999/revoke/").status_code == 405


def test_the_admin_creates_a_key_for_its_user_and_shows_it_once(admin_client: Client, admin_user) -> None:
    response = admin_client.post("/admin/api/apikey/add/", {"name": "ops", "scopes": "read,write"}, follow=True)

    key = ApiKey.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    assert key.user == admin_user and key.scopes == ["read", "write"]
    secret = next(m for m in messages if "dcat_" in m).rsplit(" ", 1)[1]
    assert APIClient().get(DOCS, HTTP_X_API_KEY=secret).status_code == 200
