"""Documents: list, upload, detail, metadata, trash and restore, versions,
files, previews and processing state."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Rejected
from api.pagination import CreatedCursorPagination, KeysetCursor
from api.selectors import document_list_page
from api.serializers.documents import (
    DocumentCreateSerializer,
    DocumentListQuerySerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    ProcessingSerializer,
    UploadResponseSerializer,
    VersionCreateSerializer,
    VersionSerializer,
    document_list_params,
)
from api.views.base import CatalogAPIView, FileContentNegotiation, document_or_404, filters_from, with_related
from documents import selectors, services
from documents.errors import UploadRejected
from documents.filenames import content_disposition
from documents.models import AuditAction, Collection, Document, DocumentVersion, PreviewKind, Tag, VersionPreview
from documents.selectors import documents_editable_by, documents_visible_to
from documents.views import StorageUnavailable, _file_response
from search.services.filters import apply_filters

FILE_RESPONSES = {
    # The file as it was uploaded, with its own media type.
    (200, "*/*"): OpenApiTypes.BINARY,
    302: OpenApiResponse(description="Redirect to a short-lived presigned URL (S3 storage)."),
    304: OpenApiResponse(description="Not modified (If-None-Match)."),
    503: OpenApiResponse(description="Storage unavailable; try again later."),
}

INCLUDE_PARAMETER = OpenApiParameter("include", str, enum=["text"], description="`text`: add the full text.")


def _tags(ids: list[int]) -> list[Tag]:
    tags = list(Tag.objects.filter(pk__in=ids))
    if len(tags) != len(set(ids)):
        raise ValidationError({"tags": ["one or more tags do not exist"]})
    return tags


def _visible_collection(user: Any, pk: int, field: str = "collection") -> Collection:
    collection = selectors.collections_visible_to(user).filter(pk=pk).first()
    if collection is None:
        raise ValidationError({field: ["no such collection"]})
    return collection


def _too_large(request: Request) -> None:
    if getattr(request._request, "upload_too_large", False):
        raise Rejected(services.too_large_message(), 413)


class DocumentListView(CatalogAPIView):
    # Declares the cursor and page_size parameters and the page envelope in
    # the schema; the pages themselves come from KeysetCursor.
    pagination_class = CreatedCursorPagination

    @extend_schema(parameters=[DocumentListQuerySerializer], responses=DocumentSerializer(many=True))
    def get(self, request: Request) -> HttpResponse:
        params = document_list_params(request.query_params)
        if params["trashed"]:
            documents = documents_editable_by(request.user, include_trashed=True).trashed()
        else:
            documents = documents_visible_to(request.user)
        cursor = KeysetCursor(request)
        page = document_list_page(
            apply_filters(documents, filters_from(params)),
            size=cursor.size,
            after=cursor.after,
            before=cursor.before,
            include_text="include" in params,
        )
        return cursor.response(page)

    @extend_schema(request={"multipart/form-data": DocumentCreateSerializer}, responses={201: UploadResponseSerializer})
    def post(self, request: Request) -> Response:
        form = DocumentCreateSerializer(data=request.data)
        _too_large(request)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        collection = _visible_collection(request.user, data["collection"])
        tags = _tags(data.get("tags", []))
        files = data["files"]
        if len(files) == 1:
            upload = files[0]
            document = services.document_create(
                user=request.user,
                collection=collection,
                stream=upload,
                filename=upload.name,
                title=data.get("title", ""),
                description=data.get("description", ""),
                tags=tags,
                language=data.get("language", ""),
                document_date=data.get("document_date"),
                metadata=data.get("metadata"),
                meta=self.meta(),
            )
            outcomes = [services.UploadOutcome(filename=upload.name, document=document)]
        else:
            outcomes = services.documents_create_many(
                user=request.user,
                collection=collection,
                files=[(upload.name, upload) for upload in files],
                tags=tags,
                meta=self.meta(),
            )
        created_ids = [o.document.pk for o in outcomes if o.document]
        if not created_ids:
            worst = max(outcomes, key=lambda o: o.status_code)
            raise Rejected("; ".join(f"{o.filename}: {o.error}" for o in outcomes), worst.status_code)
        documents = with_related(Document.objects.all()).in_bulk(created_ids)
        results = [
            {
                "filename": o.filename,
                "status": o.status_code,
                "error": o.error,
                "document": DocumentSerializer(documents[o.document.pk]).data if o.document else None,
            }
            for o in outcomes
        ]
        return Response({"created": len(created_ids), "results": results}, status=status.HTTP_201_CREATED)


class DocumentDetailView(CatalogAPIView):
    @extend_schema(parameters=[INCLUDE_PARAMETER], responses=DocumentSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        include_text = request.query_params.get("include") == "text"
        document = with_related(documents_visible_to(request.user), include_text=include_text).filter(uuid=uuid)
        found = document.first()
        if found is None:
            raise NotFound("No such document.")
        return Response(DocumentSerializer(found, include_text=include_text).data)

    @extend_schema(request=DocumentUpdateSerializer, responses=DocumentSerializer)
    def patch(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        form = DocumentUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        tags = _tags(data.pop("tags")) if "tags" in data else None
        collection_id = data.pop("collection", None)
        with transaction.atomic():
            services.document_update(user=request.user, document=document, tags=tags, meta=self.meta(), **data)
            if collection_id is not None and collection_id != document.collection_id:
                target = _visible_collection(request.user, collection_id)
                services.documents_move(user=request.user, documents=[document], collection=target, meta=self.meta())
        return Response(DocumentSerializer(document_or_404(request.user, uuid)).data)


class DocumentTrashView(CatalogAPIView):
    @extend_schema(request=None, responses=DocumentSerializer)
    def post(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        services.documents_trash(user=request.user, documents=[document], meta=self.meta())
        return Response(DocumentSerializer(document_or_404(request.user, uuid, include_trashed=True)).data)


class DocumentRestoreView(CatalogAPIView):
    @extend_schema(request=None, responses=DocumentSerializer)
    def post(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid, include_trashed=True)
        services.documents_restore(user=request.user, documents=[document], meta=self.meta())
        return Response(DocumentSerializer(document_or_404(request.user, uuid)).data)


class VersionListView(CatalogAPIView):
    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        versions = document.versions.select_related("document").order_by("-number")
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(request={"multipart/form-data": VersionCreateSerializer}, responses={201: VersionSerializer})
    def post(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        form = VersionCreateSerializer(data=request.data)
        _too_large(request)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            version = services.document_version_create(
                user=request.user, document=document, stream=upload, filename=upload.name, meta=self.meta()
            )
        except UploadRejected as exc:
            raise Rejected(exc.reason, exc.status_code) from exc
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


def _storage_unavailable() -> Response:
    return Response(
        {"error": {"status": 503, "code": "storage_unavailable", "message": "File storage is unavailable."}},
        status=503,
        headers={"Retry-After": "30"},
    )


class VersionDownloadView(CatalogAPIView):
    content_negotiation_class = FileContentNegotiation

    @extend_schema(responses=FILE_RESPONSES, operation_id="documents_versions_download")
    def get(self, request: Request, uuid: str, number: int | None = None) -> HttpResponse:
        try:
            version = selectors.version_get(request.user, uuid, number)
        except (Document.DoesNotExist, DocumentVersion.DoesNotExist) as exc:
            raise NotFound("No such document or version.") from exc
        disposition = content_disposition(version.original_filename)
        try:
            response = _file_response(request, version.file.name, version.mime_type, disposition, etag=version.sha256)
        except StorageUnavailable:
            return _storage_unavailable()
        services.audit_record(
            actor=request.user,
            action=AuditAction.DOWNLOAD,
            obj=version,
            meta=self.meta(),
            details={"number": version.number, "via": "api"},
        )
        return response


class CurrentDownloadView(VersionDownloadView):
    @extend_schema(responses=FILE_RESPONSES, operation_id="documents_download")
    def get(self, request: Request, uuid: str) -> HttpResponse:
        return super().get(request, uuid, None)


class PreviewView(CatalogAPIView):
    content_negotiation_class = FileContentNegotiation

    @extend_schema(responses={(200, "image/webp"): OpenApiTypes.BINARY, 304: None, 503: None})
    def get(self, request: Request, uuid: str, kind: str, page: int) -> HttpResponse:
        if kind not in PreviewKind.values:
            raise NotFound("No such preview.")
        try:
            version = selectors.version_get(request.user, uuid, None)
            preview = version.previews.get(kind=kind, page=page)
        except (Document.DoesNotExist, DocumentVersion.DoesNotExist, VersionPreview.DoesNotExist) as exc:
            raise NotFound("No such preview.") from exc
        try:
            response = _file_response(
                request, preview.file.name, "image/webp", "inline", etag=f"{version.sha256[:32]}-{kind}-{page}"
            )
        except StorageUnavailable:
            return _storage_unavailable()
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ProcessingView(CatalogAPIView):
    @extend_schema(responses=ProcessingSerializer)
    def get(self, request: Request, uuid: str) -> Response:
        document = document_or_404(request.user, uuid)
        version = document.current_version
        return Response(
            ProcessingSerializer(
                {
                    "status": document.status,
                    "version": version.number if version else None,
                    "error": version.error if version else "",
                    "steps": version.steps.all() if version else [],
                }
            ).data
        )
