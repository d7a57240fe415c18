"""Shared vocabulary of the extractors: limits, the result type, MIME names and
text hygiene. Nothing here touches Django, so every extractor can be run and
tested against a plain file path."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from documents.errors import CorruptFile

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called while a long document is being worked on."""

MiB = 1024 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
TEXT_CSV = "text/csv"
TEXT_HTML = "text/html"
IMAGE_PNG = "image/png"
IMAGE_JPEG = "image/jpeg"
IMAGE_TIFF = "image/tiff"
IMAGE_WEBP = "image/webp"
IMAGE_GIF = "image/gif"

OOXML_TYPES = frozenset({DOCX, XLSX, PPTX})
ODF_TYPES = frozenset({ODT, ODS, ODP})
TEXT_TYPES = frozenset({TEXT_PLAIN, TEXT_MARKDOWN, TEXT_CSV, TEXT_HTML})
IMAGE_TYPES = frozenset({IMAGE_PNG, IMAGE_JPEG, IMAGE_TIFF, IMAGE_WEBP, IMAGE_GIF})
SUPPORTED_TYPES = frozenset({PDF}) | OOXML_TYPES | ODF_TYPES | TEXT_TYPES | IMAGE_TYPES


@dataclass(frozen=True)
class Limits:
    """Ceilings that keep one hostile or absurd file from exhausting a worker.

    Exceeding a structural limit (pages, pixels, zip shape) refuses the file
    with ``ResourceLimitExceeded`` before anything is expanded; exceeding
    ``max_text_chars`` only truncates the text and says so in the metadata.
    """

    max_pages: int = 5000
    max_image_pixels: int = 100_000_000
    max_zip_uncompressed_bytes: int = 512 * MiB
    max_zip_compression_ratio: float = 100.0
    max_zip_entries: int = 10_000
    max_text_chars: int = 20_000_000


DEFAULT_LIMITS = Limits()


@dataclass
class ExtractionResult:
    """Text and facts taken from one file.

    ``pages`` holds one string per page for PDFs, per slide for PPTX/ODP, per
    worksheet for XLSX/ODS, and a single string for DOCX/ODT/text/HTML. Images
    have no text layer (no OCR here), so their ``pages`` is empty.

    ``page_count`` is what a reader would call the number of pages: PDF pages,
    slides or worksheets; 1 for a single-flow document (DOCX, ODT, text, HTML)
    and 1 for an image, which previews as exactly one page image (a
    multi-frame image records its frame count as ``metadata["frames"]``).
    For every format except images ``len(pages) == page_count``.

    ``metadata`` is JSON-serialisable and free of NUL characters, so it can go
    straight into a ``JSONField``.
    """

    pages: list[str]
    page_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    language: str | None = None

    @property
    def text(self) -> str:
        """All pages joined the way ``DocumentVersion.text`` joins them."""
        return "\n\n".join(self.pages)


def normalise_mime(mime_type: str) -> str:
    """``"Text/Plain; charset=utf-8"`` -> ``"text/plain"``."""
    return mime_type.split(";", 1)[0].strip().lower()


def ensure_not_empty(path: Path) -> None:
    """Refuse an empty file up front: no format we accept is valid with 0 bytes,
    and the parsers would otherwise each fail in their own words."""
    if path.stat().st_size == 0:
        raise CorruptFile("the file is empty (0 bytes)")


# C0 controls other than tab and newline carry no meaning in extracted text, and
# PostgreSQL refuses NUL in text and jsonb. U+0002 is how PDFium marks a
# hyphen it removed at a line break ("taki\x02mata"), so dropping it re-joins
# the word.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n?")


def clean_text(text: str) -> str:
    """Normalise line endings to ``\\n`` and drop control characters."""
    if "\r" in text:
        text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL_CHARS.sub("", text)


def clean_metadata_value(value: Any) -> Any:
    """Make a metadata value safe for ``jsonb``: strings lose control characters
    and surrounding whitespace; everything else must already be JSON-native."""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value).strip()
    return value


def short_reason(exc: BaseException, limit: int = 120) -> str:
    """A one-line description of a parser exception for a user-facing reason.
    Parser messages can quote whole XML fragments, hence the cap."""
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


class TextBudget:
    """Counts characters handed out against ``Limits.max_text_chars``.

    Extractors push each page (or paragraph) through :meth:`take`; once the
    budget is spent they get back empty strings and can stop early, and
    :meth:`annotate` records the truncation in the result's metadata.
    """

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.used = 0
        self.truncated = False

    @property
    def exhausted(self) -> bool:
        return self.used >= self.max_chars

    def take(self, text: str) -> str:
        remaining = self.max_chars - self.used
        if len(text) > remaining:
            self.truncated = True
            text = text[: max(remaining, 0)]
        self.used += len(text)
        return text

    def annotate(self, metadata: dict[str, Any]) -> None:
        if self.truncated:
            metadata["text_truncated"] = True
            metadata["text_truncated_at_chars"] = self.max_chars
