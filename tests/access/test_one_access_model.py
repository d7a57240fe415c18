"""One access model everywhere (rows Z1-Z4 and K1-K4 of the checklist): for
every read surface in ``surfaces.SURFACES``, a person without rights to a
collection sees nothing of its documents — not a title, not an id, not a
count, not a collection name — and a member of it does see them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from ai.models import Suggestion, SuggestionKind
from tests.access.surfaces import DETAIL, FILE, LISTING, SECRET_WORD, SURFACES, Seen, Surface, Viewer, World
from tests.api.conftest import key_client, processed
from tests.factories import TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(lib: Library, librarian, board_member) -> World:
    board_member.groups.add(lib.readers)  # the member sees both collections
    visible = processed(
        upload(
            librarian,
            lib.library,
            pdf_bytes(title="Energy plan", text="The energy budget for the library building and its heating."),
            filename="energy.pdf",
            title="Energy plan",
        )
    )
    restricted = processed(
        upload(
            board_member,
            lib.restricted,
            pdf_bytes(title="Board", text=f"The {SECRET_WORD} budget for the building and its energy and heating."),
            filename="board.pdf",
            title="Board budget secret",
        )
    )
    Suggestion.objects.create(
        document=restricted, kind=SuggestionKind.TAG, tag=TagFactory(name="finance"), confidence=0.9, provider="local"
    )
    return World(visible=visible, restricted=restricted)


def viewer(user) -> Viewer:
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="documents"))
    browser = Client()
    browser.force_login(user)
    return Viewer(user=user, browser=browser, api=key_client(user, ("read",)))


def markers(world: World) -> list[str]:
    return [world.restricted.title, str(world.restricted.uuid), world.restricted.collection.name]


def shows(result: Seen, world: World) -> list[str]:
    return [marker for marker in markers(world) if marker in result.text]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_someone_without_rights_sees_nothing(surface: Surface, world: World, librarian) -> None:
    result = surface.look(viewer(librarian), world)

    assert shows(result, world) == []
    if surface.kind in (DETAIL, FILE):
        # The admin answers an invisible id as it answers a missing one: back to its index.
        assert result.status == 404 or (result.status == 302 and result.location == "/admin/")
    else:
        assert result.status == 200
        assert not result.count


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_a_member_sees_it_on_the_same_surface(surface: Surface, world: World, board_member) -> None:
    result = surface.look(viewer(board_member), world)

    assert result.status == 200
    if surface.kind == LISTING:
        assert shows(result, world) or result.count


def test_counts_and_facets_of_a_search_leave_the_restricted_document_out(world: World, librarian, board_member) -> None:
    outsider = viewer(librarian).api.get("/api/v1/search/?q=building+heating").json()
    member = viewer(board_member).api.get("/api/v1/search/?q=building+heating").json()

    assert (outsider["total"], member["total"]) == (1, 2)
    assert [c["name"] for c in outsider["facets"]["collections"]] == ["Library"]
    assert sorted(c["name"] for c in member["facets"]["collections"]) == ["Library", "Restricted"]
