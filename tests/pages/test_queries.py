"""Lists and search run a fixed number of queries however many documents
a page shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.demo.pdfwriter import render_pdf
from tests.factories import TagFactory
from tests.library import Library, upload
from tests.pages.conftest import process

pytestmark = pytest.mark.django_db


def add_documents(librarian, lib: Library, count: int, start: int) -> None:
    tags = [TagFactory(name="energy"), TagFactory(name="wind")]
    for n in range(start, start + count):
        text = f"Report {n} on wind energy, turbines and storage. Number {n}."
        document = upload(librarian, lib.library, render_pdf(f"Wind report {n}", [text]), filename=f"w{n}.pdf")
        document.tags.set(tags)
        process(document)


def queries(client: Client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(context)


@pytest.mark.parametrize(
    ("url", "params", "bound"),
    [
        ("/", {}, 12),
        ("/browse/", {}, 20),
        ("/browse/", {"view": "list", "sort": "title", "tag": "1"}, 20),
        ("/search/", {"q": "wind energy turbines"}, 25),
        ("/search/", {"q": "wind energy", "mode": "keyword", "sort": "date"}, 25),
        ("/ask/", {"q": "what about wind turbines?"}, 25),
    ],
)
def test_list_pages_run_a_bounded_number_of_queries(
    client: Client, librarian, lib: Library, url: str, params: dict, bound: int, django_assert_max_num_queries
) -> None:
    client.force_login(librarian)
    add_documents(librarian, lib, 3, start=0)
    few = queries(client, url, params)

    add_documents(librarian, lib, 9, start=3)
    many = queries(client, url, params)

    assert many == few
    with django_assert_max_num_queries(bound):
        client.get(url, params)


def test_document_page_runs_a_bounded_number_of_queries(
    client: Client, librarian, lib: Library, django_assert_max_num_queries
) -> None:
    client.force_login(librarian)
    add_documents(librarian, lib, 6, start=0)
    document = lib.library.documents.first()

    with django_assert_max_num_queries(25):
        response = client.get(reverse("documents:detail", args=[document.uuid]))

    assert response.status_code == 200
