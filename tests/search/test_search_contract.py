"""The search contract per mode: ranking by term statistics, bounded keyword
candidates, filters on both semantic paths, pagination, explain output,
escaping, facet caching that never leaks (row Z1), changes seen at once, and
a model switch that keeps search working until the new space is complete."""

from __future__ import annotations

import pytest
from django.db import connection

from documents import services
from documents.models import Document
from search.models import ChunkEmbedding, EmbeddingSpace, SpaceState, TermStatistic
from search.services import keyword, query
from search.services.embed import backlog_drain, ensure_space_index
from search.services.filters import SearchFilters
from search.services.index import term_statistics_rebuild
from search.services.query import search
from tests.factories import TagFactory
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db

MODES = ("keyword", "semantic", "hybrid")


def processed(user, collection, title: str, text: str, **kwargs) -> Document:
    document = upload(user, collection, pdf_bytes(title=title, text=text), filename="doc.pdf", title=title, **kwargs)
    for step in document.current_version.steps.order_by("position"):
        if step.name != "previews":
            services.step_execute(version_id=document.current_version_id, step_name=step.name)
    document.refresh_from_db()
    return document


def titles(results) -> list[str]:
    return [hit.document.title for hit in results.hits]


@pytest.fixture
def fleet(lib: Library, librarian) -> list[Document]:
    """Six reports that all mention engines; one also mentions a rare word."""
    texts = [
        ("Engine report one", "The engine ran hot. The engine was inspected. Engine oil was changed."),
        ("Engine report two", "The engine started at dawn and the engine idled for an hour."),
        ("Engine report three", "Engine vibration was normal; the engine mounts were checked."),
        ("Engine report four", "Routine engine service: filters, engine belts and fluids."),
        ("Engine report five", "An engine fire drill was held near the hangar."),
        ("Compressor stall note", "A compressor stall in the engine was traced to icing."),
    ]
    return [
        processed(librarian, lib.library, title, text, language="de" if i % 3 == 0 else "en")
        for i, (title, text) in enumerate(texts)
    ]


def lexeme_count(lexeme: str) -> int:
    row = TermStatistic.objects.filter(lexeme=lexeme).first()
    return row.documents if row else 0


def test_term_statistics_follow_ingest_and_edits_and_match_a_full_rebuild(fleet, librarian) -> None:
    assert lexeme_count("engin") == 6  # the English stem, in every report
    assert lexeme_count("ice") == 1  # "icing"

    services.document_update(user=librarian, document=fleet[1], title="Engine report two: icing")

    assert lexeme_count("ice") == 2
    incremental = dict(TermStatistic.objects.filter(documents__gt=0).values_list("lexeme", "documents"))
    term_statistics_rebuild()
    assert dict(TermStatistic.objects.values_list("lexeme", "documents")) == incremental


def test_keyword_weights_rare_words_above_common_ones(fleet, reader) -> None:
    # "engine" is in every document, several times in most; "icing" in one, once.
    results = search(user=reader, query="engine icing", mode="keyword")

    assert titles(results)[0] == "Compressor stall note"
    assert results.total == 6


def test_a_very_common_word_ranks_a_bounded_set_yet_finds_title_matches(fleet, lib, librarian, reader, monkeypatch):
    titled = processed(librarian, lib.library, "Hangar safety", "Doors, lights and fire exits were checked.")
    # Every lexeme of the query is "common" and only one body match is sampled.
    monkeypatch.setattr(keyword, "CANDIDATE_CAP", 0)
    monkeypatch.setattr(keyword, "FILL_CAP", 1)

    results = search(user=reader, query="hangar", mode="keyword")

    # Two documents say "hangar": the title match is always a candidate, and first.
    assert results.hits[0].document == titled
    assert len(results.hits) == 2
    assert keyword.keyword_plan("hangar", websearch=False).estimated_matches == 2


@pytest.mark.parametrize("force_index_walk", [False, True], ids=["exact scan", "index walk"])
def test_filtered_semantic_search_returns_every_match_on_both_paths(
    fleet, reader, monkeypatch, force_index_walk: bool
) -> None:
    if force_index_walk:
        monkeypatch.setattr(query, "EXACT_SCAN_BELOW", 0)
    german = {doc.pk for doc in fleet if doc.language == "de"}

    results = search(
        user=reader, query="jet engine maintenance", mode="semantic", filters=SearchFilters(languages=["de"])
    )

    assert {hit.document_id for hit in results.hits} == german
    assert results.total == len(german) == 2


def test_semantic_pagination_is_disjoint_and_complete(fleet, reader) -> None:
    everything = search(user=reader, query="engine maintenance", mode="semantic", page_size=100)
    pages = [search(user=reader, query="engine maintenance", mode="semantic", page=n, page_size=4) for n in (1, 2)]

    assert everything.total == 6 and pages[0].pages == 2
    assert [h.document_id for h in pages[0].hits + pages[1].hits] == [h.document_id for h in everything.hits]
    assert len(pages[1].hits) == 2


@pytest.mark.parametrize("mode", MODES)
def test_explain_output_names_the_lists_a_hit_came_from(fleet, reader, mode: str) -> None:
    results = search(user=reader, query="compressor stall", mode=mode, explain=True)
    top = results.hits[0].explain()

    assert results.explain is True
    assert results.hits[0].document.title == "Compressor stall note"
    assert (top["keyword"]["rank"] == 1) is (mode != "semantic")
    assert (top["semantic"]["rank"] == 1) is (mode != "keyword")
    assert top["score"] > 0


@pytest.mark.parametrize("mode", MODES)
def test_filters_and_facets_apply_in_every_mode(fleet, librarian, reader, mode: str) -> None:
    urgent = TagFactory(name="Urgent")
    services.documents_tag(user=librarian, documents=fleet[:2], add=[urgent])

    results = search(user=reader, query="engine", mode=mode, filters=SearchFilters(tags=[urgent.pk]))

    assert {hit.document_id for hit in results.hits} == {fleet[0].pk, fleet[1].pk}
    assert {f["name"]: f["count"] for f in results.facets["tags"]} == {"Urgent": 2}


@pytest.mark.parametrize("mode", MODES)
def test_highlights_escape_markup_in_every_mode(lib: Library, librarian, reader, mode: str) -> None:
    processed(librarian, lib.library, "Payload", 'Turbulence "><img src=x onerror=alert(1)> measured at the wing.')

    hit = search(user=reader, query="turbulence wing", mode=mode).hits[0]

    assert "<img" not in hit.passage and "&lt;img" in hit.passage
    assert hit.passage_page == 1


def test_cached_facets_never_leak_between_users_and_follow_edits(lib: Library, librarian, board_member, reader):
    board_member.groups.add(lib.readers)  # sees both collections
    processed(librarian, lib.library, "Energy audit", "Energy use of the hangar lights.")
    processed(board_member, lib.restricted, "Energy budget", "Energy costs for the board.")

    for_board = search(user=board_member, query="energy", mode="keyword")
    for_reader = search(user=reader, query="energy", mode="keyword")

    assert {f["name"] for f in for_board.facets["collections"]} == {"Library", "Restricted"}
    assert {f["name"] for f in for_reader.facets["collections"]} == {"Library"}
    assert for_reader.total == 1

    audit = Document.objects.get(title="Energy audit")
    services.documents_tag(user=librarian, documents=[audit], add=[TagFactory(name="Lighting")])
    assert {f["name"] for f in search(user=reader, query="energy", mode="keyword").facets["tags"]} == {"Lighting"}


@pytest.mark.parametrize("mode", MODES)
def test_moving_a_document_out_of_sight_removes_it_from_results_at_once(fleet, lib, librarian, reader, mode: str):
    librarian.groups.add(lib.board)  # may edit both collections
    services.documents_move(user=librarian, documents=[fleet[5]], collection=lib.restricted)

    results = search(user=reader, query="compressor stall icing", mode=mode)

    assert fleet[5].pk not in {hit.document_id for hit in results.hits}
    assert all(f["name"] != "Restricted" for f in results.facets["collections"])


def test_a_new_embedding_model_takes_over_only_once_every_passage_has_a_vector(fleet, reader) -> None:
    # The vectors made so far become an older model's space (still active)...
    old_id = "local:previous-model:384"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE search_embeddingspace SET model_id = %s", [old_id])
        cursor.execute("UPDATE search_chunkembedding SET model_id = %s", [old_id])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # index DDL refuses pending deferred checks
    old = EmbeddingSpace.objects.get(model_id=old_id)
    ensure_space_index(old)
    total_chunks = ChunkEmbedding.objects.filter(model_id=old_id).count()
    before = titles(search(user=reader, query="compressor stall", mode="semantic"))

    # ...and the configured model is re-embedded a few passages at a time.
    first = backlog_drain(batch=2)

    new = EmbeddingSpace.objects.exclude(pk=old.pk).get()
    assert first == {"chunks": 2, "computed": 2, "activated": 0}
    assert new.state == SpaceState.BUILDING
    assert titles(search(user=reader, query="compressor stall", mode="semantic")) == before  # old vectors
    while not backlog_drain(batch=2)["activated"]:
        pass  # resumable: each run picks up what is still missing

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, new.state) == (SpaceState.RETIRED, SpaceState.ACTIVE)
    assert ChunkEmbedding.objects.filter(model_id=new.model_id).count() == total_chunks
    assert titles(search(user=reader, query="compressor stall", mode="semantic"))[0] == "Compressor stall note"


def test_filters_stay_a_per_row_test_on_the_index_walk(fleet, reader) -> None:
    from search.services.embed import active_space, query_vector

    space = active_space()
    filters = SearchFilters(languages=["de"])
    filtered = query._filtered_sql(reader, filters)
    scope = query.semantic_scope(reader, filters, filtered)
    vector = query_vector("engine")

    def plan(exact: bool | None) -> str:
        sql, params = query.semantic_statement(vector, space, scope, 30, exact=exact)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: make the planner show its index path
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    walk = plan(False)
    assert space.index_name in walk  # the HNSW index is walked...
    assert "Semi Join" not in walk and "hashed SubPlan" in walk  # ...with the filter tested on each row
    both = plan(None)
    assert both.count("One-Time Filter") == 2  # one statement, only the applicable branch runs


def test_a_word_missing_from_the_statistics_is_still_found(fleet, reader) -> None:
    TermStatistic.objects.filter(lexeme="compressor").delete()  # as if a recount had not caught up yet

    assert titles(search(user=reader, query="compressor", mode="keyword")) == ["Compressor stall note"]
    assert search(user=reader, query="zeppelin", mode="keyword").hits == []
