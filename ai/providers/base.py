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
