"""OpenAI: chat completions with JSON-schema structured output, and the
``text-embedding-3-*`` models with their ``dimensions`` parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ai.providers.base import (
    EmbeddingBackend,
    EmbeddingModel,
    GenerationBackend,
    GenerationRequest,
    GenerationResult,
    ProviderError,
)
from ai.providers.http import SdkClient, call_with_retries, parse_json_object, status_error
from ai.providers.ledger import record_embedding_call

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class _OpenAIClient(SdkClient):
    """The SDK client (built on first use) and its error mapping."""

    provider = "openai"

    key_setting = "OPENAI_API_KEY"
    url_setting = "AI_OPENAI_BASE_URL"
    default_base_url = DEFAULT_BASE_URL

    def _get_client(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self._api_key, base_url=self.base_url, timeout=self.timeout, max_retries=0
            )
        return self._client

    def _call(self, method: Any, **kwargs: Any) -> Any:
        import openai

        try:
            return method(**kwargs)
        except openai.APIStatusError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            error = body.get("error") if isinstance(body.get("error"), dict) else body
            detail = error.get("message") or exc.__class__.__name__
            raise status_error(
                self.provider, exc.status_code, detail, exc.response.headers, secret=self._api_key
            ) from None
        except openai.APITimeoutError:
            raise ProviderError(f"openai: timed out after {self.timeout:g}s", transient=True) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(f"openai: connection failed ({exc.__class__.__name__})", transient=True) from None


class OpenAIBackend(_OpenAIClient, GenerationBackend):
    """``{"backend": "openai", "api_key": ..., "model": ..., "base_url": ..., "timeout": ...}``"""

    def __init__(
        self,
        *,
        api_key: str = "",
        model: str = "gpt-5-mini",
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self.model = model

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r})"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "max_completion_tokens": request.max_output_tokens,
        }
        if request.schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": f"{request.capability}_result", "schema": request.schema},
            }
        completion = self._call(self._get_client().chat.completions.create, **kwargs)
        usage = completion.usage
        result = GenerationResult(
            provider=self.provider,
            model=completion.model or self.model,
            tokens_in=(usage.prompt_tokens or 0) if usage else 0,
            tokens_out=(usage.completion_tokens or 0) if usage else 0,
        )
        if not completion.choices:
            raise ProviderError("openai: malformed answer: no choices")
        choice = completion.choices[0]
        if choice.message.refusal:
            raise ProviderError("openai: the model refused to answer")
        content = choice.message.content or ""
        if request.schema is None:
            if not content.strip():
                raise ProviderError(f"openai: empty answer (finish reason {choice.finish_reason})")
            result.text = content
            return result
        if choice.finish_reason == "length":
            raise ProviderError("openai: malformed structured output: cut off at max_output_tokens")
        result.data = parse_json_object(self.provider, content, request.schema)
        return result


class OpenAIEmbeddingBackend(_OpenAIClient, EmbeddingBackend):
    """``{"backend": "openai", "model": "text-embedding-3-small", "dimensions": 768, ...}``

    ``dimensions`` shortens the vectors on the server (text-embedding-3 only).
    """

    batch_size = 64

    def __init__(
        self,
        *,
        api_key: str = "",
        model: str = "text-embedding-3-small",
        dimensions: int = 768,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self.model = EmbeddingModel(provider=self.provider, name=model, dimensions=dimensions)

    def __repr__(self) -> str:
        return f"OpenAIEmbeddingBackend(model={self.model.id!r}, base_url={self.base_url!r})"

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._embed(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _embed(self, texts: list[str]) -> list[list[float]]:
        def call() -> Any:
            return self._call(
                self._get_client().embeddings.create,
                model=self.model.name,
                input=[text or " " for text in texts],
                dimensions=self.model.dimensions,
                encoding_format="float",
            )

        with record_embedding_call(self.provider, self.model.name) as ledger:
            response = call_with_retries(call, on_error=ledger.failed)
            ledger.succeeded(tokens_in=response.usage.prompt_tokens if response.usage else 0)
        vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        return check_vectors(self.provider, vectors, len(texts), self.model.dimensions)


def check_vectors(provider: str, vectors: list[list[float]], count: int, dimensions: int) -> list[list[float]]:
    """Unit-length copies of ``vectors`` after checking their count and size."""
    if len(vectors) != count:
        raise ProviderError(f"{provider}: malformed embeddings: {len(vectors)} vectors for {count} texts")
    unit: list[list[float]] = []
    for vector in vectors:
        if len(vector) != dimensions:
            raise ProviderError(f"{provider}: malformed embeddings: {len(vector)} dimensions, expected {dimensions}")
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        unit.append([x / norm for x in vector])
    return unit
