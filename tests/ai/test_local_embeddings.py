"""The local embedding backend with the real all-MiniLM-L6-v2 weights (no
mocks): what search quality and the cache depend on. The ONNX model is
exported once per module into a temporary cache folder."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ai.providers import embedding_backend, reset_backends
from ai.providers.local import LocalEmbeddingBackend

PASSWORD_QUESTION = "How do I reset my password?"
PASSWORD_ANSWER = "Steps to recover a forgotten login password"
WIND_TUNNEL = "The wind tunnel measured lift on a swept wing"

# Distinct topics of very different lengths, deliberately not in length order.
MIXED_TEXTS = [
    "Invoices are due within thirty days of receipt.",
    "Photosynthesis converts light energy into chemical energy stored in glucose. " * 12,
    "Cats",
    "The Roman Empire divided into eastern and western halves after the death of Theodosius in 395.",
    "",
    "A B-tree index lets the database find rows by key without scanning the whole table. " * 8,
    PASSWORD_QUESTION,
    "The volcano erupted overnight, covering nearby villages in ash and forcing evacuations. " * 3,
    "Bake the bread for forty minutes.",
    WIND_TUNNEL + " at several angles of attack and Mach numbers. " * 20,
]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.hypot(*a) * math.hypot(*b))


def norm(vector: Sequence[float]) -> float:
    return math.hypot(*vector)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def backend(models_dir: Path) -> LocalEmbeddingBackend:
    return LocalEmbeddingBackend(cache_dir=models_dir)


@pytest.fixture(scope="module")
def torch_backend() -> LocalEmbeddingBackend:
    return LocalEmbeddingBackend(runtime="torch")


@pytest.fixture
def registry() -> Iterator[None]:
    reset_backends()
    yield
    reset_backends()


def model_files(folder: Path) -> dict[str, int]:
    return {str(path.relative_to(folder)): path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}


def test_related_texts_are_closer_than_unrelated(backend: LocalEmbeddingBackend) -> None:
    question = backend.embed_query(PASSWORD_QUESTION)
    answer, unrelated = backend.embed_documents([PASSWORD_ANSWER, WIND_TUNNEL])

    assert cosine(question, answer) > 0.5
    assert cosine(question, answer) > cosine(question, unrelated) + 0.3


def test_vectors_have_384_dimensions_and_unit_length(backend: LocalEmbeddingBackend) -> None:
    vectors = [*backend.embed_documents(MIXED_TEXTS), backend.embed_query(PASSWORD_QUESTION)]

    assert backend.model.dimensions == 384
    assert all(len(vector) == 384 for vector in vectors)
    assert all(norm(vector) == pytest.approx(1.0, abs=1e-4) for vector in vectors)
    assert all(isinstance(value, float) for value in vectors[0])


def test_documents_come_back_in_input_order(models_dir: Path) -> None:
    # Small batches, so length sorting moves texts across several batches.
    backend = LocalEmbeddingBackend(cache_dir=models_dir)
    backend.batch_size = 3
    singles = [backend.embed_documents([text])[0] for text in MIXED_TEXTS]

    batched = backend.embed_documents(MIXED_TEXTS)

    assert len(batched) == len(MIXED_TEXTS)
    for index, vector in enumerate(batched):
        similarities = [cosine(vector, single) for single in singles]
        assert similarities.index(max(similarities)) == index
        assert similarities[index] > 0.95


def test_no_texts_give_no_vectors(backend: LocalEmbeddingBackend) -> None:
    assert backend.embed_documents([]) == []


def test_empty_text_gets_a_vector(backend: LocalEmbeddingBackend) -> None:
    vector = backend.embed_query("")

    assert len(vector) == 384
    assert norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_text_beyond_max_tokens_is_truncated(backend: LocalEmbeddingBackend) -> None:
    opening = "Supersonic flow over a thin airfoil produces oblique shock waves at the leading edge. " * 30
    assert backend.max_tokens == 256  # the opening alone is ~500 tokens

    first, second = backend.embed_documents([opening + "Cats sleep all day.", opening + "Stock markets fell sharply."])

    assert len(first) == 384
    assert norm(first) == pytest.approx(1.0, abs=1e-4)
    # Only the first max_tokens tokens count: the differing endings are cut off.
    assert cosine(first, second) == pytest.approx(1.0, abs=1e-6)
    assert cosine(backend.embed_query("Cats sleep all day."), backend.embed_query("Stock markets fell sharply.")) < 0.5


def test_onnx_int8_agrees_with_the_torch_reference(
    backend: LocalEmbeddingBackend, torch_backend: LocalEmbeddingBackend
) -> None:
    sentences = [PASSWORD_QUESTION, PASSWORD_ANSWER, WIND_TUNNEL, "Cats", MIXED_TEXTS[3], MIXED_TEXTS[5]]

    for sentence in sentences:
        assert cosine(backend.embed_query(sentence), torch_backend.embed_query(sentence)) >= 0.98, sentence
    reference = torch_backend.embed_documents(sentences)
    for onnx_vector, torch_vector in zip(backend.embed_documents(sentences), reference, strict=True):
        assert cosine(onnx_vector, torch_vector) >= 0.97


def test_second_backend_reuses_the_exported_model(backend: LocalEmbeddingBackend, models_dir: Path) -> None:
    expected = backend.embed_query(PASSWORD_QUESTION)
    before = model_files(models_dir)

    again = LocalEmbeddingBackend(cache_dir=models_dir).embed_query(PASSWORD_QUESTION)

    assert model_files(models_dir) == before  # nothing exported or rewritten
    assert len([p for p in models_dir.iterdir() if p.is_dir()]) == 1
    assert again == pytest.approx(expected, abs=1e-6)


def test_concurrent_first_use_exports_once(tmp_path: Path) -> None:
    backends = [LocalEmbeddingBackend(cache_dir=tmp_path) for _ in range(2)]
    results: list[list[float]] = []
    errors: list[BaseException] = []

    def embed(backend: LocalEmbeddingBackend) -> None:
        try:
            results.append(backend.embed_query(PASSWORD_QUESTION))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=embed, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results[0] == pytest.approx(results[1], abs=1e-6)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]  # no temporary leftovers
    assert sorted(p.name for p in folder.iterdir()) == ["model.int8.onnx", "model.onnx"]


def test_construction_loads_nothing(tmp_path: Path) -> None:
    LocalEmbeddingBackend(cache_dir=tmp_path / "models")

    assert not (tmp_path / "models").exists()


def test_unknown_runtime_is_a_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="runtime"):
        LocalEmbeddingBackend(runtime="cuda")


def test_registry_builds_the_local_backend_from_settings(
    registry: None, settings, backend: LocalEmbeddingBackend, models_dir: Path
) -> None:
    backend.embed_query(PASSWORD_QUESTION)  # the module's model is exported
    settings.AI_MODEL_CACHE_DIR = models_dir
    before = model_files(models_dir)

    configured = embedding_backend()

    assert isinstance(configured, LocalEmbeddingBackend)
    assert configured.model.id == "local:all-MiniLM-L6-v2:384"
    assert configured.runtime == "onnx-int8"
    assert configured.embed_query(PASSWORD_QUESTION) == pytest.approx(backend.embed_query(PASSWORD_QUESTION), abs=1e-6)
    assert model_files(models_dir) == before
