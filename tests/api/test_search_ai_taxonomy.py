"""Search, similar documents, answers, AI suggestions, audit events,
collections and tags through the API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from ai.models import Suggestion, SuggestionKind, SuggestionStatus
from documents.models import Collection, Tag
from tests.api.conftest import key_client, processed
from tests.factories import CollectionFactory, TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_search_modes_filters_facets_and_explain(public_doc, secret_doc, reader, lib: Library) -> None:
    client = key_client(reader, ("read",))

    keyword = client.get("/api/v1/search/?q=slats&mode=keyword&explain=true").json()
    semantic = client.get("/api/v1/search/", {"q": "stall of a wing", "mode": "semantic"}).json()
    filtered = client.get("/api/v1/search/", {"q": "slats", "collection": lib.restricted.pk}).json()

    assert [h["document"]["title"] for h in keyword["hits"]] == ["Wing slats"]
    assert keyword["hits"][0]["explain"]["keyword"]["rank"] == 1
    assert "<mark>" in keyword["hits"][0]["passage"]
    assert keyword["facets"]["collections"] == [{"id": lib.library.pk, "name": "Library", "count": 1}]
    assert [h["document"]["title"] for h in semantic["hits"]] == ["Wing slats"]
    assert "explain" not in semantic["hits"][0]
    assert filtered["total"] == 0 and filtered["hits"] == []


def test_search_rejects_an_unknown_mode(reader) -> None:
    response = key_client(reader).get("/api/v1/search/?q=x&mode=psychic&page=0")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"mode", "page"}


def test_similar_documents_only_among_visible_ones(lib: Library, librarian, public_doc, secret_doc, reader) -> None:
    twin = processed(
        upload(
            librarian,
            lib.library,
            pdf_bytes(title="Slats again", text="Leading-edge slats delay the stall of a swept wing model."),
            filename="twin.pdf",
        )
    )

    similar = key_client(reader).get(f"/api/v1/documents/{public_doc.uuid}/similar/?limit=5").json()

    assert [item["document"]["uuid"] for item in similar] == [str(twin.uuid)]
    assert 0 < similar[0]["similarity"] <= 1


def test_ask_cites_only_visible_documents(public_doc, secret_doc, reader) -> None:
    answer = key_client(reader).post("/api/v1/ask/", {"question": "What do slats on a wing do?"}, format="json")

    body = answer.json()
    assert answer.status_code == 200 and body["found"] is True
    assert {c["document"]["title"] for c in body["citations"]} == {"Wing slats"}


def test_ask_needs_a_question(reader) -> None:
    response = key_client(reader).post("/api/v1/ask/", {}, format="json")

    assert response.status_code == 400 and "question" in response.json()["error"]["fields"]


@pytest.fixture
def suggestions(public_doc, secret_doc, lib: Library) -> dict[str, Suggestion]:
    aero = TagFactory(name="aerodynamics")
    archive = CollectionFactory(name="Archive", editors=[lib.librarians])
    return {
        "tag": Suggestion.objects.create(
            document=public_doc, kind=SuggestionKind.TAG, tag=aero, confidence=0.9, provider="local"
        ),
        "move": Suggestion.objects.create(
            document=public_doc, kind=SuggestionKind.COLLECTION, collection=archive, confidence=0.7, provider="local"
        ),
        "secret": Suggestion.objects.create(
            document=secret_doc, kind=SuggestionKind.TAG, tag=aero, confidence=0.8, provider="local"
        ),
    }


def test_suggestions_are_listed_accepted_and_rejected_by_editors(suggestions, librarian, public_doc) -> None:
    client = key_client(librarian)

    listed = client.get("/api/v1/suggestions/").json()["results"]
    accepted = client.post(f"/api/v1/suggestions/{suggestions['tag'].pk}/accept/")
    twice = client.post(f"/api/v1/suggestions/{suggestions['tag'].pk}/accept/")
    rejected = client.post(f"/api/v1/suggestions/{suggestions['move'].pk}/reject/")
    hidden = client.post(f"/api/v1/suggestions/{suggestions['secret'].pk}/accept/")

    assert {s["id"] for s in listed} == {suggestions["tag"].pk, suggestions["move"].pk}
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert list(public_doc.tags.values_list("name", flat=True)) == ["aerodynamics"]
    assert twice.status_code == 400 and "already accepted" in twice.json()["error"]["fields"]["non_field_errors"][0]
    assert rejected.json()["status"] == "rejected"
    public_doc.refresh_from_db()
    assert public_doc.collection.name == "Library"
    assert hidden.status_code == 404
    assert Suggestion.objects.get(pk=suggestions["secret"].pk).status == SuggestionStatus.PENDING


def test_accepting_a_collection_suggestion_moves_the_document(suggestions, librarian, public_doc) -> None:
    response = key_client(librarian).post(f"/api/v1/suggestions/{suggestions['move'].pk}/accept/")

    public_doc.refresh_from_db()
    assert response.status_code == 200 and public_doc.collection.name == "Archive"


def test_readers_may_not_decide_suggestions(suggestions, reader) -> None:
    response = key_client(reader).post(f"/api/v1/suggestions/{suggestions['tag'].pk}/accept/")

    assert response.status_code == 403
    assert Suggestion.objects.get(pk=suggestions["tag"].pk).status == SuggestionStatus.PENDING


def test_audit_events_are_for_administrators(public_doc, librarian, admin_user) -> None:
    as_librarian = key_client(librarian).get("/api/v1/audit-events/")
    as_admin = key_client(admin_user).get(f"/api/v1/audit-events/?document={public_doc.uuid}")

    assert as_librarian.status_code == 403
    assert [e["action"] for e in as_admin.json()["results"]] == ["upload"]
    assert as_admin.json()["results"][0]["actor"] == "librarian"


def test_collections_are_listed_where_visible_and_written_with_permissions(lib: Library, reader, librarian) -> None:
    librarian.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_collection", "change_collection", "delete_collection"])
    )
    as_reader = key_client(reader)
    as_librarian = key_client(librarian)

    visible = [c["name"] for c in as_reader.get("/api/v1/collections/").json()]
    refused = as_reader.post("/api/v1/collections/", {"name": "Mine"}, format="json")
    top_level = as_librarian.post("/api/v1/collections/", {"name": "Top"}, format="json")
    created = as_librarian.post("/api/v1/collections/", {"name": "Reports", "parent": lib.library.pk}, format="json")
    renamed = as_librarian.patch(f"/api/v1/collections/{created.json()['id']}/", {"name": "Annual"}, format="json")
    into_hidden = as_librarian.post("/api/v1/collections/", {"name": "X", "parent": lib.restricted.pk}, format="json")
    not_empty = as_librarian.delete(f"/api/v1/collections/{lib.library.pk}/")
    deleted = as_librarian.delete(f"/api/v1/collections/{created.json()['id']}/")

    assert visible == ["Library"]
    assert refused.status_code == 403
    assert top_level.status_code == 400 and "parent" in top_level.json()["error"]["fields"]
    assert created.status_code == 201 and created.json()["slug"] == "reports"
    assert created.json()["viewer_groups"] == ["readers"] and created.json()["editor_groups"] == ["librarians"]
    assert renamed.json()["name"] == "Annual"
    assert into_hidden.status_code == 400 and "parent" in into_hidden.json()["error"]["fields"]
    assert not_empty.status_code == 400
    assert deleted.status_code == 204 and not Collection.objects.filter(name="Annual").exists()


def test_tags_are_read_by_all_and_written_with_permissions(reader, librarian) -> None:
    librarian.user_permissions.add(*Permission.objects.filter(codename__in=["add_tag", "change_tag", "delete_tag"]))

    refused = key_client(reader).post("/api/v1/tags/", {"name": "mine"}, format="json")
    created = key_client(librarian).post("/api/v1/tags/", {"name": "Budget 2025", "colour": "#0b5cad"}, format="json")
    bad = key_client(librarian).post("/api/v1/tags/", {"name": "x", "colour": "blue"}, format="json")
    duplicate = key_client(librarian).post("/api/v1/tags/", {"name": "Budget 2025"}, format="json")
    listed = key_client(reader).get("/api/v1/tags/").json()
    deleted = key_client(librarian).delete(f"/api/v1/tags/{created.json()['id']}/")

    assert refused.status_code == 403
    assert created.status_code == 201 and created.json()["slug"] == "budget-2025"
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["fields"]
    assert duplicate.status_code == 400 and "name" in duplicate.json()["error"]["fields"]
    assert [t["name"] for t in listed] == ["Budget 2025"]
    assert deleted.status_code == 204 and not Tag.objects.exists()


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_with_any_of_several_tags_in_every_mode(public_doc, librarian, mode: str) -> None:
    wings, other = TagFactory(name="wings"), TagFactory(name="other")
    public_doc.tags.add(wings)

    response = key_client(librarian).get(
        "/api/v1/search/", {"q": "slats", "mode": mode, "tag": [wings.pk, other.pk], "tags_mode": "any"}
    )

    assert response.status_code == 200
    assert [h["document"]["title"] for h in response.json()["hits"]] == ["Wing slats"]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_in_a_collection_that_does_not_exist_finds_nothing(public_doc, librarian, mode: str) -> None:
    response = key_client(librarian).get("/api/v1/search/", {"q": "slats", "mode": mode, "collection": 987654})

    assert response.status_code == 200
    assert response.json()["total"] == 0 and response.json()["hits"] == []
