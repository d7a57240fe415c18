from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pages import selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "pages/welcome.html")
    context = {
        "recent": selectors.recent_documents(request.user),
        "collections": selectors.collections_with_counts(request.user),
        "queue": selectors.queue_summary(request.user),
    }
    return render(request, "pages/home.html", context)
