"""System checks (``manage.py check``, every deploy's ``migrate``): the AI
configuration is refused before any call is made."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from ai.providers.http import UnsafeBaseURL, check_base_url


def unsafe_base_urls() -> list[str]:
    """Why each configured provider base URL is refused (empty when all are fine)."""
    problems: list[str] = []
    seen: set[str] = set()
    # The providers' own public hosts need no DNS look-up (the status page runs this often).
    public = {defaults["base_url"].rstrip("/") for defaults in settings.AI_PROVIDER_DEFAULTS.values()}
    for capability_chain in settings.AI_PROVIDERS.values():
        for entry in capability_chain:
            url = entry.get("base_url")
            if not url or url in seen:
                continue
            seen.add(url)
            try:
                check_base_url(
                    url, setting=f"AI_{entry['backend'].upper()}_BASE_URL", resolve=url.rstrip("/") not in public
                )
            except UnsafeBaseURL as exc:
                problems.append(str(exc))
    return problems


@register("ai")
def check_ai_base_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(problem, hint="Point it at the provider's public API or a public proxy.", id="ai.E001")
        for problem in unsafe_base_urls()
    ]
