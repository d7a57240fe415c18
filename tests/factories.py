"""Typed factory_boy factories shared across the suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify

from documents.models import Collection, Tag


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def groups(self, create: bool, extracted: list[Group] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.set(extracted)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Collection {n}")
    slug = factory.LazyAttribute(lambda c: slugify(c.name))

    @factory.post_generation
    def viewers(self, create: bool, extracted: list[Group] | None, **kwargs: object) -> None:
        if create and extracted:
            self.viewer_groups.set(extracted)

    @factory.post_generation
    def editors(self, create: bool, extracted: list[Group] | None, **kwargs: object) -> None:
        if create and extracted:
            self.editor_groups.set(extracted)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.name))
