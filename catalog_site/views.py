"""Site-wide views: liveness and the staff status report."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog_site import status


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
