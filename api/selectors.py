"""Reads of the API that shape many rows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from api.models import ApiKey
from api.serializers.documents import API_ROOT
from catalog_site.sql import prepared_cursor
from documents.models import Document, PreviewKind

#: A place in the list: (created_at, id) of a document.
Position = tuple[datetime, int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Where Document.get_absolute_url() puts the staff page, before the uuid.
PAGE_ROOT = "/documents/"

# One document as DocumentSerializer declares it (keys in the same order),
# built by PostgreSQL. ``document_data`` is the Python twin used for single
# documents; tests/api/test_document_list.py holds the two to the same JSON
# value (whitespace aside). {text} is the optional full text.
_PAGE_SQL = """
SELECT page.id, (extract(epoch FROM page.created_at) * 1000000)::bigint, json_build_object(
    'uuid', d.uuid,
    'title', d.title,
    'description', d.description,
    'collection', json_build_object('id', d.collection_id, 'name', c.name),
    'tags', coalesce((
        SELECT json_agg(json_build_object('id', t.id, 'name', t.name, 'slug', t.slug, 'colour', t.colour)
                        ORDER BY t.name)
        FROM documents_document_tags dt JOIN documents_tag t ON t.id = dt.tag_id
        WHERE dt.document_id = d.id), '[]'),
    'language', d.language,
    'document_date', d.document_date,
    'metadata', d.metadata,
    'status', d.status,
    'created_at', api_isoformat(d.created_at, k.zone),
    'updated_at', api_isoformat(d.updated_at, k.zone),
    'trashed_at', api_isoformat(d.trashed_at, k.zone),
    'duplicate_of', duplicate.uuid,
    'current_version', CASE WHEN v.id IS NOT NULL THEN json_build_object(
        'number', v.number, 'original_filename', v.original_filename, 'mime_type', v.mime_type,
        'size', v.size, 'sha256', v.sha256, 'page_count', v.page_count) END,
    'links', json_build_object(
        'self', k.root || d.uuid || '/',
        'download', CASE WHEN v.id IS NOT NULL THEN k.root || d.uuid || '/download/' END,
        'thumbnail', CASE WHEN EXISTS (
            SELECT 1 FROM documents_versionpreview p
            WHERE p.version_id = v.id AND p.kind = k.thumbnail AND p.page = 1
        ) THEN k.root || d.uuid || '/previews/' || k.thumbnail || '/1/' END,
        'versions', k.root || d.uuid || '/versions/',
        'processing', k.root || d.uuid || '/processing/',
        'similar', k.root || d.uuid || '/similar/',
        'page', k.page_root || d.uuid || '/'){text}
)::text
FROM (SELECT %s::text AS zone, %s::text AS root, %s::text AS page_root, %s::text AS thumbnail) AS k,
     ({inner}) AS page
JOIN documents_document d ON d.id = page.id
JOIN documents_collection c ON c.id = d.collection_id
LEFT JOIN documents_documentversion v ON v.id = d.current_version_id
LEFT JOIN documents_document duplicate ON duplicate.id = d.duplicate_of_id
ORDER BY page.created_at {direction}, page.id {direction}
"""
_TEXT_SQL = """,
    'text', CASE WHEN v.id IS NOT NULL THEN coalesce((
        SELECT string_agg(p.text, E'\\n\\n' ORDER BY p.number)
        FROM documents_documentpage p WHERE p.version_id = v.id), '') END"""


@dataclass(frozen=True)
class DocumentListPage:
    documents: list[str]  # each document as JSON text, newest first
    first: Position | None
    last: Position | None
    more: bool  # there are documents beyond this page in the direction it was read


def document_list_page(
    documents: QuerySet[Document],
    *,
    size: int,
    after: Position | None = None,
    before: Position | None = None,
    include_text: bool = False,
) -> DocumentListPage:
    """A page of ``documents`` (newest first) after or before a position, in
    one statement that PostgreSQL plans once per connection and that returns
    each document as JSON already: the web process passes the text through.
    ``documents`` decides what the caller may see; it is kept whole as the
    inner query."""
    backwards = before is not None
    if after is not None:
        moment, pk = after
        documents = documents.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk), created_at__lte=moment)
    if before is not None:
        moment, pk = before
        documents = documents.filter(Q(created_at__gt=moment) | Q(created_at=moment, id__gt=pk), created_at__gte=moment)
    ordering = ("created_at", "id") if backwards else ("-created_at", "-id")
    inner = documents.order_by(*ordering).values("id", "created_at")[: size + 1]
    try:
        inner_sql, inner_params = inner.query.sql_with_params()
    except EmptyResultSet:  # a filter that no document can pass, e.g. an unknown collection
        return DocumentListPage(documents=[], first=None, last=None, more=False)
    sql = _PAGE_SQL.format(
        inner=inner_sql, direction="ASC" if backwards else "DESC", text=_TEXT_SQL if include_text else ""
    )
    constants = [timezone.get_current_timezone_name(), f"{API_ROOT}/documents/", PAGE_ROOT, PreviewKind.THUMB_SMALL]
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*constants, *inner_params])
        rows = cursor.fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    return DocumentListPage(
        documents=[row[2] for row in rows],
        first=_position(rows[0]) if rows else None,
        last=_position(rows[-1]) if rows else None,
        more=more,
    )


def _position(row: tuple[int, int, str]) -> Position:
    # Microseconds since the epoch: cheaper to read than a timestamp, and exact.
    return EPOCH + timedelta(microseconds=row[1]), row[0]


def _columns(model: type[Model], alias: str) -> tuple[list[str], str]:
    names = [field.attname for field in model._meta.concrete_fields]
    columns = ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)
    return names, columns


@lru_cache(maxsize=1)
def _key_lookup() -> tuple[str, list[str], list[str]]:
    User = get_user_model()
    key_names, key_columns = _columns(ApiKey, "k")
    user_names, user_columns = _columns(User, "u")
    sql = (
        f"SELECT {key_columns}, {user_columns} FROM {ApiKey._meta.db_table} k "  # noqa: S608 - names from the models
        f'JOIN {User._meta.db_table} u ON u."{User._meta.pk.column}" = k.user_id '
        # ApiKeyQuerySet.usable(), as SQL: not revoked, not expired, owner active.
        "WHERE k.prefix = %s AND k.revoked_at IS NULL AND u.is_active "
        "AND (k.expires_at IS NULL OR k.expires_at > statement_timestamp())"
    )
    return sql, key_names, user_names


def usable_key_with_owner(prefix: str) -> ApiKey | None:
    """The usable key with this prefix and its owner, in one prepared
    statement: every API request asks, and the ORM would spend longer
    building the query than PostgreSQL spends answering it."""
    sql, key_names, user_names = _key_lookup()
    with prepared_cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    key = ApiKey.from_db(DEFAULT_DB_ALIAS, key_names, row[: len(key_names)])
    key.user = get_user_model().from_db(DEFAULT_DB_ALIAS, user_names, row[len(key_names) :])
    return key
