"""Who may call what: signed in (session or key), and a key only within its scopes."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.models import ApiKey, Scope


def needed_scope(request: Request) -> str:
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


class HasScope(BasePermission):
    """Authenticated, and when by API key, the key has the method's scope
    (read for GET/HEAD/OPTIONS, write for the rest)."""

    message = "This API key does not have the scope this request needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        key = request.auth
        # A view may declare its scope: asking a question is a POST but only reads.
        scope = getattr(view, "required_scope", None) or needed_scope(request)
        return not isinstance(key, ApiKey) or key.allows(scope)


class IsAuditor(HasScope):
    """Administrators: superusers and holders of the audit permission."""

    message = "Only administrators may read the audit trail."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and (
            request.user.is_superuser or request.user.has_perm("documents.view_auditevent")
        )
