"""Statements PostgreSQL plans once per connection.

Django binds parameters on the client, so every statement is planned anew;
for the few hot reads whose plan costs more than their execution (the
document list plans for ~3 ms and runs in ~1 ms), ``prepared_cursor``
gives a psycopg cursor with server-side binding that prepares each
statement on its first use and reuses it on that connection afterwards
(psycopg keeps the last ``prepared_max`` of them). It is still wrapped by
Django, so query counting, execute wrappers, error translation and
connection health checks apply as usual.

Behind a pooler in transaction mode (PgBouncer before 1.21), prepared
statements do not survive between transactions: set
``DATABASE_PREPARED_STATEMENTS=false`` and these statements are planned
each time like the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Django turns psycopg's automatic preparing off (prepare_threshold None),
# which also refuses explicit requests; a threshold no statement reaches
# lets this module's cursors prepare while Django's own never do (its
# client-side binding cursors cannot anyway).
_ONLY_WHEN_ASKED = 2**31 - 1


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, **kwargs)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if not settings.DATABASE_PREPARED_STATEMENTS:
            cursor_class = psycopg.Cursor
        else:
            cursor_class = _PreparingCursor
            if raw.prepare_threshold is None:
                raw.prepare_threshold = _ONLY_WHEN_ASKED
        # What BaseDatabaseWrapper._cursor() does, with another cursor class.
        cursor = connection._prepare_cursor(cursor_class(raw))
    with cursor:
        yield cursor
