"""The AI ledger in the admin: read-only, with totals per day and provider."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ai.models import AIRun, Outcome
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(provider: str, outcome: str, day: int, tokens: tuple[int, int] = (0, 0), cost: str = "0") -> AIRun:
    row = AIRun.objects.create(
        capability="summary",
        provider=provider,
        model="m",
        outcome=outcome,
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        cost=Decimal(cost),
    )
    AIRun.objects.filter(pk=row.pk).update(created_at=datetime(2026, 11, day, 12, tzinfo=UTC))
    return row


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_changelist_shows_totals_per_day_and_provider(admin_client: Client) -> None:
    run("anthropic", Outcome.OK, 3, (1000, 200), "0.006000")
    run("anthropic", Outcome.OK, 3, (500, 100), "0.003000")
    run("anthropic", Outcome.ERROR, 3)
    run("anthropic", Outcome.SKIPPED, 3)
    run("openai", Outcome.OK, 3, (10, 5), "0.000100")
    run("anthropic", Outcome.OK, 2, (7, 7), "0.000500")

    response = admin_client.get(reverse("admin:ai_airun_changelist"))

    assert response.status_code == 200
    totals = [
        (
            str(r["day"]),
            r["provider"],
            r["calls"],
            r["errors"],
            r["skipped"],
            r["tokens_in"],
            r["tokens_out"],
            r["cost"],
        )
        for r in response.context["usage_totals"]
    ]
    assert totals == [
        ("2026-11-03", "anthropic", 3, 1, 1, 1500, 300, Decimal("0.009000")),
        ("2026-11-03", "openai", 1, 0, 0, 10, 5, Decimal("0.000100")),
        ("2026-11-02", "anthropic", 1, 0, 0, 7, 7, Decimal("0.000500")),
    ]
    page = response.content.decode()
    assert 'id="usage-totals"' in page and "2026-11-03" in page and "0.0090" in page


def test_totals_follow_the_filters(admin_client: Client) -> None:
    run("anthropic", Outcome.OK, 3, (1000, 200), "0.006000")
    run("openai", Outcome.OK, 3, (10, 5), "0.000100")

    response = admin_client.get(reverse("admin:ai_airun_changelist"), {"provider": "openai"})

    assert [r["provider"] for r in response.context["usage_totals"]] == ["openai"]


def test_the_ledger_cannot_be_edited_added_or_deleted(admin_client: Client) -> None:
    row = run("openai", Outcome.OK, 3, (10, 5), "0.000100")

    assert admin_client.get(reverse("admin:ai_airun_add")).status_code == 403
    assert admin_client.post(reverse("admin:ai_airun_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    admin_client.post(reverse("admin:ai_airun_change", args=[row.pk]), {"tokens_in": 0})
    row.refresh_from_db()
    assert row.tokens_in == 10
    assert admin_client.get(reverse("admin:ai_airun_change", args=[row.pk])).status_code == 200
