"""``extract_text``: pick the extractor for a MIME type and make sure that,
whatever a parser does with a hostile file, the caller only ever sees one of
our ``ProcessingError`` types."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded

from documents.errors import CorruptFile, DocumentError, ProcessingError
from documents.processing.extract.base import (
    DEFAULT_LIMITS,
    DOCX,
    ODF_TYPES,
    OOXML_TYPES,
    PDF,
    PPTX,
    SUPPORTED_TYPES,
    TEXT_TYPES,
    XLSX,
    ExtractionResult,
    Limits,
    Progress,
    ensure_not_empty,
    normalise_mime,
    short_reason,
)
from documents.processing.extract.images import extract_image
from documents.processing.extract.odf import extract_odf
from documents.processing.extract.office import extract_docx, extract_pptx, extract_xlsx
from documents.processing.extract.pdf import extract_pdf
from documents.processing.extract.safety import check_zip_safety
from documents.processing.extract.text import extract_text_file

logger = logging.getLogger(__name__)

_OOXML: dict[str, Callable[[Path, Limits, Progress | None], ExtractionResult]] = {
    DOCX: extract_docx,
    XLSX: extract_xlsx,
    PPTX: extract_pptx,
}


def extract_text(
    path: Path,
    mime_type: str,
    *,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ExtractionResult:
    """Extract the text and metadata of a local file.

    ``mime_type`` is the type established at upload (content-sniffed), not a
    guess from the file name; parameters such as ``; charset=…`` are ignored.
    ``progress(done, total)`` is called as pages are read (every 25 pages for
    PDFs) and once at the end.

    Raises a ``documents.errors.ProcessingError`` subclass and nothing else for
    a bad file: ``PasswordProtected``, ``CorruptFile``, ``ResourceLimitExceeded``
    (zip or pixel bombs, too many pages), or ``ProcessingError`` for an
    unsupported type. A ``path`` that does not exist raises ``FileNotFoundError``:
    that is the caller's problem (storage), not the document's.
    """
    mime_type = normalise_mime(mime_type)
    if mime_type not in SUPPORTED_TYPES:
        raise ProcessingError(f"unsupported type: {mime_type or 'unknown'}")
    ensure_not_empty(path)
    if mime_type in OOXML_TYPES or mime_type in ODF_TYPES:
        check_zip_safety(path, limits)
    return _guarded(mime_type, lambda: _extract(path, mime_type, limits, progress))


def _extract(path: Path, mime_type: str, limits: Limits, progress: Progress | None) -> ExtractionResult:
    if mime_type == PDF:
        return extract_pdf(path, limits, progress)
    if mime_type in OOXML_TYPES:
        return _OOXML[mime_type](path, limits, progress)
    if mime_type in ODF_TYPES:
        return extract_odf(path, mime_type, limits, progress)
    if mime_type in TEXT_TYPES:
        return extract_text_file(path, mime_type, limits, progress)
    return extract_image(path, limits, progress)


def _guarded(mime_type: str, extract: Callable[[], ExtractionResult]) -> ExtractionResult:
    """Run a third-party parser; anything it raises that is not already one of
    our errors means the file is damaged (parsers signal that with KeyError,
    ValueError, lxml errors, …). The reason stays short and readable; the full
    traceback goes to the log."""
    try:
        return extract()
    except (DocumentError, SoftTimeLimitExceeded, MemoryError):
        # Our own verdicts, and the task's time limit, are not file damage.
        raise
    except Exception as exc:
        logger.warning("Parser for %s rejected the file", mime_type, exc_info=True)
        raise CorruptFile(f"the file is corrupt: {short_reason(exc)}") from exc
