"""Benchmarks of the catalog. Never collected by the test suite.

``make bench`` (``python -m bench``) runs every module in ``BENCHMARKS`` in
order and rewrites ``bench/RESULTS.md``; ``python -m bench.<name>`` runs one
and rewrites only its own section of that file.

A benchmark module defines ``NAME`` (its section marker, equal to the
module's own name), ``TITLE``, a ``run() -> str`` that measures and returns
the Markdown body of its section, and ends with ``results.main(NAME, TITLE,
run)`` under ``__main__``. Helpers that are not benchmarks (``corpus``,
``endtoend``, ``stack``, ``results``) are not listed.
"""

BENCHMARKS: tuple[str, ...] = (
    "bench.ingest",
    "bench.search_quality",
    "bench.search_speed",
    "bench.embedding",
    "bench.ai_local",
    "bench.pages",
    "bench.operations",
    "bench.api_list",
)
