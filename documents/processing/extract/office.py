"""Office Open XML (DOCX, XLSX, PPTX) through python-docx, openpyxl and
python-pptx. The zip container has already passed ``check_zip_safety``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import docx
import openpyxl
from docx.table import Table
from pptx import Presentation
from pptx.shapes.group import GroupShape

from documents.errors import ResourceLimitExceeded
from documents.processing.extract.base import (
    ExtractionResult,
    Limits,
    Progress,
    TextBudget,
    clean_metadata_value,
    clean_text,
)

_CORE_PROPERTIES = ("title", "author", "subject", "keywords", "created", "modified")


def core_properties(props: Any) -> dict[str, Any]:
    """docProps/core.xml as JSON-ready metadata (empty values left out).
    python-docx, python-pptx and openpyxl expose the same names, except that
    openpyxl calls the author ``creator``."""
    metadata: dict[str, Any] = {}
    for name in _CORE_PROPERTIES:
        value = getattr(props, name, None)
        if value is None and name == "author":
            value = getattr(props, "creator", None)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        value = clean_metadata_value(value)
        if value:
            metadata[name] = value
    return metadata


def extract_docx(path: Path, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """Body paragraphs and tables in reading order, as one page (Word files
    have no fixed pages). Headers, footers, footnotes and text boxes are not
    read: they sit outside the body's flow of paragraphs and tables."""
    document = docx.Document(str(path))
    budget = TextBudget(limits.max_text_chars)
    parts: list[str] = []
    for block in document.iter_inner_content():
        text = _table_text(block) if isinstance(block, Table) else block.text
        parts.append(budget.take(clean_text(text)))
        if budget.exhausted:
            break
    metadata = core_properties(document.core_properties)
    budget.annotate(metadata)
    if progress is not None:
        progress(1, 1)
    return ExtractionResult(pages=["\n".join(parts).strip()], page_count=1, metadata=metadata)


def _table_text(table: Table) -> str:
    """Rows on lines, cells separated by tabs. A merged cell is reported once
    per row, not once per grid column it spans."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.replace("\n", " "))
        lines.append("\t".join(cells).rstrip())
    return "\n".join(line for line in lines if line)


def extract_xlsx(path: Path, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """One page per worksheet: rows on lines, cell values separated by tabs.
    Cached values are read (``data_only``), never formulas."""
    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        sheets = workbook.worksheets
        _check_page_count(len(sheets), "worksheets", limits)
        budget = TextBudget(limits.max_text_chars)
        pages: list[str] = []
        for number, sheet in enumerate(sheets, start=1):
            if budget.exhausted:
                budget.truncated = True
                pages.append("")
                continue
            # The <dimension> a producer writes can be wrong (or hostile:
            # "A1:XFD1048576"), and read-only mode pads every row to it.
            sheet.reset_dimensions()
            pages.append(_sheet_text(sheet.iter_rows(values_only=True), budget))
            if progress is not None:
                progress(number, len(sheets))
        metadata = core_properties(workbook.properties)
        metadata["sheet_names"] = [clean_metadata_value(sheet.title) for sheet in sheets]
    finally:
        workbook.close()
    budget.annotate(metadata)
    return ExtractionResult(pages=pages, page_count=len(pages), metadata=metadata)


def _sheet_text(rows: Iterable[tuple[Any, ...]], budget: TextBudget) -> str:
    lines = []
    for row in rows:
        line = "\t".join(_cell_text(value) for value in row).rstrip()
        if line:
            lines.append(budget.take(clean_text(line)))
            if budget.exhausted:
                break
    return "\n".join(lines)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\n", " ").replace("\t", " ")


def extract_pptx(path: Path, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """One page per slide: its text boxes, tables and grouped shapes in the
    order the slide stores them, then the speaker notes."""
    presentation = Presentation(str(path))
    slides = list(presentation.slides)
    _check_page_count(len(slides), "slides", limits)
    budget = TextBudget(limits.max_text_chars)
    pages: list[str] = []
    for number, slide in enumerate(slides, start=1):
        if budget.exhausted:
            budget.truncated = True
            pages.append("")
            continue
        parts = list(_shape_texts(slide.shapes))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            parts.append(slide.notes_slide.notes_text_frame.text)
        pages.append(budget.take(clean_text("\n".join(part for part in parts if part.strip()))))
        if progress is not None:
            progress(number, len(slides))
    metadata = core_properties(presentation.core_properties)
    budget.annotate(metadata)
    return ExtractionResult(pages=pages, page_count=len(pages), metadata=metadata)


def _shape_texts(shapes: Iterable[Any]) -> Iterator[str]:
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes)
        elif shape.has_table:
            for row in shape.table.rows:
                yield "\t".join(cell.text.replace("\n", " ") for cell in row.cells).rstrip()
        elif shape.has_text_frame:
            yield shape.text_frame.text


def _check_page_count(count: int, what: str, limits: Limits) -> None:
    if count > limits.max_pages:
        raise ResourceLimitExceeded(f"refused: the file has {count:,} {what} (limit {limits.max_pages:,})")
