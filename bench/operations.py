"""Operations: how long a catalog export and import take, and what metrics
cost a request and a scrape.

Builds a throw-away catalog (embedded PostgreSQL and Valkey, local files)
of ``DOCUMENTS`` PDFs with their text and previews, exports it, wipes it,
imports the archive and checks the counts; then times the metric calls on
the request path, one flush to Redis, and ``/metrics`` scrapes.
"""

from __future__ import annotations

import io
import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench import results
from bench.stack import running_catalog

NAME = "operations"
TITLE = "Operations: export, import and metrics overhead"
DOCUMENTS = 150
logger = logging.getLogger(__name__)


def _build(documents: int) -> None:
    from django.contrib.auth import get_user_model

    from documents import services
    from documents.demo.pdfwriter import render_pdf
    from documents.models import Collection

    user = get_user_model().objects.create_superuser("bench-admin", password=None)
    collection = Collection.objects.create(name="Bench", slug="bench")
    for n in range(documents):
        text = f"Report {n}: " + "Boundary layer transition on a swept wing. " * 40
        document = services.document_create(
            user=user,
            collection=collection,
            stream=io.BytesIO(render_pdf(f"Report {n}", [text] * 3)),
            filename=f"r{n}.pdf",
        )
        for step in ("extract", "previews"):
            services.step_execute(version_id=document.current_version_id, step_name=step)


def _wipe() -> None:
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from catalog_site.services.integrity import storage_walk

    call_command("flush", interactive=False, verbosity=0)
    for prefix in ("documents", "previews"):
        for name in list(storage_walk(default_storage, prefix)):
            default_storage.delete(name)


def _backup_rows(scratch: Path) -> list[list[object]]:
    from catalog_site.services.backup import catalog_export, catalog_import
    from documents.models import Document, VersionPreview

    started = time.monotonic()
    _build(DOCUMENTS)
    logger.info("Built %d documents in %.0f s", DOCUMENTS, time.monotonic() - started)
    previews = VersionPreview.objects.count()

    started = time.monotonic()
    exported = catalog_export(target=str(scratch / "export.zip"))
    export_s = time.monotonic() - started
    size_mb = exported.size / 1e6
    _wipe()
    started = time.monotonic()
    counts = catalog_import(source=exported.location, reindex=False)
    import_s = time.monotonic() - started
    assert Document.objects.count() == DOCUMENTS and VersionPreview.objects.count() == previews, counts
    return [
        ["export", f"{DOCUMENTS} documents, {exported.files} files", f"{size_mb:.1f} MB", f"{export_s:.1f} s",
         f"{size_mb / export_s:.1f} MB/s"],
        ["import (files checked, rows in one transaction)", f"{counts['files']} files", f"{size_mb:.1f} MB",
         f"{import_s:.1f} s", f"{size_mb / import_s:.1f} MB/s"],
    ]  # fmt: skip


def _metric_rows() -> list[list[object]]:
    from django.test import Client

    from catalog_site import metrics

    calls = 100_000
    started = time.perf_counter()
    for n in range(calls):
        metrics.HTTP_REQUESTS.inc(view=f"view-{n % 40}", method="GET", status="200")
        metrics.HTTP_DURATION.observe(0.012, view=f"view-{n % 40}", method="GET")
    per_request_us = (time.perf_counter() - started) / calls * 1e6
    started = time.perf_counter()
    assert metrics.flush()
    flush_ms = (time.perf_counter() - started) * 1000

    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="localhost")
    samples = []
    for _ in range(30):
        started = time.perf_counter()
        response = client.get("/metrics")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return [
        ["recording one request (counter + histogram)", f"{per_request_us:.1f} µs"],
        ["flushing 40 views' series to Redis", f"{flush_ms:.1f} ms"],
        [f"`/metrics` scrape with {DOCUMENTS} documents, median / p95",
         f"{statistics.median(samples):.0f} / {results.percentile(samples, 0.95):.0f} ms"],
    ]  # fmt: skip


def run() -> str:
    started = time.monotonic()
    with running_catalog(), tempfile.TemporaryDirectory(prefix="catalog-bench-ops-") as scratch:
        backup = _backup_rows(Path(scratch))
        overhead = _metric_rows()
    return "\n\n".join(
        [
            results.section_preamble(started),
            results.table(["operation", "what", "archive", "time", "throughput"], backup),
            results.table(["metrics", "cost"], overhead),
            "An export streams every file through a zip on local disk before it is moved to its target; an "
            "import reads each file twice (checksum, then storage). Search indexes are rebuilt afterwards by the "
            "pipeline and are not part of these times.",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(results.main(NAME, TITLE, run))
