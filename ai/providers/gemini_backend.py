"""Google Gemini through google-genai: ``generate_content`` with a response
JSON schema, and ``embed_content`` with an output dimensionality."""

from __future__ import annotations

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
from ai.providers.openai_backend import check_vectors

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"


class _GeminiClient(SdkClient):
    provider = "gemini"

    key_setting = "GEMINI_API_KEY"
    url_setting = "AI_GEMINI_BASE_URL"
    default_base_url = DEFAULT_BASE_URL

    def _get_client(self) -> Any:
        if self._client is None:
            from google import genai
            from google.genai import types

            self._client = genai.Client(
                api_key=self._api_key,
                http_options=types.HttpOptions(
                    base_url=self.base_url,
                    timeout=int(self.timeout * 1000),  # milliseconds
                    retry_options=types.HttpRetryOptions(attempts=1),  # our loop retries
                ),
            )
        return self._client

    def _call(self, method: Any, **kwargs: Any) -> Any:
        import httpx2
        from google.genai import errors

        try:
            return method(**kwargs)
        except errors.APIError as exc:
            headers = getattr(exc.response, "headers", None)
            raise status_error(
                self.provider, exc.code, exc.message or exc.status or "error", headers, secret=self._api_key
            ) from None
        except httpx2.TimeoutException:
            raise ProviderError(f"gemini: timed out after {self.timeout:g}s", transient=True) from None
        except httpx2.TransportError as exc:
            raise ProviderError(f"gemini: connection failed ({exc.__class__.__name__})", transient=True) from None


class GeminiBackend(_GeminiClient, GenerationBackend):
    """``{"backend": "gemini", "api_key": ..., "model": ..., "base_url": ..., "timeout": ...}``"""

    def __init__(
        self,
        *,
        api_key: str = "",
        model: str = "gemini-2.5-flash",
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self.model = model

    def __repr__(self) -> str:
        return f"GeminiBackend(model={self.model!r}, base_url={self.base_url!r})"

    def generate(self, request: GenerationRequest) -> GenerationResult:
        from google.genai import types

        config: dict[str, Any] = {
            "system_instruction": request.system,
            "max_output_tokens": request.max_output_tokens,
        }
        if request.schema is not None:
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = request.schema
        response = self._call(
            self._get_client().models.generate_content,
            model=self.model,
            contents=request.prompt,
            config=types.GenerateContentConfig(**config),
        )
        usage = response.usage_metadata
        result = GenerationResult(
            provider=self.provider,
            model=response.model_version or self.model,
            tokens_in=(usage.prompt_token_count or 0) if usage else 0,
            tokens_out=(usage.candidates_token_count or 0) if usage else 0,
        )
        if not response.candidates:
            reason = response.prompt_feedback.block_reason if response.prompt_feedback else "no candidates"
            raise ProviderError(f"gemini: no answer ({reason})")
        candidate = response.candidates[0]
        parts = (candidate.content.parts or []) if candidate.content else []
        text = "".join(part.text or "" for part in parts if not part.thought)
        if request.schema is None:
            if not text.strip():
                raise ProviderError(f"gemini: empty answer (finish reason {candidate.finish_reason})")
            result.text = text
            return result
        if candidate.finish_reason == types.FinishReason.MAX_TOKENS:
            raise ProviderError("gemini: malformed structured output: cut off at max_output_tokens")
        result.data = parse_json_object(self.provider, text, request.schema)
        return result


class GeminiEmbeddingBackend(_GeminiClient, EmbeddingBackend):
    """``{"backend": "gemini", "model": "gemini-embedding-001", "dimensions": 768, ...}``

    Documents and queries are embedded with their retrieval task types;
    vectors shortened by ``output_dimensionality`` are normalised here.
    """

    batch_size = 64

    def __init__(
        self,
        *,
        api_key: str = "",
        model: str = "gemini-embedding-001",
        dimensions: int = 768,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self.model = EmbeddingModel(provider=self.provider, name=model, dimensions=dimensions)

    def __repr__(self) -> str:
        return f"GeminiEmbeddingBackend(model={self.model.id!r}, base_url={self.base_url!r})"

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._embed(list(texts), "RETRIEVAL_DOCUMENT")

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text], "RETRIEVAL_QUERY")[0]

    def _embed(self, texts: list[str], task_type: str) -> list[list[float]]:
        from google.genai import types

        def call() -> Any:
            return self._call(
                self._get_client().models.embed_content,
                model=self.model.name,
                contents=[text or " " for text in texts],
                config=types.EmbedContentConfig(output_dimensionality=self.model.dimensions, task_type=task_type),
            )

        with record_embedding_call(self.provider, self.model.name) as ledger:
            response = call_with_retries(call, on_error=ledger.failed)
            # The embedding endpoints report no token usage; estimate ~4 characters a token for the cost.
            ledger.succeeded(tokens_in=sum(len(text) for text in texts) // 4)
        vectors = [list(embedding.values or []) for embedding in (response.embeddings or [])]
        return check_vectors(self.provider, vectors, len(texts), self.model.dimensions)
