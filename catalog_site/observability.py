"""Celery signal handlers: the request id travels from the web request into
the tasks it causes, every task's log lines carry it, and each task is
counted.

The web process binds ``request_id`` (and ``user_id``) with structlog's
context variables; ``before_task_publish`` copies them into the message
headers, and ``task_prerun`` binds them again in the worker, with the task's
name and id. A task enqueued by another task keeps the original request id.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

from catalog_site import metrics

PROPAGATED = ("request_id", "user_id")


@before_task_publish.connect
def _carry_context(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is None:
        return
    context = structlog.contextvars.get_contextvars()
    for key in PROPAGATED:
        if key in context and key not in headers:
            headers[key] = context[key]


@task_prerun.connect
def _bind_task_context(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    request = getattr(task, "request", None)
    values = {key: getattr(request, key, None) for key in PROPAGATED}
    structlog.contextvars.bind_contextvars(
        task=getattr(task, "name", ""),
        task_id=task_id,
        **{key: value for key, value in values.items() if value is not None},
    )


@task_postrun.connect
def _count_task(task: Any = None, state: str | None = None, **_: Any) -> None:
    metrics.TASKS.inc(task=getattr(task, "name", "") or "", state=state or "UNKNOWN")
    # Workers publish their counts after each task, so a scrape sees them promptly.
    metrics.flush()
    structlog.contextvars.clear_contextvars()
