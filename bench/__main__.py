"""``python -m bench`` (``make bench``): run every registered benchmark, in
order, and rewrite ``bench/RESULTS.md``.

Each benchmark runs in a process of its own (``python -m bench.<name>
--emit FILE``): a benchmark may point Django at its own throw-away database
before ``django.setup()``, which can happen only once per process, and a
crash in one leaves the others' figures intact. A benchmark that fails keeps
its previous section and makes the command exit non-zero.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import BENCHMARKS
from bench.results import BASE_DIR, RESULTS_PATH, now_text, read_section, render_results

logger = logging.getLogger(__name__)


def run_one(module: str, scratch: Path) -> tuple[str, str] | None:
    """Run one benchmark module; its (name, body), or None if it failed."""
    emit = scratch / f"{module}.json"
    logger.info("Running %s", module)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", module, "--emit", str(emit)], cwd=BASE_DIR, check=False)
    if result.returncode != 0 or not emit.exists():
        logger.error("%s failed with exit code %d", module, result.returncode)
        return None
    logger.info("%s finished in %.0f s", module, time.monotonic() - started)
    payload = json.loads(emit.read_text())
    return payload["name"], payload["body"]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    started = time.monotonic()
    previous = RESULTS_PATH.read_text() if RESULTS_PATH.exists() else ""
    sections: list[tuple[str, str]] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as scratch:
        for module in BENCHMARKS:
            outcome = run_one(module, Path(scratch))
            if outcome is not None:
                sections.append(outcome)
                continue
            failed.append(module)
            name = module.rpartition(".")[2]
            kept = read_section(previous, name)
            if kept is not None:
                sections.append((name, kept))
    elapsed = time.monotonic() - started
    heading = f"Last full run (`make bench`): {now_text()}, {elapsed:.0f} s for {len(BENCHMARKS)} benchmark(s)."
    if failed:
        heading += f" Failed, previous figures kept: {', '.join(failed)}."
    RESULTS_PATH.write_text(render_results(sections, heading=heading))
    logger.info("Wrote %s in %.0f s", RESULTS_PATH, elapsed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
