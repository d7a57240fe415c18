"""Collections and tags: create, rename, delete. Granting access (viewer and
editor groups) is for superusers only, so nobody can widen their own rights."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from documents import selectors
from documents.models import AIPolicy, Collection, Tag
from documents.pipeline import notify_documents_changed
from documents.services.curation import documents_of_collection_or_tag_changed


def _require_perm(user: Any, perm: str, message: str) -> None:
    if not (user.is_superuser or user.has_perm(perm)):
        raise PermissionDenied(message)


def _unique_slug(model: type, name: str, *, exclude: int | None = None) -> str:
    base = slugify(name)[:90] or "item"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exclude(pk=exclude).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _set_groups(
    user: Any, collection: Collection, viewer_groups: Iterable[Group] | None, editor_groups: Iterable[Group] | None
) -> None:
    if viewer_groups is None and editor_groups is None:
        return
    if not user.is_superuser:
        raise PermissionDenied("Only superusers may change who can see or edit a collection.")
    if viewer_groups is not None:
        collection.viewer_groups.set(viewer_groups)
    if editor_groups is not None:
        collection.editor_groups.set(editor_groups)


@transaction.atomic
def collection_create(
    *,
    user: Any,
    name: str,
    description: str = "",
    parent: Collection | None = None,
    ai_policy: str = AIPolicy.EXTERNAL_ALLOWED,
    trash_retention_days: int = 30,
    viewer_groups: Iterable[Group] | None = None,
    editor_groups: Iterable[Group] | None = None,
) -> Collection:
    """A new collection. Under a parent it starts with the parent's viewers and
    editors (unless a superuser names others); only superusers create
    top-level collections, whose access they then set."""
    _require_perm(user, "documents.add_collection", "You may not create collections.")
    if parent is None and not user.is_superuser:
        raise ValidationError({"parent": "choose the collection to create it in"})
    if parent is not None and not selectors.can_edit_collection(user, parent):
        raise PermissionDenied("You may not add collections under that collection.")
    collection = Collection(
        name=name,
        slug=_unique_slug(Collection, name),
        description=description,
        parent=parent,
        ai_policy=ai_policy,
        trash_retention_days=trash_retention_days,
    )
    collection.full_clean()
    collection.save()
    if parent is not None:
        collection.viewer_groups.set(parent.viewer_groups.all())
        collection.editor_groups.set(parent.editor_groups.all())
    _set_groups(user, collection, viewer_groups, editor_groups)
    return collection


@transaction.atomic
def collection_update(
    *,
    user: Any,
    collection: Collection,
    viewer_groups: Iterable[Group] | None = None,
    editor_groups: Iterable[Group] | None = None,
    **fields: Any,
) -> Collection:
    _require_perm(user, "documents.change_collection", "You may not change collections.")
    if not selectors.can_edit_collection(user, collection):
        raise PermissionDenied("You may not change this collection.")
    parent = fields.get("parent", collection.parent)
    if parent is not None and "parent" in fields:
        if not selectors.can_edit_collection(user, parent):
            raise PermissionDenied("You may not move a collection under that collection.")
        ancestor: Collection | None = parent
        while ancestor is not None:
            if ancestor.pk == collection.pk:
                raise ValidationError({"parent": "a collection cannot be inside itself"})
            ancestor = ancestor.parent
    renamed = "name" in fields and fields["name"] != collection.name
    for name, value in fields.items():
        setattr(collection, name, value)
    collection.full_clean()
    collection.save()
    _set_groups(user, collection, viewer_groups, editor_groups)
    if renamed:
        documents_of_collection_or_tag_changed(collection=collection)
    return collection


@transaction.atomic
def collection_delete(*, user: Any, collection: Collection) -> None:
    _require_perm(user, "documents.delete_collection", "You may not delete collections.")
    if not selectors.can_edit_collection(user, collection):
        raise PermissionDenied("You may not delete this collection.")
    if collection.documents.exists() or collection.children.exists():
        raise ValidationError("the collection still holds documents or collections; move or purge them first")
    collection.delete()


@transaction.atomic
def tag_create(*, user: Any, name: str, colour: str = "#6b7280") -> Tag:
    _require_perm(user, "documents.add_tag", "You may not create tags.")
    tag = Tag(name=name.strip(), slug=_unique_slug(Tag, name), colour=colour)
    tag.full_clean()
    tag.save()
    return tag


@transaction.atomic
def tag_update(*, user: Any, tag: Tag, name: str | None = None, colour: str | None = None) -> Tag:
    _require_perm(user, "documents.change_tag", "You may not change tags.")
    renamed = name is not None and name.strip() != tag.name
    if renamed:
        tag.name = name.strip()
    if colour is not None:
        tag.colour = colour
    tag.full_clean()
    tag.save()
    if renamed:
        documents_of_collection_or_tag_changed(tag=tag)
    return tag


@transaction.atomic
def tag_delete(*, user: Any, tag: Tag) -> None:
    _require_perm(user, "documents.delete_tag", "You may not delete tags.")
    affected = list(tag.documents.values_list("pk", flat=True))
    tag.delete()
    notify_documents_changed(affected)
