"""Best passage and ``<mark>``ed snippet for each hit.

The text is HTML-escaped *before* the marks are added: PostgreSQL marks the
matches with control characters, the whole snippet is escaped, and only then
are those characters turned into ``<mark>`` tags.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.utils.html import escape

if TYPE_CHECKING:
    from search.services.query import Hit

START, STOP = "\x02", "\x03"
# ts_headline's parser drops anything that looks like a tag; angle brackets
# are swapped for private-use characters on the way in and restored (then
# escaped) on the way out, so "<script>" in a document shows as text.
LT, GT = "\ue000", "\ue001"
HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, MaxWords=45, MinWords=20, ShortWord=2, MaxFragments=2"


def mark(snippet: str) -> str:
    restored = snippet.replace(LT, "<").replace(GT, ">")
    return escape(restored).replace(START, "<mark>").replace(STOP, "</mark>")


def best_passages(hits: list[Hit], query: str) -> None:
    """Fill ``passage`` (safe HTML) and ``passage_page`` for each hit: the
    semantic best chunk when there is one, else the chunk of the document's
    current version that matches the words best."""
    if not hits:
        return
    from search.services.query import tsquery_sql

    tsq, tsq_params = tsquery_sql(query)
    need_keyword_choice = [hit.document_id for hit in hits if hit.chunk_id is None]
    if need_keyword_choice:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT DISTINCT ON (c.document_id) c.document_id, c.id
                FROM search_documentchunk c
                JOIN documents_document d ON d.id = c.document_id AND d.current_version_id = c.version_id,
                     (SELECT {tsq} AS query) q
                WHERE c.document_id = ANY(%s)
                ORDER BY c.document_id, ts_rank_cd(to_tsvector('english', c.text), q.query) DESC, c.number
                """,  # noqa: S608 - trusted fragment
                [*tsq_params, need_keyword_choice],
            )
            chosen = dict(cursor.fetchall())
        for hit in hits:
            if hit.chunk_id is None:
                hit.chunk_id = chosen.get(hit.document_id)
    chunk_ids = [hit.chunk_id for hit in hits if hit.chunk_id]
    if not chunk_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.id, c.page_start, ts_headline('english', translate(c.text, '<>', %s), q.query, %s)
            FROM search_documentchunk c, (SELECT {tsq} AS query) q
            WHERE c.id = ANY(%s)
            """,  # noqa: S608 - trusted fragment
            [LT + GT, HEADLINE_OPTIONS, *tsq_params, chunk_ids],
        )
        rows = {chunk_id: (page, headline) for chunk_id, page, headline in cursor.fetchall()}
    for hit in hits:
        if hit.chunk_id in rows:
            page, headline = rows[hit.chunk_id]
            hit.passage = mark(headline)
            hit.passage_page = page
