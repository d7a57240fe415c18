"""Upload page for editors. The page's script sends one file per request so
each gets its own progress bar, and asks for JSON; without the script the
form posts every file at once and gets a page back. Both go through
``documents_create_many``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from documents import selectors as document_selectors
from documents import services
from documents.models import Collection, Tag
from pages.forms import PageUploadForm


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _outcome_json(outcome: services.UploadOutcome) -> dict:
    if outcome.document is None:
        return {"filename": outcome.filename, "ok": False, "error": outcome.error, "status": outcome.status_code}
    document = outcome.document
    return {
        "filename": outcome.filename,
        "ok": True,
        "title": document.title,
        "uuid": str(document.uuid),
        "detail_url": reverse("documents:detail", args=[document.uuid]),
        "status_url": reverse("documents:status", args=[document.uuid]),
        "duplicate_of": reverse("documents:detail", args=[outcome.duplicate_of.uuid]) if outcome.duplicate_of else None,
    }


def _refuse(request: HttpRequest, context: dict, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message, "results": []}, status=status)
    return render(request, "pages/upload.html", {**context, "errors": [message]}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def upload_page(request: HttpRequest) -> HttpResponse:
    collections = list(document_selectors.collections_editable_by(request.user).order_by("name"))
    if not collections:
        raise PermissionDenied("You may not add documents to any collection.")
    context = {"collections": collections, "tags": Tag.objects.all(), "outcomes": [], "errors": []}
    if request.method == "GET":
        return render(request, "pages/upload.html", context)
    form = PageUploadForm(request.POST, request.FILES)  # parses the body, and so enforces the size cap
    if getattr(request, "upload_too_large", False):
        return _refuse(request, context, services.too_large_message(), 413)
    if form.is_valid() and not form.cleaned_data["files"]:
        form.add_error("files", "Choose at least one file.")
    if not form.is_valid():
        message = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        return _refuse(request, context, message or "Choose a collection and at least one file.", 400)
    try:
        collection = Collection.objects.get(pk=form.cleaned_data["collection"])
        outcomes = services.documents_create_many(
            user=request.user,
            collection=collection,
            files=[(f.name, f) for f in form.cleaned_data["files"]],
            tags=form.cleaned_data["tags"],
            meta=services.RequestMeta.from_request(request),
        )
    except (Collection.DoesNotExist, PermissionDenied):
        return _refuse(request, context, "You may not add documents to that collection.", 403)
    created = [o for o in outcomes if o.document]
    status = 201 if len(created) == len(outcomes) else max(o.status_code for o in outcomes if not o.document)
    if _wants_json(request):
        return JsonResponse({"results": [_outcome_json(o) for o in outcomes]}, status=status)
    context.update(outcomes=outcomes, selected_collection=collection.pk)
    return render(request, "pages/upload.html", context, status=status)
