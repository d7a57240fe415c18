"""Site-wide views: the home page, liveness, the staff status report and page,
and the Prometheus scrape endpoint."""

import hmac
import ipaddress
import logging
import sys
from collections.abc import Iterator

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as django_server_error
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from catalog_site import metrics, status
from catalog_site.metrics_collectors import CatalogCollector
from documents.services import client_ip

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a friendly 503 with ``Retry-After``
    (rendered without the request context, which would ask the database for
    the user); anything else is the usual 500 page."""
    exception = sys.exc_info()[1]
    if not isinstance(exception, OperationalError | InterfaceError):
        return django_server_error(request)
    logger.error("Database unavailable: %s", exception.__class__.__name__)
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": "The service is temporarily unavailable. Please try again in a minute."}, status=503
        )
    else:
        response = HttpResponseServerError(render_to_string("unavailable.html"))
        response.status_code = 503
    response["Retry-After"] = "30"
    return response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the platform: the process answers and the database does."""
    if status.database_alive():
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", "reason": "database unreachable"}, status=503)


@never_cache
@require_GET
@staff_member_required
def status_report(request: HttpRequest) -> JsonResponse:
    report = status.full_report()
    return JsonResponse(report, status=200 if report["ok"] else 503)


@never_cache
@require_GET
@staff_member_required
def status_page(request: HttpRequest) -> HttpResponse:
    report = status.full_report()
    rows = [(name.replace("_", " ").capitalize(), check) for name, check in report["checks"].items()]
    return render(request, "status.html", {"report": report, "rows": rows}, status=200 if report["ok"] else 503)


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    # Without a token only the private network may scrape.
    address = client_ip(request)
    try:
        return address is not None and ipaddress.ip_address(address).is_private
    except ValueError:
        return False


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: what every process counted (via Redis) and what
    the database and broker say now."""
    if not _may_scrape(request):
        # As if it did not exist: nothing to learn for a stranger.
        raise Http404("Not found")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CatalogCollector())
    body = generate_latest(registry)
    metrics.flush()
    try:
        stored = CollectorRegistry(auto_describe=False)
        stored.register(_StoredCollector())
        body += generate_latest(stored)
    except Exception as exc:  # Redis down: the database figures still help
        body += f"# stored counters unavailable: {exc.__class__.__name__}\ncatalog_scrape_counters_ok 0\n".encode()
    else:
        body += b"catalog_scrape_counters_ok 1\n"
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class _StoredCollector:
    def collect(self) -> Iterator[Metric]:
        yield from metrics.stored_families()
