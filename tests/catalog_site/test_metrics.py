"""Prometheus metrics at /metrics: who may scrape, what is counted where, and
what a scrape computes from the database and the broker. Counts live in the
real Redis of the test stack and accumulate across tests, so each test
compares before and after."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ai.models import AIRun
from catalog_site import metrics
from documents.models import ProcessingStatus
from search.services.query import search
from tests.conftest import WorkerProcess, wait_for
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def scrape(client: Client, **headers: str) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_hidden_from_public_addresses_without_a_token(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="8.8.8.8")

    assert response.status_code == 404


def test_metrics_token_is_required_when_set(client: Client, settings) -> None:
    settings.METRICS_TOKEN = "scrape-token-0123456789"

    assert client.get("/metrics").status_code == 404  # even from a private address
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert scrape(client, Authorization="Bearer scrape-token-0123456789")


def test_requests_are_counted_and_timed_per_view(client: Client) -> None:
    before = scrape(client)

    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page/")
    after = scrape(client)

    ok = {"view": "healthz", "method": "GET", "status": "200"}
    assert value(after, "catalog_http_requests_total", **ok) - value(before, "catalog_http_requests_total", **ok) == 2
    unmatched = {"view": "unmatched", "method": "GET", "status": "404"}
    assert (
        value(after, "catalog_http_requests_total", **unmatched)
        - value(before, "catalog_http_requests_total", **unmatched)
        == 1
    )
    timed = {"view": "healthz", "method": "GET"}
    assert (
        value(after, "catalog_http_request_duration_seconds_count", **timed)
        - value(before, "catalog_http_request_duration_seconds_count", **timed)
        == 2
    )
    assert value(after, "catalog_http_request_duration_seconds_bucket", le="+Inf", **timed) == value(
        after, "catalog_http_request_duration_seconds_count", **timed
    )


def test_searches_are_timed_per_mode_and_zero_results_counted(client: Client, lib: Library, reader) -> None:
    before = scrape(client)

    search(user=reader, query="xylophonic quasar", mode="keyword")
    search(user=reader, query="", mode="keyword")
    after = scrape(client)

    zero = {"mode": "keyword", "result": "zero"}
    assert value(after, "catalog_searches_total", **zero) - value(before, "catalog_searches_total", **zero) == 1
    browse = {"mode": "browse", "result": "zero"}
    assert value(after, "catalog_searches_total", **browse) - value(before, "catalog_searches_total", **browse) == 1
    assert (
        value(after, "catalog_search_duration_seconds_count", mode="keyword")
        - value(before, "catalog_search_duration_seconds_count", mode="keyword")
        == 1
    )


def test_backlog_and_queue_lengths_are_read_at_scrape_time(
    client: Client, lib: Library, librarian, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        upload(librarian, lib.library, pdf_bytes("Queued report"))

    after = scrape(client)

    assert value(after, "catalog_processing_backlog", status=ProcessingStatus.QUEUED) == 1
    # the extract step's message waits in the real broker (no worker runs here)
    assert value(after, "catalog_celery_queue_length", queue="pipeline-fast") >= 1
    assert (
        value(after, "catalog_celery_queue_length", queue="pipeline-fast")
        == value(before, "catalog_celery_queue_length", queue="pipeline-fast") + 1
    )
    assert value(after, "catalog_scrape_queues_ok") == 1
    assert value(after, "catalog_scrape_embeddings_ok") == 1


def test_ai_calls_tokens_cost_and_errors_per_provider_come_from_the_ledger(client: Client) -> None:
    AIRun.objects.create(
        capability="summary", provider="openai", tokens_in=900, tokens_out=100, cost="0.0125", outcome="ok"
    )
    AIRun.objects.create(capability="summary", provider="openai", outcome="error", error="HTTP 503")

    samples = scrape(client)

    assert value(samples, "catalog_ai_calls_total", provider="openai", capability="summary", outcome="ok") == 1
    assert value(samples, "catalog_ai_errors_total", provider="openai", capability="summary") == 1
    assert value(samples, "catalog_ai_tokens_total", provider="openai", capability="summary", direction="in") == 900
    assert value(samples, "catalog_ai_cost_total", provider="openai", capability="summary") == pytest.approx(0.0125)


def test_with_redis_down_the_scrape_still_answers_and_counts_wait_in_memory(client: Client, settings) -> None:
    metrics.flush()
    healthy = scrape(client)
    settings.METRICS_REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    client.get("/healthz")
    down = scrape(client)

    assert value(down, "catalog_scrape_counters_ok") == 0
    assert value(down, "catalog_scrape_queues_ok") == 0
    assert value(down, "catalog_scrape_backlog_ok") == 1  # the database figures still come through
    settings.METRICS_REDIS_URL = settings.REDIS_CACHE_URL
    restored = scrape(client)
    ok = {"view": "healthz", "method": "GET", "status": "200"}
    assert (
        value(restored, "catalog_http_requests_total", **ok) == value(healthy, "catalog_http_requests_total", **ok) + 1
    )


@pytest.mark.worker
def test_worker_step_durations_reach_the_web_scrape(
    client: Client,
    lib: Library,
    librarian,
    celery_worker_process: WorkerProcess,
) -> None:
    before = scrape(client)
    document = upload(librarian, lib.library, pdf_bytes("Worker metrics"))

    wait_for(lambda: document.versions.get().steps.filter(name="extract", state="done").exists(), timeout=60)
    after = wait_for(
        lambda: (
            (s := scrape(client))
            and value(s, "catalog_pipeline_steps_total", step="extract", outcome="done")
            > value(before, "catalog_pipeline_steps_total", step="extract", outcome="done")
            and s
        ),
        timeout=30,
    )

    assert value(after, "catalog_pipeline_step_duration_seconds_count", step="extract", outcome="done") > value(
        before, "catalog_pipeline_step_duration_seconds_count", step="extract", outcome="done"
    )
    assert value(after, "catalog_celery_tasks_total", task="documents.run_step", state="SUCCESS") > value(
        before, "catalog_celery_tasks_total", task="documents.run_step", state="SUCCESS"
    )
