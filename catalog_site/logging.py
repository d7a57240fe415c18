"""Log rendering: readable lines in development, JSON lines in production.

Every stdlib record goes through structlog's ``ProcessorFormatter`` so that
context bound with ``structlog.contextvars`` (the request id, for one) lands
on each line, whichever library emitted it.
"""

import logging

import structlog

_SHARED_PROCESSORS: list = [
    structlog.contextvars.merge_contextvars,
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
