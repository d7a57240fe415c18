"""Log rendering: readable lines in development, JSON lines in production.

Every stdlib record goes through structlog's ``ProcessorFormatter`` so that
context bound with ``structlog.contextvars`` (the request id, for one) lands
on each line, whichever library emitted it.
"""

import logging
import re
from typing import Any

import structlog

# Values under these keys never reach a log line: secrets, and document text
# (which may be confidential) — log ids instead.
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api_?key|authorization|cookie|dsn|credential", re.IGNORECASE)
_TEXT_KEYS = frozenset({"text", "content", "body", "passage", "prompt", "document_text", "chunk_text"})


def redact(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key == "event":
            continue
        if _SECRET_KEY.search(key):
            event_dict[key] = "[redacted]"
        elif key in _TEXT_KEYS:
            event_dict[key] = "[omitted]"
    return event_dict


_SHARED_PROCESSORS: list = [
    structlog.contextvars.merge_contextvars,
    redact,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def build_formatter(log_format: str = "console") -> logging.Formatter:
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        extra = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        extra = []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *extra,
            renderer,
        ],
    )


structlog.configure(
    processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
