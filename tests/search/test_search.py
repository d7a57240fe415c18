"""search(): keyword, semantic and hybrid modes, filters, facets, highlights,
permissions (row Z1 for search, facets and counts; row L2) and re-indexing."""

from __future__ import annotations

from datetime import date

import pytest

from documents import services
from documents.models import Document
from search.services.filters import SearchFilters
from search.services.query import search
from tests.factories import CollectionFactory, TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db

TEXTS = {
    "wing": (
        "Leading-edge slats on a swept wing",
        "Wind tunnel measurements of lift and drag on a swept wing model. Slats delayed the stall by four degrees "
        "and raised the maximum lift coefficient. Boundary layer transition moved forward with Reynolds number.",
    ),
    "remote": (
        "Remote work policy",
        "Staff may work from home up to three days a week. The organisation provides an encrypted laptop. "
        "Report a lost laptop to the service desk within one hour.",
    ),
    "budget": (
        "Budget for next year",
        "Income of four million euros and expenditure on salaries, energy and building maintenance. "
        "The board approved the budget subject to a revised estimate of energy costs.",
    ),
}


def ingest(user, collection, key: str, **kwargs) -> Document:
    title, text = TEXTS[key]
    document = upload(user, collection, pdf_bytes(title=title, text=text), filename=f"{key}.pdf", title=title, **kwargs)
    for step in document.current_version.steps.order_by("position"):
        services.step_execute(version_id=document.current_version_id, step_name=step.name)
    document.refresh_from_db()
    return document


@pytest.fixture
def catalog(lib: Library, librarian, board_member) -> dict[str, Document]:
    return {
        "wing": ingest(librarian, lib.library, "wing", language="en", document_date=date(2021, 5, 1)),
        "remote": ingest(librarian, lib.library, "remote", language="en", document_date=date(2024, 2, 1)),
        "budget": ingest(board_member, lib.restricted, "budget", language="en"),
    }


def titles(results) -> list[str]:
    return [hit.document.title for hit in results.hits]


def test_keyword_finds_words_and_ranks_the_best_match_first(catalog, reader) -> None:
    results = search(user=reader, query="swept wing stall", mode="keyword")

    assert titles(results) == ["Leading-edge slats on a swept wing"]
    assert results.hits[0].keyword_score > 0


def test_keyword_supports_quotes_or_and_exclusion(catalog, reader) -> None:
    assert titles(search(user=reader, query='"service desk"', mode="keyword")) == ["Remote work policy"]
    assert len(search(user=reader, query="laptop OR tunnel", mode="keyword").hits) == 2
    assert titles(search(user=reader, query="laptop OR tunnel -slats", mode="keyword")) == ["Remote work policy"]


def test_semantic_finds_meaning_without_shared_words(catalog, reader) -> None:
    results = search(user=reader, query="can I do my job from my house?", mode="semantic")

    assert titles(results)[0] == "Remote work policy"
    scores = [hit.semantic_score for hit in results.hits]
    assert len(scores) == 2 and scores == sorted(scores, reverse=True)  # the board's budget is not visible


def test_hybrid_is_the_default_and_explains_both_lists(catalog, reader) -> None:
    results = search(user=reader, query="aircraft wing stall")

    assert results.mode == "hybrid"
    top = results.hits[0]
    assert top.document.title.startswith("Leading-edge slats")
    assert top.keyword_rank == 1 and top.semantic_rank == 1
    assert top.explain()["keyword"]["rank"] == 1


def test_user_never_sees_hits_facets_or_counts_of_documents_they_may_not_see(catalog, reader, board_member) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        results = search(user=reader, query="budget energy costs salaries", mode=mode)
        assert "Budget for next year" not in titles(results), mode
        assert all(f["name"] != "Restricted" for f in results.facets["collections"])
    assert search(user=reader, query="Budgte", mode="keyword").did_you_mean != "Budget for next year"
    assert titles(search(user=board_member, query="budget energy", mode="keyword")) == ["Budget for next year"]


def test_outsider_sees_nothing_at_all(catalog, outsider) -> None:
    results = search(user=outsider, query="wing", mode="hybrid")

    assert results.hits == [] and results.total == 0
    assert results.facets["collections"] == []


def test_highlights_are_escaped_and_marked_with_the_page(lib: Library, librarian, reader) -> None:
    document = upload(
        librarian,
        lib.library,
        pdf_bytes(title="Markup", text="A <script>alert(1)</script> payload next to the word turbulence."),
        filename="markup.pdf",
    )
    for step in ("extract", "previews", "chunk", "embed"):
        services.step_execute(version_id=document.current_version_id, step_name=step)

    hit = search(user=reader, query="turbulence", mode="keyword").hits[0]

    assert "<script>" not in hit.passage
    assert "&lt;script&gt;" in hit.passage
    assert "<mark>turbulence</mark>" in hit.passage
    assert hit.passage_page == 1


def test_filters_and_facets(catalog, lib: Library, librarian, reader) -> None:
    child = CollectionFactory(name="Aero", parent=lib.library, viewers=[lib.readers], editors=[lib.librarians])
    services.documents_move(user=librarian, documents=[catalog["wing"]], collection=child)
    policy = TagFactory(name="Policy")
    services.documents_tag(user=librarian, documents=[catalog["remote"]], add=[policy])

    by_parent = search(user=reader, query="", filters=SearchFilters(collections=[lib.library.pk]))
    by_tag = search(user=reader, query="", filters=SearchFilters(tags=[policy.pk]))
    by_date = search(user=reader, query="", filters=SearchFilters(date_from=date(2023, 1, 1)))
    by_type = search(user=reader, query="", filters=SearchFilters(types=["text/plain"]))

    assert sorted(titles(by_parent)) == ["Leading-edge slats on a swept wing", "Remote work policy"]
    assert titles(by_tag) == ["Remote work policy"]
    assert titles(by_date) == ["Remote work policy"]
    assert by_type.hits == []
    facets = by_parent.facets
    assert {f["name"]: f["count"] for f in facets["collections"]} == {"Aero": 1, "Library": 1}
    assert {f["name"]: f["count"] for f in facets["tags"]} == {"Policy": 1}
    assert {f["value"]: f["count"] for f in facets["years"]} == {2024: 1, 2021: 1}


def test_pagination(catalog, reader) -> None:
    first = search(user=reader, query="", page=1, page_size=1)
    second = search(user=reader, query="", page=2, page_size=1)

    assert first.total == 2 and first.pages == 2
    assert titles(first) != titles(second)


def test_editing_title_or_tags_changes_what_keyword_search_finds_at_once(catalog, librarian, reader) -> None:
    assert search(user=reader, query="aerofoil", mode="keyword").hits == []

    services.document_update(user=librarian, document=catalog["wing"], title="Aerofoil slats report")
    services.documents_tag(user=librarian, documents=[catalog["remote"]], add=[TagFactory(name="Teleworking")])

    assert titles(search(user=reader, query="aerofoil", mode="keyword")) == ["Aerofoil slats report"]
    assert titles(search(user=reader, query="teleworking", mode="keyword")) == ["Remote work policy"]


def test_did_you_mean_suggests_a_visible_title_for_a_typo(catalog, reader) -> None:
    results = search(user=reader, query="Remote wrok policy", mode="keyword")

    assert results.did_you_mean == "Remote work policy"


def test_similar_documents_respect_permissions(catalog, lib: Library, librarian, reader, board_member) -> None:
    from search.services.similar import similar_documents

    twin = ingest(librarian, lib.library, "wing", language="en")

    for_reader = [s.document.title for s in similar_documents(user=reader, document=catalog["remote"], limit=5)]
    for_board = [s.document.pk for s in similar_documents(user=board_member, document=catalog["remote"], limit=5)]
    nearest_to_wing = similar_documents(user=reader, document=catalog["wing"], limit=1)

    assert "Budget for next year" not in for_reader
    assert catalog["remote"].pk not in for_board  # never the document itself
    assert nearest_to_wing[0].document == twin and nearest_to_wing[0].similarity > 0.99


def test_identical_meaning_is_flagged_as_near_duplicate(catalog, lib: Library, librarian) -> None:
    from search.models import NearDuplicate

    twin = ingest(librarian, lib.library, "wing", language="en")

    flag = NearDuplicate.objects.get(document=twin)
    assert flag.similar_to == catalog["wing"] and flag.similarity >= 0.97
    assert not NearDuplicate.objects.filter(document=catalog["remote"]).exists()


def test_a_new_version_replaces_the_passages_search_reads(catalog, librarian, reader) -> None:
    import io

    from search.models import ChunkEmbedding, DocumentChunk

    version = services.document_version_create(
        user=librarian,
        document=catalog["remote"],
        stream=io.BytesIO(pdf_bytes(title="Remote work policy", text="Hybrid working rules for hot-desking.")),
        filename="remote-v2.pdf",
    )
    for step in version.steps.order_by("position"):
        services.step_execute(version_id=version.pk, step_name=step.name)

    assert set(DocumentChunk.objects.filter(document=catalog["remote"]).values_list("version_id", flat=True)) == {
        version.pk
    }
    assert ChunkEmbedding.objects.filter(document=catalog["remote"]).count() == version.chunks.count()
    assert titles(search(user=reader, query="hot-desking", mode="keyword")) == ["Remote work policy"]
    # words only the first version had no longer find the document
    assert catalog["remote"].pk not in [
        h.document_id for h in search(user=reader, query="encrypted", mode="keyword").hits
    ]
