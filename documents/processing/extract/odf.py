"""OpenDocument (ODT, ODS, ODP): the text of ``content.xml``, streamed.

``content.xml`` is read with ``iterparse`` and every finished element is
cleared, so memory stays flat however large the document; defusedxml refuses
entity declarations and external references. Repeated rows and cells
(``table:number-rows-repeated="1048576"``) are reported once, never expanded.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

from documents.errors import CorruptFile, ResourceLimitExceeded
from documents.processing.extract.base import (
    ODP,
    ODS,
    ExtractionResult,
    Limits,
    MiB,
    Progress,
    TextBudget,
    clean_metadata_value,
    clean_text,
)

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"

PARAGRAPHS = frozenset({f"{_TEXT}p", f"{_TEXT}h"})
TABLE_ROW = f"{_TABLE}table-row"
TABLE_CELLS = frozenset({f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"})
# Deleted text kept for change tracking is not part of the document.
SKIPPED = frozenset({f"{_TEXT}tracked-changes"})
PAGE_TAGS = {ODS: f"{_TABLE}table", ODP: f"{_DRAW}page"}

_SPACE = f"{_TEXT}s"
_TAB = f"{_TEXT}tab"
_LINE_BREAK = f"{_TEXT}line-break"
_SPACE_COUNT = f"{_TEXT}c"
_TABLE_NAME = f"{_TABLE}name"
_WHITESPACE = re.compile(r"[ \t\r\n]+")

_META_FIELDS = {
    f"{_DC}title": "title",
    f"{_DC}creator": "author",
    f"{_META}initial-creator": "author",
    f"{_DC}subject": "subject",
    f"{_META}keyword": "keywords",
    f"{_META}creation-date": "created",
    f"{_DC}date": "modified",
}


def extract_odf(path: Path, mime_type: str, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """One page per sheet (ODS) or slide (ODP); a single page for ODT."""
    page_tag = PAGE_TAGS.get(mime_type)
    budget = TextBudget(limits.max_text_chars)
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = _meta(archive)
            try:
                content = archive.open("content.xml")
            except KeyError as exc:
                raise CorruptFile("the file is corrupt: the OpenDocument has no content.xml") from exc
            with content:
                pages, page_names = _content_pages(content, page_tag, budget, limits)
    except (ParseError, DefusedXmlException, zipfile.BadZipFile) as exc:
        raise CorruptFile("the file is corrupt: its content.xml is not well-formed XML") from exc

    if page_tag is None:
        pages = pages or [""]
    elif mime_type == ODS:
        metadata["sheet_names"] = page_names
    budget.annotate(metadata)
    if progress is not None:
        progress(len(pages), len(pages))
    return ExtractionResult(pages=pages, page_count=len(pages), metadata=metadata)


def _content_pages(
    content: IO[bytes], page_tag: str | None, budget: TextBudget, limits: Limits
) -> tuple[list[str], list[str]]:
    """Walk content.xml once; returns (page texts, page names)."""
    pages: list[list[str]] = []
    names: list[str] = []
    rows: list[list[str]] = []  # open table rows (tables nest), each a list of cell texts
    cells: list[list[str]] = []  # open cells, each a list of paragraph texts
    in_paragraph = 0
    skipping = 0

    def emit(text: str) -> None:
        if cells:
            cells[-1].append(text)
            return
        if not pages:
            pages.append([])
        pages[-1].append(budget.take(clean_text(text)))

    for event, element in iterparse(content, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == page_tag:
                if len(pages) >= limits.max_pages:
                    raise ResourceLimitExceeded(
                        f"refused: the file has more than {limits.max_pages:,} sheets or slides"
                    )
                pages.append([])
                names.append(clean_metadata_value(element.get(_TABLE_NAME) or element.get(f"{_DRAW}name") or ""))
            elif tag in PARAGRAPHS:
                in_paragraph += 1
            elif tag == TABLE_ROW:
                rows.append([])
            elif tag in TABLE_CELLS:
                cells.append([])
            elif tag in SKIPPED:
                skipping += 1
            continue

        if tag in PARAGRAPHS:
            in_paragraph -= 1
            if in_paragraph == 0 and not skipping:
                # Nested paragraphs (notes, text boxes) are folded into the
                # outermost one, so each piece of text is emitted exactly once.
                text = _inline_text(element)
                if text:
                    emit(text)
        elif tag in TABLE_CELLS and cells:
            text = " ".join(cells.pop())
            if rows:
                rows[-1].append(text)
            elif text:
                emit(text)
        elif tag == TABLE_ROW and rows:
            line = "\t".join(rows.pop()).rstrip()
            if line:
                emit(line)
        elif tag in SKIPPED:
            skipping -= 1
        if in_paragraph == 0:
            element.clear()
        if budget.exhausted:
            budget.truncated = True
            break
    return ["\n".join(lines) for lines in pages], names


def _inline_text(paragraph: Element) -> str:
    """Text of a paragraph with ODF's whitespace elements expanded. Iterative,
    so a maliciously deep nesting of spans cannot exhaust the stack."""
    out: list[str] = []
    stack: list[Element | str] = [paragraph]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        if item is not paragraph:
            if item.tag == _SPACE:
                # Capped: the count is attacker-controlled.
                out.append(" " * min(_int(item.get(_SPACE_COUNT), 1), 100))
            elif item.tag == _TAB:
                out.append("\t")
            elif item.tag == _LINE_BREAK or item.tag in PARAGRAPHS:
                out.append("\n")
        if item.text:
            out.append(_WHITESPACE.sub(" ", item.text))
        for child in reversed(item):
            if child.tail:
                stack.append(_WHITESPACE.sub(" ", child.tail))
            stack.append(child)
    return "".join(out).strip()


def _int(value: str | None, default: int) -> int:
    try:
        return max(int(value or default), 0)
    except ValueError:
        return default


def _meta(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Title, author, dates from meta.xml; missing or odd meta.xml is not an
    error, the text is what matters."""
    try:
        info = archive.getinfo("meta.xml")
    except KeyError:
        return {}
    if info.file_size > 1 * MiB:
        return {}
    try:
        root = fromstring(archive.read(info))
    except (ParseError, DefusedXmlException):
        return {}
    metadata: dict[str, Any] = {}
    for element in root.iter():
        name = _META_FIELDS.get(element.tag)
        if name and element.text and name not in metadata:
            value = clean_metadata_value(element.text)
            if value:
                metadata[name] = value
    return metadata
