"""Access control lives here: every read of documents goes through
``visible_to`` / ``editable_by`` (or the selectors built on them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def collection_ids_for(user: User, *, edit: bool) -> models.QuerySet | None:
    """Ids of the collections ``user`` may view (or edit), as a subquery.

    ``None`` means "all": superusers are not filtered.
    """
    from documents.models import Collection

    if not user.is_authenticated or not user.is_active:
        return Collection.objects.none().values("id")
    if user.is_superuser:
        return None
    groups = user.groups.values("id")
    condition = Q(editor_groups__in=groups)
    if not edit:
        condition |= Q(viewer_groups__in=groups)
    return Collection.objects.filter(condition).values("id")


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
