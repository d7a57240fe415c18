"""Ask the catalog through the real OpenAI and Gemini SDKs, only the HTTP
transport faked: citation markers mapped to document and page, markers to
passages that were not given dropped, an answer citing nothing reported as
no answer, and passages of a local-only collection keeping the whole
question on the server (L3)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import respx

from ai.models import AIRun, Outcome
from ai.services.answers import NOT_FOUND, ask
from ai.services.text import CLOSE, OPEN
from documents.models import AIPolicy, Document
from tests.ai.helpers import BUDGET, REMOTE, WING, ingest
from tests.ai.test_providers import ANTHROPIC, GEMINI, OPENAI, Provider
from tests.library import Library

pytestmark = pytest.mark.django_db

TEXT_PROVIDERS = [pytest.param(p, id=p.name) for p in (OPENAI, GEMINI)]
_PASSAGE = re.compile(r"passage \[(\d+)\] from “([^”]+)”, page (\d+)")


@pytest.fixture
def catalog(lib: Library, librarian: Any, board_member: Any) -> dict[str, Document]:
    return {
        "wing": ingest(librarian, lib.library, "Slats on a swept wing", WING),
        "remote": ingest(librarian, lib.library, "Remote work policy", REMOTE),
        "budget": ingest(board_member, lib.restricted, "Budget for next year", BUDGET),
    }


def use(settings: Any, provider: Provider) -> None:
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "answer": [provider.entry(), {"backend": "local"}]}


def prompt_of(provider: Provider, route: respx.Route) -> str:
    body = json.loads(route.calls.last.request.content)
    if provider.name == "openai":
        return body["messages"][1]["content"]
    return body["contents"][0]["parts"][0]["text"]


def passages_sent(prompt: str) -> dict[int, tuple[str, int]]:
    """Passage number → (document title, page) as labelled in the prompt."""
    return {int(n): (title, int(page)) for n, title, page in _PASSAGE.findall(prompt)}


@pytest.mark.parametrize("provider", TEXT_PROVIDERS)
def test_citation_markers_map_to_document_and_page_and_unknown_numbers_are_dropped(
    provider: Provider, provider_http: respx.Router, settings: Any, catalog: dict[str, Document], reader: Any
) -> None:
    use(settings, provider)
    reply = (
        "Staff may work from home up to three days a week [1]. Lost laptops are reported within one hour [1, 9]. "
        "Everyone gets an encrypted laptop [12]."
    )
    route = provider_http.post(provider.url).respond(200, json=provider.text(reply))

    answer = ask(user=reader, question="How many days a week may staff work from home?")

    assert route.call_count == 1
    sent = passages_sent(prompt_of(provider, route))
    assert 1 in sent and 9 not in sent and 12 not in sent
    assert answer.found and answer.provider == provider.name
    assert answer.text == (
        "Staff may work from home up to three days a week [1]. Lost laptops are reported within one hour [1]. "
        "Everyone gets an encrypted laptop."
    )
    assert [c.number for c in answer.citations] == [1]
    cited = answer.citations[0]
    assert (cited.document.title, cited.page) == sent[1]
    assert cited.document == catalog["remote"] and cited.page == 1
    run = AIRun.objects.get(capability="answer")
    assert (run.provider, run.outcome, run.user) == (provider.name, Outcome.OK, reader)
    assert run.tokens_in > 0 and run.cost > 0


@pytest.mark.parametrize("provider", TEXT_PROVIDERS)
def test_an_answer_citing_nothing_is_no_answer(
    provider: Provider, provider_http: respx.Router, settings: Any, catalog: dict[str, Document], reader: Any
) -> None:
    use(settings, provider)
    provider_http.post(provider.url).respond(
        200, json=provider.text("The passages do not say how the canteen menu is chosen.")
    )

    answer = ask(user=reader, question="How is the canteen menu for remote workers chosen?")

    assert (answer.text, answer.found, answer.citations) == (NOT_FOUND, False, [])
    assert answer.provider == provider.name


def test_an_answer_citing_only_passages_not_given_is_no_answer(
    provider_http: respx.Router, settings: Any, catalog: dict[str, Document], reader: Any
) -> None:
    use(settings, OPENAI)
    provider_http.post(OPENAI.url).respond(200, json=OPENAI.text("Three days a week [42]."))

    answer = ask(user=reader, question="How many days a week may staff work from home?")

    assert (answer.text, answer.found, answer.citations) == (NOT_FOUND, False, [])


def test_the_prompt_holds_only_passages_the_user_may_see_marked_untrusted(
    provider_http: respx.Router, settings: Any, catalog: dict[str, Document], reader: Any
) -> None:
    use(settings, OPENAI)
    route = provider_http.post(OPENAI.url).respond(200, json=OPENAI.text("Four million euros [1]."))

    ask(user=reader, question="What budget did the board approve for salaries and energy?")

    prompt = prompt_of(OPENAI, route)
    assert "Budget for next year" not in prompt
    assert all(sentence not in prompt for sentence in BUDGET)
    assert prompt.count(OPEN) == prompt.count(CLOSE) == len(passages_sent(prompt)) > 0


@pytest.mark.parametrize("policy", [AIPolicy.LOCAL_ONLY, AIPolicy.DISABLED])
def test_one_passage_from_a_restricted_collection_keeps_the_question_local(
    policy: str,
    provider_http: respx.Router,
    settings: Any,
    catalog: dict[str, Document],
    lib: Library,
    board_member: Any,
) -> None:
    settings.AI_PROVIDERS = {
        **settings.AI_PROVIDERS,
        "answer": [ANTHROPIC.entry(), OPENAI.entry(), GEMINI.entry(), {"backend": "local"}],
    }
    routes = [
        provider_http.post(ANTHROPIC.url).respond(200, json=ANTHROPIC.text("The budget is four million euros [1].")),
        provider_http.post(OPENAI.url).respond(200, json=OPENAI.text("The budget is four million euros [1].")),
        provider_http.post(GEMINI.url).respond(200, json=GEMINI.text("The budget is four million euros [1].")),
    ]
    board_member.groups.add(lib.readers)  # sees both collections
    lib.restricted.ai_policy = policy
    lib.restricted.save()

    answer = ask(user=board_member, question="What budget did the board approve, and may staff work from home?")

    collections = {c.document.collection_id for c in answer.citations}
    assert collections == {lib.library.pk, lib.restricted.pk}  # a mixed set of passages
    assert answer.provider == "local" and answer.found
    assert len(provider_http.calls) == 0 and all(route.call_count == 0 for route in routes)
    assert (
        not AIRun.objects.filter(capability="answer")
        .exclude(outcome=Outcome.SKIPPED)
        .exclude(provider="local")
        .exists()
    )
