"""Daily budgets per external provider, counted from the ledger itself so
every process agrees: tokens in + out and estimated cost since 00:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Sum
from django.db.models.functions import Coalesce

from ai.models import AIRun, Outcome


def usage_today(provider: str) -> tuple[int, Decimal]:
    """(tokens, cost) spent on ``provider`` today (UTC)."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    totals = AIRun.objects.filter(provider=provider, created_at__gte=midnight, outcome=Outcome.OK).aggregate(
        tokens=Coalesce(Sum(F("tokens_in") + F("tokens_out")), 0),
        cost=Coalesce(Sum("cost"), Decimal(0)),
    )
    return int(totals["tokens"]), Decimal(totals["cost"])


def exceeded(provider: str) -> str | None:
    """Why ``provider`` may not be called today, or None when within budget."""
    budget = settings.AI_DAILY_BUDGETS.get(provider) or {}
    max_tokens, max_cost = budget.get("tokens"), budget.get("cost")
    if not max_tokens and not max_cost:
        return None
    tokens, cost = usage_today(provider)
    if max_tokens and tokens >= int(max_tokens):
        return f"daily token budget reached ({tokens} of {int(max_tokens)})"
    if max_cost and cost >= Decimal(str(max_cost)):
        return f"daily cost budget reached (${cost:.4f} of ${Decimal(str(max_cost)):.2f})"
    return None
