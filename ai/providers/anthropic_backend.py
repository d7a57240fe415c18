"""Anthropic's Messages API. Structured output through a forced tool call:
the schema is the tool's input schema and the tool input is the result."""

from __future__ import annotations

from typing import Any

from ai.providers.base import GenerationBackend, GenerationRequest, GenerationResult, ProviderError
from ai.providers.http import SdkClient, status_error, validate_output

TOOL_NAME = "record_result"
DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicBackend(SdkClient, GenerationBackend):
    """``{"backend": "anthropic", "api_key": ..., "model": ..., "base_url": ..., "timeout": ...}``"""

    provider = "anthropic"
    key_setting = "ANTHROPIC_API_KEY"
    url_setting = "AI_ANTHROPIC_BASE_URL"
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        api_key: str = "",
        model: str = "claude-sonnet-4-5",
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self.model = model

    def __repr__(self) -> str:  # never the key
        return f"AnthropicBackend(model={self.model!r}, base_url={self.base_url!r})"

    def _get_client(self) -> Any:
        if self._client is None:
            import anthropic

            # Our retry loop (the gateway) honours Retry-After and feeds the ledger.
            self._client = anthropic.Anthropic(
                api_key=self._api_key, base_url=self.base_url, timeout=self.timeout, max_retries=0
            )
        return self._client

    def generate(self, request: GenerationRequest) -> GenerationResult:
        import anthropic

        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_output_tokens,
            "system": request.system,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        if request.schema is not None:
            kwargs["tools"] = [
                {
                    "name": TOOL_NAME,
                    "description": "Record the result in the required structure.",
                    "input_schema": request.schema,
                }
            ]
            kwargs["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
        try:
            message = self._get_client().messages.create(**kwargs)
        except anthropic.APIStatusError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            detail = (body.get("error") or {}).get("message") or exc.__class__.__name__
            raise status_error(
                self.provider, exc.status_code, detail, exc.response.headers, secret=self._api_key
            ) from None
        except anthropic.APITimeoutError:
            raise ProviderError(f"anthropic: timed out after {self.timeout:g}s", transient=True) from None
        except anthropic.APIConnectionError as exc:
            raise ProviderError(f"anthropic: connection failed ({exc.__class__.__name__})", transient=True) from None
        result = GenerationResult(
            provider=self.provider,
            model=message.model or self.model,
            tokens_in=message.usage.input_tokens or 0,
            tokens_out=message.usage.output_tokens or 0,
        )
        if request.schema is None:
            result.text = "".join(block.text for block in message.content if block.type == "text")
            if not result.text.strip():
                raise ProviderError(f"anthropic: empty answer (stop reason {message.stop_reason})")
            return result
        tool_input = next(
            (block.input for block in message.content if block.type == "tool_use" and block.name == TOOL_NAME), None
        )
        if tool_input is None:
            raise ProviderError(
                f"anthropic: malformed structured output: no {TOOL_NAME} tool call (stop reason {message.stop_reason})"
            )
        result.data = validate_output(self.provider, tool_input, request.schema)
        return result
