"""Staff page response times: home, browse, search, the document page and
ask, rendered through Django's full request stack (middleware, session,
templates) for a reader who sees one collection of a larger catalog.

Documents are generated, uploaded through ``document_create`` and processed
in this process (extract, previews, chunks, embeddings), so search, facets,
thumbnails and similar documents are all real. ``BENCH_PAGES_DOCUMENTS``
changes the catalog size.
"""

from __future__ import annotations

import io
import logging
import os
import random
import time

from bench import results
from bench.results import Stats, table, verdict
from bench.stack import running_catalog

logger = logging.getLogger(__name__)

NAME = "pages"
TITLE = "Staff pages: response time and queries"
DOCUMENTS = int(os.environ.get("BENCH_PAGES_DOCUMENTS", "300"))
REQUESTS = 40
WARMUP = 3
TARGET_P95_MS = 250.0
WORDS = [
    *("wing", "lift", "drag", "stall", "slat", "flap", "boundary", "layer", "turbulence", "pressure", "tunnel"),
    *("budget", "energy", "salary", "laptop", "policy", "contract", "supplier", "invoice", "audit", "board"),
    *("meeting", "minutes", "safety", "training", "report", "survey", "results", "customer"),
]


def make_catalog(count: int) -> tuple[object, list]:
    from django.contrib.auth.models import Group, User

    from documents import services
    from documents.demo.pdfwriter import render_pdf
    from documents.models import Collection, Tag

    rng = random.Random(7)
    readers, hidden = Group.objects.create(name="readers"), Group.objects.create(name="hidden")
    visible = Collection.objects.create(name="Visible", slug="visible")
    visible.viewer_groups.add(readers)
    secret = Collection.objects.create(name="Secret", slug="secret")
    secret.viewer_groups.add(hidden)
    tags = [Tag.objects.create(name=f"topic-{n}", slug=f"topic-{n}") for n in range(8)]
    admin = User.objects.create_superuser(username="bench-admin", email="admin@example.invalid")
    reader = User.objects.create_user(username="bench-reader")  # signed in with force_login
    reader.groups.add(readers)
    documents = []
    started = time.monotonic()
    for n in range(count):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(120)) for _ in range(3)]
        document = services.document_create(
            user=admin,
            collection=visible if n % 3 else secret,
            stream=io.BytesIO(render_pdf(f"Report {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}", paragraphs)),
            filename=f"report-{n}.pdf",
            tags=rng.sample(tags, 2),
        )
        for step in document.current_version.steps.order_by("position"):
            services.step_execute(version_id=document.current_version_id, step_name=step.name)
        documents.append(document)
        if n % 50 == 49:
            logger.info("%d documents processed (%.0f s)", n + 1, time.monotonic() - started)
    return reader, [d for d in documents if d.collection_id == visible.pk]


def measure(client, url: str) -> tuple[Stats, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return Stats.of(samples), len(queries)


def run() -> str:
    started = time.monotonic()
    with running_catalog():
        from django.test import Client
        from django.urls import reverse

        reader, visible = make_catalog(DOCUMENTS)
        client = Client(HTTP_HOST="localhost")
        client.force_login(reader)
        document = visible[len(visible) // 2]
        pages = [
            ("home", "/"),
            ("browse (grid, newest)", reverse("browse")),
            ("browse (list, by title, one tag)", f"{reverse('browse')}?view=list&sort=title&tag=1"),
            ("search hybrid", f"{reverse('search')}?q=boundary+layer+stall"),
            ("search keyword, page 2", f"{reverse('search')}?q=energy+budget&mode=keyword&page=2"),
            ("search, no match (did you mean)", f"{reverse('search')}?q=turbulance+presure"),
            ("document page", reverse("documents:detail", args=[document.uuid])),
            ("ask", f"{reverse('ask')}?q=what+happens+at+the+stall"),
        ]
        rows = []
        worst = 0.0
        for label, url in pages:
            stats, queries = measure(client, url)
            worst = max(worst, stats.p95)
            rows.append((label, f"{stats.p50:.1f}", f"{stats.p95:.1f}", queries))
            logger.info("%s: p50 %.1f ms, p95 %.1f ms, %d queries", label, stats.p50, stats.p95, queries)
    return "\n".join(
        [
            results.section_preamble(started),
            "",
            f"{DOCUMENTS} generated PDFs (360 words of text and 2 tags each), processed in-process; the reader "
            f"sees {len(visible)} of them (one collection of two). Each page: {WARMUP} warm-up requests, then "
            f"{REQUESTS} timed requests through Django's test client (full middleware, session and templates; "
            "no network, no static files).",
            "",
            table(("Page", "p50 (ms)", "p95 (ms)", "queries"), rows),
            "",
            f"Target: every page's p95 ≤ {TARGET_P95_MS:.0f} ms — worst p95 {worst:.1f} ms: "
            f"**{verdict(worst, TARGET_P95_MS, higher_is_better=False)}**.",
        ]
    )


if __name__ == "__main__":
    results.main(NAME, TITLE, run)
