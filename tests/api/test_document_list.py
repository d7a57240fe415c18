"""The document list: PostgreSQL builds each page's JSON, so every document
must come out exactly as the detail endpoint (Python) writes it; keyset
cursors walk the whole list both ways; the hot statements run prepared."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from api.selectors import document_list_page
from api.serializers.documents import DocumentSerializer
from api.views.base import with_related
from documents.models import Document, PreviewKind, Tag, VersionPreview
from documents.selectors import documents_visible_to
from documents.services import documents_trash
from tests.api.conftest import key_client, processed
from tests.factories import TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/documents/"


def _varied_documents(lib: Library, librarian) -> list[Document]:
    """Documents that exercise every field: tags out of name order, unicode
    and nested metadata, a date, a duplicate, one without a thumbnail and
    one without a version, a timestamp with and one without microseconds."""
    zebra, apple = TagFactory(name="Zebra «z»"), TagFactory(name="apple")
    first = processed(
        upload(librarian, lib.library, pdf_bytes(title="First"), filename="first.pdf", title='Quote " and \\ back',
               tags=[zebra, apple], language="de", document_date=date(2024, 5, 2),
               metadata={"nested": {"list": [1, 2.5, None, True]}, "ünïcode": "日本語\n\t"})
    )  # fmt: skip
    duplicate = upload(librarian, lib.library, pdf_bytes(title="First"), filename="again.pdf")
    unprocessed = upload(librarian, lib.library, pdf_bytes(title="Raw"), filename="raw.pdf", description="multi\nline")
    VersionPreview.objects.filter(version__document=unprocessed, kind=PreviewKind.THUMB_SMALL).delete()
    versionless = upload(librarian, lib.library, pdf_bytes(title="Bare"), filename="bare.pdf")
    Document.objects.filter(pk=versionless.pk).update(current_version=None)
    Document.objects.filter(pk=first.pk).update(created_at=first.created_at.replace(microsecond=0))
    return [first, duplicate, unprocessed, versionless]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York"])
def test_each_listed_document_is_exactly_what_the_detail_endpoint_says(lib: Library, librarian, zone: str) -> None:
    documents = _varied_documents(lib, librarian)
    client = key_client(librarian)

    with override_settings(TIME_ZONE=zone):
        listed = client.get(LIST).json()["results"]
        with_text = client.get(f"{LIST}?include=text").json()["results"]
        details = {d.uuid: client.get(f"{LIST}{d.uuid}/").json() for d in documents}
        details_text = {d.uuid: client.get(f"{LIST}{d.uuid}/?include=text").json() for d in documents}

    assert len(listed) == len(documents) == len(with_text)
    for row in listed:
        assert row == details[row_uuid(row)]
    for row in with_text:
        assert row == details_text[row_uuid(row)]
    assert list(listed[0]) == list(details[row_uuid(listed[0])])  # same keys in the same order
    by_title = {row["title"]: row for row in listed}
    tag_order = list(Tag.objects.order_by("name").values_list("name", flat=True))  # the database's collation
    assert [t["name"] for t in by_title['Quote " and \\ back']["tags"]] == tag_order
    assert by_title["again"]["duplicate_of"] == str(documents[0].uuid)
    assert by_title["raw"]["links"]["thumbnail"] is None
    assert by_title["bare"]["current_version"] is None and by_title["bare"]["links"]["download"] is None
    assert "." not in by_title['Quote " and \\ back']["created_at"]  # no fraction when the microseconds are 0
    assert by_title["raw"]["created_at"].endswith("Z" if zone == "UTC" else ("+05:30", "-05:00", "-04:00"))


def row_uuid(row: dict) -> object:
    from uuid import UUID

    return UUID(row["uuid"])


def test_the_trash_lists_the_same_shape(lib: Library, librarian) -> None:
    document = processed(upload(librarian, lib.library, pdf_bytes(title="Gone"), filename="gone.pdf"))
    documents_trash(user=librarian, documents=[document])
    client = key_client(librarian)

    trashed = client.get(f"{LIST}?trashed=true").json()["results"]

    assert [row["title"] for row in trashed] == ["gone"]
    serialized = DocumentSerializer(with_related(Document.objects.filter(pk=document.pk)).get()).data
    assert trashed[0] == json.loads(JSONRenderer().render(serialized))  # the trash has no detail endpoint
    assert trashed[0]["trashed_at"] is not None
    assert client.get(LIST).json()["results"] == []


def test_cursors_walk_every_document_once_both_ways_even_with_equal_timestamps(lib: Library, librarian) -> None:
    for n in range(7):
        upload(librarian, lib.library, pdf_bytes(title=f"Doc {n}"), filename=f"d{n}.pdf")
    same = timezone.now() - timedelta(days=1)
    Document.objects.filter(title__in=["d2", "d3", "d4"]).update(created_at=same)
    expected = list(Document.objects.order_by("-created_at", "-id").values_list("title", flat=True))
    client = key_client(librarian)

    pages, url = [], f"{LIST}?page_size=2"
    while url:
        body = client.get(url).json()
        pages.append(body)
        url = body["next"]
    backwards, url = [], pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backwards.append(body)
        url = body["previous"]

    assert [row["title"] for page in pages for row in page["results"]] == expected
    assert [len(page["results"]) for page in pages] == [2, 2, 2, 1]
    assert pages[0]["previous"] is None
    assert [[r["title"] for r in p["results"]] for p in reversed(backwards)] == [
        [r["title"] for r in p["results"]] for p in pages[:-1]
    ]
    assert backwards[-1]["previous"] is None
    assert client.get(backwards[-1]["next"]).json()["results"] == pages[1]["results"]


def test_new_documents_do_not_shift_the_next_page(lib: Library, librarian) -> None:
    for n in range(4):
        upload(librarian, lib.library, pdf_bytes(title=f"Doc {n}"), filename=f"d{n}.pdf")
    client = key_client(librarian)
    first = client.get(f"{LIST}?page_size=2").json()

    upload(librarian, lib.library, pdf_bytes(title="Newer"), filename="newer.pdf")
    second = client.get(first["next"]).json()

    assert [row["title"] for row in second["results"]] == ["d1", "d0"]


@pytest.mark.parametrize("cursor", ["garbage", "bjEyMw", "eDEuMQ", "%00", "bjk5OTk5OTk5OTk5OTk5OTk5OS4x"])
def test_a_bad_cursor_is_a_400_naming_the_cursor(librarian, cursor: str) -> None:
    response = key_client(librarian).get(f"{LIST}?cursor={cursor}")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"cursor"}


@pytest.mark.parametrize(("asked", "served"), [("0", 50), ("abc", 50), ("-3", 50), ("3", 3), ("1000", 100)])
def test_page_size_is_read_like_drf_does(lib: Library, librarian, asked: str, served: int) -> None:
    for n in range(101):
        Document.objects.create(title=f"Row {n}", collection=lib.library)
    client = key_client(librarian)

    assert len(client.get(f"{LIST}?page_size={asked}").json()["results"]) == served


def test_a_filter_nothing_can_pass_gives_an_empty_page(public_doc, librarian) -> None:
    response = key_client(librarian).get(f"{LIST}?collection=999999")

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_no_visible_collection_gives_an_empty_page(public_doc, outsider) -> None:
    assert key_client(outsider).get(LIST).json()["results"] == []


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_list_and_the_key_lookup_run_as_prepared_statements(public_doc, reader) -> None:
    client = key_client(reader)
    before = _prepared()

    first = client.get(LIST).json()
    second = client.get(LIST).json()

    statements = _prepared()
    assert first == second and first["results"]
    assert not any("json_build_object" in s for s in before)
    assert any("json_build_object" in s for s in statements)
    assert any("api_apikey" in s for s in statements)


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_prepared_statements_can_be_turned_off(public_doc, reader) -> None:
    client = key_client(reader)

    body = client.get(LIST).json()

    assert [row["title"] for row in body["results"]] == ["Wing slats"]
    assert _prepared() == []


def test_the_selector_keeps_the_callers_access_rule(public_doc, secret_doc, reader, board_member) -> None:
    for_reader = document_list_page(documents_visible_to(reader), size=10)
    for_board = document_list_page(documents_visible_to(board_member), size=10)

    assert len(for_reader.documents) == 1 and "Wing slats" in for_reader.documents[0]
    assert len(for_board.documents) == 1 and "Board budget secret" in for_board.documents[0]
    assert not for_reader.more and for_reader.first == for_reader.last


def test_every_filter_runs_through_the_prepared_statement(lib: Library, librarian) -> None:
    red, blue = TagFactory(name="red"), TagFactory(name="blue")
    kept = upload(librarian, lib.library, pdf_bytes(title="Kept"), filename="kept.pdf", tags=[red, blue],
                  language="en", document_date=date(2024, 5, 2))  # fmt: skip
    upload(librarian, lib.library, pdf_bytes(title="Other"), filename="other.pdf", language="de")
    today = timezone.localdate().isoformat()
    query = (
        f"collection={lib.library.pk}&tag={red.pk},{blue.pk}&tags_mode=any&type=application/pdf&language=en"
        f"&date_from=2024-05-01&date_to=2024-05-03&uploaded_from={today}&uploaded_to={today}"
        f"&uploader={librarian.pk}&status={kept.status}&include=text&page_size=1"
    )
    client = key_client(librarian)

    first = client.get(f"{LIST}?{query}")
    again = client.get(f"{LIST}?{query}")  # the prepared statement's second use

    assert first.status_code == 200, first.content
    assert (
        [row["title"] for row in first.json()["results"]]
        == ["kept"]
        == [row["title"] for row in again.json()["results"]]
    )
    assert first.json()["next"] is None
