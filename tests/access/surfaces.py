"""Every read surface of the catalog, in one list.

A surface takes a ``Viewer`` (a person with a signed-in browser and an API
key) and the ``World`` (one document in a collection everybody concerned can
see, one restricted document) and returns what it showed: a status, the text
and, for counts, the number. ``tests/access/test_one_access_model.py`` runs
every surface twice: someone without rights must see nothing of the
restricted document, and a member of its collection must see it (so a
surface that shows nothing to anybody does not pass by accident).

A new surface is one line: ``Surface("name", KIND, lambda v, w: v.browser.get(...))``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from ai.services.answers import ask
from documents.models import Document
from search.services.filters import SearchFilters
from search.services.query import search
from search.services.similar import similar_documents

#: A word only the restricted document contains.
SECRET_WORD = "merger"

DETAIL = "detail"  # must answer "not found" to the viewer without rights
LISTING = "listing"  # must answer, and leave the document out
FILE = "file"  # must answer "not found"; a member gets the bytes


@dataclass
class Viewer:
    user: User
    browser: Client
    api: APIClient


@dataclass
class World:
    visible: Document  # in a collection both viewers may see
    restricted: Document  # only the restricted collection's members may see it


@dataclass
class Seen:
    status: int
    text: str = ""
    count: int | None = None
    location: str = ""


def seen(response: Any) -> Seen:
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    text = body.decode(errors="replace")
    return Seen(status=response.status_code, text=html.unescape(text), location=response.get("Location", ""))


def results_text(results: Any) -> Seen:
    parts = [f"{hit.document.title} {hit.document.uuid} {hit.passage}" for hit in results.hits]
    parts.append(json.dumps(results.facets))
    return Seen(status=200, text=" ".join(parts), count=results.total)


@dataclass
class Surface:
    name: str
    kind: str
    fetch: Callable[[Viewer, World], Seen | Any]

    def look(self, viewer: Viewer, world: World) -> Seen:
        result = self.fetch(viewer, world)
        return result if isinstance(result, Seen) else seen(result)


def _api_total(response: Any) -> Seen:
    result = seen(response)
    result.count = response.json()["total"]
    return result


SURFACES: list[Surface] = [
    # --- REST API ---
    Surface("api document detail", DETAIL, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/")),
    Surface("api document list", LISTING, lambda v, w: v.api.get("/api/v1/documents/?include=text")),
    Surface("api versions", DETAIL, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/versions/")),
    Surface("api processing", DETAIL, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/processing/")),
    Surface("api download", FILE, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/download/")),
    Surface(
        "api version download",
        FILE,
        lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/versions/1/download/"),
    ),
    Surface(
        "api thumbnail",
        FILE,
        lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/previews/thumb_small/1/"),
    ),
    Surface(
        "api page preview", FILE, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/previews/page/1/")
    ),
    Surface("api summary", DETAIL, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/summary/")),
    Surface("api similar of it", DETAIL, lambda v, w: v.api.get(f"/api/v1/documents/{w.restricted.uuid}/similar/")),
    Surface(
        "api similar to a visible one",
        LISTING,
        lambda v, w: v.api.get(f"/api/v1/documents/{w.visible.uuid}/similar/?limit=50"),
    ),
    Surface(
        "api search keyword",
        LISTING,
        lambda v, w: _api_total(v.api.get(f"/api/v1/search/?q={SECRET_WORD}&mode=keyword")),
    ),
    # Semantic and hybrid lists rank every visible document, so only their content is checked, not their count.
    Surface("api search hybrid", LISTING, lambda v, w: v.api.get(f"/api/v1/search/?q={SECRET_WORD}")),
    Surface(
        "api search semantic",
        LISTING,
        lambda v, w: v.api.get(f"/api/v1/search/?q={SECRET_WORD}+budget&mode=semantic&page_size=100"),
    ),
    Surface("api search facets (empty query)", LISTING, lambda v, w: v.api.get("/api/v1/search/?page_size=100")),
    Surface("api ask", LISTING, lambda v, w: v.api.post("/api/v1/ask/", {"question": f"What {SECRET_WORD} budget?"})),
    Surface("api suggestions", LISTING, lambda v, w: v.api.get("/api/v1/suggestions/")),
    Surface("api collections", LISTING, lambda v, w: v.api.get("/api/v1/collections/")),
    Surface(
        "api collection detail",
        DETAIL,
        lambda v, w: v.api.get(f"/api/v1/collections/{w.restricted.collection_id}/"),
    ),
    # --- Services every page uses ---
    Surface(
        "search() hits, counts and facets",
        LISTING,
        lambda v, w: results_text(search(user=v.user, query=SECRET_WORD, mode="keyword")),
    ),
    Surface(
        "search() filtered to the collection",
        LISTING,
        lambda v, w: results_text(
            search(
                user=v.user,
                query=SECRET_WORD,
                mode="keyword",
                filters=SearchFilters(collections=[w.restricted.collection_id]),
            )
        ),
    ),
    Surface(
        "similar_documents()",
        LISTING,
        lambda v, w: Seen(
            200, " ".join(s.document.title for s in similar_documents(user=v.user, document=w.visible, limit=50))
        ),
    ),
    Surface(
        "ask() citations",
        LISTING,
        lambda v, w: Seen(
            200, " ".join(f"{c.document.title} {c.passage}" for c in ask(user=v.user, question=SECRET_WORD).citations)
        ),
    ),
    # --- Pages ---
    Surface("page document detail", DETAIL, lambda v, w: v.browser.get(f"/documents/{w.restricted.uuid}/")),
    Surface("page download", FILE, lambda v, w: v.browser.get(f"/documents/{w.restricted.uuid}/download/")),
    Surface(
        "page version download",
        FILE,
        lambda v, w: v.browser.get(f"/documents/{w.restricted.uuid}/versions/1/download/"),
    ),
    Surface("page thumbnail", FILE, lambda v, w: v.browser.get(f"/documents/{w.restricted.uuid}/preview/thumb_small/")),
    Surface("page preview", FILE, lambda v, w: v.browser.get(f"/documents/{w.restricted.uuid}/preview/page/1/")),
    # --- Admin ---
    Surface("admin document list", LISTING, lambda v, w: v.browser.get("/admin/documents/document/")),
    Surface("admin document search", LISTING, lambda v, w: v.browser.get("/admin/documents/document/?q=budget")),
    Surface(
        "admin document change page",
        DETAIL,
        lambda v, w: v.browser.get(f"/admin/documents/document/{w.restricted.pk}/change/"),
    ),
]
