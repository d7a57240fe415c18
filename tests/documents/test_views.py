"""Detail page, downloads and previews: permissions, headers, failures
(rows U3, U4, Z1 and D2 of the checklist)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from documents import services
from documents.models import AuditEvent, Document, PreviewKind
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_document(lib: Library, librarian) -> Document:
    document = upload(librarian, lib.library, pdf_bytes(title="Ready"), filename="ready.pdf")
    for step in ("extract", "previews"):
        services.step_execute(version_id=document.current_version_id, step_name=step)
    document.refresh_from_db()
    return document


def urls_for(document: Document) -> list[str]:
    return [
        reverse("documents:detail", args=[document.uuid]),
        reverse("documents:download", args=[document.uuid]),
        reverse("documents:version-download", args=[document.uuid, 1]),
        reverse("documents:preview", args=[document.uuid, PreviewKind.THUMB_SMALL]),
        reverse("documents:preview-page", args=[document.uuid, PreviewKind.PAGE, 1]),
    ]


def test_reader_sees_page_download_and_previews(client: Client, reader, ready_document: Document) -> None:
    client.force_login(reader)

    assert [client.get(url).status_code for url in urls_for(ready_document)] == [200, 200, 200, 200, 200]


def test_user_without_rights_gets_404_everywhere_like_a_missing_document(
    client: Client, outsider, ready_document: Document
) -> None:
    client.force_login(outsider)

    responses = [client.get(url) for url in urls_for(ready_document)]

    assert [r.status_code for r in responses] == [404] * 5
    assert all(ready_document.title.encode() not in r.content for r in responses)
    assert not AuditEvent.objects.filter(action="download").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, ready_document: Document) -> None:
    response = client.get(reverse("documents:download", args=[ready_document.uuid]))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_download_is_an_attachment_with_safe_headers_and_an_audit_event(
    client: Client, lib: Library, librarian
) -> None:
    html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    document = upload(librarian, lib.library, html, filename='evil"\r\nX-Injected: 1\u202e.html')
    client.force_login(librarian)

    response = client.get(reverse("documents:download", args=[document.uuid]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == html
    assert response["Content-Type"] == "text/html"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "\r" not in disposition and "\n" not in disposition and 'evil"' not in disposition
    assert "filename*=UTF-8''" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["ETag"] == f'"{document.current_version.sha256}"'
    assert "X-Injected" not in response
    assert AuditEvent.objects.filter(action="download", document_uuid=document.uuid, actor=librarian).count() == 1


def test_download_with_a_matching_etag_is_not_modified(client: Client, librarian, ready_document: Document) -> None:
    client.force_login(librarian)
    url = reverse("documents:download", args=[ready_document.uuid])
    etag = client.get(url)["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_unreachable_storage_answers_503_with_a_message(
    client: Client, librarian, ready_document: Document, monkeypatch
) -> None:
    from django.core.files.storage import default_storage

    def unreachable(*args: object, **kwargs: object) -> None:
        raise OSError("Transport endpoint is not connected")

    monkeypatch.setattr(default_storage, "open", unreachable)
    client.force_login(librarian)

    response = client.get(reverse("documents:download", args=[ready_document.uuid]))
    page = client.get(reverse("documents:detail", args=[ready_document.uuid]))

    assert response.status_code == 503
    assert b"temporarily unavailable" in response.content
    assert page.status_code == 200


def test_trashed_document_is_gone_from_pages(client: Client, librarian, ready_document: Document) -> None:
    services.documents_trash(user=librarian, documents=[ready_document])
    client.force_login(librarian)

    assert client.get(reverse("documents:detail", args=[ready_document.uuid])).status_code == 404


def test_hostile_title_is_escaped_on_the_detail_page(client: Client, lib: Library, librarian) -> None:
    payload = '"><img src=x onerror=alert(1)>'
    document = upload(librarian, lib.library, pdf_bytes(), filename=f"{payload}.pdf", title=payload)
    client.force_login(librarian)

    content = client.get(reverse("documents:detail", args=[document.uuid])).content.decode()

    assert payload not in content
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in content
