"""File responses of the documents app: downloads and previews (the
document page itself is one of the staff pages, in ``pages``).

Every view starts from the access selectors; a document the user may not
see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog_site import metrics
from documents import selectors, services
from documents.filenames import content_disposition
from documents.models import AuditAction, Document, DocumentVersion, PreviewKind, VersionPreview
from documents.storage import is_remote, presigned_download_url, storage

logger = logging.getLogger(__name__)

# Downloads are never rendered by the browser: no sniffing, no scripts, no
# plugins, no same-origin access even if a browser ignores the disposition.
DOWNLOAD_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class StorageUnavailable(Exception):
    pass


def _storage_unavailable_response(request: HttpRequest) -> HttpResponse:
    metrics.storage_error("read")
    response = render(request, "documents/storage_unavailable.html", status=503)
    response["Retry-After"] = "30"
    return response


def _version_or_404(request: HttpRequest, uuid: str, number: int | None) -> DocumentVersion:
    try:
        return selectors.version_get(request.user, uuid, number)
    except (Document.DoesNotExist, DocumentVersion.DoesNotExist) as exc:
        raise Http404("No such document") from exc


@login_required
@require_GET
def version_download(request: HttpRequest, uuid: str, number: int | None = None) -> HttpResponse:
    version = _version_or_404(request, uuid, number)
    disposition = content_disposition(version.original_filename)
    try:
        response = _file_response(request, version.file.name, version.mime_type, disposition, etag=version.sha256)
    except StorageUnavailable:
        return _storage_unavailable_response(request)
    services.audit_record(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        obj=version,
        meta=services.RequestMeta.from_request(request),
        details={"number": version.number},
    )
    return response


@login_required
@require_GET
def version_preview(request: HttpRequest, uuid: str, kind: str, page: int = 1) -> HttpResponse:
    """A generated WebP preview (thumbnail or page image) of the current version."""
    if kind not in PreviewKind.values:
        raise Http404("No such preview")
    version = _version_or_404(request, uuid, None)
    try:
        preview = version.previews.get(kind=kind, page=page)
    except VersionPreview.DoesNotExist as exc:
        raise Http404("No such preview") from exc
    try:
        # Previews are images we rendered ourselves, so they may display inline.
        response = _file_response(
            request, preview.file.name, "image/webp", "inline", etag=f"{version.sha256[:32]}-{kind}-{page}"
        )
    except StorageUnavailable:
        return _storage_unavailable_response(request)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _file_response(request: HttpRequest, name: str, mime_type: str, disposition: str, *, etag: str) -> HttpResponse:
    quoted_etag = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted_etag:
        response: HttpResponse = HttpResponse(status=304)
        response["ETag"] = quoted_etag
        return response
    store = storage()
    if is_remote(store):
        try:
            # One HEAD first: an unreachable store or a lost object is a 503
            # with a message here, not a broken redirect in the browser.
            if not store.exists(name):
                logger.error("Stored file %s is missing", name)
                raise StorageUnavailable
            url = presigned_download_url(name, filename_header=disposition, mime_type=mime_type)
        except StorageUnavailable:
            raise
        except Exception as exc:  # the HEAD and the signing reach the network
            logger.warning("Could not presign %s: %s", name, exc.__class__.__name__)
            raise StorageUnavailable from exc
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        handle = store.open(name, "rb")
    except FileNotFoundError as exc:
        logger.error("Stored file %s is missing", name)
        raise StorageUnavailable from exc
    except OSError as exc:
        logger.warning("Storage unavailable opening %s: %s", name, exc)
        raise StorageUnavailable from exc
    response = FileResponse(handle, content_type=mime_type)
    response["Content-Disposition"] = disposition
    response["ETag"] = quoted_etag
    response["Cache-Control"] = "private, no-cache"
    for header, value in DOWNLOAD_SECURITY_HEADERS.items():
        response[header] = value
    return response
