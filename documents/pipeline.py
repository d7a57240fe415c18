"""The processing pipeline's registry.

``documents`` registers its own steps (extract, previews); ``search`` and
``ai`` register theirs (chunk, embed, summarise, suggest) from their
``AppConfig.ready`` — so ``documents`` never imports them. Steps run in
``position`` order, one Celery task each, each recorded as a
``ProcessingStep`` row.

A step function receives the version and a ``StepContext``. It must be
idempotent: it may run again after a crash. It raises
``documents.errors.ProcessingError`` for a permanent failure of this
document, ``TransientError`` to be retried with backoff, and may call
``context.skip(reason)`` when it has nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from documents.models import DocumentVersion, ProcessingStep

FAST_QUEUE = "pipeline-fast"
SLOW_QUEUE = "pipeline-slow"


class StepSkipped(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class StepContext:
    """Handed to a running step: progress reporting and skipping."""

    step: ProcessingStep
    min_interval: float = 0.5
    _last_write: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int) -> None:
        """Record progress, at most every ``min_interval`` seconds (and at the end)."""
        now = time.monotonic()
        if done < total and now - self._last_write < self.min_interval:
            return
        self._last_write = now
        type(self.step).objects.filter(pk=self.step.pk).update(progress_done=done, progress_total=total)
        self.step.progress_done, self.step.progress_total = done, total

    def skip(self, reason: str) -> None:
        raise StepSkipped(reason)


StepFunction = Callable[["DocumentVersion", StepContext], None]


@dataclass(frozen=True)
class Step:
    name: str
    position: int
    run: StepFunction
    queue: str = FAST_QUEUE
    # Attempts that started but never finished (worker killed, hard time
    # limit) before the step is failed for good.
    max_attempts: int = 3


_registry: dict[str, Step] = {}


def register_step(
    name: str, *, position: int, queue: str = FAST_QUEUE, max_attempts: int = 3
) -> Callable[[StepFunction], StepFunction]:
    def decorator(func: StepFunction) -> StepFunction:
        existing = _registry.get(name)
        if existing is not None and existing.run is not func:
            raise ValueError(f"pipeline step {name!r} is already registered by {existing.run.__module__}")
        _registry[name] = Step(name=name, position=position, run=func, queue=queue, max_attempts=max_attempts)
        return func

    return decorator


def registered_steps() -> list[Step]:
    return sorted(_registry.values(), key=lambda step: step.position)


def get_step(name: str) -> Step | None:
    return _registry.get(name)


# --- Change listeners ----------------------------------------------------------
#
# Called inside the transaction that changed documents' metadata (title,
# tags, collection…), with their ids, so indexes kept by other apps update at
# once. Listeners must be quick and must not call the network.

ChangeListener = Callable[[list[int]], None]
_change_listeners: list[ChangeListener] = []


def register_change_listener(listener: ChangeListener) -> ChangeListener:
    if listener not in _change_listeners:
        _change_listeners.append(listener)
    return listener


def notify_documents_changed(document_ids: list[int]) -> None:
    ids = sorted(set(document_ids))
    if not ids:
        return
    for listener in _change_listeners:
        listener(ids)
