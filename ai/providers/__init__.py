"""AI providers behind small interfaces, chosen in settings (``AI_PROVIDERS``).

Only ``documents`` models are known here; search and the AI features build
on these interfaces.
"""

from ai.providers.base import EmbeddingBackend, EmbeddingModel, ProviderError
from ai.providers.registry import embedding_backend, reset_backends

__all__ = ["EmbeddingBackend", "EmbeddingModel", "ProviderError", "embedding_backend", "reset_backends"]
