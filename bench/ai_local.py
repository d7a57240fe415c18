"""The local summariser's cost: time to summarise a document (embedding its
candidate sentences with the local model, then choosing the central ones)
by document length, up to the input budget. Texts are Cranfield abstracts
joined into documents of the wanted size."""

from __future__ import annotations

import os
import time

from bench import results
from bench.results import BASE_DIR
from search.evaluation import load_documents

NAME = "ai_local"
TITLE = "Local AI: extractive summaries"
CRANFIELD = BASE_DIR.parent / "shared" / "eval" / "cranfield"
SIZES = (500, 2_000, 6_000, 12_000)  # tokens (about four characters each)
DOCUMENTS_PER_SIZE = 8
TARGET_P95_SECONDS = 10.0  # a summary must not hold the slow queue longer than this at the budget


def _documents(abstracts: list[str], tokens: int, count: int, offset: int) -> list[str]:
    wanted = tokens * 4
    documents, start = [], offset
    for _ in range(count):
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < wanted:
            parts.append(abstracts[start % len(abstracts)])
            start += 1
        documents.append("\n\n".join(parts)[:wanted])
    return documents


def run() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog_site.settings.test")
    os.environ.setdefault("DJANGO_ENV", "test")
    import django

    django.setup()
    from ai.providers import embedding_backend
    from ai.services.summaries import MAX_CANDIDATE_SENTENCES, extractive_summary
    from ai.services.text import normalise, split_sentences

    started = time.monotonic()
    abstracts = [d.text for d in load_documents(CRANFIELD) if len(d.text) > 200]
    backend = embedding_backend()
    backend.embed_documents(["warm up the model"])
    rows = []
    worst_p95 = 0.0
    for index, tokens in enumerate(SIZES):
        timings, sentences, verbatim = [], [], True
        for text in _documents(abstracts, tokens, DOCUMENTS_PER_SIZE, offset=index * 200):
            t = time.perf_counter()
            summary = extractive_summary(text, backend=backend)
            timings.append(time.perf_counter() - t)
            source = normalise(text)
            verbatim &= all(s in source for s in split_sentences(summary))
            sentences.append(min(len(split_sentences(text)), MAX_CANDIDATE_SENTENCES))
        stats = results.Stats.of(timings)
        worst_p95 = max(worst_p95, stats.p95)
        rows.append(
            (
                f"{tokens:,}",
                f"{sum(sentences) / len(sentences):.0f}",
                f"{stats.p50 * 1000:.0f}",
                f"{stats.p95 * 1000:.0f}",
                "yes" if verbatim else "**no**",
            )
        )
    verdict = results.verdict(worst_p95, TARGET_P95_SECONDS, higher_is_better=False)
    return "\n".join(
        [
            results.section_preamble(started),
            "",
            f"{DOCUMENTS_PER_SIZE} documents per size; embedding model {backend.model.id} "
            f"({getattr(backend, 'runtime', '?')}).",
            "",
            results.table(
                ("document tokens", "sentences weighed", "p50 (ms)", "p95 (ms)", "every sentence verbatim"), rows
            ),
            "",
            f"Target: p95 ≤ {TARGET_P95_SECONDS:.0f} s at the input budget — {worst_p95:.2f} s, **{verdict}**.",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(results.main(NAME, TITLE, run))
