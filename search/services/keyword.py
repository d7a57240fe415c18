"""Keyword ranking: BM25-like weighting from term statistics, over a bounded
candidate set.

Two round trips. The first looks up how many documents contain each of the
query's lexemes (``TermStatistic``). The second ranks:

* **Weighting.** A document's score is the sum, over the query's lexemes, of
  the lexeme's inverse document frequency (BM25's ``ln(1 + (N - n + 0.5) /
  (n + 0.5))``) times ``ts_rank`` of that lexeme alone — a term frequency
  that saturates, weighted by field (title A, tags/collection/description B,
  body C) and normalised by document length. Rare words count for more than
  common ones, which plain ``ts_rank_cd`` over an OR query cannot do.
* **Bounded candidates.** Ranking every match is what makes a common word
  slow (a word in 30 % of 100,000 documents means reading 30,000 vectors).
  The lexemes are taken rarest first while their document counts add up to
  at most ``CANDIDATE_CAP``; every document containing one of those is
  ranked. Documents that contain only the remaining, common lexemes can only
  score low (their idf is small), so they are fetched only to fill a page
  when the rare lexemes match too few documents: first those that carry the
  word in their title, tags, collection or description (the small
  ``head_vector`` index — exactly the documents field weighting puts first),
  then any other matches, each bounded by ``FILL_CAP``. A query of common
  words only therefore ranks at most twice ``FILL_CAP`` documents, however
  many match: which body-only matches it ranks is arbitrary (the first
  found), so its order beyond the title/tag matches is approximate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import connection, transaction

CANDIDATE_CAP = 2000
FILL_CAP = 500
SCORING_TERMS = 12
# ts_rank weights for D, C, B, A (PostgreSQL's order) and normalisation 1:
# divide by 1 + log(document length).
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
RANK_NORMALISATION = 1

_LEXEMES_ANY = "tsvector_to_array(to_tsvector('english', %s) || to_tsvector('simple', %s))"
# The quoted lexemes of a websearch query (negated ones too: they match no
# candidate, so they add nothing to a score).
_LEXEMES_WEBSEARCH = (
    "ARRAY(SELECT replace(m[1], '''''', '''') FROM regexp_matches("
    "websearch_to_tsquery('english', %s)::text, '''((?:[^'']|'''')+)''', 'g') m)"
)


@dataclass(frozen=True)
class Term:
    lexeme: str
    documents: int
    idf: float

    @property
    def tsquery(self) -> str:
        """The lexeme as tsquery input, quoted (no parsing, no stemming)."""
        return "'" + self.lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class KeywordPlan:
    terms: list[Term]  # rarest first
    selective: list[Term]  # every document containing one of these is ranked
    common: list[Term]  # documents with only these fill a short page
    total_documents: int

    @property
    def estimated_matches(self) -> int:
        """At most this many documents match (the sum of the lexemes' counts)."""
        return min(self.total_documents, sum(term.documents for term in self.terms))


def _or(terms: list[Term]) -> str:
    return " | ".join(term.tsquery for term in terms)


def keyword_plan(query: str, *, websearch: bool) -> KeywordPlan:
    """The query's lexemes with their document counts, split into the
    selective ones (ranked in full) and the common ones (bounded)."""
    lexemes = _LEXEMES_WEBSEARCH if websearch else _LEXEMES_ANY
    params = [query] if websearch else [query, query]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.lexeme, coalesce(s.documents, 0),
                   (SELECT CASE WHEN c.reltuples < 10000
                                THEN (SELECT count(*) FROM search_documentsearchindex)
                                ELSE c.reltuples::bigint END
                    FROM pg_class c WHERE c.oid = 'search_documentsearchindex'::regclass)
            FROM (SELECT DISTINCT unnest({lexemes}) AS lexeme) t
            LEFT JOIN search_termstatistic s ON s.lexeme = t.lexeme
            """,  # noqa: S608 - trusted fragment
            params,
        )
        rows = cursor.fetchall()
    total = max([int(row[2]) for row in rows] + [1])
    # A lexeme missing from the statistics (or counted down to nothing by
    # drift) is taken as rare: if no document has it the GIN index says so at
    # once, and if one does it is found rather than silently ignored.
    terms = sorted(
        (
            Term(lexeme=lexeme, documents=count, idf=math.log(1 + (total - count + 0.5) / (count + 0.5)))
            for lexeme, count in ((lexeme, max(1, int(count))) for lexeme, count, _ in rows)
        ),
        key=lambda term: (term.documents, term.lexeme),
    )
    selective: list[Term] = []
    budget = CANDIDATE_CAP
    for term in terms:
        if term.documents > budget:
            break
        selective.append(term)
        budget -= term.documents
    return KeywordPlan(terms=terms, selective=selective, common=terms[len(selective) :], total_documents=total)


def keyword_ranked(
    plan: KeywordPlan, match: tuple[str, list], access: tuple[str, list], limit: int
) -> list[tuple[int, float]]:
    """(document id, score) of the best ``limit`` matches, best first.
    ``match`` is an extra SQL condition on ``i`` (the websearch query) or
    ``("", [])``; ``access`` the permission and filter condition on ``i``."""
    if not plan.terms:
        return []
    condition = f"AND {match[0]}" if match[0] else ""
    branches: list[str] = []
    params: list = []
    if plan.selective:
        branches.append(
            f"SELECT i.document_id, i.search_vector FROM search_documentsearchindex i "  # noqa: S608
            f"WHERE i.search_vector @@ %s::tsquery {condition} AND {access[0]}"
        )
        params += [_or(plan.selective), *match[1], *access[1]]
    selective_matches = sum(term.documents for term in plan.selective)
    if plan.common and selective_matches < limit:
        common = _or(plan.common)
        branches.append(
            f"(SELECT i.document_id, i.search_vector FROM search_documentsearchindex i "  # noqa: S608
            f"WHERE i.head_vector @@ %s::tsquery {condition} AND {access[0]} LIMIT %s)"
        )
        params += [common, *match[1], *access[1], FILL_CAP]
        # The body sample leaves out the title/tag matches already taken.
        branches.append(
            f"(SELECT i.document_id, i.search_vector FROM search_documentsearchindex i "  # noqa: S608
            f"WHERE i.search_vector @@ %s::tsquery AND NOT coalesce(i.head_vector @@ %s::tsquery, false) "
            f"{condition} AND {access[0]} LIMIT %s)"
        )
        params += [common, common, *match[1], *access[1], FILL_CAP]
    scoring = plan.terms[:SCORING_TERMS]
    score = " + ".join(
        f"{term.idf!r} * ts_rank('{RANK_WEIGHTS}', v.vector, %s::tsquery, {RANK_NORMALISATION})" for term in scoring
    )
    sql = f"""
        WITH candidates AS MATERIALIZED (
            SELECT DISTINCT ON (c.document_id) c.document_id, c.search_vector AS vector
            FROM ({" UNION ALL ".join(branches)}) c
            ORDER BY c.document_id
        )
        SELECT v.document_id, {score} AS score
        FROM candidates v
        ORDER BY score DESC, v.document_id
        LIMIT %s
    """  # noqa: S608 - only trusted SQL fragments are interpolated
    with transaction.atomic(), connection.cursor() as cursor:
        # Full-text vectors are wide: a scan that tests each one (sequential,
        # or along the primary key to feed a LIMIT) costs far more than the
        # planner thinks; the GIN bitmap reads only the matching rows.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        # Room for the candidates' vectors in memory.
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(sql, [*params, *[term.tsquery for term in scoring], limit])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]
