"""Reads of AI results for pages, API and admin."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from ai.models import AIRun, Outcome, Suggestion, SuggestionStatus, Summary


def summary_for(document) -> Summary | None:
    """The newest summary of the document's current version, if any."""
    if document.current_version_id is None:
        return None
    return Summary.objects.filter(version_id=document.current_version_id).first()


def pending_suggestions(document) -> list[Suggestion]:
    return list(
        Suggestion.objects.filter(document=document, status=SuggestionStatus.PENDING).select_related(
            "tag", "collection"
        )
    )


def usage_totals(runs: QuerySet[AIRun], *, limit: int = 60) -> list[dict[str, Any]]:
    """Ledger totals per UTC day and provider, newest day first: calls,
    errors, skips, tokens in/out and estimated cost."""
    return list(
        runs.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "provider")
        .annotate(
            calls=Count("id", filter=~Q(outcome=Outcome.SKIPPED)),
            errors=Count("id", filter=Q(outcome=Outcome.ERROR)),
            skipped=Count("id", filter=Q(outcome=Outcome.SKIPPED)),
            tokens_in=Sum("tokens_in"),
            tokens_out=Sum("tokens_out"),
            cost=Sum("cost"),
        )
        .order_by("-day", "provider")[:limit]
    )
