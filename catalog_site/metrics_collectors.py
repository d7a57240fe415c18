"""What ``/metrics`` computes at scrape time from the database and the broker.

Computed here rather than counted where it happens so that the figures are
right whichever process did the work (and however many there are): queue
lengths, the processing backlog, passages waiting for a vector, the AI
ledger, and the last backup and integrity report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps one list per queue and priority step.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue (the broker's lists)."""
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        pipe = client.pipeline(transaction=False)
        names = [queue.name for queue in settings.CELERY_TASK_QUEUES]
        for name in names:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(name + suffix)
        counts = pipe.execute()
    finally:
        client.close()
    step = len(_PRIORITY_SUFFIXES)
    return {name: sum(counts[i * step : (i + 1) * step]) for i, name in enumerate(names)}


def processing_backlog() -> dict[str, int]:
    from documents.models import DocumentVersion, ProcessingStatus

    rows = (
        DocumentVersion.objects.filter(status__in=(ProcessingStatus.QUEUED, ProcessingStatus.PROCESSING))
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = {ProcessingStatus.QUEUED.value: 0, ProcessingStatus.PROCESSING.value: 0}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def chunks_awaiting_embedding() -> dict[str, int]:
    from search.models import EmbeddingSpace, SpaceState
    from search.services.embed import chunks_missing

    spaces = EmbeddingSpace.objects.filter(state__in=(SpaceState.ACTIVE, SpaceState.BUILDING))
    return {space.model_id: chunks_missing(space).count() for space in spaces}


def ai_ledger() -> list[dict]:
    from ai.models import AIRun

    return list(
        AIRun.objects.values("provider", "capability", "outcome").annotate(
            calls=Count("id"), tokens_in=Sum("tokens_in"), tokens_out=Sum("tokens_out"), cost=Sum("cost")
        )
    )


class CatalogCollector:
    """A prometheus-client collector; each part fails on its own."""

    def collect(self) -> Iterator[Metric]:
        yield from self._guarded("queues", self._queues)
        yield from self._guarded("backlog", self._backlog)
        yield from self._guarded("embeddings", self._embeddings)
        yield from self._guarded("ai", self._ai)
        yield from self._guarded("operations", self._operations)

    def _guarded(self, part: str, producer: Callable[[], Iterator[Metric]]) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            f"catalog_scrape_{part}_ok", f"1 if the {part} figures could be read at this scrape, else 0."
        )
        try:
            families = list(producer())
        except Exception as exc:  # a dependency down must not blank the whole scrape
            logger.warning("Metrics: %s unavailable (%s)", part, exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _queues(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "catalog_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for name, length in queue_lengths().items():
            family.add_metric([name], length)
        yield family

    def _backlog(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "catalog_processing_backlog", "Document versions not yet processed, by status.", labels=["status"]
        )
        for status, count in processing_backlog().items():
            family.add_metric([status], count)
        yield family

    def _embeddings(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "catalog_chunks_awaiting_embedding", "Passages without a vector in a model's space.", labels=["model"]
        )
        for model, count in chunks_awaiting_embedding().items():
            family.add_metric([model], count)
        yield family

    def _ai(self) -> Iterator[Metric]:
        labels = ["provider", "capability", "outcome"]
        calls = CounterMetricFamily("catalog_ai_calls", "AI provider calls (the AIRun ledger).", labels=labels)
        errors = CounterMetricFamily("catalog_ai_errors", "AI provider calls that failed.", labels=labels[:2])
        tokens = CounterMetricFamily(
            "catalog_ai_tokens", "Tokens sent and received.", labels=["provider", "capability", "direction"]
        )
        cost = CounterMetricFamily("catalog_ai_cost", "Cost of AI calls, in the ledger's currency.", labels=labels[:2])
        totals: dict[tuple[str, str], dict[str, float]] = {}
        for row in ai_ledger():
            key = (row["provider"], row["capability"])
            calls.add_metric([*key, row["outcome"]], row["calls"])
            total = totals.setdefault(key, {"errors": 0, "in": 0, "out": 0, "cost": 0.0})
            if row["outcome"] == "error":
                total["errors"] += row["calls"]
            total["in"] += row["tokens_in"] or 0
            total["out"] += row["tokens_out"] or 0
            total["cost"] += float(row["cost"] or 0)
        for key, total in sorted(totals.items()):
            errors.add_metric(list(key), total["errors"])
            tokens.add_metric([*key, "in"], total["in"])
            tokens.add_metric([*key, "out"], total["out"])
            cost.add_metric(list(key), total["cost"])
        yield from (calls, errors, tokens, cost)

    def _operations(self) -> Iterator[Metric]:
        from catalog_site.models import BackupRecord, IntegrityReport

        backup = BackupRecord.objects.filter(ok=True).order_by("-finished_at").first()
        last_backup = GaugeMetricFamily(
            "catalog_last_backup_timestamp_seconds", "When the last successful catalog export finished."
        )
        last_backup.add_metric([], backup.finished_at.timestamp() if backup and backup.finished_at else 0)
        yield last_backup
        report = IntegrityReport.objects.order_by("-created_at").first()
        problems = GaugeMetricFamily(
            "catalog_integrity_problems", "Files found wrong by the last integrity check.", labels=["kind"]
        )
        for kind in ("missing", "mismatched", "orphaned"):
            problems.add_metric([kind], len(getattr(report, kind)) if report else 0)
        yield problems
