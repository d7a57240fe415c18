"""The document page: previews with a pager, metadata, summary, versions,
similar documents and live processing status; editors edit metadata and
upload new versions. A document the user may not see is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ai.selectors import summary_for
from documents import selectors as document_selectors
from documents import services
from documents.errors import UploadRejected
from documents.models import Document, ProcessingStatus
from pages import selectors
from pages.forms import DocumentEditForm, NewVersionForm
from search.services.similar import similar_documents


def _document_or_404(request: HttpRequest, uuid: str) -> Document:
    try:
        return document_selectors.document_get(request.user, uuid)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc


def _editable_or_403(request: HttpRequest, uuid: str) -> Document:
    document = _document_or_404(request, uuid)
    if not selectors.can_edit(request.user, document):
        raise PermissionDenied("You may view this document but not change it.")
    return document


def _page_number(request: HttpRequest, count: int) -> int:
    try:
        page = int(request.GET.get("page", 1))
    except ValueError:
        page = 1
    return min(max(page, 1), max(count, 1))


def _edit_form(document: Document, data: dict | None = None) -> DocumentEditForm:
    initial = {
        "title": document.title,
        "description": document.description,
        "language": document.language,
        "document_date": document.document_date,
        "tags": list(document.tags.all()),
    }
    return DocumentEditForm(data, initial=initial)


def _detail_context(request: HttpRequest, document: Document) -> dict:
    version = document.current_version
    previews = selectors.page_previews(version)
    page = _page_number(request, len(previews))
    can_edit = selectors.can_edit(request.user, document)
    return {
        "document": document,
        "version": version,
        "versions": selectors.document_versions(document),
        "previews": previews,
        "preview": previews[page - 1] if previews else None,
        "page": page,
        "summary": summary_for(document),
        "similar": similar_documents(user=request.user, document=document, limit=5)
        if document.status == ProcessingStatus.READY
        else [],
        "processing": document.status not in selectors.FINAL_STATUSES,
        "can_edit": can_edit,
        "edit_form": _edit_form(document) if can_edit else None,
        "version_form": NewVersionForm() if can_edit else None,
    }


@login_required
@require_GET
def document_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    document = _document_or_404(request, uuid)
    return render(request, "pages/document.html", _detail_context(request, document))


@login_required
@require_GET
def document_pager(request: HttpRequest, uuid: str) -> HttpResponse:
    """The preview pager alone (htmx swaps it in place); without htmx, the
    whole page at that preview."""
    document = _document_or_404(request, uuid)
    if not request.headers.get("HX-Request"):
        url = reverse("documents:detail", args=[document.uuid])
        return HttpResponseRedirect(f"{url}?page={_page_number(request, 10_000)}#preview")
    previews = selectors.page_previews(document.current_version)
    page = _page_number(request, len(previews))
    context = {
        "document": document,
        "previews": previews,
        "preview": previews[page - 1] if previews else None,
        "page": page,
    }
    return render(request, "pages/_pager.html", context)


@login_required
@require_GET
def document_status(request: HttpRequest, uuid: str) -> HttpResponse:
    """Live processing status. While processing it tells htmx to poll again;
    once final it stops, and on the document page it reloads it once so the
    previews appear."""
    try:
        document = selectors.processing_state(request.user, uuid)
    except Document.DoesNotExist as exc:
        raise Http404("No such document") from exc
    final = document.status in selectors.FINAL_STATUSES
    version = document.current_version
    response = render(
        request,
        "pages/_status.html",
        {
            "document": document,
            "version": version,
            "steps": list(version.steps.all()) if version else [],
            "final": final,
            "reload": request.GET.get("reload") == "1",
        },
    )
    if final and request.GET.get("reload") == "1" and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, uuid: str) -> HttpResponse:
    document = _editable_or_403(request, uuid)
    form = _edit_form(document, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.document_update(
            user=request.user,
            document=document,
            title=data["title"],
            description=data["description"],
            language=data["language"],
            document_date=data["document_date"],
            tags=data["tags"],
            meta=services.RequestMeta.from_request(request),
        )
        return HttpResponseRedirect(reverse("documents:detail", args=[document.uuid]))
    status = 400 if request.method == "POST" else 200
    context = {"document": document, "form": form, "version_form": NewVersionForm()}
    return render(request, "pages/document_edit.html", context, status=status)


@login_required
@require_POST
def document_new_version(request: HttpRequest, uuid: str) -> HttpResponse:
    document = _editable_or_403(request, uuid)
    form = NewVersionForm(request.POST, request.FILES)
    status = 400
    if getattr(request, "upload_too_large", False):
        form = NewVersionForm()
        form.add_error(None, services.too_large_message())
        status = 413
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.document_version_create(
                user=request.user,
                document=document,
                stream=upload,
                filename=upload.name,
                meta=services.RequestMeta.from_request(request),
            )
        except UploadRejected as exc:
            form.add_error("file", exc.reason)
            status = exc.status_code
        else:
            return HttpResponseRedirect(reverse("documents:detail", args=[document.uuid]))
    context = {"document": document, "form": _edit_form(document), "version_form": form}
    return render(request, "pages/document_edit.html", context, status=status)
