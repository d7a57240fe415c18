"""What every API view shares."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from api.errors import error_body
from documents.models import Document, PreviewKind, Tag, VersionPreview
from documents.selectors import documents_visible_to
from documents.services import RequestMeta
from search.services.filters import SearchFilters


class CatalogAPIView(APIView):
    """Rates are checked before permissions, so an anonymous burst gets 429
    rather than an endless stream of cheap 401s."""

    def check_permissions(self, request: Request) -> None:
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        return None  # already done in check_permissions

    def meta(self) -> RequestMeta:
        return RequestMeta.from_request(self.request)


class FileContentNegotiation(BaseContentNegotiation):
    """File responses are what they are, whatever the client's Accept says;
    errors are still JSON."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


def with_related(documents: QuerySet[Document], *, include_text: bool = False) -> QuerySet[Document]:
    """Everything the document serializer reads, in three queries (four with
    the text): the rows with their collection, current version and
    duplicate's id; the tags; which versions have a thumbnail. (An EXISTS
    per row was planned as a scan of every preview.)"""
    thumbnails = VersionPreview.objects.filter(kind=PreviewKind.THUMB_SMALL, page=1).only("id", "version_id")
    documents = (
        documents.select_related("collection", "current_version")
        .annotate(duplicate_uuid=F("duplicate_of__uuid"))
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            Prefetch("current_version__previews", queryset=thumbnails, to_attr="thumbnails"),
        )
    )
    if include_text:
        documents = documents.prefetch_related("current_version__pages")
    return documents


def document_or_404(user: Any, uuid: Any, *, include_trashed: bool = False) -> Document:
    """A document the user may see; anything else is Document.DoesNotExist (404)."""
    return with_related(documents_visible_to(user, include_trashed=include_trashed)).get(uuid=uuid)


def filters_from(data: dict[str, Any]) -> SearchFilters:
    return SearchFilters(
        collections=data.get("collection", []),
        tags=data.get("tag", []),
        tags_mode=data.get("tags_mode", "all"),
        types=data.get("type", []),
        languages=data.get("language", []),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        uploaded_from=data.get("uploaded_from"),
        uploaded_to=data.get("uploaded_to"),
        uploaders=data.get("uploader", []),
        statuses=data.get("status", []),
    )


@csrf_exempt  # nothing is changed; an unknown path is a 404 whatever the method
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body(404, "not_found", "No such API endpoint."), status=404)
