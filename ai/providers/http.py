"""What every external backend shares: the outbound URL guard, error mapping,
retries with backoff, secret redaction and output validation.

The SDKs' own retries are off; ``call_with_retries`` (used by the embedding
backends) and the gateway's chain (generation) are the only retry loops, so
``Retry-After``, the backoff cap and the ledger see every attempt.
"""

from __future__ import annotations

import ipaddress
import random
import re
import socket
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ai.providers.base import ProviderError

T = TypeVar("T")

#: Status codes worth retrying: rate limits, timeouts and server errors.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})

_SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-*]{6,}"),  # OpenAI and Anthropic keys, also when partly masked
    re.compile(r"AIza[0-9A-Za-z_\-]{10,}"),  # Google API keys
    # Header and query forms: "Bearer …", "x-api-key: …", "api_key=…", "?key=…".
    re.compile(r"(?i)(bearer\s+|\b(?:x-api-key|x-goog-api-key|api[_-]?key|key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}&]+"),
]


class UnsafeBaseURL(ImproperlyConfigured):
    """A configured base URL points at this machine or a private network (SSRF)."""


def check_base_url(url: str, *, setting: str, resolve: bool = True) -> str:
    """``url`` if it may be called; raises ``UnsafeBaseURL`` otherwise.

    Refused: schemes other than http(s), loopback, link-local (cloud metadata
    at 169.254.169.254), private (10/8, 172.16/12, 192.168/16), unique-local,
    unspecified and reserved addresses — whether written as an address, as
    ``localhost``, or as a name (or a numeric form such as ``2130706433``)
    that resolves to one. A name that does not resolve is left to fail when
    the call connects. ``resolve=False`` skips the DNS look-up (the
    providers' own public hosts).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeBaseURL(f"{setting}={url!r} is not an http(s) URL")
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeBaseURL(f"{setting}={url!r} points at this machine; refused")
    addresses: list[str] = []
    try:
        addresses.append(str(ipaddress.ip_address(host)))
    except ValueError:
        if resolve:
            try:
                infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError):
                infos = []
            addresses.extend(str(info[4][0]) for info in infos)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if (
            ip.is_loopback
            or ip.is_link_local
            or ip.is_private
            or ip.is_unspecified
            or ip.is_reserved
            or ip.is_multicast
        ):
            raise UnsafeBaseURL(
                f"{setting}={url!r} points at a loopback, link-local or private address ({ip}); refused"
            )
    return url


def redact(text: str, *secrets: str) -> str:
    """``text`` without the given secrets or anything shaped like an API key."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1) or ''}[redacted]" if m.lastindex else "[redacted]", text)
    return text


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After``
    in seconds or as an HTTP date), or None."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def status_error(
    provider: str, status: int, message: str, headers: Mapping[str, str] | None, *, secret: str = ""
) -> ProviderError:
    """The ProviderError for an HTTP error answer: 429 and 5xx are transient;
    400, 401, 403 and the other 4xx are not (retrying cannot help)."""
    kind = {401: "key rejected", 403: "access denied", 429: "rate limited"}.get(status, "error")
    text = redact(" ".join(str(message).split())[:300], secret)
    return ProviderError(
        f"{provider}: HTTP {status} {kind}: {text}",
        transient=status in TRANSIENT_STATUSES or status >= 500,
        retry_after=retry_after_seconds(headers),
    )


def backoff_delay(attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before retry number ``attempt`` (1 = first retry), or
    None when the server asks for longer than ``AI_RETRY_MAX_DELAY``.

    Exponential backoff with full jitter, capped; ``Retry-After`` wins when given.
    """
    cap = settings.AI_RETRY_MAX_DELAY
    if retry_after is not None:
        return retry_after if retry_after <= cap else None
    ceiling = min(cap, settings.AI_RETRY_BASE_DELAY * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography


def call_with_retries(call: Callable[[], T], *, on_error: Callable[[ProviderError], None] | None = None) -> T:
    """``call()``, retried on transient ProviderErrors up to ``AI_RETRY_ATTEMPTS``
    times in all; ``on_error`` sees each failure (for the ledger)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except ProviderError as exc:
            if on_error is not None:
                on_error(exc)
            if not exc.transient or attempt >= settings.AI_RETRY_ATTEMPTS:
                raise
            delay = backoff_delay(attempt, exc.retry_after)
            if delay is None:
                raise
            time.sleep(delay)


def parse_json_object(provider: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in ``text``, validated against ``schema``."""
    import json

    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ProviderError(f"{provider}: malformed structured output: not JSON ({exc.__class__.__name__})") from exc
    return validate_output(provider, data, schema)


#: Value constraints a capability's own validation trims (unknown names dropped,
#: lists cut, confidences checked) instead of losing the whole answer over one item.
_VALUE_KEYWORDS = frozenset({"enum", "const", "minimum", "maximum", "maxItems", "minItems", "maxLength"})


def _shape_of(schema: Any) -> Any:
    """``schema`` without value constraints: types, required keys and nesting only."""
    if isinstance(schema, dict):
        return {k: _shape_of(v) for k, v in schema.items() if k not in _VALUE_KEYWORDS}
    if isinstance(schema, list):
        return [_shape_of(v) for v in schema]
    return schema


def validate_output(provider: str, data: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """``data`` if it has the shape of ``schema``; a clear, non-transient
    ProviderError otherwise (the model's text is never quoted: it may echo the
    document). Values (allowed names, ranges, lengths) are checked by the
    capability, which keeps what is usable."""
    import jsonschema

    if not isinstance(data, dict):
        raise ProviderError(f"{provider}: malformed structured output: expected an object, got {type(data).__name__}")
    validator = jsonschema.Draft202012Validator(_shape_of(schema))
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ProviderError(f"{provider}: malformed structured output at {where}: {error.validator} check failed")
    return data


class SdkClient:
    """An SDK client built on first use, for one provider's key, guarded base
    URL and timeout. Subclasses set the names and build the client."""

    provider: str
    key_setting: str
    url_setting: str
    default_base_url: str

    def __init__(self, *, api_key: str, base_url: str, timeout: float) -> None:
        if not api_key:
            raise ImproperlyConfigured(f"{self.key_setting} is not set")
        self.base_url = check_base_url(
            base_url, setting=self.url_setting, resolve=base_url.rstrip("/") != self.default_base_url
        )
        self.timeout = timeout
        self._api_key = api_key
        self._client: Any = None
