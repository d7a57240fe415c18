"""Every staff page: who may see it, what it shows, and that a document a
user may not see is a 404 with no trace of it (row Z1 of the checklist)."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from ai.models import Summary
from documents.models import AuditEvent, Document, DocumentVersion, ProcessingStatus
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def detail(document: Document) -> str:
    return reverse("documents:detail", args=[document.uuid])


# --- home -------------------------------------------------------------------


def test_home_lists_recent_documents_and_collections_the_reader_may_see(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    html = client.get("/").content.decode()

    assert "Leading-edge slats on a swept wing" in html and "Remote work policy" in html
    assert "Library" in html
    assert "Confidential budget" not in html and "Restricted" not in html
    assert 'alt="First page of Remote work policy"' in html
    assert "Processing" not in html  # the queue summary is for editors
    assert reverse("upload") not in html


def test_home_shows_editors_the_processing_queue_and_failures(client: Client, librarian, lib: Library) -> None:
    upload(librarian, lib.library, pdf_bytes(title="Waiting"), filename="waiting.pdf")
    broken = upload(librarian, lib.library, b"%PDF-1.7\nthis is not really a pdf", filename="broken.pdf")
    DocumentVersion.objects.filter(pk=broken.current_version_id).update(status="failed", error="the file is corrupt")
    Document.objects.filter(pk=broken.pk).update(status=ProcessingStatus.FAILED)
    client.force_login(librarian)

    html = client.get("/").content.decode()

    assert "2 queued" not in html and "1 queued" in html
    assert "1 failed" in html
    assert "the file is corrupt" in html
    assert reverse("upload") in html


# --- browse -----------------------------------------------------------------


def test_browse_lists_visible_documents_with_collection_tree_and_thumbnails(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    response = client.get(reverse("browse"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "2 documents" in html
    assert "Confidential budget" not in html and "Restricted" not in html
    assert f'href="{reverse("browse")}?collection={catalog["wing"].collection_id}"' in html
    assert html.count('class="thumb"') == 2


def test_browse_sorts_filters_and_switches_to_a_list(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    by_title = client.get(reverse("browse"), {"sort": "title", "view": "list"}).content.decode()

    assert by_title.index("Leading-edge slats") < by_title.index("Remote work policy")
    assert 'class="list"' in by_title
    newest = client.get(reverse("browse")).content.decode()
    assert newest.index("Remote work policy") < newest.index("Leading-edge slats")


def test_browse_by_a_collection_the_user_may_not_see_shows_nothing(client: Client, reader, lib, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("browse"), {"collection": lib.restricted.pk}).content.decode()

    assert "0 documents" in html
    assert "Confidential budget" not in html and "Restricted" not in html


def test_browse_ignores_bad_filter_values_and_says_so(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    response = client.get(reverse("browse"), {"date_from": "not-a-date", "page": "zero", "collection": "x"})

    assert response.status_code == 200
    assert b"Some filters were ignored" in response.content
    assert b"2 documents" in response.content


def test_browse_paginates(client: Client, librarian, lib: Library) -> None:
    for n in range(23):
        upload(librarian, lib.library, pdf_bytes(title=f"Memo {n}", text=f"memo number {n}"), filename=f"m{n}.pdf")
    client.force_login(librarian)

    first = client.get(reverse("browse")).content.decode()
    second = client.get(reverse("browse"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert second.count('class="card"') == 3


# --- search -----------------------------------------------------------------


def test_search_shows_highlighted_best_passage_with_its_page(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("search"), {"q": "slats stall", "mode": "keyword"}).content.decode()

    assert "1 document for “slats stall”" in html
    assert "<mark>stall</mark>" in html
    assert "— page 1" in html
    assert f"{detail(catalog['wing'])}?page=1#preview" in html


def test_hybrid_is_the_default_and_the_mode_switch_keeps_the_query(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("search"), {"q": "working from my house"}).content.decode()

    assert 'value="hybrid" checked' in html
    assert "Remote work policy" in html
    assert 'name="mode" value="semantic"' in html and 'value="working from my house"' in html


def test_search_facets_count_and_filter(client: Client, reader, lib, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("search"), {"q": "laptop OR wing", "mode": "keyword"}).content.decode()
    assert 'value="application/pdf"' in html and '<span class="count">2</span>' in html

    filtered = client.get(
        reverse("search"), {"q": "laptop OR wing", "mode": "keyword", "collection": lib.library.pk, "sort": "title"}
    ).content.decode()
    assert "2 documents" in filtered and "in <strong>Library</strong>" in filtered
    assert filtered.index("Leading-edge") < filtered.index("Remote work")


def test_search_never_shows_what_the_user_may_not_see(client: Client, outsider, reader, catalog) -> None:
    client.force_login(outsider)
    outsider_html = client.get(reverse("search"), {"q": "budget energy board"}).content.decode()
    client.force_login(reader)
    reader_html = client.get(reverse("search"), {"q": "budget energy board", "mode": "keyword"}).content.decode()

    for html in (outsider_html, reader_html):
        assert "Confidential budget" not in html
        assert "0 documents" in html
        assert "Nothing found" in html


def test_zero_results_help_and_did_you_mean(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("search"), {"q": "Remote wrok polcy", "mode": "keyword", "lang": "fr"}).content.decode()

    assert "Nothing found" in html
    assert "Did you mean" in html and "Remote work policy</a>" in html
    assert "Search again without filters" in html
    assert reverse("ask") + "?q=Remote%20wrok%20polcy" in html


# --- document page ----------------------------------------------------------


def test_document_page_shows_preview_metadata_summary_versions_and_similar(client: Client, reader, catalog) -> None:
    wing = catalog["wing"]
    Summary.objects.create(
        version=wing.current_version,
        text="Slats delay the stall.",
        provider="local",
        model="extractive",
        content_hash="x",
    )
    client.force_login(reader)

    html = client.get(detail(wing)).content.decode()

    assert f'alt="Page 1 of {wing.title}"' in html
    assert "Page 1 of " in html
    assert "Slats delay the stall." in html and "Written by local (extractive)" in html
    assert reverse("documents:version-download", args=[wing.uuid, 1]) in html
    assert reverse("documents:download", args=[wing.uuid]) in html
    assert detail(catalog["remote"]) in html  # similar documents
    assert detail(catalog["budget"]) not in html
    assert "Edit details" not in html


def test_document_pager_swaps_one_page_at_a_time(client: Client, reader, catalog) -> None:
    wing = catalog["wing"]
    pages = wing.current_version.previews.filter(kind="page").count()
    assert pages >= 2
    client.force_login(reader)

    fragment = client.get(reverse("documents:pager", args=[wing.uuid]), {"page": 2}, HTTP_HX_REQUEST="true")
    plain = client.get(reverse("documents:pager", args=[wing.uuid]), {"page": 2})
    full = client.get(detail(wing), {"page": 2}).content.decode()

    assert f'alt="Page 2 of {wing.title}"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert plain.status_code == 302 and plain["Location"].endswith("?page=2#preview")
    assert f'alt="Page 2 of {wing.title}"' in full and "Previous page" in full


def test_a_document_the_user_may_not_see_is_a_friendly_404_everywhere(client: Client, reader, catalog) -> None:
    budget = catalog["budget"]
    client.force_login(reader)

    responses = [
        client.get(detail(budget)),
        client.get(reverse("documents:pager", args=[budget.uuid]), HTTP_HX_REQUEST="true"),
        client.get(reverse("documents:status", args=[budget.uuid])),
        client.get(reverse("documents:edit", args=[budget.uuid])),
        client.post(reverse("documents:new-version", args=[budget.uuid])),
        client.get("/documents/00000000-0000-0000-0000-000000000000/"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert all(b"Confidential budget" not in r.content for r in responses)
    assert b"not shared with you" in responses[0].content
    assert without_csrf(responses[0].content) == without_csrf(responses[-1].content)


def test_processing_status_polls_until_final(client: Client, librarian, lib: Library) -> None:
    document = upload(librarian, lib.library, pdf_bytes(title="Fresh"), filename="fresh.pdf")
    client.force_login(librarian)
    url = reverse("documents:status", args=[document.uuid])

    page = client.get(detail(document)).content.decode()
    queued = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in page and f"{url}?reload=1" in page
    assert 'data-status="queued"' in queued and 'hx-trigger="every 1s"' in queued

    DocumentVersion.objects.filter(pk=document.current_version_id).update(error="the file is corrupt: bad xref")
    Document.objects.filter(pk=document.pk).update(status=ProcessingStatus.FAILED)
    failed = client.get(url, {"reload": "1"}, HTTP_HX_REQUEST="true")

    assert "hx-trigger" not in failed.content.decode()
    assert "Processing failed: the file is corrupt: bad xref" in failed.content.decode()
    assert failed["HX-Refresh"] == "true"


# --- editing ------------------------------------------------------------------


def test_editors_edit_metadata_through_the_service(client: Client, librarian, catalog) -> None:
    wing = catalog["wing"]
    client.force_login(librarian)
    assert "Edit details" in client.get(detail(wing)).content.decode()

    response = client.post(
        reverse("documents:edit", args=[wing.uuid]),
        {"title": "Slats, revised", "description": "Tunnel tests", "language": "en", "document_date": "2021-05-01"},
    )

    assert response.status_code == 302 and response["Location"] == detail(wing)
    wing.refresh_from_db()
    assert (wing.title, wing.description, str(wing.document_date)) == ("Slats, revised", "Tunnel tests", "2021-05-01")
    assert AuditEvent.objects.filter(action="edit", document_uuid=wing.uuid).exists()


def test_an_invalid_edit_keeps_the_document_and_explains(client: Client, librarian, catalog) -> None:
    wing = catalog["wing"]
    client.force_login(librarian)

    response = client.post(reverse("documents:edit", args=[wing.uuid]), {"title": "", "document_date": "31/31/2021"})

    assert response.status_code == 400
    assert b"This field is required." in response.content and b"Enter a valid date." in response.content
    wing.refresh_from_db()
    assert wing.title == "Leading-edge slats on a swept wing"


def test_readers_may_not_edit_or_add_versions(client: Client, reader, catalog) -> None:
    wing = catalog["wing"]
    client.force_login(reader)

    edit = client.post(reverse("documents:edit", args=[wing.uuid]), {"title": "Hijacked"})
    new = client.post(
        reverse("documents:new-version", args=[wing.uuid]), {"file": io.BytesIO(pdf_bytes(title="Other"))}
    )

    assert (edit.status_code, new.status_code) == (403, 403)
    assert b"Not allowed" in edit.content
    wing.refresh_from_db()
    assert wing.title != "Hijacked" and wing.versions.count() == 1


def test_editors_upload_a_new_version(client: Client, librarian, catalog) -> None:
    wing = catalog["wing"]
    client.force_login(librarian)
    new_file = io.BytesIO(pdf_bytes(title="Slats v2", text="Revised measurements."))
    new_file.name = "slats-v2.pdf"

    response = client.post(reverse("documents:new-version", args=[wing.uuid]), {"file": new_file})

    assert response.status_code == 302
    wing.refresh_from_db()
    assert wing.current_version.number == 2 and wing.status == ProcessingStatus.QUEUED


def test_the_same_file_again_is_refused_with_the_reason(client: Client, librarian, catalog) -> None:
    wing = catalog["wing"]
    same = io.BytesIO(wing.current_version.file.read())
    same.name = "again.pdf"
    client.force_login(librarian)

    response = client.post(reverse("documents:new-version", args=[wing.uuid]), {"file": same})

    assert response.status_code == 400
    assert b"identical to the current version (v1)" in response.content
    assert wing.versions.count() == 1


# --- upload -------------------------------------------------------------------


def test_upload_page_is_for_editors(client: Client, reader, librarian, lib) -> None:
    client.force_login(reader)
    assert client.get(reverse("upload")).status_code == 403
    client.force_login(librarian)

    html = client.get(reverse("upload")).content.decode()

    assert '<label for="u-files">' in html and 'id="dropzone"' in html
    assert f'<option value="{lib.library.pk}"' in html and f'value="{lib.restricted.pk}"' not in html


def as_file(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_upload_one_file_as_the_page_script_does(client: Client, librarian, lib) -> None:
    client.force_login(librarian)

    response = client.post(
        reverse("upload"),
        {"collection": lib.library.pk, "files": as_file(pdf_bytes(title="Minutes"), "minutes.pdf")},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 201
    [result] = json.loads(response.content)["results"]
    document = Document.objects.get(uuid=result["uuid"])
    assert result["ok"] and result["status_url"] == reverse("documents:status", args=[document.uuid])
    assert document.collection == lib.library and document.created_by == librarian


def test_upload_rejections_are_explained_and_store_nothing(client: Client, librarian, lib) -> None:
    client.force_login(librarian)

    forbidden = client.post(
        reverse("upload"),
        {"collection": lib.restricted.pk, "files": as_file(pdf_bytes(), "a.pdf")},
        HTTP_ACCEPT="application/json",
    )
    mismatch = client.post(
        reverse("upload"),
        {"collection": lib.library.pk, "files": as_file(b"<html><script>alert(1)</script></html>", "x.pdf")},
        HTTP_ACCEPT="application/json",
    )
    missing = client.post(reverse("upload"), {"collection": lib.library.pk}, HTTP_ACCEPT="application/json")

    assert forbidden.status_code == 403 and "may not add" in json.loads(forbidden.content)["error"]
    assert mismatch.status_code == 415 and not json.loads(mismatch.content)["results"][0]["ok"]
    assert missing.status_code == 400 and "files" in json.loads(missing.content)["error"]
    assert not Document.objects.exists()


def test_upload_without_the_script_posts_every_file_and_shows_each_outcome(client: Client, librarian, lib) -> None:
    client.force_login(librarian)

    response = client.post(
        reverse("upload"),
        {
            "collection": lib.library.pk,
            "files": [as_file(pdf_bytes(title="One"), "one.pdf"), as_file(b"\x00\x01binary", "two.bin")],
        },
    )
    html = response.content.decode()

    assert response.status_code == 415
    assert "one.pdf" in html and 'hx-trigger="every 1s"' in html
    assert "two.bin" in html and "Not uploaded:" in html
    assert Document.objects.count() == 1


def test_upload_over_the_size_cap_is_refused(client: Client, librarian, lib, settings) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    client.force_login(librarian)

    response = client.post(
        reverse("upload"),
        {"collection": lib.library.pk, "files": as_file(pdf_bytes(text="x" * 3000), "big.pdf")},
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 413
    assert "upload limit" in json.loads(response.content)["error"] and "(1000 bytes)" in response.content.decode()
    assert not Document.objects.exists()


# --- ask ----------------------------------------------------------------------


def test_ask_answers_with_citations_linking_to_the_cited_page(client: Client, reader, catalog) -> None:
    client.force_login(reader)

    html = client.get(reverse("ask"), {"q": "How many days may staff work from home?"}).content.decode()

    assert 'class="citations"' in html
    assert f"{detail(catalog['remote'])}?page=1#preview" in html
    assert "Confidential budget" not in html


def test_ask_says_honestly_when_nothing_is_found(client: Client, outsider, catalog) -> None:
    client.force_login(outsider)

    html = client.get(reverse("ask"), {"q": "What did the board approve in the budget?"}).content.decode()

    assert "No answer found in the documents you can see." in html
    assert "Confidential budget" not in html and 'class="citations"' not in html


def test_ask_refuses_an_oversized_question(client: Client, reader) -> None:
    client.force_login(reader)

    response = client.get(reverse("ask"), {"q": "why " * 400})

    assert response.status_code == 400
    assert b"under 1000 characters" in response.content


# --- error pages --------------------------------------------------------------


def test_unknown_pages_and_server_errors_are_friendly(client: Client, reader, rf) -> None:
    from django.views.defaults import server_error

    client.force_login(reader)
    missing = client.get("/no/such/page/")
    crashed = server_error(rf.get("/"))

    assert missing.status_code == 404 and b"Go to the home page" in missing.content
    assert crashed.status_code == 500 and b"Something went wrong" in crashed.content


def test_sub_collections_nest_in_the_tree_and_count_in_facets(client: Client, reader, librarian, lib, catalog) -> None:
    from tests.factories import CollectionFactory
    from tests.pages.conftest import ingest

    reports = CollectionFactory(
        name="Wind tunnel reports", parent=lib.library, viewers=[lib.readers], editors=[lib.librarians]
    )
    ingest(librarian, reports, "Flap tests", ["Flaps on a swept wing lowered the stall speed."], filename="flaps.pdf")
    client.force_login(reader)

    browse = client.get(reverse("browse")).content.decode()
    search = client.get(reverse("search"), {"q": "swept wing", "mode": "keyword"}).content.decode()
    library_only = client.get(reverse("browse"), {"collection": lib.library.pk}).content.decode()

    tree = browse[browse.index('aria-label="Collections"') :]
    assert tree.index(">Library</a>") < tree.index(">Wind tunnel reports</a>")
    assert re.search(r">Library</a> <span class=\"count\">2</span>\s*<ul>", tree)
    assert ">Wind tunnel reports</a> <span" in search and "In:" in search
    assert "3 documents" in library_only  # a collection includes its sub-collections


def test_browse_by_processing_state(client: Client, librarian, lib: Library, catalog) -> None:
    upload(librarian, lib.library, pdf_bytes(), filename="waiting.pdf", title="Still waiting")
    client.force_login(librarian)

    html = client.get(reverse("browse"), {"status": "queued"}).content.decode()

    assert "1 document" in html and "Still waiting" in html
    assert "Remote work policy" not in html
    assert '<option value="queued" selected>' in html
