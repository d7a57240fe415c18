"""API-key authentication: ``Authorization: Api-Key dcat_…`` or ``X-API-Key``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from api import limits
from api.models import ApiKey
from api.services import api_key_authenticate, api_key_touch
from documents.services.audit import client_ip

KEYWORD = "Api-Key"


def raw_key(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    keyword, _, value = header.partition(" ")
    if keyword.lower() == KEYWORD.lower() and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key") or None


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates as the key's owner; ``request.auth`` is the ApiKey.

    Failed attempts are counted per client address (read behind the trusted
    proxies, so a forged X-Forwarded-For changes nothing); past
    ``API_AUTH_FAILURES_PER_MINUTE`` its failures get 429 until the minute
    ends. A valid key still works: with 256 random bits a key cannot be
    guessed, and an integration sharing an address with a noisy client
    must not be locked out.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = raw_key(request)
        if raw is None:
            return None
        key = api_key_authenticate(raw)
        if key is None:
            address = client_ip(request) or "unknown"
            wait = limits.hit(f"auth-fail:{address}", settings.API_AUTH_FAILURES_PER_MINUTE)
            if wait is not None:
                raise Throttled(wait=wait, detail="Too many failed API key attempts.")
            raise AuthenticationFailed("Invalid, expired or revoked API key.")
        api_key_touch(key)
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
