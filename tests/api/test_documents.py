"""Documents through the API: list with filters and cursors, upload, detail,
metadata, trash and restore, versions, files, previews, processing
(rows U1, U2, Z1, Z4)."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings

from documents.models import AuditEvent, Document, DocumentVersion
from tests.api.conftest import key_client, processed
from tests.factories import TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def pdf_file(name: str, title: str = "Doc") -> io.BytesIO:
    handle = io.BytesIO(pdf_bytes(title=title, text=f"{title} body text."))
    handle.name = name
    return handle


def test_list_shows_visible_documents_without_full_text_unless_asked(public_doc, secret_doc, reader) -> None:
    client = key_client(reader, ("read",))

    listed = client.get("/api/v1/documents/").json()
    with_text = client.get("/api/v1/documents/?include=text").json()

    assert [d["title"] for d in listed["results"]] == ["Wing slats"]
    assert "text" not in listed["results"][0]
    assert "Leading-edge slats" in with_text["results"][0]["text"]
    assert listed["results"][0]["links"]["thumbnail"].endswith("/previews/thumb_small/1/")


def test_list_filters_like_search_and_pages_with_a_cursor(lib: Library, librarian) -> None:
    red = TagFactory(name="red")
    for n in range(5):
        upload(librarian, lib.library, pdf_bytes(title=f"Doc {n}", text=f"text {n}"), filename=f"d{n}.pdf",
               tags=[red] if n % 2 == 0 else [], language="de" if n == 4 else "en")  # fmt: skip
    client = key_client(librarian)

    tagged = client.get(f"/api/v1/documents/?tag={red.pk}").json()["results"]
    german = client.get("/api/v1/documents/?language=de").json()["results"]
    first = client.get("/api/v1/documents/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert sorted(d["title"] for d in tagged) == ["d0", "d2", "d4"]
    assert [d["title"] for d in german] == ["d4"]
    assert [d["title"] for d in first["results"]] == ["d4", "d3"]
    assert [d["title"] for d in second["results"]] == ["d2", "d1"]


def test_list_rejects_bad_filters_with_field_messages(librarian) -> None:
    response = key_client(librarian).get("/api/v1/documents/?tag=abc&status=nonsense&date_from=yesterday")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["message"] == "Invalid input."
    assert set(error["fields"]) == {"tag", "status", "date_from"}


def test_list_uses_at_most_five_queries(lib: Library, librarian, django_assert_max_num_queries) -> None:
    for n in range(60):
        upload(librarian, lib.library, pdf_bytes(title=f"Doc {n}"), filename=f"d{n}.pdf", tags=[TagFactory()])
    client = key_client(librarian)
    client.get("/api/v1/documents/")  # the key's last_used_at is written once a minute, not per request

    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/documents/")

    assert len(response.json()["results"]) == 50


def test_upload_of_several_files_reports_each(lib: Library, librarian) -> None:
    bad = io.BytesIO(b"<html><script>alert(1)</script></html>")
    bad.name = "x.pdf"

    response = key_client(librarian).post(
        "/api/v1/documents/",
        {"collection": lib.library.pk, "files": [pdf_file("a.pdf", "Alpha"), bad, pdf_file("b.pdf", "Beta")]},
        format="multipart",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 2
    assert [r["status"] for r in body["results"]] == [201, 415, 201]
    assert body["results"][0]["document"]["status"] == "queued"
    assert Document.objects.count() == 2


def test_upload_of_one_file_with_metadata(lib: Library, librarian) -> None:
    tag = TagFactory(name="minutes")

    response = key_client(librarian).post(
        "/api/v1/documents/",
        {
            "collection": lib.library.pk,
            "files": [pdf_file("m.pdf")],
            "title": "Minutes of May",
            "tags": [tag.pk],
            "language": "en",
            "document_date": "2024-05-02",
            "metadata": '{"meeting": 12}',
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    document = Document.objects.get()
    assert (document.title, document.language, str(document.document_date)) == ("Minutes of May", "en", "2024-05-02")
    assert document.metadata == {"meeting": 12} and list(document.tags.all()) == [tag]


def test_upload_of_a_refused_type_answers_415_and_stores_nothing(lib: Library, librarian) -> None:
    bad = io.BytesIO(b"<html><body>hi</body></html>")
    bad.name = "x.pdf"

    response = key_client(librarian).post(
        "/api/v1/documents/", {"collection": lib.library.pk, "files": [bad]}, format="multipart"
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "upload_rejected"
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


@override_settings(UPLOAD_MAX_BYTES=300)
def test_upload_over_the_cap_answers_413_with_the_limit(lib: Library, librarian) -> None:
    response = key_client(librarian).post(
        "/api/v1/documents/", {"collection": lib.library.pk, "files": [pdf_file("big.pdf")]}, format="multipart"
    )

    assert response.status_code == 413
    assert "300 bytes" in response.json()["error"]["message"]
    assert not Document.objects.exists()


def test_upload_into_a_collection_without_edit_rights_is_forbidden(lib: Library, reader, outsider) -> None:
    as_reader = key_client(reader).post(
        "/api/v1/documents/", {"collection": lib.library.pk, "files": [pdf_file("a.pdf")]}, format="multipart"
    )
    as_outsider = key_client(outsider).post(
        "/api/v1/documents/", {"collection": lib.restricted.pk, "files": [pdf_file("a.pdf")]}, format="multipart"
    )

    assert as_reader.status_code == 403
    # A collection the caller cannot see is "no such collection", not "forbidden".
    assert as_outsider.status_code == 400 and "collection" in as_outsider.json()["error"]["fields"]
    assert not Document.objects.exists()


def test_detail_update_trash_and_restore(public_doc, librarian, lib: Library) -> None:
    client = key_client(librarian)
    url = f"/api/v1/documents/{public_doc.uuid}/"
    tag = TagFactory(name="aero")

    updated = client.patch(url, {"title": "Slats, revised", "tags": [tag.pk]}, format="json")
    trashed = client.post(f"{url}trash/")
    gone = client.get(url)
    restored = client.post(f"{url}restore/")

    assert updated.status_code == 200
    assert updated.json()["title"] == "Slats, revised" and updated.json()["tags"][0]["name"] == "aero"
    assert trashed.json()["trashed_at"] is not None
    assert gone.status_code == 404
    assert restored.status_code == 200 and restored.json()["trashed_at"] is None
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"edit", "trash", "restore"}


def test_reader_may_read_but_not_edit(public_doc, reader) -> None:
    client = key_client(reader)
    url = f"/api/v1/documents/{public_doc.uuid}/"

    assert client.get(url).status_code == 200
    assert client.patch(url, {"title": "Mine now"}, format="json").status_code == 403
    assert client.post(f"{url}trash/").status_code == 403
    public_doc.refresh_from_db()
    assert public_doc.title == "Wing slats" and public_doc.trashed_at is None


def test_update_rejects_bad_values_with_field_messages(public_doc, librarian) -> None:
    response = key_client(librarian).patch(
        f"/api/v1/documents/{public_doc.uuid}/", {"title": "", "document_date": "soon"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"title", "document_date"}


def test_versions_upload_list_and_download(public_doc, librarian) -> None:
    client = key_client(librarian)
    base = f"/api/v1/documents/{public_doc.uuid}/"

    created = client.post(f"{base}versions/", {"file": pdf_file("v2.pdf", "Second")}, format="multipart")
    same_again = client.post(f"{base}versions/", {"file": pdf_file("v2.pdf", "Second")}, format="multipart")
    listed = client.get(f"{base}versions/").json()
    first = client.get(f"{base}versions/1/download/")
    current = client.get(f"{base}download/", HTTP_ACCEPT="application/json")

    assert created.status_code == 201 and created.json()["number"] == 2
    assert same_again.status_code == 400 and "identical" in same_again.json()["error"]["message"]
    assert [v["number"] for v in listed] == [2, 1]
    assert first.status_code == 200 and first["Content-Disposition"].startswith("attachment")
    assert b"".join(first.streaming_content).startswith(b"%PDF")
    assert current.status_code == 200 and current["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="download").count() == 2


def test_preview_link_serves_the_thumbnail(public_doc, reader) -> None:
    client = key_client(reader)
    link = client.get(f"/api/v1/documents/{public_doc.uuid}/").json()["links"]["thumbnail"]

    response = client.get(link)

    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert client.get(f"/api/v1/documents/{public_doc.uuid}/previews/nonsense/1/").status_code == 404


def test_processing_status_lists_the_steps(lib: Library, librarian) -> None:
    document = processed(upload(librarian, lib.library, pdf_bytes()), steps=("extract",))

    body = key_client(librarian).get(f"/api/v1/documents/{document.uuid}/processing/").json()

    assert body["version"] == 1
    states = {step["name"]: step["state"] for step in body["steps"]}
    assert states["extract"] == "done" and states["previews"] == "pending"


def test_the_fast_document_representation_matches_the_declared_fields(public_doc, lib: Library, librarian) -> None:
    from rest_framework import serializers

    from api.serializers.documents import DocumentSerializer
    from api.views.base import with_related

    same_bytes = pdf_bytes(title="Wing slats", text="Leading-edge slats delay the stall of a swept wing.")
    duplicate = upload(librarian, lib.library, same_bytes, filename="again.pdf")
    duplicate.tags.add(TagFactory(name="b"), TagFactory(name="a"))
    for document in with_related(Document.objects.all(), include_text=True):
        serializer = DocumentSerializer(include_text=True)

        fast = serializer.to_representation(document)
        declared = serializers.Serializer.to_representation(serializer, document)

        assert fast == dict(declared)
    assert DocumentSerializer(with_related(Document.objects.filter(pk=duplicate.pk)).get()).data["duplicate_of"] == str(
        public_doc.uuid
    )


def test_the_list_shows_each_document_exactly_as_its_detail(public_doc, lib: Library, librarian) -> None:
    tags = [TagFactory(name="z"), TagFactory(name="y")]
    other = upload(librarian, lib.library, pdf_bytes(title="Second"), filename="second.pdf", tags=tags)
    Document.objects.filter(pk=other.pk).update(duplicate_of=public_doc)
    client = key_client(librarian)

    listed = client.get("/api/v1/documents/?include=text").json()["results"]

    assert len(listed) == 2
    for item in listed:
        assert item == client.get(f"{item['links']['self']}?include=text").json()
