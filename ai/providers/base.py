"""The provider interfaces. Every backend passes the same contract tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


class ProviderError(Exception):
    """A provider could not answer. ``transient`` errors are worth retrying."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class EmbeddingModel:
    """Identifies the vector space: vectors of different models never mix."""

    provider: str
    name: str
    dimensions: int

    @property
    def id(self) -> str:
        return f"{self.provider}:{self.name}:{self.dimensions}"


class EmbeddingBackend(ABC):
    """Texts in, unit-length vectors out (cosine similarity = dot product)."""

    model: EmbeddingModel
    #: Texts per call the backend handles well; callers batch accordingly.
    batch_size: int = 32

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Texts may be passages of ~256 tokens."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """A vector for a search query (some models embed queries differently)."""


@dataclass(frozen=True)
class GenerationRequest:
    """What a capability asks a generative model.

    ``system`` holds our instructions; ``prompt`` holds the material (document
    text, numbered passages) which backends must pass as user content, never as
    instructions. With a ``schema`` (JSON Schema of an object) the backend
    returns structured output in ``GenerationResult.data``; without one, free
    text in ``GenerationResult.text``.
    """

    capability: str
    system: str
    prompt: str
    schema: dict | None = None
    max_output_tokens: int = 1024
    prompt_version: str = "1"


@dataclass
class GenerationResult:
    text: str = ""
    data: dict | None = None
    provider: str = ""
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    #: The model as configured in the chain (e.g. an alias); ``model`` is the
    #: one the provider reports having served (e.g. a dated snapshot).
    requested_model: str = ""


class GenerationBackend(ABC):
    """A generative model behind one provider's API."""

    #: Provider name as used in settings ("anthropic", "openai", "gemini").
    provider: str
    model: str
    #: External backends send text off this server; the collection AI policy
    #: and the budgets apply to them.
    external: bool = True

    @abstractmethod
    def generate(self, request: GenerationRequest) -> GenerationResult:
        """One call. Raises ProviderError (``transient`` for 429/5xx/timeouts)."""
