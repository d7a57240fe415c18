"""AI suggestions, the audit trail and the caller's API keys."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ai.models import Suggestion
from ai.services.suggestions import suggestion_accept, suggestion_reject
from api.models import ApiKey
from api.pagination import CreatedCursorPagination
from api.permissions import IsAuditor
from api.serializers.other import (
    ApiKeySerializer,
    AuditEventSerializer,
    AuditQuerySerializer,
    IssuedKeySerializer,
    SuggestionQuerySerializer,
    SuggestionSerializer,
)
from api.services import IssuedKey, api_key_create, api_key_revoke, api_key_rotate
from api.views.base import CatalogAPIView
from documents.models import AuditEvent
from documents.selectors import documents_visible_to


def _suggestions_visible_to(user: Any) -> Any:
    return Suggestion.objects.filter(document__in=documents_visible_to(user)).select_related(
        "document", "tag", "collection"
    )


def _suggestion(user: Any, pk: int) -> Suggestion:
    suggestion = _suggestions_visible_to(user).filter(pk=pk).first()
    if suggestion is None:
        raise NotFound("No such suggestion.")
    return suggestion


class SuggestionListView(CatalogAPIView):
    pagination_class = CreatedCursorPagination

    @extend_schema(parameters=[SuggestionQuerySerializer], responses=SuggestionSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        suggestions = _suggestions_visible_to(request.user).filter(status=query.validated_data["status"])
        if "document" in query.validated_data:
            suggestions = suggestions.filter(document__uuid=query.validated_data["document"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(suggestions, request, view=self)
        return paginator.get_paginated_response(SuggestionSerializer(page, many=True).data)


class SuggestionAcceptView(CatalogAPIView):
    @extend_schema(request=None, responses=SuggestionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = suggestion_accept(user=request.user, suggestion=_suggestion(request.user, pk), meta=self.meta())
        return Response(SuggestionSerializer(_suggestion(request.user, suggestion.pk)).data)


class SuggestionRejectView(CatalogAPIView):
    @extend_schema(request=None, responses=SuggestionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        suggestion = suggestion_reject(user=request.user, suggestion=_suggestion(request.user, pk))
        return Response(SuggestionSerializer(_suggestion(request.user, suggestion.pk)).data)


class AuditEventListView(CatalogAPIView):
    pagination_class = CreatedCursorPagination

    permission_classes = [IsAuditor]

    @extend_schema(parameters=[AuditQuerySerializer], responses=AuditEventSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = AuditEvent.objects.select_related("actor")
        if "document" in query.validated_data:
            events = events.filter(document_uuid=query.validated_data["document"])
        if "action" in query.validated_data:
            events = events.filter(action=query.validated_data["action"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(AuditEventSerializer(page, many=True).data)


def _issued(issued: IssuedKey) -> dict[str, Any]:
    return {**ApiKeySerializer(issued.key).data, "key": issued.secret}


def _acting_key(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def _own_key(request: Request, pk: int) -> ApiKey:
    key = ApiKey.objects.filter(user=request.user, pk=pk).select_related("rotated_from").first()
    if key is None:
        raise NotFound("No such API key.")
    return key


class ApiKeyListView(CatalogAPIView):
    @extend_schema(responses=ApiKeySerializer(many=True))
    def get(self, request: Request) -> Response:
        keys = ApiKey.objects.filter(user=request.user).select_related("rotated_from")
        return Response(ApiKeySerializer(keys, many=True).data)

    @extend_schema(request=ApiKeySerializer, responses={201: IssuedKeySerializer})
    def post(self, request: Request) -> Response:
        form = ApiKeySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = api_key_create(user=request.user, acting_key=_acting_key(request), **form.validated_data)
        return Response(_issued(issued), status=201)


class ApiKeyDetailView(CatalogAPIView):
    @extend_schema(responses=ApiKeySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ApiKeySerializer(_own_key(request, pk)).data)


class ApiKeyRotateView(CatalogAPIView):
    @extend_schema(request=None, responses={201: IssuedKeySerializer})
    def post(self, request: Request, pk: int) -> Response:
        issued = api_key_rotate(user=request.user, key=_own_key(request, pk), acting_key=_acting_key(request))
        return Response(_issued(issued), status=201)


class ApiKeyRevokeView(CatalogAPIView):
    @extend_schema(request=None, responses=ApiKeySerializer)
    def post(self, request: Request, pk: int) -> Response:
        return Response(ApiKeySerializer(api_key_revoke(user=request.user, key=_own_key(request, pk))).data)
