"""Search and browse: one query string holds the whole state, so a page can
be bookmarked or shared; both run the same ``search()``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pages import selectors
from pages.forms import BROWSE_SORT_CHOICES, PAGE_SIZE, SORT_CHOICES, SearchForm, search_state
from search.services.query import search


def _run(request: HttpRequest, *, browse: bool) -> dict:
    form = SearchForm(request.GET)
    state = search_state(form)
    query = "" if browse else state.query
    results = search(
        user=request.user,
        query=query,
        mode=state.mode,
        filters=state.filters,
        page=state.page,
        page_size=PAGE_SIZE,
        sort=state.sort,
    )
    collections = selectors.collections_with_counts(request.user)
    names = {c.pk: c.name for c in collections}
    tag_names = {t["id"]: t["name"] for t in results.facets.get("tags", [])}
    return {
        "form": form,
        "state": state,
        "results": results,
        "collections": collections,
        "active_collections": [(pk, names[pk]) for pk in state.filters.collections if pk in names],
        "active_tags": [(pk, tag_names.get(pk, "")) for pk in state.filters.tags],
        "has_filters": not state.filters.is_empty(),
        "sort_choices": BROWSE_SORT_CHOICES if browse else SORT_CHOICES,
    }


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    context = _run(request, browse=False)
    return render(request, "pages/search.html", context)


@login_required
@require_GET
def browse_page(request: HttpRequest) -> HttpResponse:
    context = _run(request, browse=True)
    context["tree"] = selectors.collection_tree(context["collections"])
    return render(request, "pages/browse.html", context)
