"""What a file really is, decided from its bytes, and whether its name agrees.

Only types on the allow-list are accepted. The name's extension is checked
against the content: an HTML page called ``report.pdf`` is refused, so
nothing is ever stored under a type it is not.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePath

from documents.errors import FileTypeMismatch, UnsupportedFileType
from documents.processing.extract import base as mime

# One vocabulary of types for sniffing and extraction.
PDF, DOCX, XLSX, PPTX = mime.PDF, mime.DOCX, mime.XLSX, mime.PPTX
ODT, ODS, ODP = mime.ODT, mime.ODS, mime.ODP
TXT, MARKDOWN, CSV, HTML = mime.TEXT_PLAIN, mime.TEXT_MARKDOWN, mime.TEXT_CSV, mime.TEXT_HTML
PNG, JPEG, TIFF, WEBP, GIF = mime.IMAGE_PNG, mime.IMAGE_JPEG, mime.IMAGE_TIFF, mime.IMAGE_WEBP, mime.IMAGE_GIF

# Extension → the content type it must hold. Extensions not listed are
# accepted when the content is on the allow-list.
EXTENSIONS: dict[str, str] = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".pptx": PPTX,
    ".odt": ODT,
    ".ods": ODS,
    ".odp": ODP,
    ".txt": TXT,
    ".text": TXT,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".csv": CSV,
    ".html": HTML,
    ".htm": HTML,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".tif": TIFF,
    ".tiff": TIFF,
    ".webp": WEBP,
    ".gif": GIF,
}
ALLOWED_TYPES = frozenset(EXTENSIONS.values())
# Plain text may be named as any of the text types: a CSV is text too.
_TEXT_FAMILY = {TXT, MARKDOWN, CSV}
_ODF_MIMETYPES = {
    ODT.encode(): ODT,
    ODS.encode(): ODS,
    ODP.encode(): ODP,
}
_OOXML_PARTS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
SNIFF_BYTES = 8192


def extension_of(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def sniff(path: Path) -> str | None:
    """The content type of the file at ``path``, or None if not recognised."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        return None
    if head.lstrip(b"\r\n\t \x0c")[:5] == b"%PDF-" or head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    return _sniff_text(head)


def _sniff_zip(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return _ODF_MIMETYPES.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" in names:
                for prefix, mime in _OOXML_PARTS.items():
                    if any(name.startswith(prefix) for name in names):
                        return mime
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def _sniff_text(head: bytes) -> str | None:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    sample = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if sample.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg")):
        # SVG is active content too: treat it as HTML (refused unless named .html).
        return HTML
    if b"<html" in sample[:1024] or b"<script" in sample[:1024]:
        return HTML
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if control > len(head) // 100:
        return None
    return TXT


def resolve_type(path: Path, filename: str) -> str:
    """Sniff ``path`` and reconcile it with ``filename``'s extension.

    Returns the content type to store, or raises ``UnsupportedFileType`` /
    ``FileTypeMismatch`` with a message naming both sides.
    """
    sniffed = sniff(path)
    extension = extension_of(filename)
    expected = EXTENSIONS.get(extension)
    if sniffed is None or sniffed not in ALLOWED_TYPES:
        raise UnsupportedFileType(
            f"unsupported file type for {extension or 'a file without extension'}: "
            "allowed are PDF, Office (DOCX/XLSX/PPTX), OpenDocument, text, Markdown, CSV, HTML and images"
        )
    if expected is None:
        return sniffed
    if sniffed == expected:
        return sniffed
    if sniffed == TXT and expected in _TEXT_FAMILY:
        return expected
    raise FileTypeMismatch(f"the file is named {extension} but its content is {describe(sniffed)}")


def describe(mime_type: str) -> str:
    names = {
        PDF: "a PDF",
        DOCX: "a Word document",
        XLSX: "an Excel workbook",
        PPTX: "a PowerPoint presentation",
        ODT: "an OpenDocument text",
        ODS: "an OpenDocument spreadsheet",
        ODP: "an OpenDocument presentation",
        TXT: "plain text",
        MARKDOWN: "Markdown",
        CSV: "CSV",
        HTML: "HTML",
        PNG: "a PNG image",
        JPEG: "a JPEG image",
        TIFF: "a TIFF image",
        WEBP: "a WebP image",
        GIF: "a GIF image",
    }
    return names.get(mime_type, mime_type)


def default_extension(mime_type: str) -> str:
    for extension, extension_type in EXTENSIONS.items():
        if extension_type == mime_type:
            return extension
    return ""
