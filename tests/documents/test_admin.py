"""The librarians' admin: uploads through the shared service, lists limited
to what the user may see, bulk actions, escaping."""

from __future__ import annotations

import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from documents import services
from documents.models import AuditEvent, Document, ProcessingStatus, Tag
from tests.factories import TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db
UPLOAD_URL = "/admin/documents/document/upload/"


@pytest.fixture
def librarian_client(client: Client, librarian) -> Client:
    from django.contrib.auth.models import Permission

    librarian.user_permissions.set(Permission.objects.filter(content_type__app_label="documents"))
    client.force_login(librarian)
    return client


def test_admin_upload_of_several_files(librarian_client: Client, lib: Library) -> None:
    files = [SimpleUploadedFile("one.pdf", pdf_bytes(text="one")), SimpleUploadedFile("two.txt", b"two")]

    response = librarian_client.post(UPLOAD_URL, {"collection": lib.library.pk, "files": files})

    assert response.status_code == 302
    assert sorted(Document.objects.values_list("title", flat=True)) == ["one", "two"]


def test_admin_upload_over_the_cap_answers_413_and_stores_nothing(
    librarian_client: Client, lib: Library, settings
) -> None:
    settings.UPLOAD_MAX_BYTES = 5_000
    big = SimpleUploadedFile("big.txt", secrets.token_hex(10_000).encode())

    response = librarian_client.post(UPLOAD_URL, {"collection": lib.library.pk, "files": [big]})

    assert response.status_code == 413
    assert "upload limit of 4.9\xa0KB (5000 bytes)" in response.content.decode()
    assert not Document.objects.exists()


def test_admin_upload_of_html_named_pdf_answers_415(librarian_client: Client, lib: Library) -> None:
    fake = SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    response = librarian_client.post(UPLOAD_URL, {"collection": lib.library.pk, "files": [fake]})

    assert response.status_code == 415
    assert b"named .pdf but its content is HTML" in response.content
    assert not Document.objects.exists()


def test_admin_upload_into_a_collection_without_edit_rights_is_refused(librarian_client: Client, lib: Library) -> None:
    response = librarian_client.post(
        UPLOAD_URL, {"collection": lib.restricted.pk, "files": [SimpleUploadedFile("a.pdf", pdf_bytes())]}
    )

    assert response.status_code == 403
    assert not Document.objects.exists()


def test_admin_list_shows_only_visible_documents_and_escapes_titles(
    librarian_client: Client, lib: Library, librarian, board_member
) -> None:
    payload = '"><img src=x onerror=alert(1)>'
    upload(librarian, lib.library, pdf_bytes(text="mine"), title=payload)
    upload(board_member, lib.restricted, pdf_bytes(text="secret"), title="Secret board budget")

    response = librarian_client.get(reverse("admin:documents_document_changelist"))
    content = response.content.decode()

    assert response.status_code == 200
    assert "Secret board budget" not in content
    assert payload not in content and "&lt;img src=x onerror=alert(1)&gt;" in content


def test_admin_change_page_of_an_invisible_document_is_not_found(
    librarian_client: Client, lib: Library, board_member
) -> None:
    secret = upload(board_member, lib.restricted, pdf_bytes(text="secret"))

    response = librarian_client.get(reverse("admin:documents_document_change", args=[secret.pk]))

    # the admin treats it exactly like an id that does not exist
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_bulk_actions_tag_trash_and_restore_through_services(librarian_client: Client, lib: Library, librarian) -> None:
    docs = [upload(librarian, lib.library, pdf_bytes(text=f"doc {i}")) for i in range(2)]
    tag = TagFactory(name="Policy")
    changelist = reverse("admin:documents_document_changelist")
    selected = [d.pk for d in docs]

    librarian_client.post(changelist, {"action": "add_tag", "_selected_action": selected, "tag": tag.pk})
    librarian_client.post(changelist, {"action": "trash", "_selected_action": selected})

    assert all(tag in d.tags.all() for d in docs)
    assert Document.objects.filter(trashed_at__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="trash").count() == 2

    librarian_client.post(changelist, {"action": "restore", "_selected_action": selected})
    assert Document.objects.filter(trashed_at__isnull=True).count() == 2


def test_editing_metadata_in_the_admin_is_audited(librarian_client: Client, lib: Library, librarian) -> None:
    document = upload(librarian, lib.library, pdf_bytes())
    url = reverse("admin:documents_document_change", args=[document.pk])

    response = librarian_client.post(
        url,
        {
            "title": "Renamed",
            "description": "",
            "collection": lib.library.pk,
            "language": "en",
            "document_date": "",
            "metadata": "{}",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": document.current_version_id,
            "versions-0-document": document.pk,
        },
    )

    assert response.status_code == 302, response.content[:2000]
    document.refresh_from_db()
    assert document.title == "Renamed" and document.language == "en"
    assert AuditEvent.objects.filter(action="edit", document_uuid=document.uuid).exists()


def test_merging_tags_moves_documents_to_the_kept_tag(lib: Library, librarian) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="x")
    keep, drop = TagFactory(name="Policy"), TagFactory(name="Policies")
    document = upload(librarian, lib.library, pdf_bytes(), tags=[drop])

    services.tags_merge(user=admin, sources=[keep, drop], target=keep)

    assert list(document.tags.all()) == [keep]
    assert not Tag.objects.filter(name="Policies").exists()
    assert document.status == ProcessingStatus.QUEUED


def test_new_version_upload_from_the_admin(librarian_client: Client, lib: Library, librarian) -> None:
    document = upload(librarian, lib.library, pdf_bytes(text="first"))
    url = reverse("admin:documents_document_new_version", args=[document.pk])

    response = librarian_client.post(url, {"file": SimpleUploadedFile("second.pdf", pdf_bytes(text="second"))})
    same = librarian_client.post(url, {"file": SimpleUploadedFile("again.pdf", pdf_bytes(text="second"))})

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert same.status_code == 400
    assert "identical to the current version" in same.content.decode()
