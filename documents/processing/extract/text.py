"""Plain text, Markdown, CSV and HTML: decode the bytes, keep the words.

HTML goes through the standard library's tokenizer only: nothing is fetched,
nothing is executed, and the contents of ``<script>``/``<style>`` never reach
the extracted text.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import charset_normalizer

from documents.errors import CorruptFile
from documents.processing.extract.base import (
    TEXT_HTML,
    ExtractionResult,
    Limits,
    Progress,
    TextBudget,
    clean_metadata_value,
    clean_text,
)

# How much more "chaos" (charset-normalizer's measure of implausible
# characters, 0..1) cp1252 may show than the best guess and still be preferred.
_WESTERN_MARGIN = 0.15


def extract_text_file(path: Path, mime_type: str, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """The whole file as one page; ``metadata["charset"]`` names the encoding
    the bytes were decoded with."""
    # No encoding needs more than 4 bytes per character, so reading more than
    # this cannot produce more text than the budget allows.
    max_bytes = limits.max_text_chars * 4
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    cut_short = len(data) > max_bytes
    data = data[:max_bytes]

    text, charset = decode_bytes(data, complete=not cut_short)
    metadata: dict[str, Any] = {"charset": charset}
    if mime_type == TEXT_HTML:
        text, title = html_to_text(text)
        if title:
            metadata["title"] = title
    budget = TextBudget(limits.max_text_chars)
    text = budget.take(clean_text(text).strip())
    budget.truncated = budget.truncated or cut_short
    budget.annotate(metadata)
    if progress is not None:
        progress(1, 1)
    return ExtractionResult(pages=[text], page_count=1, metadata=metadata)


def decode_bytes(data: bytes, *, complete: bool = True) -> tuple[str, str]:
    """Decode text of unknown encoding; returns (text, charset name).

    UTF-8 is tried first because it is by far the most common and, unlike
    detection, cannot guess wrong when it succeeds. ``complete=False`` means
    the bytes were cut off, so a multi-byte character split at the end is
    dropped rather than treated as an encoding error.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return text, "ascii" if data.isascii() else "utf-8"

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise CorruptFile("the file is corrupt: it does not look like text in any known encoding")
    if best.encoding != "cp1252":
        # On short Western text detection often ties cp1250 with cp1252 or
        # picks an exotic code page (mac_iceland for German). Windows-1252 is
        # by far the most common legacy encoding (HTML5 even reads "latin-1"
        # as cp1252), so it wins when it reads the bytes about as cleanly.
        # Text really in another code page reads as gibberish in cp1252
        # (chaos > 0.4 for Polish, Russian, Greek, Hebrew), well past the margin.
        western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= best.chaos + _WESTERN_MARGIN:
            best = western
    return str(best), best.encoding


_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
        "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\f\v\r\n]+")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


class _TextCollector(HTMLParser):
    """Collects visible text; block elements become line breaks, table cells
    tabs, whitespace collapses as a browser would (except inside ``<pre>``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._pre_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _BLOCK_TAGS:
            self._line_break()
            if tag == "pre":
                self._pre_depth += 1
        elif tag in _CELL_TAGS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>, and a self-closed <script/> that opens nothing.
        if tag in _BLOCK_TAGS:
            self._line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(self._skip_depth - 1, 0)
        elif tag == "title":
            self._in_title = False
        elif tag in _BLOCK_TAGS:
            self._line_break()
            if tag == "pre":
                self._pre_depth = max(self._pre_depth - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title_parts.append(data)
        elif self._pre_depth:
            self.parts.append(data)
        else:
            data = _SPACES.sub(" ", data)
            if not self.parts or self.parts[-1].endswith(("\n", "\t")):
                data = data.lstrip(" ")
            self.parts.append(data)

    def _line_break(self) -> None:
        # Spaces left at the end of a line by collapsing are not content
        # (inside <pre> everything is). Nested blocks (<tr> in <table> in
        # <div>) end up as one line break, not a stack of blank lines.
        if self.parts and not self._pre_depth:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        if not self.parts or not self.parts[-1].endswith("\n"):
            self.parts.append("\n")


def html_to_text(markup: str) -> tuple[str, str]:
    """Visible text of an HTML document and its ``<title>``."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = _BLANK_LINES.sub("\n\n", "".join(collector.parts)).strip("\n")
    title = clean_metadata_value(_SPACES.sub(" ", "".join(collector.title_parts)))
    return text, title
