"""AI configuration from the environment: chains, keys, models, base URLs,
timeouts; and the defaults that keep external providers off."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog_site.settings import base


@pytest.fixture(autouse=True)
def _no_ai_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC", "OPENAI", "GEMINI"):
        for variable in (f"{name}_API_KEY", f"AI_{name}_MODEL", f"AI_{name}_BASE_URL", f"AI_{name}_TIMEOUT"):
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("AI_SUMMARY_PROVIDERS", raising=False)


def test_without_keys_every_chain_is_local() -> None:
    assert base.ai_chain("AI_SUMMARY_PROVIDERS", "anthropic,openai,gemini,local") == [{"backend": "local"}]


def test_a_chain_keeps_its_order_and_only_providers_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_SUMMARY_PROVIDERS", "openai, anthropic ,gemini,local")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "a-key")
    monkeypatch.setenv("OPENAI_API_KEY", "o-key")
    monkeypatch.setenv("AI_OPENAI_MODEL", "gpt-5")
    monkeypatch.setenv("AI_OPENAI_TIMEOUT", "12.5")
    monkeypatch.setenv("AI_ANTHROPIC_BASE_URL", "https://llm-proxy.example.com")

    chain = base.ai_chain("AI_SUMMARY_PROVIDERS", "local")

    assert [entry["backend"] for entry in chain] == ["openai", "anthropic", "local"]
    assert chain[0] == {
        "backend": "openai",
        "api_key": "o-key",
        "model": "gpt-5",
        "base_url": "https://api.openai.com/v1",
        "timeout": 12.5,
    }
    assert chain[1]["model"] == "claude-sonnet-4-5"
    assert chain[1]["base_url"] == "https://llm-proxy.example.com"
    assert chain[1]["timeout"] == base.AI_REQUEST_TIMEOUT


def test_an_unknown_provider_name_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_SUMMARY_PROVIDERS", "anthropic,mistral")

    with pytest.raises(ImproperlyConfigured, match="AI_SUMMARY_PROVIDERS: unknown AI provider 'mistral'"):
        base.ai_chain("AI_SUMMARY_PROVIDERS", "local")


def test_the_sdks_are_imported_only_when_a_provider_is_called() -> None:
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup();"
        "import ai.providers.registry, ai.services.gateway, ai.providers.anthropic_backend,"
        " ai.providers.openai_backend, ai.providers.gemini_backend;"
        "print(sorted(m for m in ('anthropic', 'openai', 'google.genai') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
