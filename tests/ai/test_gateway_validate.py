"""The gateway's ``validate=`` hook: a provider's answer that fails the
capability's validation is that provider's error and the next provider is
asked; without the hook the contract is unchanged."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from ai.errors import InvalidOutput
from ai.models import AIRun, Outcome
from ai.providers.base import GenerationResult
from ai.services import breaker
from ai.services.gateway import NoProviderAvailable, generate
from tests.ai.test_providers import ANTHROPIC, GEMINI, GOOD, OPENAI, request, rows

pytestmark = pytest.mark.django_db

CHAIN = [ANTHROPIC.entry(), OPENAI.entry(), GEMINI.entry(), {"backend": "local"}]
USELESS = {"summary": "n/a", "tags": []}


def only_real_summaries(result: GenerationResult) -> GenerationResult:
    if not result.data or result.data.get("summary") == "n/a":
        raise InvalidOutput("no summary given")
    return GenerationResult(
        data={"summary": result.data["summary"].upper()},
        provider=result.provider,
        model=result.model,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
    )


def local_useless() -> GenerationResult:
    return GenerationResult(data=dict(USELESS), model="extractive")


def test_an_invalid_answer_is_the_providers_error_and_the_next_provider_answers(
    provider_http: respx.Router, settings: Any
) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    anthropic = provider_http.post(ANTHROPIC.url).respond(200, json=ANTHROPIC.structured(USELESS))
    openai = provider_http.post(OPENAI.url).respond(200, json=OPENAI.structured(GOOD))
    gemini = provider_http.post(GEMINI.url).respond(200, json=GEMINI.structured(GOOD))

    result = generate(request(), local=local_useless, validate=only_real_summaries)

    assert (result.provider, result.data) == ("openai", {"summary": GOOD["summary"].upper()})
    assert result.requested_model == OPENAI.model
    assert (anthropic.call_count, openai.call_count, gemini.call_count) == (1, 1, 0)
    assert rows() == [("anthropic", Outcome.ERROR), ("openai", Outcome.OK)]
    failed = AIRun.objects.get(provider="anthropic")
    assert failed.error == "invalid output: no summary given" and failed.tokens_out == 503 and failed.cost > 0
    # A provider that answers is up: the circuit does not count this as a failure.
    assert breaker.open_until("anthropic") is None


def test_an_invalid_local_answer_raises_and_is_on_the_ledger(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), {"backend": "local"}]}
    provider_http.post(ANTHROPIC.url).respond(200, json=ANTHROPIC.structured(USELESS))

    with pytest.raises(InvalidOutput, match="no summary given"):
        generate(request(), local=local_useless, validate=only_real_summaries)

    assert rows() == [("anthropic", Outcome.ERROR), ("local", Outcome.ERROR)]


def test_every_provider_invalid_without_local_is_no_provider(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), OPENAI.entry()]}
    provider_http.post(ANTHROPIC.url).respond(200, json=ANTHROPIC.structured(USELESS))
    provider_http.post(OPENAI.url).respond(200, json=OPENAI.structured(USELESS))

    with pytest.raises(NoProviderAvailable, match="anthropic: invalid output: no summary given; openai: invalid"):
        generate(request(), validate=only_real_summaries)


def test_without_validate_the_answer_is_returned_as_given(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    provider_http.post(ANTHROPIC.url).respond(200, json=ANTHROPIC.structured(USELESS))

    result = generate(request(), local=local_useless)

    assert (result.provider, result.data) == ("anthropic", USELESS)
    assert rows() == [("anthropic", Outcome.OK)]
