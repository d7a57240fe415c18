"""Access control lives here: every read of documents goes through
``visible_to`` / ``editable_by`` (or the selectors built on them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def collection_ids_for(user: User, *, edit: bool) -> models.QuerySet | RawSQL | None:
    """Ids of the collections ``user`` may view (or edit), as a subquery.

    ``None`` means "all": superusers are not filtered. Viewers of a
    collection are the members of its viewer groups and of its editor
    groups; editors, of its editor groups only. Written as SQL over the
    membership tables: it is part of every read, and the same rule through
    the ORM's joins cost more to build than the list query takes to run.
    """
    from documents.models import Collection

    if not user.is_authenticated or not user.is_active:
        return Collection.objects.none().values("id")
    if user.is_superuser:
        return None
    tables = [Collection.editor_groups.through._meta.db_table]
    if not edit:
        tables.append(Collection.viewer_groups.through._meta.db_table)
    memberships = user.groups.through._meta.db_table
    sql = " UNION ALL ".join(
        f"SELECT collection_id FROM {table} "  # noqa: S608 - table names from the models, no input
        f"WHERE group_id IN (SELECT group_id FROM {memberships} WHERE user_id = %s)"
        for table in tables
    )
    return RawSQL(sql, [user.pk] * len(tables))  # noqa: S611 - the user's id is a parameter


class DocumentQuerySet(models.QuerySet):
    def alive(self) -> DocumentQuerySet:
        return self.filter(trashed_at__isnull=True)

    def trashed(self) -> DocumentQuerySet:
        return self.filter(trashed_at__isnull=False)

    def visible_to(self, user: User) -> DocumentQuerySet:
        ids = collection_ids_for(user, edit=False)
        return self if ids is None else self.filter(collection_id__in=ids)

    def editable_by(self, user: User) -> DocumentQuerySet:
        ids = collection_ids_for(user, edit=True)
        return self if ids is None else self.filter(collection_id__in=ids)
