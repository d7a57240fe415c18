"""One JSON error shape for every API error:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"title": ["…"]}}}

``fields`` appears only for validation errors. Django's own exceptions
raised by services (PermissionDenied, ValidationError, DoesNotExist) and
refused uploads map onto the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from documents.errors import UploadRejected

logger = logging.getLogger(__name__)


class Rejected(exceptions.APIException):
    """An upload refused by the ingest service (413, 415 or 400)."""

    def __init__(self, reason: str, status_code: int) -> None:
        super().__init__(detail=reason, code="upload_rejected")
        self.status_code = status_code


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, UploadRejected):
        return Rejected(exc.reason, exc.status_code)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        codes = list(codes.values())
    for item in codes or []:
        found = _first_code(item)
        if found:
            return found
    return "error"


def error_body(status_code: int, code: str, message: str, fields: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body(500, "server_error", "Something went wrong on our side; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body(response.status_code, _first_code(exc.get_codes()), "Invalid input.", fields)
    else:
        response.data = error_body(response.status_code, _first_code(exc.get_codes()), str(exc.detail))
    return response
