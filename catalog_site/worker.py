"""Start a Celery worker for one kind of work, sized from the environment.

``python -m catalog_site.worker fast`` consumes the fast pipeline queue
(extraction, previews) and the default queue with CELERY_FAST_CONCURRENCY
processes; ``slow`` consumes the slow queue (embeddings, AI) with
CELERY_SLOW_CONCURRENCY; ``all`` consumes everything with
CELERY_CONCURRENCY. Separate workers keep uploads moving while slow AI work
queues up.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping

from catalog_site.devstack.runner import worker_command

KINDS = {
    # kind: (queues, concurrency variable, default concurrency)
    "fast": ("pipeline-fast,celery", "CELERY_FAST_CONCURRENCY", 2),
    "slow": ("pipeline-slow", "CELERY_SLOW_CONCURRENCY", 1),
    "all": ("", "CELERY_CONCURRENCY", 2),
}


def command_for(kind: str, environ: Mapping[str, str]) -> list[str]:
    if kind not in KINDS:
        raise SystemExit(f"unknown worker kind {kind!r}; use one of: {', '.join(KINDS)}")
    queues, variable, default = KINDS[kind]
    concurrency = int(environ.get(variable, default))
    extra = ["-Q", queues] if queues else []
    extra += ["--max-tasks-per-child", environ.get("CELERY_MAX_TASKS_PER_CHILD", "200")]
    return worker_command(hostname=f"{kind}@{socket.gethostname()}", concurrency=concurrency, extra=extra)


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "all"
    command = command_for(kind, os.environ)
    os.execv(command[0], command)  # noqa: S606 — replaces this process with the worker


if __name__ == "__main__":
    main()
