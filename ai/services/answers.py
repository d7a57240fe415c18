"""Ask the catalog: an answer from passages the asking user may see, with
citations to document and page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.services.query import search

PASSAGES = 8


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


def ask(*, user: Any, question: str) -> Answer:
    """Answer ``question`` from what ``user`` may see. Without a generative
    provider, the answer is the best passages themselves."""
    question = " ".join(question.split())
    if not question:
        return Answer(question="", text="Ask a question about the documents in the catalog.")
    results = search(user=user, query=question, mode="hybrid", page_size=PASSAGES)
    citations = [
        Citation(number=n, document=hit.document, page=hit.passage_page, passage=hit.passage)
        for n, hit in enumerate((hit for hit in results.hits if hit.passage), start=1)
    ]
    if not citations:
        return Answer(question=question, text="No answer found in the documents you can see.")
    return Answer(
        question=question,
        text="These passages match your question best:",
        citations=citations,
        found=True,
    )
