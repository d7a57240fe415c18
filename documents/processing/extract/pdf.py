"""PDF text and metadata through PDFium (pypdfium2).

PDFium is not thread-safe: call these from one thread per process (Celery's
prefork pool does exactly that).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from documents.errors import CorruptFile, PasswordProtected, ProcessingError, ResourceLimitExceeded
from documents.processing.extract.base import (
    ExtractionResult,
    Limits,
    Progress,
    TextBudget,
    clean_metadata_value,
    clean_text,
)

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 25

_METADATA_KEYS = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
    "CreationDate": "created",
    "ModDate": "modified",
}

# D:YYYYMMDDHHmmSSOHH'mm' where everything after the year is optional.
_PDF_DATE = re.compile(
    r"^D:(?P<Y>\d{4})(?P<m>\d{2})?(?P<d>\d{2})?(?P<H>\d{2})?(?P<M>\d{2})?(?P<S>\d{2})?"
    r"(?:(?P<z>Z)|(?P<sign>[+-])(?P<oh>\d{2})'?(?P<om>\d{2})?'?)?"
)


def open_pdf(path: Path, limits: Limits) -> pdfium.PdfDocument:
    """Open a PDF, translating PDFium's load errors into ours.

    Raises ``PasswordProtected`` when a password is needed, ``CorruptFile`` when
    PDFium cannot parse the file, ``ResourceLimitExceeded`` when it has more
    pages than ``limits.max_pages``. The caller closes the returned document.
    """
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise PasswordProtected() from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise ProcessingError("the PDF uses an encryption scheme that cannot be opened") from exc
        raise CorruptFile(f"the file is corrupt: not a readable PDF ({_load_error_name(exc.err_code)})") from exc

    page_count = len(pdf)
    if page_count > limits.max_pages:
        pdf.close()
        raise ResourceLimitExceeded(f"refused: the PDF has {page_count:,} pages (limit {limits.max_pages:,})")
    if page_count == 0:
        pdf.close()
        raise CorruptFile("the file is corrupt: the PDF has no pages")
    return pdf


def _load_error_name(err_code: int | None) -> str:
    return {
        pdfium_c.FPDF_ERR_FILE: "file not found or unreadable",
        pdfium_c.FPDF_ERR_FORMAT: "damaged or not a PDF",
    }.get(err_code or 0, "unknown error")


def pdf_metadata(pdf: pdfium.PdfDocument) -> dict[str, Any]:
    """The document information dictionary, without empty values, with PDF
    dates turned into ISO 8601 where they parse."""
    metadata: dict[str, Any] = {}
    for key, value in pdf.get_metadata_dict(skip_empty=True).items():
        cleaned = clean_metadata_value(value)
        if not cleaned:
            continue
        name = _METADATA_KEYS.get(key, key.lower())
        if name in ("created", "modified"):
            cleaned = pdf_date_to_iso(cleaned) or cleaned
        metadata[name] = cleaned
    version = pdf.get_version()
    if version:
        metadata["pdf_version"] = f"{version // 10}.{version % 10}"
    return metadata


def pdf_date_to_iso(value: str) -> str | None:
    """``"D:20220403193102+02'00'"`` -> ``"2022-04-03T19:31:02+02:00"``; None if
    the value is not a PDF date. Producers omit trailing parts freely."""
    match = _PDF_DATE.match(value)
    if not match:
        return None
    part = match.groupdict()
    iso = f"{part['Y']}-{part['m'] or '01'}-{part['d'] or '01'}"
    if part["H"]:
        iso += f"T{part['H']}:{part['M'] or '00'}:{part['S'] or '00'}"
        if part["z"]:
            iso += "+00:00"
        elif part["sign"]:
            iso += f"{part['sign']}{part['oh']}:{part['om'] or '00'}"
    return iso


def extract_pdf(path: Path, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """Text of every page, in page order."""
    pdf = open_pdf(path, limits)
    try:
        total = len(pdf)
        metadata = pdf_metadata(pdf)
        budget = TextBudget(limits.max_text_chars)
        pages: list[str] = []
        failed = 0
        for index in range(total):
            if budget.exhausted:
                # Keep one entry per page so page numbers still line up with
                # the page previews; the metadata records the truncation.
                budget.truncated = True
                pages.append("")
            else:
                text = _page_text(pdf, index)
                if text is None:
                    failed += 1
                    text = ""
                pages.append(budget.take(text))
            done = index + 1
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
    finally:
        pdf.close()

    if failed == total:
        raise CorruptFile("the file is corrupt: none of the PDF's pages could be read")
    if failed:
        metadata["unreadable_pages"] = failed
    budget.annotate(metadata)
    return ExtractionResult(pages=pages, page_count=total, metadata=metadata)


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str | None:
    """One page's text, or None if PDFium could not read the page. Page and
    text page are closed at once so memory stays flat on long documents."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        logger.warning("PDF page %d could not be loaded", index + 1, exc_info=True)
        return None
    try:
        textpage = page.get_textpage()
        try:
            return clean_text(textpage.get_text_bounded())
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        logger.warning("PDF page %d has no readable text layer", index + 1, exc_info=True)
        return None
    finally:
        page.close()
