"""Degrading gracefully (CHECKLIST D1, D2, D4 and C6), with real services
stopped and started again: a Valkey server of the test's own, PostgreSQL and
the S3 server behind a relay the test cuts. After each outage the same
process recovers, without a restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from catalog_site import metrics
from catalog_site.celery import app as celery_app
from catalog_site.devstack.services import EmbeddedValkey, free_port
from catalog_site.metrics_collectors import queue_lengths
from documents import services
from documents.models import Document, ProcessingStatus
from documents.pipeline import registered_steps
from search.services.query import search
from tests.catalog_site.outage import TcpRelay
from tests.documents.test_s3_storage import Bucket, bucket, moto_endpoint, production_default_storage, use_storage  # noqa: F401
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
UPLOAD_URL = "/admin/documents/document/upload/"


def ready_document(lib: Library, librarian: Any, title: str = "Harbour tides report") -> Document:
    document = upload(librarian, lib.library, pdf_bytes(title, "Moorings, tides and the harbour master's log."))
    for step in registered_steps():
        services.step_execute(version_id=document.current_version.pk, step_name=step.name)
    document.refresh_from_db()
    return document


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.fixture
def librarian_client(client: Client, librarian: Any) -> Client:
    from django.contrib.auth.models import Permission

    librarian.user_permissions.set(Permission.objects.filter(content_type__app_label="documents"))
    client.force_login(librarian)
    return client


# --- D1 / C6: Redis down -------------------------------------------------------------


@dataclass
class Redis:
    server: EmbeddedValkey
    url: str

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


def _point_celery_at(url: str) -> None:
    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings: Settings, tmp_path: Path) -> Iterator[Redis]:
    """A Valkey of this test's own, used as cache, broker and metrics store."""
    server = EmbeddedValkey(tmp_path / "valkey", free_port(), persist=False)
    url = server.start()
    previous_broker = celery_app.conf.broker_url
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    settings.CELERY_BROKER_URL = url
    settings.METRICS_REDIS_URL = url
    _point_celery_at(url)
    try:
        yield Redis(server=server, url=url)
    finally:
        _point_celery_at(previous_broker)
        server.stop()


def test_with_redis_down_browsing_search_and_downloads_work_and_uploads_queue_for_later(
    librarian_client: Client,
    lib: Library,
    librarian: Any,
    own_redis: Redis,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    document = ready_document(lib, librarian)
    own_redis.stop()

    detail, detail_s = timed(lambda: librarian_client.get(document.get_absolute_url()))
    download, download_s = timed(lambda: librarian_client.get(reverse("documents:download", args=[document.uuid])))
    results, search_s = timed(lambda: search(user=librarian, query="harbour tides", mode="keyword"))
    hybrid, hybrid_s = timed(lambda: search(user=librarian, query="where boats are moored", mode="hybrid"))
    health, health_s = timed(lambda: librarian_client.get("/healthz"))
    with django_capture_on_commit_callbacks(execute=True):
        uploaded, upload_s = timed(
            lambda: librarian_client.post(
                UPLOAD_URL,
                {"collection": lib.library.pk, "files": [SimpleUploadedFile("late.pdf", pdf_bytes("Late", "later"))]},
            )
        )
    report, report_s = timed(lambda: librarian_client.get("/status.json").json())

    assert detail.status_code == 200 and detail_s < 5
    assert download.status_code == 200 and download_s < 5
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert [hit.document.pk for hit in results.hits] == [document.pk] and search_s < 5
    assert [hit.document.pk for hit in hybrid.hits] == [document.pk] and hybrid_s < 10
    assert health.status_code == 200 and health_s < 2
    # the upload is kept, queued for the sweeper, and the answer came within seconds
    assert uploaded.status_code == 302 and upload_s < 10
    late = Document.objects.get(title="late")
    assert late.status == ProcessingStatus.QUEUED
    assert report["checks"]["broker"]["ok"] is False and report_s < 10

    # Redis returns: the same process enqueues the waiting work and counts again
    own_redis.start()
    with django_capture_on_commit_callbacks(execute=True):
        swept = services.versions_sweep_stuck(queued_after=timedelta(0), running_after=timedelta(hours=1))
    assert swept["requeued"] >= 1
    assert queue_lengths()["pipeline-fast"] >= 1
    cache.set("recovered", "yes")
    assert cache.get("recovered") == "yes"
    assert metrics.flush() is True
    assert librarian_client.get("/status.json").json()["checks"]["broker"]["ok"] is True


# --- D2: storage unreachable ------------------------------------------------------------


@pytest.fixture
def s3_behind_relay(settings: Settings, bucket: Bucket, tmp_path: Path) -> Iterator[TcpRelay]:  # noqa: F811
    """Files in S3 (moto over HTTP), reached through a relay the test cuts."""
    endpoint = urlsplit(bucket.endpoint)
    relay = TcpRelay(endpoint.hostname, endpoint.port).start()
    storage_config = production_default_storage(bucket_name=bucket.name, endpoint_url=f"http://127.0.0.1:{relay.port}")
    use_storage(settings, storage_config)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    try:
        yield relay
    finally:
        relay.stop()


def test_with_storage_unreachable_pages_and_search_work_downloads_503_and_it_recovers(
    librarian_client: Client, lib: Library, librarian: Any, s3_behind_relay: TcpRelay, tmp_path: Path
) -> None:
    document = ready_document(lib, librarian)
    download_url = reverse("documents:download", args=[document.uuid])
    assert librarian_client.get(download_url).status_code == 302  # a presigned URL while S3 answers

    s3_behind_relay.stop()
    detail, detail_s = timed(lambda: librarian_client.get(document.get_absolute_url()))
    results = search(user=librarian, query="harbour tides", mode="keyword")
    download, download_s = timed(lambda: librarian_client.get(download_url))
    uploaded, upload_s = timed(
        lambda: librarian_client.post(
            UPLOAD_URL, {"collection": lib.library.pk, "files": [SimpleUploadedFile("new.pdf", pdf_bytes("New"))]}
        )
    )

    assert detail.status_code == 200 and detail_s < 5
    assert [hit.document.pk for hit in results.hits] == [document.pk]
    assert download.status_code == 503 and download_s < 15
    assert "temporarily unavailable" in download.content.decode()
    # the upload is refused with a message and leaves no row and no temporary file behind
    assert upload_s < 30
    assert not Document.objects.filter(title="new").exists()
    assert list(tmp_path.iterdir()) == []
    assert uploaded.status_code == 503
    assert "the file store cannot be reached right now; nothing was saved" in uploaded.content.decode()

    s3_behind_relay.start()
    assert librarian_client.get(download_url).status_code == 302


# --- D4: PostgreSQL down ---------------------------------------------------------------


@pytest.fixture
def database_relay(transactional_db: None) -> Iterator[TcpRelay]:
    """This test's database connection goes through a relay it can cut."""
    settings_dict = connection.settings_dict
    original = (settings_dict["HOST"], settings_dict["PORT"], dict(settings_dict["OPTIONS"]))
    host = settings_dict["HOST"] or settings_dict["OPTIONS"].get("host") or "127.0.0.1"
    port = int(settings_dict["PORT"] or 5432)
    unix_path = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else None
    relay = TcpRelay(host, port, unix_path=unix_path).start()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", relay.port
    settings_dict["OPTIONS"].pop("host", None)
    try:
        yield relay
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = original[:2]
        settings_dict["OPTIONS"] = original[2]
        relay.stop()


def test_with_the_database_down_healthz_fails_pages_say_so_and_it_recovers(
    lib: Library, librarian: Any, database_relay: TcpRelay
) -> None:
    document = ready_document(lib, librarian)
    client = Client(raise_request_exception=False)
    client.force_login(librarian)
    assert client.get("/healthz").status_code == 200

    database_relay.stop()
    health, health_s = timed(lambda: client.get("/healthz"))
    page, page_s = timed(lambda: client.get(document.get_absolute_url()))

    assert health.status_code == 503 and health_s < 10
    assert health.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert page.status_code == 503 and page_s < 10
    assert page["Retry-After"] == "30"
    assert "Temporarily unavailable" in page.content.decode()

    database_relay.start()
    assert client.get("/healthz").status_code == 200
    assert client.get(document.get_absolute_url()).status_code == 200
