"""OpenAI and Gemini embedding backends through their real SDKs (HTTP faked):
the dimensions parameter, unit-length vectors in order, retries and the
ledger row of every call."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest
import respx

from ai.models import AIRun, Outcome
from ai.providers import ProviderError, embedding_backend
from tests.ai import responses as r

pytestmark = pytest.mark.django_db

GEMINI_BATCH_URL = r.gemini_url("gemini-embedding-001", "batchEmbedContents")


def vector(seed: int, dimensions: int) -> list[float]:
    """A deterministic, deliberately non-unit vector."""
    return [((seed * 31 + i * 7) % 13 - 6) / 3 for i in range(dimensions)]


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


@pytest.fixture
def openai_embeddings(settings: Any) -> Any:
    settings.AI_PROVIDERS = {
        **settings.AI_PROVIDERS,
        "embedding": [
            {"backend": "openai", "api_key": "sk-test-embed", "model": "text-embedding-3-small", "dimensions": 256}
        ],
    }
    return embedding_backend()


@pytest.fixture
def gemini_embeddings(settings: Any) -> Any:
    settings.AI_PROVIDERS = {
        **settings.AI_PROVIDERS,
        "embedding": [
            {"backend": "gemini", "api_key": "gemini-test-embed", "model": "gemini-embedding-001", "dimensions": 128}
        ],
    }
    return embedding_backend()


def test_openai_embeds_with_the_requested_dimensions(openai_embeddings: Any, provider_http: respx.Router) -> None:
    route = provider_http.post(r.OPENAI_EMBEDDINGS_URL).respond(
        200,
        # The API may list the vectors in any order; ``index`` says whose is whose.
        json={**r.openai_embeddings([vector(1, 256), vector(0, 256)], prompt_tokens=12)}
        | {
            "data": [
                {"object": "embedding", "index": 1, "embedding": vector(1, 256)},
                {"object": "embedding", "index": 0, "embedding": vector(0, 256)},
            ]
        },
    )

    vectors = openai_embeddings.embed_documents(["Swept wings", "Remote work policy"])

    sent = json.loads(route.calls.last.request.content)
    assert sent["dimensions"] == 256 and sent["model"] == "text-embedding-3-small"
    assert sent["input"] == ["Swept wings", "Remote work policy"]
    assert openai_embeddings.model.id == "openai:text-embedding-3-small:256"
    assert [len(v) for v in vectors] == [256, 256]
    assert all(abs(norm(v) - 1) < 1e-9 for v in vectors)
    expected_first = [x / norm(vector(0, 256)) for x in vector(0, 256)]
    assert vectors[0] == pytest.approx(expected_first)
    run = AIRun.objects.get()
    assert (run.capability, run.provider, run.outcome, run.tokens_in) == ("embedding", "openai", Outcome.OK, 12)
    assert run.cost == Decimal("0.000000")  # 12 tokens at $0.02 per million rounds to nothing
    assert run.model == "text-embedding-3-small"


def test_openai_embedding_retries_a_429_and_records_both_attempts(
    openai_embeddings: Any, provider_http: respx.Router
) -> None:
    provider_http.post(r.OPENAI_EMBEDDINGS_URL).mock(
        side_effect=[
            respx.MockResponse(429, json=r.openai_error(429, "Rate limit reached"), headers={"retry-after-ms": "20"}),
            respx.MockResponse(200, json=r.openai_embeddings([vector(3, 256)], prompt_tokens=1_000_000)),
        ]
    )

    query = openai_embeddings.embed_query("lift")

    assert len(query) == 256
    assert list(AIRun.objects.order_by("id").values_list("outcome", flat=True)) == [Outcome.ERROR, Outcome.OK]
    assert AIRun.objects.get(outcome=Outcome.OK).cost == Decimal("0.020000")


def test_openai_embedding_of_the_wrong_size_is_refused(openai_embeddings: Any, provider_http: respx.Router) -> None:
    provider_http.post(r.OPENAI_EMBEDDINGS_URL).respond(200, json=r.openai_embeddings([vector(0, 1536)]))

    with pytest.raises(ProviderError, match="malformed embeddings: 1536 dimensions, expected 256"):
        openai_embeddings.embed_query("lift")


def test_openai_embedding_key_rejected_is_not_retried(openai_embeddings: Any, provider_http: respx.Router) -> None:
    route = provider_http.post(r.OPENAI_EMBEDDINGS_URL).respond(401, json=r.openai_error(401, "Incorrect API key"))

    with pytest.raises(ProviderError, match="HTTP 401 key rejected") as caught:
        openai_embeddings.embed_documents(["x"])

    assert not caught.value.transient
    assert route.call_count == 1


def test_gemini_embeds_documents_and_queries_with_their_task_types(
    gemini_embeddings: Any, provider_http: respx.Router
) -> None:
    route = provider_http.post(GEMINI_BATCH_URL).mock(
        side_effect=[
            respx.MockResponse(200, json=r.gemini_embeddings([vector(0, 128), vector(1, 128)])),
            respx.MockResponse(200, json=r.gemini_embeddings([vector(2, 128)])),
        ]
    )

    documents = gemini_embeddings.embed_documents(["Swept wings", "Remote work"])
    query = gemini_embeddings.embed_query("lift")

    first, second = (json.loads(call.request.content) for call in route.calls)
    assert [req["outputDimensionality"] for req in first["requests"]] == [128, 128]
    assert {req["taskType"] for req in first["requests"]} == {"RETRIEVAL_DOCUMENT"}
    assert first["requests"][0]["content"]["parts"][0]["text"] == "Swept wings"
    assert second["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
    assert route.calls.last.request.headers["x-goog-api-key"] == "gemini-test-embed"
    assert gemini_embeddings.model.id == "gemini:gemini-embedding-001:128"
    assert [len(v) for v in [*documents, query]] == [128, 128, 128]
    assert all(abs(norm(v) - 1) < 1e-9 for v in [*documents, query])
    assert AIRun.objects.filter(capability="embedding", provider="gemini", outcome=Outcome.OK).count() == 2


def test_gemini_embedding_500_is_retried_then_raised(gemini_embeddings: Any, provider_http: respx.Router) -> None:
    route = provider_http.post(GEMINI_BATCH_URL).respond(500, json=r.gemini_error(500, "Internal error encountered."))

    with pytest.raises(ProviderError, match=r"gemini: HTTP 500 error: Internal error encountered\.") as caught:
        gemini_embeddings.embed_query("lift")

    assert caught.value.transient
    assert route.call_count == 3
    assert AIRun.objects.filter(outcome=Outcome.ERROR).count() == 3
