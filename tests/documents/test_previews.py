"""Thumbnails and page images: every corpus PDF renders, images are scaled
upright in a displayable colour mode, everything else gets a typed
placeholder, and hostile files fail exactly as they do in extraction."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from documents.errors import CorruptFile, PasswordProtected, ProcessingError, ResourceLimitExceeded
from documents.processing.extract import Limits
from documents.processing.previews import RenderedImage, placeholder, render_previews
from tests.documents.test_extraction import (
    CORPUS,
    DOCX,
    ODP,
    ODS,
    ODT,
    PASSWORD_PDF,
    PDF,
    PPTX,
    XLSX,
    CorpusPdf,
    corpus_file,
    write_pixel_bomb_png,
    write_truncated_pdf,
)

SMALL, MEDIUM, PAGE = "thumb_small", "thumb_medium", "page"


def decode_webp(preview: RenderedImage) -> Image.Image:
    """Open a preview the way a browser would, and check its stated size."""
    image = Image.open(io.BytesIO(preview.data))
    assert image.format == "WEBP"
    image.load()
    assert image.size == (preview.width, preview.height)
    return image


def of_kind(previews: list[RenderedImage], kind: str) -> list[RenderedImage]:
    return [preview for preview in previews if preview.kind == kind]


def only(previews: list[RenderedImage], kind: str) -> RenderedImage:
    matching = of_kind(previews, kind)
    assert len(matching) == 1, f"expected one {kind}, got {len(matching)}"
    return matching[0]


def has_ink(image: Image.Image) -> bool:
    """Something darker than paper was drawn (the render is not blank)."""
    return min(low for low, _ in image.convert("RGB").getextrema()) < 200


def save_image(path: Path, image: Image.Image, **params: object) -> Path:
    image.save(path, **params)
    return path


# --- PDFs --------------------------------------------------------------------


@pytest.mark.parametrize("pdf", CORPUS, ids=lambda pdf: pdf.name)
def test_every_corpus_pdf_renders_thumbnails_and_page_images(pdf: CorpusPdf) -> None:
    # Given a real-world PDF (text, forms, Arabic, or scanned images)
    path = corpus_file(pdf.name)

    # When its previews are rendered
    previews = render_previews(path, PDF)

    # Then both thumbnails are WebP at their longest side and show something,
    # and every page (up to 20) has a 1200 px page image, in order
    small = decode_webp(only(previews, SMALL))
    medium = decode_webp(only(previews, MEDIUM))
    assert max(small.size) == 256
    assert max(medium.size) == 768
    assert has_ink(small)
    pages = of_kind(previews, PAGE)
    assert [preview.page for preview in pages] == list(range(1, min(pdf.pages, 20) + 1))
    assert all(max(decode_webp(preview).size) == 1200 for preview in pages)


def test_password_protected_pdf_says_so() -> None:
    # Given the password-protected corpus PDF
    path = corpus_file(PASSWORD_PDF)

    # When previews are rendered / Then it asks for a copy without a password
    with pytest.raises(PasswordProtected):
        render_previews(path, PDF)


def test_page_images_stop_at_max_pages() -> None:
    # Given a 4-page PDF
    path = corpus_file("pdflatex-4-pages.pdf")

    # When previews are rendered for at most 2 pages, or none
    two = render_previews(path, PDF, max_pages=2)
    none = render_previews(path, PDF, max_pages=0)

    # Then only those pages get images; thumbnails are always there
    assert [preview.page for preview in of_kind(two, PAGE)] == [1, 2]
    assert [preview.kind for preview in none] == [SMALL, MEDIUM]


def test_custom_sizes_are_respected() -> None:
    # Given a portrait A4 PDF
    path = corpus_file("minimal-document.pdf")

    # When previews are asked for at other sizes
    previews = render_previews(path, PDF, small_px=100, medium_px=300, page_px=500, max_pages=1)

    # Then each image's height (the longest side) is the asked size
    assert [(preview.kind, preview.height) for preview in previews] == [(SMALL, 100), (MEDIUM, 300), (PAGE, 500)]


def test_progress_counts_thumbnails_then_each_page() -> None:
    # Given a 4-page PDF and a progress callback
    path = corpus_file("pdflatex-4-pages.pdf")
    calls: list[tuple[int, int]] = []

    # When previews are rendered
    render_previews(path, PDF, progress=lambda done, total: calls.append((done, total)))

    # Then progress goes thumbnails (1) then one step per page, to the end
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_pdf_with_more_pages_than_the_limit_is_refused() -> None:
    # Given a 4-page PDF and a 3-page limit
    path = corpus_file("pdflatex-4-pages.pdf")

    # When previews are rendered / Then the PDF is refused, as in extraction
    with pytest.raises(ResourceLimitExceeded):
        render_previews(path, PDF, limits=Limits(max_pages=3))


def random_pdf(directory: Path) -> Path:
    path = directory / "random.pdf"
    path.write_bytes(os.urandom(9000))
    return path


def empty_pdf(directory: Path) -> Path:
    path = directory / "empty.pdf"
    path.touch()
    return path


def truncated_pdf(directory: Path) -> Path:
    return write_truncated_pdf(directory / "half.pdf")


@pytest.mark.parametrize("make_file", [truncated_pdf, random_pdf, empty_pdf], ids=lambda make: make.__name__)
def test_broken_pdfs_are_corrupt(tmp_path: Path, make_file: Callable[[Path], Path]) -> None:
    # Given a truncated PDF, random bytes, or an empty file typed as PDF
    path = make_file(tmp_path)

    # When previews are rendered / Then it is corrupt
    with pytest.raises(CorruptFile):
        render_previews(path, PDF)


# --- images ------------------------------------------------------------------


def test_large_transparent_png_is_scaled_to_every_size_keeping_alpha(tmp_path: Path) -> None:
    # Given a 2400 x 1200 PNG whose right half is transparent
    image = Image.new("RGBA", (2400, 1200), (20, 120, 200, 255))
    image.paste((0, 0, 0, 0), (1200, 0, 2400, 1200))
    path = save_image(tmp_path / "wide.png", image)

    # When previews are rendered
    previews = render_previews(path, "image/png")

    # Then the sizes follow the longest side and transparency survives
    sizes = {preview.kind: (preview.width, preview.height) for preview in previews}
    assert sizes == {SMALL: (256, 128), MEDIUM: (768, 384), PAGE: (1200, 600)}
    small = decode_webp(only(previews, SMALL))
    assert small.mode == "RGBA"
    assert small.getpixel((250, 64))[3] == 0
    assert small.getpixel((5, 64))[3] == 255


def test_small_image_is_never_enlarged(tmp_path: Path) -> None:
    # Given a 100 x 60 icon
    path = save_image(tmp_path / "icon.png", Image.new("RGB", (100, 60), "orange"))

    # When previews are rendered / Then every preview keeps its own size
    previews = render_previews(path, "image/png")
    assert {(preview.width, preview.height) for preview in previews} == {(100, 60)}
    assert len(previews) == 3


def test_jpeg_exif_orientation_is_applied(tmp_path: Path) -> None:
    # Given a landscape JPEG (red left, blue right) tagged "rotate 90° clockwise"
    image = Image.new("RGB", (400, 200), "blue")
    image.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    path = save_image(tmp_path / "phone.jpg", image, format="JPEG", exif=exif, quality=95)

    # When previews are rendered
    small = decode_webp(only(render_previews(path, "image/jpeg"), SMALL))

    # Then it is upright: portrait, with the red half on top
    assert small.size == (128, 256)
    top, bottom = small.getpixel((64, 32)), small.getpixel((64, 224))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_big_jpeg_is_decoded_at_reduced_size(tmp_path: Path) -> None:
    # Given a 4000 x 3000 photo
    path = save_image(tmp_path / "photo.jpg", Image.new("RGB", (4000, 3000), "green"), format="JPEG")

    # When previews are rendered / Then the page image is 1200 px wide
    page = only(render_previews(path, "image/jpeg"), PAGE)
    assert (page.width, page.height) == (1200, 900)


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    # Given a pure-cyan CMYK JPEG (as print workflows produce)
    path = save_image(tmp_path / "print.jpg", Image.new("CMYK", (300, 300), (255, 0, 0, 0)), format="JPEG")

    # When previews are rendered
    small = decode_webp(only(render_previews(path, "image/jpeg"), SMALL))

    # Then it is an RGB image that looks cyan, not inverted or black
    red, green, blue = small.convert("RGB").getpixel((150, 150))
    assert red < 60
    assert green > 200
    assert blue > 200


@pytest.mark.parametrize(("mime_type", "pil_format"), [("image/gif", "GIF"), ("image/tiff", "TIFF")])
def test_only_the_first_frame_of_animations_and_multipage_images(
    tmp_path: Path, mime_type: str, pil_format: str
) -> None:
    # Given a three-frame image: red, then green, then blue
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "green", "blue")]
    path = tmp_path / f"frames.{pil_format.lower()}"
    frames[0].save(path, format=pil_format, save_all=True, append_images=frames[1:])

    # When previews are rendered
    previews = render_previews(path, mime_type)

    # Then the first frame is what is shown, once
    assert len(of_kind(previews, PAGE)) == 1
    red, green, blue = decode_webp(only(previews, SMALL)).convert("RGB").getpixel((32, 32))
    assert red > 200 and green < 60 and blue < 60


def test_16_bit_greyscale_is_stretched_not_clipped_to_white(tmp_path: Path) -> None:
    # Given a 12-bit scan stored as 16-bit greyscale: a dark-to-bright ramp
    ramp = Image.linear_gradient("L").rotate(90).resize((256, 64)).convert("I").point(lambda value: value * 16)
    path = save_image(tmp_path / "scan.png", ramp.convert("I;16"))
    with Image.open(path) as written:
        assert written.mode.startswith("I")

    # When previews are rendered
    small = decode_webp(only(render_previews(path, "image/png"), SMALL)).convert("L")

    # Then the ramp is still a ramp, from near black through grey to near
    # white (clipping would turn everything past 1/16 of the way white)
    assert small.getpixel((2, 32)) < 30
    assert 100 < small.getpixel((128, 32)) < 160
    assert small.getpixel((253, 32)) > 225


def test_palette_png_with_transparency_becomes_rgba(tmp_path: Path) -> None:
    # Given a palette PNG with a transparent colour
    image = Image.new("P", (50, 50), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 25, 50))
    path = save_image(tmp_path / "logo.png", image, transparency=0)

    # When previews are rendered
    small = decode_webp(only(render_previews(path, "image/png"), SMALL))

    # Then the colours and the transparency survive
    assert small.mode == "RGBA"
    assert small.getpixel((10, 25))[:3] == pytest.approx((200, 0, 0), abs=25)
    assert small.getpixel((40, 25))[3] == 0


def test_webp_input_is_rendered(tmp_path: Path) -> None:
    # Given a WebP image
    path = save_image(tmp_path / "in.webp", Image.new("RGB", (1000, 500), "purple"), format="WEBP")

    # When previews are rendered / Then it is scaled like any other image
    assert only(render_previews(path, "image/webp"), MEDIUM).width == 768


def test_png_claiming_50000_by_50000_pixels_is_refused(tmp_path: Path) -> None:
    # Given a tiny PNG whose header claims 2.5 gigapixels
    path = write_pixel_bomb_png(tmp_path / "bomb.png")

    # When previews are rendered / Then it is refused before decoding, quickly
    started = time.perf_counter()
    with pytest.raises(ResourceLimitExceeded):
        render_previews(path, "image/png")
    assert time.perf_counter() - started < 0.2


def test_truncated_jpeg_is_corrupt(tmp_path: Path) -> None:
    # Given the first third of a real JPEG (header intact, pixels cut off)
    full = save_image(tmp_path / "full.jpg", Image.effect_noise((800, 600), 60).convert("RGB"), format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 3])

    # When previews are rendered / Then decoding fails as a corrupt file
    with pytest.raises(CorruptFile, match="corrupt"):
        render_previews(path, "image/jpeg")


# --- placeholders ------------------------------------------------------------


@pytest.mark.parametrize(
    "mime_type", [DOCX, XLSX, PPTX, ODT, ODS, ODP, "text/plain", "text/markdown", "text/csv", "text/html"]
)
def test_other_types_get_placeholder_thumbnails_only(tmp_path: Path, mime_type: str) -> None:
    # Given a file of a type that is not rendered
    path = tmp_path / "file"
    path.write_bytes(b"some content")

    # When previews are rendered
    previews = render_previews(path, mime_type)

    # Then there are an A4-shaped small and medium placeholder, no page images
    assert [(preview.kind, preview.width, preview.height) for preview in previews] == [
        (SMALL, 181, 256),
        (MEDIUM, 543, 768),
    ]
    for preview in previews:
        decode_webp(preview)


def test_placeholder_is_typed_by_colour_and_label() -> None:
    # Given placeholders for a Word and a spreadsheet file
    word = Image.open(io.BytesIO(placeholder(DOCX, "DOCX", 256)))
    sheet = Image.open(io.BytesIO(placeholder(XLSX, "XLSX", 256)))
    text = placeholder("text/plain", "TXT", 256)

    # Then they are WebP pages with a transparent folded corner and a badge in
    # the family colour, and a different label gives a different image
    assert word.format == "WEBP"
    assert word.size == (181, 256)
    assert word.convert("RGBA").getpixel((178, 2))[3] == 0
    assert word.convert("RGB").getpixel((4, 150)) == pytest.approx((0x2B, 0x57, 0x9A), abs=12)
    assert sheet.convert("RGB").getpixel((4, 150)) == pytest.approx((0x21, 0x73, 0x46), abs=12)
    assert placeholder(DOCX, "DOC", 256) != placeholder(DOCX, "DOCX", 256)
    assert text != placeholder("text/plain", "TXT", 512)


def test_unsupported_type_is_a_processing_error(tmp_path: Path) -> None:
    # Given a file of a type the catalog does not accept
    path = tmp_path / "a.exe"
    path.write_bytes(b"MZ")

    # When previews are rendered / Then it fails permanently, naming the type
    with pytest.raises(ProcessingError, match="unsupported type: application/x-msdownload"):
        render_previews(path, "application/x-msdownload")


def test_inconsistent_sizes_are_a_programming_error(tmp_path: Path) -> None:
    # Given any file / When the small thumbnail is asked bigger than the medium
    path = corpus_file("minimal-document.pdf")

    # Then the call is rejected before any work
    with pytest.raises(ValueError, match="small_px"):
        render_previews(path, PDF, small_px=800, medium_px=768)
