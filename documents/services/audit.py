"""The audit trail: one row per upload, download, edit, trash, restore,
purge and reprocess."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from documents.models import AuditAction, AuditEvent, Document


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> RequestMeta:
        return cls(ip_address=client_ip(request), user_agent=request.headers.get("User-Agent", "")[:300])


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind ``TRUSTED_PROXY_COUNT`` proxies the
    address is taken that many hops from the right of X-Forwarded-For, so a
    client cannot spoof it by sending the header itself."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    obj: models.Model,
    meta: RequestMeta | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    meta = meta or RequestMeta()
    document_uuid = None
    if isinstance(obj, Document):
        document_uuid = obj.uuid
    elif hasattr(obj, "document"):
        document_uuid = obj.document.uuid
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        document_uuid=document_uuid,
        ip_address=meta.ip_address,
        user_agent=meta.user_agent,
        details=details or {},
    )
