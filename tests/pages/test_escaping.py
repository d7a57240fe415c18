"""Row X1 of the checklist: markup in any user-supplied string — title,
description, tag, collection, filename, metadata, extracted text, AI
summary, the query itself — is shown as text on every page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ai.models import Summary
from documents.demo.pdfwriter import render_pdf
from tests.factories import CollectionFactory, TagFactory
from tests.library import Library, upload
from tests.pages.conftest import process

pytestmark = pytest.mark.django_db
PAYLOAD = '"><img src=x onerror=alert(1)>'
RAW = b"<img src=x"
ESCAPED = b"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def hostile(lib: Library, librarian):
    collection = CollectionFactory(name=f"Coll {PAYLOAD}", viewers=[lib.readers], editors=[lib.librarians])
    tag = TagFactory(name=f"tag {PAYLOAD}")
    data = render_pdf(f"Zebra report {PAYLOAD}", [f"Zebra crossings and stripes. {PAYLOAD} Zebra herds migrate."])
    document = upload(
        librarian,
        collection,
        data,
        filename=f"{PAYLOAD}.pdf",
        title=f"Zebra {PAYLOAD}",
        description=f"About zebras {PAYLOAD}",
        tags=[tag],
        metadata={f"key {PAYLOAD}": f"value {PAYLOAD}"},
    )
    document = process(document)
    Summary.objects.create(
        version=document.current_version, text=f"Zebras {PAYLOAD}", provider="local", content_hash="x"
    )
    return document


def test_every_page_shows_markup_as_text(client: Client, librarian, hostile) -> None:
    client.force_login(librarian)
    urls = {
        "home": "/",
        "browse": reverse("browse"),
        "browse by tag": f"{reverse('browse')}?tag={hostile.tags.get().pk}",
        "search": f"{reverse('search')}?q=zebra+crossings&mode=keyword",
        "search for the payload": f"{reverse('search')}?q={PAYLOAD}",
        "detail": reverse("documents:detail", args=[hostile.uuid]),
        "edit": reverse("documents:edit", args=[hostile.uuid]),
        "status": reverse("documents:status", args=[hostile.uuid]),
        "upload": reverse("upload"),
        "ask": f"{reverse('ask')}?q=zebra+crossings+stripes",
        "ask the payload": f"{reverse('ask')}?q={PAYLOAD}",
    }

    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert RAW not in response.content, name

    detail = client.get(urls["detail"]).content
    assert detail.count(ESCAPED) >= 6  # title, description, tag, collection, metadata key and value, summary
    assert ESCAPED in client.get(urls["search"]).content  # title, collection, and the highlighted passage
    assert b"<mark>" in client.get(urls["search"]).content
    assert ESCAPED in client.get(urls["ask"]).content


def test_upload_outcomes_show_filenames_as_text(client: Client, librarian, lib: Library) -> None:
    import io

    client.force_login(librarian)
    bad = io.BytesIO(b"\x00\x01 not a document")
    bad.name = f"{PAYLOAD}.bin"

    response = client.post(reverse("upload"), {"collection": lib.library.pk, "files": [bad]})

    assert response.status_code == 415
    assert RAW not in response.content
