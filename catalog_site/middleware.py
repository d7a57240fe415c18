"""Request id: taken from the proxy when it sends one, otherwise generated,
bound to every log line of the request (with the user's id once known) and
echoed in the response. Request metrics: latency, throughput and errors per
view."""

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from catalog_site import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def _incoming_request_id(request: HttpRequest) -> str | None:
    for header in ("X-Request-ID", "Rndr-Id"):
        value = request.headers.get(header, "")
        if _SAFE_ID.match(value):
            return value
    return None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "user_id")
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any) -> None:
        # Runs after the authentication middleware: the user is known now.
        user = getattr(request, "user", None)
        try:
            if user is not None and user.is_authenticated:
                structlog.contextvars.bind_contextvars(user_id=user.pk)
        except DatabaseError:
            # The database is down: the view answers for that (healthz: 503 JSON).
            pass


class MetricsMiddleware:
    """Counts every response by view name (not by URL, whose ids would make
    countless series), method and status, and times it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        metrics.HTTP_DURATION.observe(time.monotonic() - started, view=view, method=method)
        metrics.HTTP_REQUESTS.inc(view=view, method=method, status=str(response.status_code))
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
