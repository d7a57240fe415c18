"""Ask the catalog: an answer from passages the asking user may see, with
citations to document and page.

Retrieval is the user's own hybrid search, so permissions filter before
anything is ranked and no other user's passage can reach the model. The
passages go to the model numbered and marked as untrusted data; the answer
cites them as ``[n]``. Markers for numbers that were not given are removed;
an answer that cites nothing is reported honestly as no answer. Without a
generative provider (the chain's ``local`` entry), the answer is the best
passages themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from ai.errors import AIDisabled
from ai.providers.base import GenerationRequest, GenerationResult
from ai.services.gateway import NoProviderAvailable, generate
from ai.services.text import UNTRUSTED_RULES, estimate_tokens, untrusted
from search.models import DocumentChunk
from search.services.query import search

CAPABILITY = "answer"
PROMPT_VERSION = "1"
#: Kept for callers that imported it; the setting ``AI_ANSWER_PASSAGES`` rules.
PASSAGES = 8
NOT_FOUND = "No answer found in the documents you can see."
LOCAL_INTRO = "These passages match your question best:"
SYSTEM = (
    "You answer a staff member's question using only the numbered passages given. Cite every "
    "statement with the number of its passage in square brackets, like [2]. If the passages do "
    "not answer the question, say so in one sentence and cite nothing. " + UNTRUSTED_RULES
)
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SPACES = re.compile(r"[ \t]+")


@dataclass
class Citation:
    number: int
    document: Any
    page: int | None
    passage: str  # safe HTML (escaped, words <mark>ed)


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    #: False when retrieval found nothing or the model cited nothing.
    found: bool = False
    provider: str = "local"
    #: Why the question was not answered at all (e.g. too long); empty otherwise.
    error: str = ""


def question_too_long_message(length: int) -> str:
    limit = settings.AI_QUESTION_MAX_CHARS
    return f"Your question is {length} characters long; please keep it under {limit} characters."


def ask(*, user: Any, question: str) -> Answer:
    """Answer ``question`` from what ``user`` may see."""
    question = " ".join(question.split())
    if not question:
        return Answer(question="", text="Ask a question about the documents in the catalog.")
    if len(question) > settings.AI_QUESTION_MAX_CHARS:
        message = question_too_long_message(len(question))
        return Answer(question=question[: settings.AI_QUESTION_MAX_CHARS], text=message, error=message)
    results = search(user=user, query=question, mode="hybrid", page_size=settings.AI_ANSWER_PASSAGES)
    hits = [hit for hit in results.hits if hit.passage and hit.chunk_id]
    if not hits:
        return Answer(question=question, text=NOT_FOUND)
    chunks = DocumentChunk.objects.in_bulk([hit.chunk_id for hit in hits])
    budget = settings.AI_ANSWER_MAX_CONTEXT_TOKENS - estimate_tokens(question)
    citations: list[Citation] = []
    blocks: list[str] = []
    for hit in hits:
        chunk = chunks.get(hit.chunk_id)
        if chunk is None:
            continue
        number = len(citations) + 1
        block = untrusted(f"passage [{number}] from “{hit.document.title}”, page {chunk.page_start}", chunk.text)
        if citations and estimate_tokens(block) > budget:
            break
        budget -= estimate_tokens(block)
        blocks.append(block)
        citations.append(Citation(number=number, document=hit.document, page=chunk.page_start, passage=hit.passage))
    request = GenerationRequest(
        capability=CAPABILITY,
        system=SYSTEM,
        prompt=f"Question: {question}\n\n" + "\n\n".join(blocks),
        max_output_tokens=800,
        prompt_version=PROMPT_VERSION,
    )

    def local() -> GenerationResult:
        markers = " ".join(f"[{c.number}]" for c in citations)
        return GenerationResult(text=f"{LOCAL_INTRO} {markers}", provider="local", model="best-passages")

    # The gateway applies the strictest AI policy among the passages'
    # collections: text of a local-only collection never leaves the server.
    try:
        result = generate(request, local=local, documents=[c.document for c in citations], user=user)
    except (NoProviderAvailable, AIDisabled):
        result = local()
    if result.provider == "local":
        return Answer(question=question, text=LOCAL_INTRO, citations=citations, found=True, provider="local")
    text, cited = clean_citations(result.text, len(citations))
    if not cited:
        return Answer(question=question, text=NOT_FOUND, provider=result.provider)
    return Answer(
        question=question,
        text=text,
        citations=[c for c in citations if c.number in cited],
        found=True,
        provider=result.provider,
    )


def clean_citations(text: str, given: int) -> tuple[str, list[int]]:
    """The answer with markers to passages that were not given removed, and
    the numbers it cites, in order of first citation."""
    cited: list[int] = []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(1).split(",")]
        valid = [n for n in numbers if 1 <= n <= given]
        for n in valid:
            if n not in cited:
                cited.append(n)
        return "".join(f"[{n}]" for n in valid)

    cleaned = _MARKER.sub(keep, text or "")
    return _SPACES.sub(" ", cleaned).replace(" .", ".").strip(), cited
