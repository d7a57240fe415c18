"""Backends are built from ``settings.AI_PROVIDERS`` at call time and cached
per configuration, so tests can switch them with ``override_settings``."""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ai.providers.base import EmbeddingBackend, GenerationBackend

EMBEDDING_BACKENDS = {
    "local": "ai.providers.local.LocalEmbeddingBackend",
    "openai": "ai.providers.openai_backend.OpenAIEmbeddingBackend",
    "gemini": "ai.providers.gemini_backend.GeminiEmbeddingBackend",
}

#: Generative backends by provider name. Their SDKs are imported on first call.
GENERATION_BACKENDS: dict[str, str] = {
    "anthropic": "ai.providers.anthropic_backend.AnthropicBackend",
    "openai": "ai.providers.openai_backend.OpenAIBackend",
    "gemini": "ai.providers.gemini_backend.GeminiBackend",
}

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()


def _load(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def embedding_backend() -> EmbeddingBackend:
    """The active embedding backend: the first entry of the ``embedding`` chain.

    Embeddings do not fall back to another provider: vectors of different
    models live in different spaces. Changing the model re-embeds.
    """
    config = dict(settings.AI_PROVIDERS["embedding"][0])
    key = ("embedding", tuple(sorted((k, repr(v)) for k, v in config.items())))
    with _lock:
        backend = _cache.get(key)
        if backend is None:
            backend_name = config.pop("backend")
            if backend_name not in EMBEDDING_BACKENDS:
                raise ImproperlyConfigured(f"unknown embedding backend {backend_name!r}")
            backend = _load(EMBEDDING_BACKENDS[backend_name])(**config)
            _cache[key] = backend
    return backend


def generation_backend(entry: dict[str, Any]) -> GenerationBackend:
    """The generative backend for one chain entry (cached per configuration)."""
    config = dict(entry)
    key = ("generation", tuple(sorted((k, repr(v)) for k, v in config.items())))
    with _lock:
        backend = _cache.get(key)
        if backend is None:
            backend_name = config.pop("backend")
            if backend_name not in GENERATION_BACKENDS:
                raise ValueError(f"unknown AI provider {backend_name!r}")
            backend = _load(GENERATION_BACKENDS[backend_name])(**config)
            _cache[key] = backend
    return backend


def reset_backends() -> None:
    with _lock:
        _cache.clear()
