"""Optional error reporting through Sentry, set up only when ``SENTRY_DSN`` is
set (sentry-sdk is imported here and nowhere else)."""

from __future__ import annotations

from typing import Any

_SENSITIVE = ("password", "secret", "token", "api_key", "apikey", "authorization", "cookie", "dsn", "key")


def _scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Drop request bodies (uploads, document text) and secret-looking values."""
    request = event.get("request") or {}
    request.pop("data", None)
    request.pop("cookies", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if any(word in name.lower() for word in _SENSITIVE):
            headers[name] = "[Filtered]"
    for frame_holder in (event.get("exception") or {}).get("values", []):
        for frame in (frame_holder.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_scrub,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
