"""Costs from the price table and ledger rows for calls made outside the
gateway (external embeddings: they have no fallback chain)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings

from ai.providers.base import ProviderError

MILLION = Decimal(1_000_000)


def price_for(model: str) -> tuple[Decimal, Decimal] | None:
    """(input, output) US dollars per million tokens for ``model``: the entry
    named exactly, else the longest entry the model name starts with (APIs
    answer with dated names such as ``gpt-5-mini-2025-08-07``)."""
    prices = settings.AI_PRICES
    key = model if model in prices else max((k for k in prices if model.startswith(k)), key=len, default=None)
    if key is None:
        return None
    entry = prices[key]
    return Decimal(str(entry["input"])), Decimal(str(entry["output"]))


def cost_of(model: str, tokens_in: int, tokens_out: int) -> Decimal:
    """Estimated cost of one call; 0 for models missing from the price table."""
    price = price_for(model)
    if price is None:
        return Decimal(0)
    cost = (Decimal(tokens_in) * price[0] + Decimal(tokens_out) * price[1]) / MILLION
    return cost.quantize(Decimal("0.000001"))


class _EmbeddingCall:
    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.started = time.monotonic()

    def _row(self, **fields: object) -> None:
        from ai.models import AIRun

        AIRun.objects.create(
            capability="embedding",
            provider=self.provider,
            model=self.model,
            latency_ms=int((time.monotonic() - self.started) * 1000),
            **fields,
        )
        self.started = time.monotonic()

    def failed(self, exc: ProviderError) -> None:
        from ai.models import Outcome

        self._row(outcome=Outcome.ERROR, error=str(exc)[:1000])

    def succeeded(self, *, tokens_in: int) -> None:
        from ai.models import Outcome

        self._row(outcome=Outcome.OK, tokens_in=tokens_in, cost=cost_of(self.model, tokens_in, 0))


@contextmanager
def record_embedding_call(provider: str, model: str) -> Iterator[_EmbeddingCall]:
    """One AIRun row per HTTP attempt of an external embedding call."""
    yield _EmbeddingCall(provider, model)
