"""The gateway's reliability and accounting: fallback, circuit breaker,
budgets, cost, the collection AI policy (L3), logs (L5) and a provider that
is down or whose key was revoked (D3). Providers answer through their real
SDKs; only the HTTP transport is faked."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import httpcore2
import pytest
import respx
from django.core.cache import cache

from ai.models import AIRun, Outcome
from ai.providers.base import GenerationRequest, GenerationResult
from ai.services import breaker, budget
from ai.services.gateway import AIDisabled, NoProviderAvailable, generate
from documents import services
from documents.models import AIPolicy
from search.services.query import search
from tests.ai import responses as r
from tests.ai.test_providers import ANTHROPIC, DOCUMENT_TEXT, GEMINI, GOOD, OPENAI, local_result, request, rows
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db

CHAIN = [ANTHROPIC.entry(), OPENAI.entry(), {"backend": "local"}]


def _anthropic_down(router: respx.Router) -> respx.Route:
    return router.post(ANTHROPIC.url).respond(500, json=r.anthropic_error(500, "Internal server error"))


def _openai_ok(router: respx.Router) -> respx.Route:
    return router.post(OPENAI.url).respond(200, json=r.openai_chat(json.dumps(GOOD)))


def test_the_chain_falls_back_in_order(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    anthropic = _anthropic_down(provider_http)
    openai = _openai_ok(provider_http)

    result = generate(request(), local=local_result)

    assert (result.provider, result.data) == ("openai", GOOD)
    assert anthropic.call_count == 3 and openai.call_count == 1
    assert rows() == [("anthropic", Outcome.ERROR)] * 3 + [("openai", Outcome.OK)]


def test_every_provider_failing_without_local_is_a_clear_error(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry()]}
    _anthropic_down(provider_http)

    with pytest.raises(NoProviderAvailable, match=r"anthropic: HTTP 500 error: Internal server error"):
        generate(request())


def test_a_provider_without_a_key_is_skipped_not_called(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [{**ANTHROPIC.entry(), "api_key": ""}, OPENAI.entry()]}
    _openai_ok(provider_http)

    result = generate(request())

    assert result.provider == "openai"
    skipped = AIRun.objects.get(provider="anthropic")
    assert skipped.outcome == Outcome.SKIPPED and "ANTHROPIC_API_KEY is not set" in skipped.error


def test_circuit_opens_after_consecutive_failures_for_every_process(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    settings.AI_BREAKER_FAILURES = 4
    settings.AI_BREAKER_COOLDOWN_SECONDS = 60
    anthropic = _anthropic_down(provider_http)
    _openai_ok(provider_http)

    generate(request())  # three failed attempts
    generate(request())  # the fourth failure opens the circuit: no retry after it
    assert anthropic.call_count == 4

    # The state lives in the shared cache: another process sees the circuit open.
    assert cache.get("ai:breaker:anthropic:open-until") is not None
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from ai.services import breaker; "
            "print(breaker.open_until('anthropic') is not None)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_ENV": "test"},
    )
    assert other.stdout.strip() == "True"
    AIRun.objects.all().delete()
    result = generate(request())
    assert anthropic.call_count == 4  # skipped without a call
    assert result.provider == "openai"
    skipped = AIRun.objects.get(provider="anthropic")
    assert skipped.outcome == Outcome.SKIPPED and "circuit open" in skipped.error


def test_after_the_cooldown_a_trial_call_reopens_or_closes_the_circuit(
    provider_http: respx.Router, settings: Any
) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), {"backend": "local"}]}
    settings.AI_BREAKER_FAILURES = 3
    settings.AI_BREAKER_COOLDOWN_SECONDS = 1
    route = _anthropic_down(provider_http)

    generate(request(), local=local_result)  # three failures: open
    assert route.call_count == 3 and breaker.open_until("anthropic") is not None
    time.sleep(1.1)
    generate(request(), local=local_result)  # half-open: a single trial call fails

    assert route.call_count == 4
    assert breaker.open_until("anthropic") is not None

    time.sleep(1.1)
    route.respond(200, json=r.anthropic_tool_use(GOOD))
    assert generate(request(), local=local_result).provider == "anthropic"
    assert breaker.open_until("anthropic") is None


def test_success_resets_the_failure_count(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry()]}
    settings.AI_BREAKER_FAILURES = 3
    route = provider_http.post(ANTHROPIC.url).mock(
        side_effect=[
            respx.MockResponse(500, json=r.anthropic_error(500, "boom")),
            respx.MockResponse(500, json=r.anthropic_error(500, "boom")),
            respx.MockResponse(200, json=r.anthropic_tool_use(GOOD)),
            respx.MockResponse(500, json=r.anthropic_error(500, "boom")),
            respx.MockResponse(500, json=r.anthropic_error(500, "boom")),
            respx.MockResponse(200, json=r.anthropic_tool_use(GOOD)),
        ]
    )

    assert generate(request()).data == GOOD
    assert generate(request()).data == GOOD  # four failures in all, never three in a row
    assert route.call_count == 6
    assert breaker.open_until("anthropic") is None


def test_daily_token_budget_stops_external_calls(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    settings.AI_DAILY_BUDGETS = {"anthropic": {"tokens": 2500, "cost": None}}
    anthropic = provider_http.post(ANTHROPIC.url).respond(200, json=r.anthropic_tool_use(GOOD))  # 2598 tokens
    _openai_ok(provider_http)

    assert generate(request()).provider == "anthropic"
    assert budget.usage_today("anthropic")[0] == 2095 + 503
    result = generate(request())

    assert result.provider == "openai"
    assert anthropic.call_count == 1
    skipped = AIRun.objects.get(provider="anthropic", outcome=Outcome.SKIPPED)
    assert skipped.error == "daily token budget reached (2598 of 2500)"


def test_daily_cost_budget_stops_external_calls(provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), {"backend": "local"}]}
    settings.AI_DAILY_BUDGETS = {"anthropic": {"tokens": None, "cost": "0.01"}}
    anthropic = provider_http.post(ANTHROPIC.url).respond(200, json=r.anthropic_tool_use(GOOD))

    first = generate(request(), local=local_result)  # 2095 * $3 + 503 * $15 per million = $0.013830
    second = generate(request(), local=local_result)

    assert (first.provider, second.provider) == ("anthropic", "local")
    assert anthropic.call_count == 1
    assert AIRun.objects.get(provider="anthropic", outcome=Outcome.OK).cost == Decimal("0.013830")
    assert "daily cost budget reached ($0.0138 of $0.01)" in AIRun.objects.get(outcome=Outcome.SKIPPED).error


def test_price_table_matches_dated_model_names_and_unknown_models_cost_nothing(settings: Any) -> None:
    from ai.providers.ledger import cost_of

    settings.AI_PRICES = {"gpt-5": {"input": "1.25", "output": "10"}, "gpt-5-mini": {"input": "0.25", "output": "2"}}

    assert cost_of("gpt-5-mini-2025-08-07", 1_000_000, 1_000_000) == Decimal("2.250000")
    assert cost_of("gpt-5-2025-08-07", 1000, 100) == Decimal("0.002250")
    assert cost_of("some-new-model", 10**6, 10**6) == Decimal(0)


# --- Privacy: the collection AI policy (L3) -----------------------------------


@pytest.fixture
def document_in(lib: Library, librarian: Any) -> Any:
    def make(policy: str) -> Any:
        lib.library.ai_policy = policy
        lib.library.save()
        return upload(librarian, lib.library, DOCUMENT_TEXT.encode(), filename="note.txt")

    return make


def test_local_only_collection_makes_zero_external_calls(
    provider_http: respx.Router, settings: Any, document_in: Any
) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), OPENAI.entry(), GEMINI.entry(), {"backend": "local"}]}
    document = document_in(AIPolicy.LOCAL_ONLY)

    result = generate(request(), local=local_result, document=document)

    assert result.provider == "local"
    assert len(provider_http.calls) == 0
    assert rows() == [("anthropic", "skipped"), ("openai", "skipped"), ("gemini", "skipped"), ("local", "ok")]
    assert set(AIRun.objects.values_list("document_id", flat=True)) == {document.pk}


def test_disabled_collection_gets_no_ai_processing_at_all(
    provider_http: respx.Router, settings: Any, document_in: Any
) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    document = document_in(AIPolicy.DISABLED)
    called: list[bool] = []

    def local() -> GenerationResult:
        called.append(True)
        return local_result()

    with pytest.raises(AIDisabled, match="disabled for this collection"):
        generate(request(), local=local, document=document)

    assert len(provider_http.calls) == 0 and called == [] and not AIRun.objects.exists()


def test_passages_from_a_local_only_collection_keep_an_answer_local(
    provider_http: respx.Router, settings: Any, lib: Library, librarian: Any, board_member: Any
) -> None:
    settings.AI_PROVIDERS = {"answer": [OPENAI.entry(), {"backend": "local"}]}
    lib.restricted.ai_policy = AIPolicy.LOCAL_ONLY
    lib.restricted.save()
    open_doc = upload(librarian, lib.library, b"Open text about wings.", filename="open.txt")
    board_doc = upload(board_member, lib.restricted, b"Board minutes about wings.", filename="board.txt")

    result = generate(
        GenerationRequest(capability="answer", system="Answer.", prompt="[1] ... [2] ..."),
        local=local_result,
        documents=[open_doc, board_doc],
    )

    assert result.provider == "local"
    assert len(provider_http.calls) == 0


def test_external_allowed_collection_uses_the_provider(
    provider_http: respx.Router, settings: Any, document_in: Any
) -> None:
    settings.AI_PROVIDERS = {"summary": CHAIN}
    _openai_ok(provider_http)
    provider_http.post(ANTHROPIC.url).respond(200, json=r.anthropic_tool_use(GOOD))

    result = generate(request(), local=local_result, document=document_in(AIPolicy.EXTERNAL_ALLOWED))

    assert result.provider == "anthropic"


# --- Logs (L5) ----------------------------------------------------------------


def test_logs_never_contain_keys_or_document_text(
    provider_http: respx.Router, settings: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture
) -> None:
    settings.AI_PROVIDERS = {"summary": [ANTHROPIC.entry(), OPENAI.entry(), GEMINI.entry(), {"backend": "local"}]}
    # Everything at DEBUG; the SDKs' loggers (which would log request bodies) stay at WARNING by configuration.
    caplog.set_level(logging.DEBUG)
    # Anthropic rejects the key; OpenAI echoes it (as its 401 does) and then fails; Gemini answers.
    provider_http.post(ANTHROPIC.url).respond(401, json=r.anthropic_error(401, "invalid x-api-key"))
    provider_http.post(OPENAI.url).respond(
        401, json=r.openai_error(401, "Incorrect API key provided: openai-secret-key-1234567890. sk-proj-abcdef123456")
    )
    provider_http.post(GEMINI.url).respond(200, json=r.gemini_content(json.dumps(GOOD)))

    result = generate(request(), local=local_result)

    assert result.provider == "gemini"
    logged = caplog.text + "".join(capfd.readouterr())
    assert "ai_call_failed" in caplog.text and "ai_call" in caplog.text
    for secret in ("anthropic-secret-key-1234567890", "openai-secret-key-1234567890", "gemini-secret-key-1234567890"):
        assert secret not in logged
        assert not AIRun.objects.filter(error__contains=secret).exists()
    assert "sk-proj-abcdef123456" not in logged
    assert "swept wing" not in logged and "Wind-tunnel" not in logged
    assert "HTTP 401 key rejected" in AIRun.objects.get(provider="openai").error


# --- Provider down or key revoked (D3) ----------------------------------------


def test_provider_down_or_key_revoked_falls_back_and_ingestion_and_search_are_unaffected(
    provider_http: respx.Router, settings: Any, lib: Library, librarian: Any, reader: Any
) -> None:
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "summary": CHAIN, "suggestions": CHAIN, "answer": CHAIN}
    # Ingestion's summary and suggestion steps fail too; keep the breaker
    # (tested above) out of the way so every call here is retried in full.
    settings.AI_BREAKER_FAILURES = 1000
    anthropic = provider_http.post(ANTHROPIC.url).mock(side_effect=httpcore2.ConnectError("connection refused"))
    openai = provider_http.post(OPENAI.url).respond(
        401, json=r.openai_error(401, "Incorrect API key provided: revoked.")
    )

    # Ingestion runs every registered step with both providers failing.
    document = upload(
        librarian, lib.library, pdf_bytes(title="Blunt bodies", text="Hypersonic flow over a blunt body."), "flow.pdf"
    )
    for step in document.current_version.steps.order_by("position"):
        services.step_execute(version_id=document.current_version_id, step_name=step.name)
    document.refresh_from_db()
    assert document.current_version.status == "ready"
    assert [hit.document for hit in search(user=reader, query="hypersonic", mode="keyword").hits] == [document]

    calls_before = anthropic.call_count
    result = generate(request(), local=local_result, document=document)

    assert result.provider == "local"
    assert anthropic.call_count - calls_before == 3 and openai.call_count >= 1
    assert AIRun.objects.filter(provider="openai", outcome=Outcome.ERROR).last().error == (
        "openai: HTTP 401 key rejected: Incorrect API key provided: revoked."
    )
    assert (
        AIRun.objects.filter(provider="anthropic", outcome=Outcome.ERROR)
        .last()
        .error.startswith("anthropic: connection failed")
    )


# --- Outbound URLs (X2) -------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://localhost:11434",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/v1",
        "https://172.16.3.4",
        "https://192.168.1.10/v1",
        "http://[::1]:8000",
        "http://0.0.0.0:80",
        "http://2130706433/",  # 127.0.0.1 written as a number
        "http://[::ffff:127.0.0.1]/",
        "file:///etc/passwd",
    ],
)
def test_unsafe_base_urls_are_refused_before_connecting(url: str, provider_http: respx.Router, settings: Any) -> None:
    settings.AI_PROVIDERS = {"summary": [OPENAI.entry(base_url=url), {"backend": "local"}]}

    result = generate(request(), local=local_result)

    assert result.provider == "local"
    assert len(provider_http.calls) == 0
    skipped = AIRun.objects.get(provider="openai")
    assert skipped.outcome == Outcome.SKIPPED
    assert "refused" in skipped.error or "not an http(s) URL" in skipped.error


def test_unsafe_base_url_fails_the_system_check_and_the_status_report(settings: Any) -> None:
    from ai.checks import check_ai_base_urls
    from catalog_site.status import check_ai_providers

    settings.AI_PROVIDERS = {"summary": [GEMINI.entry(base_url="http://169.254.169.254/")]}

    errors = check_ai_base_urls()
    status = check_ai_providers()

    assert [e.id for e in errors] == ["ai.E001"]
    assert "169.254.169.254" in errors[0].msg and "refused" in errors[0].msg
    assert status["ok"] is False and "169.254.169.254" in status["detail"]
    assert "gemini-secret" not in json.dumps(status)


def test_public_base_urls_pass_the_checks(provider_http: respx.Router, settings: Any) -> None:
    from ai.checks import check_ai_base_urls

    settings.AI_PROVIDERS = {
        "summary": [OPENAI.entry(base_url="https://8.8.8.8/v1"), OPENAI.entry()],
    }
    route = provider_http.post("https://8.8.8.8/v1/chat/completions").respond(200, json=r.openai_chat(json.dumps(GOOD)))

    assert check_ai_base_urls() == []
    assert generate(request()).provider == "openai"
    assert route.call_count == 1
