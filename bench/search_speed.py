"""Search latency at scale: 100,000 documents with 3 passages each.

Documents, passages, full-text vectors and 300,000 clustered synthetic
384-dimension vectors are generated straight into PostgreSQL (the pipeline
is not what is measured here). Reported: index build times and sizes, and
p50/p95 latency of 50 queries per mode — keyword with rare and very common
terms, semantic with recall@10 against an exact scan, hybrid — each for a
superuser and for a user who may see 1 % of the documents. Query embedding
is excluded (it is measured by the AI benchmarks).

``BENCH_SEARCH_DOCUMENTS`` shrinks the catalog for a quick try.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import random
import time

from bench import results
from bench.results import Stats
from bench.stack import running_catalog

logger = logging.getLogger(__name__)

NAME = "search_speed"
TITLE = "Search speed at scale (target: 100,000 documents, 300,000 vectors)"
DOCUMENTS = int(os.environ.get("BENCH_SEARCH_DOCUMENTS", "100000"))
CHUNKS_PER_DOCUMENT = 3
DIMENSIONS = 384
CLUSTERS = 500
COLLECTIONS = 100
QUERIES = 50
WORDS_PER_CHUNK = 60
VOCABULARY = 30_000
MODEL_ID = "bench:synthetic:384"
SEED = 20261204


def _vocabulary() -> list[str]:
    rng = random.Random(SEED)
    syllables = ["ka", "to", "ri", "mun", "sel", "dar", "vo", "pi", "len", "gra", "tis", "qu", "bor", "ne", "fal"]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _zipf_weights(n: int) -> list[float]:
    # Word frequencies of natural text follow Zipf's law (s close to 1).
    return [1.0 / (rank**1.05) for rank in range(1, n + 1)]


def _load(cursor, words: list[str]) -> dict[str, float]:
    timings: dict[str, float] = {}
    rng = random.Random(SEED)
    cumulative = list(itertools.accumulate(_zipf_weights(len(words))))
    t = time.monotonic()
    cursor.execute(
        "INSERT INTO documents_collection (name, slug, description, ai_policy, trash_retention_days, "
        "ai_auto_apply, ai_auto_apply_threshold, created_at) "
        "SELECT 'Bench ' || i, 'bench-' || i, '', 'external_allowed', 30, false, 0.9, now() "
        "FROM generate_series(1, %s) i",
        [COLLECTIONS],
    )
    cursor.execute("SELECT min(id) FROM documents_collection WHERE slug LIKE 'bench-%%'")
    first_collection = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO documents_document (uuid, title, description, language, metadata, created_at, updated_at, status,
                                        collection_id)
        SELECT gen_random_uuid(), 'Document ' || i, '', 'en', '{}'::jsonb, now() - (i || ' minutes')::interval, now(),
               'ready', %s + (i %% %s)
        FROM generate_series(1, %s) i
        """,
        [first_collection, COLLECTIONS, DOCUMENTS],
    )
    cursor.execute(
        """
        INSERT INTO documents_documentversion (document_id, number, file, original_filename, mime_type, size, sha256,
                                               page_count, metadata, status, error, created_at)
        SELECT id, 1, 'bench/' || id || '.pdf', 'bench.pdf', 'application/pdf', 1000, md5(id::text), 3, '{}'::jsonb,
               'ready', '', now()
        FROM documents_document
        """
    )
    cursor.execute(
        "UPDATE documents_document d SET current_version_id = v.id FROM documents_documentversion v "
        "WHERE v.document_id = d.id"
    )
    # Something for non-permission filters to select: 1 % French, ~10 % German.
    cursor.execute(
        "UPDATE documents_document SET language = CASE WHEN id % 100 = 7 THEN 'fr' "
        "WHEN id % 10 = 3 THEN 'de' ELSE 'en' END"
    )
    timings["documents"] = time.monotonic() - t

    t = time.monotonic()
    cursor.execute("SELECT document_id, id FROM documents_documentversion ORDER BY document_id")
    versions = cursor.fetchall()
    buffer = io.StringIO()
    for document_id, version_id in versions:
        for number in range(1, CHUNKS_PER_DOCUMENT + 1):
            text = " ".join(rng.choices(words, cum_weights=cumulative, k=WORDS_PER_CHUNK))
            buffer.write(
                f"{version_id}\t{document_id}\t{number}\t{number}\t{number}\t{text}\t{document_id}-{number}\t{WORDS_PER_CHUNK}\n"
            )
    buffer.seek(0)
    with cursor.copy(
        "COPY search_documentchunk (version_id, document_id, number, page_start, page_end, text, content_hash, "
        "word_count) FROM STDIN"
    ) as copy:
        while data := buffer.read(1 << 20):
            copy.write(data)
    timings["passages"] = time.monotonic() - t

    t = time.monotonic()
    cursor.execute(
        """
        INSERT INTO search_documentsearchindex (document_id, config, search_vector, head_vector, collection_id,
                                                trashed, updated_at)
        SELECT d.id, 'simple',
               setweight(to_tsvector('simple', d.title), 'A')
               || setweight(to_tsvector('simple', string_agg(c.text, ' ' ORDER BY c.number)), 'C'),
               setweight(to_tsvector('simple', d.title), 'A'), d.collection_id, false, now()
        FROM documents_document d JOIN search_documentchunk c ON c.document_id = d.id
        GROUP BY d.id
        """
    )
    timings["full-text vectors"] = time.monotonic() - t
    t = time.monotonic()
    from search.services.index import term_statistics_rebuild

    term_statistics_rebuild()
    timings["term statistics"] = time.monotonic() - t

    # Clustered unit vectors: random centres plus noise, so neighbours are
    # meaningful and an approximate index has something to get wrong.
    t = time.monotonic()
    cursor.execute("SELECT setseed(0.42)")
    cursor.execute(
        f"""
        CREATE TEMP TABLE centres AS
        SELECT c AS id, (SELECT array_agg(random() - 0.5) FROM generate_series(1, {DIMENSIONS}) WHERE c > 0) AS v
        FROM generate_series(1, {CLUSTERS}) c
        """  # noqa: S608 - constants
    )
    cursor.execute(
        f"""
        INSERT INTO search_chunkembedding (chunk_id, document_id, collection_id, trashed, model_id, content_hash,
                                           embedding)
        SELECT ch.id, ch.document_id, d.collection_id, false, %s, ch.content_hash, l2_normalize(
                   (SELECT array_agg(ce.v[i] + (random() - 0.5) * 0.6 ORDER BY i)
                    FROM generate_series(1, {DIMENSIONS}) i)::vector)
        FROM search_documentchunk ch
        JOIN documents_document d ON d.id = ch.document_id
        JOIN centres ce ON ce.id = 1 + (hashint8(ch.id) & 2147483647) %% {CLUSTERS}
        """,  # noqa: S608 - constants
        [MODEL_ID],
    )
    timings["vectors"] = time.monotonic() - t
    cursor.execute("ANALYZE")
    return timings


def _build_index(cursor) -> tuple[float, int]:
    from search.models import EmbeddingSpace, SpaceState
    from search.services.embed import ensure_space_index

    space = EmbeddingSpace.objects.create(model_id=MODEL_ID, dimensions=DIMENSIONS, state=SpaceState.ACTIVE)
    cursor.execute("SET maintenance_work_mem = '2GB'")
    cursor.execute("SET max_parallel_maintenance_workers = 1")
    t = time.monotonic()
    ensure_space_index(space)
    elapsed = time.monotonic() - t
    cursor.execute("SELECT pg_relation_size(%s)", [space.index_name])
    return elapsed, cursor.fetchone()[0]


def _users() -> tuple[object, object]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from documents.models import Collection

    user_model = get_user_model()
    admin = user_model.objects.create_superuser("bench-admin", password=None)
    group = Group.objects.create(name="bench-one-percent")
    Collection.objects.filter(slug="bench-1").get().viewer_groups.add(group)
    restricted = user_model.objects.create_user("bench-reader", password=None)
    restricted.groups.add(group)
    return admin, restricted


def _term_queries(cursor, words: list[str]) -> list[str]:
    """Half rare-to-medium two-word queries, half with a term in ~30 % of documents."""
    cursor.execute(
        "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM search_documentsearchindex') ORDER BY ndoc DESC"
    )
    stats = cursor.fetchall()
    common = [w for w, n in stats if 0.2 * DOCUMENTS <= n <= 0.4 * DOCUMENTS] or [stats[0][0]]
    medium = [w for w, n in stats if 0.001 * DOCUMENTS <= n <= 0.02 * DOCUMENTS] or [stats[-1][0]]
    rng = random.Random(SEED + 1)
    half = QUERIES // 2
    queries = [f"{rng.choice(medium)} {rng.choice(medium)}" for _ in range(half)]
    queries += [
        f"{rng.choice(common)} {rng.choice(medium)}" if i % 2 else rng.choice(common) for i in range(QUERIES - half)
    ]
    return queries


def _row(stats: Stats, target_p95: float) -> tuple[str, ...]:
    verdict = results.verdict(stats.p95, target_p95, higher_is_better=False)
    return f"{stats.p50:.1f}", f"{stats.p95:.1f}", f"{stats.mean:.1f}", f"≤ {target_p95:g}", verdict


def _time(fn, items):
    samples, outputs = [], []
    for item in items:
        t = time.monotonic()
        outputs.append(fn(item))
        samples.append((time.monotonic() - t) * 1000)
    return Stats.of(samples), outputs


def _measure(
    label: str, user: object, space: object, term_queries: list[str], vectors: list[list[float]]
) -> tuple[list[tuple[str, ...]], tuple[str, ...]]:
    from search.services import query as q
    from search.services.filters import SearchFilters

    filtered = q._filtered_sql(user, SearchFilters())
    condition = q.semantic_condition(user, SearchFilters(), filtered)
    access = q.access_condition(user, SearchFilters(), filtered, "i")
    exact_mode = q._count(filtered, q.EXACT_SCAN_BELOW + 1) <= q.EXACT_SCAN_BELOW

    def keyword(text: str) -> list:
        return q._keyword(text, access, q.KEYWORD_CANDIDATES)

    scope = q.semantic_scope(user, SearchFilters(), filtered)

    def semantic(vector: list[float], exact: bool | None = None) -> list:
        limit = q.SEMANTIC_CANDIDATES * q.CHUNKS_PER_DOCUMENT
        return q._fold(q._semantic(vector, space, scope, limit, exact=exact))

    def hybrid(index: int) -> list:
        keyword(term_queries[index])
        return semantic(vectors[index])

    kw_stats, _ = _time(keyword, term_queries)
    common_stats, _ = _time(keyword, term_queries[QUERIES // 2 :])
    sem_stats, approx = _time(semantic, vectors)
    _, exact = _time(lambda vector: semantic(vector, exact=True), vectors)
    hyb_stats, _ = _time(hybrid, range(len(vectors)))
    overlaps = [
        len({d for d, _, _ in a[:10]} & {d for d, _, _ in e[:10]}) / max(1, min(10, len(e)))
        for a, e in zip(approx, exact, strict=True)
    ]
    recall = sum(overlaps) / len(overlaps)
    full = sum(1 for a in approx if len(a) >= 10) / len(approx)
    rows = [
        (label, "keyword (all 50)", *_row(kw_stats, 50)),
        (label, "keyword (terms in ~30 % of docs)", *_row(common_stats, 50)),
        (label, f"semantic ({'exact scan' if exact_mode else 'approximate path'})", *_row(sem_stats, 20)),
        (label, "hybrid (keyword + semantic)", *_row(hyb_stats, 60)),
    ]
    verdict = "PASS" if recall >= 0.95 and full == 1 else "MISS"
    plan = "exact scan" if exact_mode else _plan_uses(space, condition, vectors[0])
    return rows, (label, f"{recall:.3f}", f"{full:.0%}", plan, "≥ 0.95, always k", verdict)


def _recall(approx: list[list], exact: list[list]) -> tuple[float, float]:
    """Mean recall@10 of ``approx`` against ``exact`` (document or chunk
    lists, first element the id), and the share of queries with 10 results."""
    overlaps = [
        len({row[0] for row in a[:10]} & {row[0] for row in e[:10]}) / max(1, min(10, len(e)))
        for a, e in zip(approx, exact, strict=True)
    ]
    return sum(overlaps) / len(overlaps), sum(1 for a in approx if len(a) >= 10) / len(approx)


def _ef_sweep(space: object, user: object, vectors: list[list[float]]) -> tuple[list[tuple[str, ...]], str]:
    """Recall@10 and latency of the approximate path for several ef_search
    values, at document level (what search returns) and at passage level
    (what the index returns); and how close the 10th and 11th exact
    neighbours are (near-ties make recall a coin toss)."""
    from django.conf import settings

    from search.services import query as q
    from search.services.filters import SearchFilters

    scope = q.semantic_scope(user, SearchFilters(), q._filtered_sql(user, SearchFilters()))
    limit = q.SEMANTIC_CANDIDATES * q.CHUNKS_PER_DOCUMENT
    exact_chunks = [q._semantic(v, space, scope, limit, exact=True) for v in vectors]
    exact_docs = [q._fold(chunks) for chunks in exact_chunks]
    gaps = sorted((c[9][2] - c[10][2]) / max(1e-9, 1 - c[9][2]) for c in exact_chunks if len(c) > 10)
    configured = settings.SEARCH_HNSW_EF_SEARCH
    rows = []
    try:
        for ef in (40, 100, 200, 400, 800):
            settings.SEARCH_HNSW_EF_SEARCH = ef
            stats, chunks = _time(lambda v: q._semantic(v, space, scope, limit, exact=False), vectors)
            chunk_recall, _ = _recall(
                [[(c[1],) for c in r] for r in chunks], [[(c[1],) for c in r] for r in exact_chunks]
            )
            doc_recall, full = _recall([q._fold(r) for r in chunks], exact_docs)
            lost = sum(1 for a, e in zip(chunks, exact_chunks, strict=True) if _recall([a], [e])[0] < 0.5)
            rows.append(
                (
                    f"{ef}" + (" (setting)" if ef == configured else ""),
                    f"{stats.p50:.1f}",
                    f"{stats.p95:.1f}",
                    f"{doc_recall:.3f}",
                    f"{chunk_recall:.3f}",
                    f"{full:.0%}",
                    f"{lost} of {len(vectors)}",
                )
            )
    finally:
        settings.SEARCH_HNSW_EF_SEARCH = configured
    median_gap = gaps[len(gaps) // 2] if gaps else 0.0
    return rows, f"{median_gap:.2%}"


def _filtered_semantic(space: object, user: object, vectors: list[list[float]]) -> list[tuple[str, ...]]:
    """Semantic search with a non-permission filter (language) matching ~1 %
    and ~10 % of documents: latency, the path chosen, recall@10 against an
    exact scan of the same documents, and whether every query got 10."""
    from search.services import query as q
    from search.services.filters import SearchFilters

    rows = []
    limit = q.SEMANTIC_CANDIDATES * q.CHUNKS_PER_DOCUMENT
    for label, language in (("language = fr (~1 %)", "fr"), ("language = de (~9 %)", "de")):
        filters = SearchFilters(languages=[language])
        filtered = q._filtered_sql(user, filters)
        scope = q.semantic_scope(user, filters, filtered)
        matching = q._count(filtered, 10**9)
        path = "exact scan" if matching <= q.EXACT_SCAN_BELOW else "HNSW walk + hashed filter"
        stats, approx = _time(lambda v, scope=scope: q._fold(q._semantic(v, space, scope, limit)), vectors)
        exact_stats, exact = _time(
            lambda v, scope=scope: q._fold(q._semantic(v, space, scope, limit, exact=True)), vectors
        )
        recall, full = _recall(approx, exact)
        verdict = "PASS" if recall >= 0.95 and full == 1 else "MISS"
        rows.append(
            (
                label,
                f"{matching:,}",
                path,
                f"{stats.p50:.1f}",
                f"{stats.p95:.1f}",
                f"{exact_stats.p50:.1f} / {exact_stats.p95:.1f}",
                f"{recall:.3f}",
                f"{full:.0%}",
                verdict,
            )
        )
    return rows


def _plan_uses(space: object, condition: tuple[str, list], vector: list[float]) -> str:
    """Whether PostgreSQL walks the HNSW index for the semantic query."""
    from django.db import connection, transaction

    from search.services import query as q

    dims = space.dimensions
    literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    sql = (
        f"EXPLAIN SELECT e.document_id FROM search_chunkembedding e WHERE e.model_id = %s "  # noqa: S608
        f"AND {condition[0]} ORDER BY e.embedding::vector({dims}) <=> %s::vector({dims}) LIMIT %s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute(sql, [space.model_id, *condition[1], literal, q.SEMANTIC_CANDIDATES * q.CHUNKS_PER_DOCUMENT])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return "HNSW index" if space.index_name in plan else "no index (sort)"


def run() -> str:
    with running_catalog():
        from django.conf import settings
        from django.db import connection

        from search.services.embed import active_space

        words = _vocabulary()
        with connection.cursor() as cursor:
            load = _load(cursor, words)
            build_seconds, index_bytes = _build_index(cursor)
            cursor.execute(
                "SELECT pg_total_relation_size('search_chunkembedding'), pg_relation_size('search_document_vector_gin')"
            )
            table_bytes, gin_bytes = cursor.fetchone()
            term_queries = _term_queries(cursor, words)
            cursor.execute(
                "SELECT embedding::text FROM search_chunkembedding ORDER BY hashint8(id) LIMIT %s", [QUERIES]
            )
            vectors = [
                [float(x) + random.Random(i).uniform(-0.02, 0.02) for x in row[0].strip("[]").split(",")]
                for i, row in enumerate(cursor.fetchall())
            ]
        admin, restricted = _users()
        space = active_space()
        rows: list[tuple[str, ...]] = []
        recall_rows: list[tuple[str, ...]] = []
        for label, user in (("all documents", admin), ("1 % visible", restricted)):
            measured, recall_row = _measure(label, user, space, term_queries, vectors)
            rows += measured
            recall_rows.append(recall_row)
        sweep, median_gap = _ef_sweep(space, admin, vectors)
        filter_rows = _filtered_semantic(space, admin, vectors)
    build = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in load.items())
    return "\n".join(
        [
            f"_Measured {results.now_text()} on {results.machine_summary()}"
            + (f"; reduced run (BENCH_SEARCH_DOCUMENTS={DOCUMENTS})._" if DOCUMENTS < 100_000 else "._"),
            "",
            f"{DOCUMENTS:,} documents in {COLLECTIONS} collections, {DOCUMENTS * CHUNKS_PER_DOCUMENT:,} passages of "
            f"{WORDS_PER_CHUNK} words drawn from a {VOCABULARY:,}-word Zipf vocabulary, "
            f"{DOCUMENTS * CHUNKS_PER_DOCUMENT:,} clustered {DIMENSIONS}-d vectors. Load: {build}.",
            "",
            f"HNSW index (m={settings.SEARCH_HNSW_M}, ef_construction={settings.SEARCH_HNSW_EF_CONSTRUCTION}, "
            f"cosine): built in {build_seconds:.1f} s, "
            f"{index_bytes / 2**20:.0f} MiB; embeddings table {table_bytes / 2**20:.0f} MiB; "
            f"full-text GIN {gin_bytes / 2**20:.0f} MiB.",
            "",
            results.table(("Visible", "Query", "p50 ms", "p95 ms", "mean ms", "target p95 ms", "result"), rows),
            "",
            results.table(
                ("Visible", "semantic recall@10 vs exact", "queries with 10 results", "plan", "target", "result"),
                recall_rows,
            ),
            "",
            "Filtered semantic search (a superuser, a language filter; target recall@10 ≥ 0.95 vs exact, always k):",
            "",
            results.table(
                (
                    "Filter",
                    "documents",
                    "path",
                    "p50 ms",
                    "p95 ms",
                    "exact scan p50 / p95 ms",
                    "recall@10",
                    "queries with 10",
                    "result",
                ),
                filter_rows,
            ),
            "",
            "Approximate path by `hnsw.ef_search` (all documents visible; recall@10 against an exact scan):",
            "",
            results.table(
                (
                    "ef_search",
                    "p50 ms",
                    "p95 ms",
                    "recall@10 documents",
                    "recall@10 passages",
                    "queries with 10",
                    "queries with passage recall < 0.5",
                ),
                sweep,
            ),
            "",
            f"Median gap between the 10th and 11th exact neighbours: {median_gap} of the distance. "
            "A recall that does not move with ef_search points at the graph, not the walk: with pgvector's "
            "default m=16, ef_construction=64 recall stayed at 0.908-0.916 from ef_search 40 to 800 on these "
            "clustered vectors, while m=32, ef_construction=128 reach 0.99 at every ef_search. The vectors are "
            "cluster centres plus uniform noise in all 384 dimensions: neighbours within a cluster are nearly "
            "equidistant and clusters are far apart, harder for a graph index than sentence embeddings of real "
            "text, so these recall figures are a pessimistic bound; the latencies carry over.",
        ]
    )


if __name__ == "__main__":
    results.main(NAME, TITLE, run)
