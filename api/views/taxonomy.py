"""Collections and tags: read by anyone signed in (collections only where
visible), written by those with the model permissions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from api.serializers.documents import CollectionSerializer, TagSerializer
from api.views.base import CatalogAPIView
from documents.models import Collection, Tag
from documents.selectors import collections_visible_to
from documents.services.taxonomy import (
    collection_create,
    collection_delete,
    collection_update,
    tag_create,
    tag_delete,
    tag_update,
)


def _collection(user: Any, pk: int) -> Collection:
    collection = collections_visible_to(user).prefetch_related("viewer_groups", "editor_groups").filter(pk=pk).first()
    if collection is None:
        raise NotFound("No such collection.")
    return collection


def _tag(pk: int) -> Tag:
    tag = Tag.objects.filter(pk=pk).first()
    if tag is None:
        raise NotFound("No such tag.")
    return tag


class CollectionListView(CatalogAPIView):
    @extend_schema(responses=CollectionSerializer(many=True))
    def get(self, request: Request) -> Response:
        collections = collections_visible_to(request.user).prefetch_related("viewer_groups", "editor_groups")
        return Response(CollectionSerializer(collections, many=True, context={"request": request}).data)

    @extend_schema(request=CollectionSerializer, responses={201: CollectionSerializer})
    def post(self, request: Request) -> Response:
        form = CollectionSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        collection = collection_create(user=request.user, **form.validated_data)
        return Response(CollectionSerializer(collection, context={"request": request}).data, status=201)


class CollectionDetailView(CatalogAPIView):
    @extend_schema(responses=CollectionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CollectionSerializer(_collection(request.user, pk), context={"request": request}).data)

    @extend_schema(request=CollectionSerializer, responses=CollectionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        collection = _collection(request.user, pk)
        form = CollectionSerializer(collection, data=request.data, partial=True, context={"request": request})
        form.is_valid(raise_exception=True)
        collection = collection_update(user=request.user, collection=collection, **form.validated_data)
        return Response(CollectionSerializer(collection, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        collection_delete(user=request.user, collection=_collection(request.user, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagListView(CatalogAPIView):
    @extend_schema(responses=TagSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(TagSerializer(Tag.objects.all(), many=True).data)

    @extend_schema(request=TagSerializer, responses={201: TagSerializer})
    def post(self, request: Request) -> Response:
        form = TagSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return Response(TagSerializer(tag_create(user=request.user, **form.validated_data)).data, status=201)


class TagDetailView(CatalogAPIView):
    @extend_schema(responses=TagSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TagSerializer(_tag(pk)).data)

    @extend_schema(request=TagSerializer, responses=TagSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        tag = _tag(pk)
        form = TagSerializer(tag, data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        return Response(TagSerializer(tag_update(user=request.user, tag=tag, **form.validated_data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        tag_delete(user=request.user, tag=_tag(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
