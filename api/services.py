"""Writes of the API app: creating, rotating and revoking API keys."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ApiKey, Scope
from api.selectors import usable_key_with_owner

logger = logging.getLogger(__name__)

KEY_PREFIX = "dcat_"
# last_used_at is written at most this often per key, so a busy integration
# does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key and its secret, which is never shown again."""

    key: ApiKey
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(raw: str) -> tuple[str, str] | None:
    """``dcat_<prefix>.<secret>`` → (prefix, whole key); None if malformed."""
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    prefix, dot, rest = raw[len(KEY_PREFIX) :].partition(".")
    if not dot or not prefix or not rest or not prefix.isalnum():
        return None
    return prefix, raw


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    cleaned = sorted(set(scopes))
    unknown = [scope for scope in cleaned if scope not in Scope.values]
    if unknown or not cleaned:
        raise ValidationError({"scopes": f"choose one or more of: {', '.join(Scope.values)}"})
    return cleaned


def _check_not_wider(*, scopes: list[str], expires_at: datetime | None, acting_key: ApiKey | None) -> None:
    """A key may not mint a key that can do more, or live longer, than itself."""
    if acting_key is None:
        return
    if not set(scopes) <= set(acting_key.scopes):
        raise PermissionDenied("A key may not create a key with scopes it does not have itself.")
    if acting_key.expires_at is not None and (expires_at is None or expires_at > acting_key.expires_at):
        raise PermissionDenied("A key may not create a key that outlives it.")


def api_key_create(
    *,
    user: Any,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    acting_key: ApiKey | None = None,
    rotated_from: ApiKey | None = None,
) -> IssuedKey:
    """Create a key for ``user`` (always the caller: nobody mints keys for others)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied("Sign in to create API keys.")
    scopes = _clean_scopes(scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "the expiry must be in the future"})
    _check_not_wider(scopes=scopes, expires_at=expires_at, acting_key=acting_key)
    for _ in range(5):
        prefix = secrets.token_hex(4)
        secret = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
        key = ApiKey(
            user=user,
            name=name.strip()[:100] or "API key",
            prefix=prefix,
            hashed_secret=_hash(secret),
            scopes=scopes,
            expires_at=expires_at,
            rotated_from=rotated_from,
        )
        key.full_clean(exclude=["rotated_from"])
        try:
            with transaction.atomic():
                key.save()
        except IntegrityError:  # a prefix collision: draw again
            continue
        logger.info("API key %s created for user %s", prefix, user.pk)
        return IssuedKey(key=key, secret=secret)
    raise RuntimeError("could not draw a unique key prefix")


def api_key_rotate(*, user: Any, key: ApiKey, acting_key: ApiKey | None = None) -> IssuedKey:
    """A new key with the same name, scopes and expiry. The old key keeps
    working until it is revoked, so an integration can switch without a gap."""
    if key.user_id != user.pk:
        raise PermissionDenied("You may rotate only your own keys.")
    if not key.is_active:
        raise ValidationError("a revoked or expired key cannot be rotated")
    return api_key_create(
        user=user,
        name=key.name,
        scopes=key.scopes,
        expires_at=key.expires_at,
        acting_key=acting_key,
        rotated_from=key,
    )


def api_key_revoke(*, user: Any, key: ApiKey) -> ApiKey:
    """Revoke ``key``; the next request with it gets 401. Superusers may
    revoke anyone's key (a leaked key must be stoppable at once)."""
    if key.user_id != user.pk and not user.is_superuser:
        raise PermissionDenied("You may revoke only your own keys.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        logger.info("API key %s revoked", key.prefix)
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The usable key matching ``raw`` (owner loaded), or None."""
    parts = split_key(raw)
    if parts is None:
        return None
    prefix, whole = parts
    key = usable_key_with_owner(prefix)
    if key is None or not hmac.compare_digest(key.hashed_secret, _hash(whole)):
        return None
    return key


def api_key_touch(key: ApiKey) -> None:
    """Record that ``key`` was used (at most once per LAST_USED_RESOLUTION)."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
