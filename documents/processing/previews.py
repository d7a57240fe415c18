"""Thumbnails and page images of a local file, as WebP bytes.

PDFs are rendered with PDFium, images are scaled with Pillow, and every other
accepted type gets a typed placeholder (a page shape labelled "DOCX", "CSV", …).
Like extraction, this works on a plain path and raises only
``documents.errors.ProcessingError`` subclasses for a bad file, with the same
types for the same problems (password, corruption, pixel or page bombs).
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont, ImageOps

from documents.errors import CorruptFile, ProcessingError
from documents.processing.extract import DEFAULT_LIMITS, SUPPORTED_TYPES, Limits, Progress, open_image, open_pdf
from documents.processing.extract.base import (
    DOCX,
    IMAGE_TYPES,
    ODP,
    ODS,
    ODT,
    PDF,
    PPTX,
    TEXT_CSV,
    TEXT_HTML,
    TEXT_MARKDOWN,
    TEXT_PLAIN,
    XLSX,
    ensure_not_empty,
    normalise_mime,
    short_reason,
)

logger = logging.getLogger(__name__)

PreviewKind = Literal["thumb_small", "thumb_medium", "page"]
THUMB_SMALL: PreviewKind = "thumb_small"
THUMB_MEDIUM: PreviewKind = "thumb_medium"
PAGE: PreviewKind = "page"

WEBP_QUALITY = 80
# Method 2 encodes a 1200 px page about twice as fast as the default (4) for
# files within 2 % of the size; 0 is faster still but ~15 % larger.
WEBP_METHOD = 2
# WebP cannot store a side longer than this.
WEBP_MAX_SIDE = 16383

SHORT_NAMES = {
    PDF: "PDF",
    DOCX: "DOCX",
    XLSX: "XLSX",
    PPTX: "PPTX",
    ODT: "ODT",
    ODS: "ODS",
    ODP: "ODP",
    TEXT_PLAIN: "TXT",
    TEXT_MARKDOWN: "MD",
    TEXT_CSV: "CSV",
    TEXT_HTML: "HTML",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}

# Colours people already associate with each family of files.
_BADGE_COLOURS = {
    PDF: "#b30b00",
    DOCX: "#2b579a",
    ODT: "#2b579a",
    XLSX: "#217346",
    ODS: "#217346",
    TEXT_CSV: "#217346",
    PPTX: "#c43e1c",
    ODP: "#c43e1c",
    TEXT_HTML: "#6d28d9",
}
_DEFAULT_BADGE_COLOUR = "#4b5563"
# Placeholders are A4-shaped: width = height / sqrt(2).
_PAGE_ASPECT = 0.7071


@dataclass
class RenderedImage:
    """One WebP image of a version, ready to store as a ``VersionPreview``."""

    kind: PreviewKind  # the values of documents.models.PreviewKind
    page: int  # 1-based; 1 for thumbnails
    data: bytes
    width: int
    height: int


def render_previews(
    path: Path,
    mime_type: str,
    *,
    max_pages: int = 20,
    small_px: int = 256,
    medium_px: int = 768,
    page_px: int = 1200,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
) -> list[RenderedImage]:
    """Render the thumbnails and page images of a local file.

    Always returns a small and a medium thumbnail of page 1 (the ``*_px``
    values are the longest side; image files are never enlarged). PDFs also get a
    ``page`` image for pages 1..``max_pages``; an image gets one ``page``
    image of itself; other types get placeholder thumbnails only.
    ``progress(done, total)`` counts the thumbnails as one step and each page
    image as one more.

    Raises ``PasswordProtected``, ``CorruptFile``, ``ResourceLimitExceeded``
    or ``ProcessingError`` (unsupported type), exactly as ``extract_text``.
    """
    if not 0 < small_px <= medium_px <= page_px <= WEBP_MAX_SIDE:
        raise ValueError("expected 0 < small_px <= medium_px <= page_px <= 16383")
    mime_type = normalise_mime(mime_type)
    if mime_type not in SUPPORTED_TYPES:
        raise ProcessingError(f"unsupported type: {mime_type or 'unknown'}")
    ensure_not_empty(path)
    sizes = _Sizes(small=small_px, medium=medium_px, page=page_px)
    if mime_type == PDF:
        return _pdf_previews(path, max_pages, sizes, limits, progress)
    if mime_type in IMAGE_TYPES:
        return _image_previews(path, max_pages, sizes, limits, progress)
    previews = _placeholder_thumbnails(mime_type, sizes)
    if progress is not None:
        progress(1, 1)
    return previews


@dataclass(frozen=True)
class _Sizes:
    small: int
    medium: int
    page: int


def _pdf_previews(
    path: Path, max_pages: int, sizes: _Sizes, limits: Limits, progress: Progress | None
) -> list[RenderedImage]:
    pdf = open_pdf(path, limits)
    try:
        # Form fields (text boxes, check boxes) are only drawn if the form
        # environment exists before the pages are loaded.
        pdf.init_forms()
        page_total = min(max(max_pages, 0), len(pdf))
        total = 1 + page_total
        previews: list[RenderedImage] = []
        for index in range(max(page_total, 1)):
            page = _load_pdf_page(pdf, index)
            try:
                if index == 0:
                    previews.extend(_pdf_thumbnails(page, sizes))
                    if progress is not None:
                        progress(1, total)
                if index < page_total:
                    image = _render_pdf_page(page, index, sizes.page)
                    if image is not None:
                        previews.append(_encode(image, PAGE, index + 1))
                    if progress is not None:
                        progress(index + 2, total)
            finally:
                if page is not None:
                    page.close()
    finally:
        pdf.close()
    return previews


def _pdf_thumbnails(page: pdfium.PdfPage | None, sizes: _Sizes) -> list[RenderedImage]:
    """Both thumbnails of the first page, each rendered at its exact size.

    Rendering a loaded page again is cheap (PDFium keeps its fonts and decoded
    images): 1 ms at 256 px against 5 ms to downscale a 768 px render with
    Lanczos, and glyphs rendered at the target size stay crisper.
    """
    small = _render_pdf_page(page, 0, sizes.small)
    medium = _render_pdf_page(page, 0, sizes.medium)
    if small is None or medium is None:
        return _placeholder_thumbnails(PDF, sizes)
    return [_encode(small, THUMB_SMALL, 1), _encode(medium, THUMB_MEDIUM, 1)]


def _load_pdf_page(pdf: pdfium.PdfDocument, index: int) -> pdfium.PdfPage | None:
    try:
        return pdf[index]
    except pdfium.PdfiumError:
        logger.warning("PDF page %d could not be loaded for rendering", index + 1, exc_info=True)
        return None


def _render_pdf_page(page: pdfium.PdfPage | None, index: int, longest_px: int) -> Image.Image | None:
    """The page scaled so its longest side is ``longest_px``; None if PDFium
    cannot render it (a broken page should not cost the other pages)."""
    if page is None:
        return None
    try:
        width, height = page.get_size()
        if min(width, height) <= 0:
            logger.warning("PDF page %d has an empty page box (%sx%s pt)", index + 1, width, height)
            return None
        # Scaling from the page size bounds the bitmap whatever size the page
        # claims (a 200-inch poster renders as fast as a letter page).
        scale = longest_px / max(width, height)
        return page.render(scale=scale, may_draw_forms=True).to_pil()
    except (pdfium.PdfiumError, ValueError):
        logger.warning("PDF page %d could not be rendered", index + 1, exc_info=True)
        return None


def _image_previews(
    path: Path, max_pages: int, sizes: _Sizes, limits: Limits, progress: Progress | None
) -> list[RenderedImage]:
    with open_image(path, limits) as image:
        try:
            if image.format in ("JPEG", "MPO"):
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 24-megapixel
                # photo never has to exist in memory at full size.
                image.draft(None, (sizes.page, sizes.page))
            # Decodes the first frame only (animated GIF/WebP, multi-page TIFF);
            # in place, because a copy of a 100-megapixel image is 300 MB.
            ImageOps.exif_transpose(image, in_place=True)
            ready = _display_ready(image)
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
            logger.warning("Image %s could not be decoded", path.name, exc_info=True)
            raise CorruptFile(f"the image is corrupt: {short_reason(exc)}") from exc

        # Each size is scaled from the next larger one: cheaper, and indistinguishable.
        page_image = _fit(ready, sizes.page)
        medium = _fit(page_image, sizes.medium)
        previews = [_encode(_fit(medium, sizes.small), THUMB_SMALL, 1), _encode(medium, THUMB_MEDIUM, 1)]
        if max_pages >= 1:
            previews.append(_encode(page_image, PAGE, 1))
    if progress is not None:
        progress(1, 1)
    return previews


def _display_ready(image: Image.Image) -> Image.Image:
    """Decode and convert to RGB, or RGBA if the image has transparency.

    Palette images must not be resized as palettes (that would pick nearest
    colours), 16-bit and float greyscale are stretched to their own range
    (a plain conversion clips everything above 255 to white), and CMYK uses
    Pillow's plain conversion (no ICC colour management).
    """
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        image.load()
        return image
    if mode in ("I", "F") or mode.startswith("I;"):
        return _stretch_to_8bit(image).convert("RGB")
    if mode == "CMYK":
        return image.convert("RGB")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _stretch_to_8bit(image: Image.Image) -> Image.Image:
    if image.mode != "F":
        image = image.convert("I")
    low, high = image.getextrema()
    if high <= low:
        return image.point(lambda _: 0).convert("L")
    scale = 255 / (high - low)
    return image.point(lambda value: value * scale - low * scale).convert("L")


def _fit(image: Image.Image, longest_px: int) -> Image.Image:
    """The image scaled down so its longest side is ``longest_px``; the image
    itself if it is already small enough (previews never enlarge)."""
    width, height = image.size
    if max(width, height) <= longest_px:
        return image
    scale = longest_px / max(width, height)
    size = (max(round(width * scale), 1), max(round(height * scale), 1))
    # reducing_gap lets Pillow shrink by whole factors first (fast box
    # reduction) and use Lanczos only for the last step.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, kind: PreviewKind, page: int) -> RenderedImage:
    return RenderedImage(kind=kind, page=page, data=_webp(image), width=image.width, height=image.height)


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def short_name(mime_type: str) -> str:
    """The label a placeholder shows for a type: "DOCX", "CSV", …"""
    mime_type = normalise_mime(mime_type)
    return SHORT_NAMES.get(mime_type) or mime_type.rpartition("/")[2][:5].upper() or "FILE"


def placeholder(mime_type: str, label: str, px: int) -> bytes:
    """A WebP placeholder for a file that cannot be rendered: an A4-shaped
    page with a folded corner and a coloured badge reading ``label``, ``px``
    tall. Cached, since the same few are asked for over and over."""
    return _placeholder_webp(normalise_mime(mime_type), label, px)


@functools.lru_cache(maxsize=64)
def _placeholder_webp(mime_type: str, label: str, px: int) -> bytes:
    return _webp(_placeholder_image(mime_type, label, px))


def _placeholder_thumbnails(mime_type: str, sizes: _Sizes) -> list[RenderedImage]:
    label = short_name(mime_type)
    previews = []
    for kind, px in ((THUMB_SMALL, sizes.small), (THUMB_MEDIUM, sizes.medium)):
        width, height = _placeholder_size(px)
        data = placeholder(mime_type, label, px)
        previews.append(RenderedImage(kind=kind, page=1, data=data, width=width, height=height))
    return previews


def _placeholder_size(px: int) -> tuple[int, int]:
    return max(round(px * _PAGE_ASPECT), 1), px


def _placeholder_image(mime_type: str, label: str, px: int) -> Image.Image:
    width, height = _placeholder_size(px)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    line = max(px // 128, 1)
    fold = width // 4
    right, bottom = width - 1, height - 1
    outline = "#9ca3af"
    page = [(0, 0), (right - fold, 0), (right, fold), (right, bottom), (0, bottom)]
    draw.polygon(page, fill="#ffffff", outline=outline, width=line)
    draw.polygon([(right - fold, 0), (right - fold, fold), (right, fold)], fill="#e5e7eb", outline=outline, width=line)

    # Badge across the lower half, text sized to fit it.
    badge_top, badge_bottom = round(height * 0.55), round(height * 0.75)
    colour = _BADGE_COLOURS.get(mime_type, _DEFAULT_BADGE_COLOUR)
    draw.rectangle([(0, badge_top), (right, badge_bottom)], fill=colour)
    font = _fitting_font(draw, label, max_width=width * 0.8, max_height=(badge_bottom - badge_top) * 0.7)
    centre = (width / 2, (badge_top + badge_bottom) / 2)
    draw.text(centre, label, fill="#ffffff", font=font, anchor="mm")
    return image


def _fitting_font(
    draw: ImageDraw.ImageDraw, label: str, *, max_width: float, max_height: float
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at the largest size that fits; the bitmap fallback
    font (fixed size) where Pillow was built without FreeType."""
    size = max(int(max_height), 1)
    try:
        font = ImageFont.load_default(size=size)
    except ImportError:
        return ImageFont.load_default()
    text_width = draw.textlength(label, font=font)
    if text_width > max_width:
        font = ImageFont.load_default(size=max(int(size * max_width / text_width), 1))
    return font
