"""Split per-page text into overlapping passages that remember their pages.

Passages are measured in words (about 1.3 tokens each for English), so a
200-word passage fits a 256-token embedding window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

CHUNK_WORDS = 200
OVERLAP_WORDS = 30


@dataclass(frozen=True)
class Passage:
    number: int
    page_start: int
    page_end: int
    text: str
    content_hash: str
    word_count: int


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split_pages(pages: Sequence[str], *, size: int = CHUNK_WORDS, overlap: int = OVERLAP_WORDS) -> list[Passage]:
    """Passages of ``size`` words, each starting ``size - overlap`` words after
    the previous one, across page boundaries. ``pages[0]`` is page 1."""
    if overlap >= size:
        raise ValueError("overlap must be smaller than the passage size")
    words: list[str] = []
    word_pages: list[int] = []
    for page_number, text in enumerate(pages, start=1):
        page_words = text.split()
        words.extend(page_words)
        word_pages.extend([page_number] * len(page_words))
    step = size - overlap
    spans: list[tuple[int, int]] = []
    for begin in range(0, len(words), step):
        finish = min(begin + size, len(words))
        # A tail adding only a few new words joins the previous passage
        # instead of becoming a passage of its own.
        if spans and finish - begin - overlap < size // 4:
            spans[-1] = (spans[-1][0], finish)
        else:
            spans.append((begin, finish))
        if finish == len(words):
            break
    passages: list[Passage] = []
    for begin, finish in spans:
        text = " ".join(words[begin:finish])
        passages.append(
            Passage(
                number=len(passages) + 1,
                page_start=word_pages[begin],
                page_end=word_pages[finish - 1],
                text=text,
                content_hash=content_hash(text),
                word_count=finish - begin,
            )
        )
    return passages
