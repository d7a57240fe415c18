"""A small PDF writer for generated demo content and test fixtures.

Text only, Helvetica, A4, wrapped and paginated: enough to make real,
multi-page, born-digital PDFs with a text layer without a dependency.
"""

from __future__ import annotations

import textwrap
import zlib
from collections.abc import Iterable

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
FONT_SIZE = 11
LEADING = 15
TITLE_SIZE = 17
WRAP_COLUMNS = 92
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def _escape(text: str) -> bytes:
    data = text.encode("cp1252", errors="replace")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _layout(title: str, paragraphs: Iterable[str]) -> list[list[str]]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, WRAP_COLUMNS) or [""])
        lines.append("")
    # The first page loses three lines to the title.
    pages: list[list[str]] = []
    capacity = LINES_PER_PAGE - 3
    while lines or not pages:
        pages.append(lines[:capacity])
        lines = lines[capacity:]
        capacity = LINES_PER_PAGE
    return pages


def _page_stream(lines: list[str], *, title: str | None, number: int) -> bytes:
    parts = [b"BT"]
    y = PAGE_HEIGHT - MARGIN
    if title:
        parts.append(b"/F2 %d Tf %d %d Td (%s) Tj" % (TITLE_SIZE, MARGIN, y - TITLE_SIZE, _escape(title)))
        parts.append(b"0 %d Td /F1 %d Tf %d TL" % (-3 * LEADING, FONT_SIZE, LEADING))
    else:
        parts.append(b"/F1 %d Tf %d TL %d %d Td" % (FONT_SIZE, LEADING, MARGIN, y - FONT_SIZE))
    for line in lines:
        parts.append(b"(%s) Tj T*" % _escape(line))
    parts.append(b"ET")
    parts.append(b"BT /F1 9 Tf %d %d Td (%d) Tj ET" % (PAGE_WIDTH // 2, MARGIN // 2, number))
    return b"\n".join(parts)


def render_pdf(title: str, paragraphs: Iterable[str], *, author: str = "Document Catalog") -> bytes:
    """A PDF of ``paragraphs`` under ``title``, as many pages as it takes."""
    pages = _layout(title, paragraphs)
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    info = add(
        b"<< /Title (%s) /Author (%s) /Producer (Document Catalog demo writer) >>" % (_escape(title), _escape(author))
    )
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    tree = add(b"")
    kids = []
    for index, lines in enumerate(pages, start=1):
        stream = zlib.compress(_page_stream(lines, title=title if index == 1 else None, number=index))
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                % (tree, PAGE_WIDTH, PAGE_HEIGHT, content, regular, bold)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)
