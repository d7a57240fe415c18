"""Text extraction from every accepted type, and refusal of hostile files.

Everything here works on local paths: real PDFs from the shared corpus, and
office files, text and images generated into ``tmp_path`` with the same
libraries people's tools use. No database is needed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pypdfium2 as pdfium
import pytest
from PIL import Image
from pptx import Presentation
from pptx.util import Inches

from documents.errors import CorruptFile, PasswordProtected, ProcessingError, ResourceLimitExceeded
from documents.processing.extract import DEFAULT_LIMITS, Limits, check_zip_safety, extract_text

CORPUS_DIR = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdf"
PASSWORD_PDF = "libreoffice-writer-password.pdf"

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"


@dataclass(frozen=True)
class CorpusPdf:
    name: str
    pages: int
    # Phrases the text layer must contain; empty for scans without one.
    phrases: tuple[str, ...]

    @property
    def image_only(self) -> bool:
        return not self.phrases


CORPUS = (
    CorpusPdf("002-trivial-libre-office-writer.pdf", 1, ("Lorem ipsum dolor sit amet", "invidunt ut labore")),
    CorpusPdf("annotated_pdf.pdf", 1, ("Some text.", "Not highlighted")),
    CorpusPdf("crazyones-pdfa.pdf", 1, ("The Crazy Ones", "The round pegs in the square holes")),
    CorpusPdf("google-doc-document.pdf", 1, ("Beautiful is better than ugly.", "Readability counts.")),
    CorpusPdf("habibi.pdf", 1, ("habibi",)),
    # ImageMagick wraps raster images in a PDF: no text layer at all.
    CorpusPdf("imagemagick-CCITTFaxDecode.pdf", 1, ()),
    CorpusPdf("imagemagick-images.pdf", 6, ()),
    # "taki-" / "mata" is hyphenated across a line in the PDF.
    CorpusPdf("minimal-document.pdf", 1, ("Lorem ipsum", "no sea takimata sanctus")),
    CorpusPdf("multicolumn.pdf", 3, ("Two-Column Document with Lorem Ipsum", "Austria 8.9 83,879 Vienna German")),
    CorpusPdf("pdflatex-4-pages.pdf", 4, ("Hello, here is some text without a meaning.",)),
    CorpusPdf("pdflatex-forms.pdf", 1, ("Name", "Check", "Submit")),
    CorpusPdf("pdflatex-outline.pdf", 4, ("Contents", "1 Foo", "9 Baz")),
)
TEXT_PDFS = [pdf for pdf in CORPUS if not pdf.image_only]
IMAGE_ONLY_PDFS = [pdf for pdf in CORPUS if pdf.image_only]


def corpus_file(name: str) -> Path:
    """A corpus PDF, read in place. A missing corpus is a broken checkout,
    not a reason to skip."""
    if not CORPUS_DIR.is_dir():
        pytest.fail(f"PDF corpus not found at {CORPUS_DIR}: it lives in the 'shared' folder beside the repository")
    path = CORPUS_DIR / name
    assert path.is_file(), f"corpus file {name} is missing from {CORPUS_DIR}"
    return path


# --- generated files --------------------------------------------------------


def write_pixel_bomb_png(path: Path, width: int = 50_000, height: int = 50_000) -> Path:
    """A valid 1x1 PNG whose IHDR is patched to claim ``width`` x ``height``."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "red").save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    # Signature (8) + IHDR length (4) + "IHDR" (4), then width and height.
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def write_zip_bomb(path: Path, megabytes: int = 200) -> Path:
    """A zip with one entry of ``megabytes`` MiB of zeros: ~200 KB on disk,
    ratio ~1000:1. Written in chunks so the test never holds it in memory."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as entry:
            for _ in range(megabytes):
                entry.write(chunk)
    return path


def write_truncated_pdf(path: Path) -> Path:
    data = corpus_file("pdflatex-4-pages.pdf").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


ODF_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def write_odf(path: Path, mime_type: str, body: str, *, title: str = "") -> Path:
    """A minimal OpenDocument: ``mimetype`` first and stored, then content.xml
    (and meta.xml when a title is given), as the specification requires."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NAMESPACES} office:version="1.3">'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", mime_type, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        if title:
            meta = (
                f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF_NAMESPACES}>'
                f"<office:meta><dc:title>{title}</dc:title></office:meta></office:document-meta>"
            )
            archive.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
    return path


# --- PDF corpus -------------------------------------------------------------


def test_corpus_holds_exactly_the_pdfs_these_tests_know() -> None:
    # Given the shared corpus folder
    corpus_file(CORPUS[0].name)

    # When its PDFs are listed
    found = {path.name for path in CORPUS_DIR.glob("*.pdf")}

    # Then every one has an expectation below (a new file cannot go untested)
    assert found == {pdf.name for pdf in CORPUS} | {PASSWORD_PDF}


@pytest.mark.parametrize("pdf", TEXT_PDFS, ids=lambda pdf: pdf.name)
def test_corpus_pdf_text_is_extracted_page_by_page(pdf: CorpusPdf) -> None:
    # Given a PDF with a text layer
    path = corpus_file(pdf.name)

    # When its text is extracted
    result = extract_text(path, PDF)

    # Then there is one clean text per page and the known phrases are in it
    assert result.page_count == pdf.pages
    assert len(result.pages) == pdf.pages
    for phrase in pdf.phrases:
        assert phrase in result.text, f"{phrase!r} missing from {pdf.name}"
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", result.text), "control characters must be cleaned out"
    assert "producer" in result.metadata


@pytest.mark.parametrize("pdf", IMAGE_ONLY_PDFS, ids=lambda pdf: pdf.name)
def test_image_only_pdf_has_pages_but_no_text(pdf: CorpusPdf) -> None:
    # Given a PDF made of scanned images (ImageMagick, CCITT fax)
    path = corpus_file(pdf.name)

    # When its text is extracted
    result = extract_text(path, PDF)

    # Then every page is accounted for, each with empty text, not an error
    assert result.page_count == pdf.pages
    assert result.pages == [""] * pdf.pages
    assert result.metadata["producer"] == "https://imagemagick.org"


def test_right_to_left_arabic_text_survives() -> None:
    # Given a WeasyPrint PDF with Arabic text
    path = corpus_file("habibi.pdf")

    # When its text is extracted
    result = extract_text(path, PDF)

    # Then Arabic letters come through as Unicode
    assert re.search(r"[\u0600-\u06ff]", result.text)


def test_pdf_metadata_is_json_ready() -> None:
    # Given PDFs with an information dictionary (one with a NUL in its title)
    google = corpus_file("google-doc-document.pdf")
    writer = corpus_file("002-trivial-libre-office-writer.pdf")
    imagemagick = corpus_file("imagemagick-CCITTFaxDecode.pdf")

    # When they are extracted
    google_meta = extract_text(google, PDF).metadata
    writer_meta = extract_text(writer, PDF).metadata
    imagemagick_meta = extract_text(imagemagick, PDF).metadata

    # Then title, producer and ISO dates are there, empty values are not,
    # and no NUL reaches the metadata (PostgreSQL's jsonb refuses it)
    assert google_meta["title"] == "PDF Example Document"
    assert google_meta["producer"] == "Skia/PDF m103 Google Docs Renderer"
    assert writer_meta["created"] == "2022-04-03T19:31:02+02:00"
    assert writer_meta["pdf_version"] == "1.5"
    assert "author" not in writer_meta
    assert imagemagick_meta["title"] == "imagemagick-CCITTFaxDecode"


def test_password_protected_pdf_says_so() -> None:
    # Given the LibreOffice PDF saved with an open password
    path = corpus_file(PASSWORD_PDF)

    # When extraction is attempted / Then it asks for a copy without a password
    with pytest.raises(PasswordProtected) as caught:
        extract_text(path, PDF)
    assert caught.value.state == "needs_password"
    assert "password" in caught.value.reason


def test_progress_is_reported_every_25_pages_and_at_the_end(tmp_path: Path) -> None:
    # Given a 60-page PDF assembled from a corpus file
    source = pdfium.PdfDocument(str(corpus_file("pdflatex-4-pages.pdf")))
    combined = pdfium.PdfDocument.new()
    for _ in range(15):
        combined.import_pages(source)
    path = tmp_path / "long.pdf"
    combined.save(str(path))
    combined.close()
    source.close()
    calls: list[tuple[int, int]] = []

    # When it is extracted with a progress callback
    result = extract_text(path, PDF, progress=lambda done, total: calls.append((done, total)))

    # Then progress arrives in steps of 25 and finishes at the page count
    assert result.page_count == 60
    assert calls == [(25, 60), (50, 60), (60, 60)]
    assert "Hello, here is some text without a meaning." in result.pages[59]


def test_pdf_with_more_pages_than_the_limit_is_refused() -> None:
    # Given a 4-page PDF and a 3-page limit
    path = corpus_file("pdflatex-4-pages.pdf")

    # When it is extracted / Then it is refused before any page is read
    with pytest.raises(ResourceLimitExceeded, match="4 pages"):
        extract_text(path, PDF, limits=Limits(max_pages=3))


def test_text_beyond_the_character_limit_is_truncated_and_noted() -> None:
    # Given a 4-page PDF with ~14,000 characters and a 5,000 character budget
    path = corpus_file("pdflatex-4-pages.pdf")

    # When it is extracted
    result = extract_text(path, PDF, limits=Limits(max_text_chars=5_000))

    # Then the text stops at the budget, pages still line up, and it says so
    assert sum(len(page) for page in result.pages) == 5_000
    assert len(result.pages) == 4
    assert result.pages[-1] == ""
    assert result.metadata["text_truncated"] is True


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    # Given the first half of a real PDF
    path = write_truncated_pdf(tmp_path / "half.pdf")

    # When it is extracted / Then it is reported as corrupt, briefly
    with pytest.raises(CorruptFile) as caught:
        extract_text(path, PDF)
    assert "corrupt" in caught.value.reason
    assert len(caught.value.reason) < 200


def test_random_bytes_typed_as_pdf_are_corrupt(tmp_path: Path) -> None:
    # Given random bytes claiming to be a PDF
    path = tmp_path / "random.pdf"
    path.write_bytes(os.urandom(20_000))

    # When it is extracted / Then it is corrupt
    with pytest.raises(CorruptFile):
        extract_text(path, PDF)


@pytest.mark.parametrize("mime_type", [PDF, DOCX, ODS, "text/plain", "image/png"])
def test_empty_file_is_corrupt(tmp_path: Path, mime_type: str) -> None:
    # Given a 0-byte upload
    path = tmp_path / "empty"
    path.touch()

    # When it is extracted / Then it is corrupt, whatever its claimed type
    with pytest.raises(CorruptFile, match="empty"):
        extract_text(path, mime_type)


def test_unsupported_type_is_a_processing_error(tmp_path: Path) -> None:
    # Given a file of a type the catalog does not process
    path = tmp_path / "a.svg"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")

    # When it is extracted / Then it fails permanently, naming the type
    with pytest.raises(ProcessingError, match=r"unsupported type: image/svg\+xml"):
        extract_text(path, "image/svg+xml")


# --- Office Open XML ---------------------------------------------------------


def test_docx_paragraphs_and_tables_in_reading_order(tmp_path: Path) -> None:
    # Given a Word document with a heading, paragraphs, a table and a title
    document = docx.Document()
    document.core_properties.title = "Quarterly report"
    document.core_properties.author = "Ada Lovelace"
    document.add_heading("Findings", level=1)
    document.add_paragraph("Revenue grew in every region.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "Growth"
    table.cell(1, 0).text, table.cell(1, 1).text = "North", "12%"
    document.add_paragraph("Closing remarks follow the table.")
    path = tmp_path / "report.docx"
    document.save(str(path))

    # When its text is extracted
    result = extract_text(path, DOCX)

    # Then it is one page, in document order, with the table as tab-separated rows
    assert result.page_count == 1
    text = result.pages[0]
    assert text.index("Findings") < text.index("Revenue grew") < text.index("North\t12%") < text.index("Closing")
    assert result.metadata["title"] == "Quarterly report"
    assert result.metadata["author"] == "Ada Lovelace"
    # And the dates python-docx returns as datetimes are stored as ISO strings
    assert json.loads(json.dumps(result.metadata))["created"] == result.metadata["created"]


def test_xlsx_one_page_per_worksheet_with_cached_values(tmp_path: Path) -> None:
    # Given a workbook with two sheets of text, numbers and dates
    workbook = openpyxl.Workbook()
    sales = workbook.active
    sales.title = "Sales"
    sales.append(["Product", "Units", "Shipped"])
    sales.append(["Widget", 42, dt.date(2024, 5, 1)])
    sales.append(["Gadget", 7.5, None])
    notes = workbook.create_sheet("Notes")
    notes["B3"] = "Prices exclude VAT"
    path = tmp_path / "sales.xlsx"
    workbook.save(str(path))

    # When its text is extracted
    result = extract_text(path, XLSX)

    # Then each sheet is a page of tab-separated rows, named in the metadata
    assert result.page_count == 2
    assert result.metadata["sheet_names"] == ["Sales", "Notes"]
    assert result.pages[0].splitlines() == [
        "Product\tUnits\tShipped",
        "Widget\t42\t2024-05-01T00:00:00",
        "Gadget\t7.5",
    ]
    assert result.pages[1] == "\tPrices exclude VAT"


def test_pptx_one_page_per_slide_with_notes(tmp_path: Path) -> None:
    # Given a two-slide deck with titles, a text box and speaker notes
    presentation = Presentation()
    for title, body, notes in (
        ("Roadmap", "Ship the catalog in spring", "Mention the pilot users"),
        ("Budget", "Two engineers, one librarian", ""),
    ):
        slide = presentation.slides.add_slide(presentation.slide_layouts[5])
        slide.shapes.title.text = title
        slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1)).text_frame.text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    path = tmp_path / "deck.pptx"
    presentation.save(str(path))

    # When its text is extracted
    result = extract_text(path, PPTX)

    # Then each slide is a page with its own text and notes
    assert result.page_count == 2
    assert "Roadmap" in result.pages[0]
    assert "Ship the catalog in spring" in result.pages[0]
    assert "Mention the pilot users" in result.pages[0]
    assert "Budget" in result.pages[1]
    assert "Roadmap" not in result.pages[1]


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built once: deflating 200 MiB of zeros takes most of a second.
    return write_zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.zip")


@pytest.mark.parametrize("mime_type", [DOCX, XLSX, PPTX, ODT])
def test_zip_bomb_is_refused_before_expansion(zip_bomb: Path, mime_type: str) -> None:
    # Given a ~200 KB office file that would expand to 200 MiB
    path = zip_bomb
    assert path.stat().st_size < 1024 * 1024

    # When it is extracted
    started = time.perf_counter()
    with pytest.raises(ResourceLimitExceeded, match="zip bomb"):
        extract_text(path, mime_type)

    # Then it was refused from the zip directory alone: inflating 200 MiB
    # takes ~0.5 s, reading the directory ~1 ms
    assert time.perf_counter() - started < 0.2


def test_zip_expanding_past_the_total_limit_is_refused(tmp_path: Path) -> None:
    # Given an ordinary-looking docx and a total expansion limit below its size
    document = docx.Document()
    document.add_paragraph("Hello")
    path = tmp_path / "small.docx"
    document.save(str(path))

    # When the zip is checked against a 10 KiB limit / Then it is refused
    with pytest.raises(ResourceLimitExceeded, match="expand to more than"):
        check_zip_safety(path, Limits(max_zip_uncompressed_bytes=10 * 1024))
    # And it passes the default limits
    check_zip_safety(path, DEFAULT_LIMITS)


def test_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    # Given a zip with 50 entries and a limit of 20
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(50):
            archive.writestr(f"part{number}.xml", "<x/>")

    # When it is extracted / Then it is refused
    with pytest.raises(ResourceLimitExceeded, match="50 zip entries"):
        extract_text(path, DOCX, limits=Limits(max_zip_entries=20))


def test_file_that_is_not_a_zip_typed_as_docx_is_corrupt(tmp_path: Path) -> None:
    # Given plain text claiming to be a Word document
    path = tmp_path / "fake.docx"
    path.write_text("this is not a zip file")

    # When it is extracted / Then it is corrupt
    with pytest.raises(CorruptFile, match="zip"):
        extract_text(path, DOCX)


@pytest.mark.parametrize("mime_type", [DOCX, XLSX, PPTX])
def test_zip_without_the_office_parts_is_corrupt_with_a_short_reason(tmp_path: Path, mime_type: str) -> None:
    # Given a valid zip that lacks the parts an office document needs
    path = tmp_path / "hollow"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing to see " * 200)

    # When it is extracted / Then the parser's failure becomes a short reason
    with pytest.raises(CorruptFile) as caught:
        extract_text(path, mime_type)
    assert caught.value.reason.startswith("the file is corrupt")
    assert len(caught.value.reason) < 200
    assert "Traceback" not in caught.value.reason


# --- OpenDocument ------------------------------------------------------------


def test_odt_text_with_headings_spaces_tabs_and_tables(tmp_path: Path) -> None:
    # Given an ODT with a heading, ODF whitespace elements, a list and a table
    body = (
        "<office:text>"
        '<text:h text:outline-level="1">Minutes</text:h>'
        "<text:p>Present:<text:s/>Ana<text:tab/>Ben<text:line-break/>Absent:<text:s text:c='3'/>none</text:p>"
        "<text:list><text:list-item><text:p>First <text:span>action</text:span> item</text:p></text:list-item>"
        "</text:list>"
        "<table:table><table:table-row>"
        "<table:table-cell><text:p>Budget</text:p></table:table-cell>"
        "<table:table-cell><text:p>1200</text:p></table:table-cell>"
        "</table:table-row></table:table>"
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>deleted words</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "</office:text>"
    )
    path = write_odf(tmp_path / "minutes.odt", ODT, body, title="Board minutes")

    # When its text is extracted
    result = extract_text(path, ODT)

    # Then it is one page with whitespace expanded and deletions left out
    assert result.page_count == 1
    assert result.pages[0].splitlines() == [
        "Minutes",
        "Present: Ana\tBen",
        "Absent:   none",
        "First action item",
        "Budget\t1200",
    ]
    assert result.metadata["title"] == "Board minutes"


def test_ods_one_page_per_sheet_without_expanding_repeats(tmp_path: Path) -> None:
    # Given an ODS whose rows claim a million repeats and 16,384 repeated cells
    # (what LibreOffice writes for formatted empty space)
    body = (
        "<office:spreadsheet>"
        '<table:table table:name="Inventory">'
        "<table:table-row><table:table-cell><text:p>Item</text:p></table:table-cell>"
        "<table:table-cell><text:p>Count</text:p></table:table-cell>"
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048576">'
        "<table:table-cell><text:p>Bolt</text:p></table:table-cell>"
        '<table:table-cell office:value-type="float" office:value="3"><text:p>3</text:p></table:table-cell>'
        "</table:table-row>"
        "</table:table>"
        '<table:table table:name="Suppliers">'
        "<table:table-row><table:table-cell><text:p>ACME Ltd</text:p></table:table-cell></table:table-row>"
        "</table:table>"
        "</office:spreadsheet>"
    )
    path = write_odf(tmp_path / "stock.ods", ODS, body)

    # When its text is extracted
    started = time.perf_counter()
    result = extract_text(path, ODS)

    # Then each sheet is a page, repeats are reported once, and it was quick
    assert time.perf_counter() - started < 1
    assert result.page_count == 2
    assert result.metadata["sheet_names"] == ["Inventory", "Suppliers"]
    assert result.pages == ["Item\tCount\nBolt\t3", "ACME Ltd"]


def test_odp_one_page_per_slide(tmp_path: Path) -> None:
    # Given an ODP with two slides of text frames
    def slide(name: str, *paragraphs: str) -> str:
        frames = "".join(
            f"<draw:frame><draw:text-box><text:p>{text}</text:p></draw:text-box></draw:frame>" for text in paragraphs
        )
        return f'<draw:page draw:name="{name}">{frames}</draw:page>'

    body = (
        "<office:presentation>"
        + slide("one", "Welcome", "Agenda for today")
        + slide("two", "Questions?")
        + "</office:presentation>"
    )
    path = write_odf(tmp_path / "talk.odp", ODP, body)

    # When its text is extracted
    result = extract_text(path, ODP)

    # Then each slide is its own page
    assert result.page_count == 2
    assert result.pages == ["Welcome\nAgenda for today", "Questions?"]


def test_odf_with_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    # Given an ODT whose content.xml declares entities (the billion-laughs shape)
    path = tmp_path / "laughs.odt"
    content = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        f"<office:document-content {ODF_NAMESPACES}><office:body><office:text><text:p>&lol2;</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODT)
        archive.writestr("content.xml", content)

    # When it is extracted / Then the entities are never expanded
    with pytest.raises(CorruptFile):
        extract_text(path, ODT)


def test_odf_without_content_xml_is_corrupt(tmp_path: Path) -> None:
    # Given a zip with only an ODF mimetype entry
    path = tmp_path / "hollow.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODT)

    # When it is extracted / Then it is corrupt
    with pytest.raises(CorruptFile, match=r"content\.xml"):
        extract_text(path, ODT)


# --- text and HTML -----------------------------------------------------------

# The dash, curly quotes and euro sign exist in cp1252 but not in latin-1.
WESTERN_TEXT = "Café crème brûlée, naïve façade – “quoted” for Zoë. Grüße aus Köln, 5 €.\nÀ bientôt!\n"  # noqa: RUF001


@pytest.mark.parametrize(
    ("encoding", "expected_charsets"),
    [("utf-8", {"utf-8"}), ("cp1252", {"cp1252"}), ("utf-16", {"utf_16"})],
)
def test_plain_text_is_decoded_and_its_charset_recorded(
    tmp_path: Path, encoding: str, expected_charsets: set[str]
) -> None:
    # Given the same Western European text in different encodings
    path = tmp_path / "note.txt"
    path.write_bytes(WESTERN_TEXT.encode(encoding))

    # When it is extracted
    result = extract_text(path, "text/plain")

    # Then the characters come back intact and the encoding is named
    assert result.pages == [WESTERN_TEXT.strip()]
    assert result.metadata["charset"] in expected_charsets


def test_latin1_text_without_windows_characters_is_read_correctly(tmp_path: Path) -> None:
    # Given Spanish text saved as ISO-8859-1
    text = "Ñandú, pingüino y cigüeña: ¿qué más? ¡Olé! Año nuevo en Cádiz."
    path = tmp_path / "notas.txt"
    path.write_bytes(text.encode("latin-1"))

    # When it is extracted / Then it reads as written
    assert extract_text(path, "text/plain; charset=iso-8859-1").pages == [text]


def test_windows_line_endings_become_newlines(tmp_path: Path) -> None:
    # Given a text file written on Windows
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"first line\r\nsecond line\r\n")

    # When it is extracted / Then lines end in \n only
    assert extract_text(path, "text/plain").pages == ["first line\nsecond line"]


def test_csv_and_markdown_keep_their_text(tmp_path: Path) -> None:
    # Given a CSV and a Markdown file
    csv_path = tmp_path / "people.csv"
    csv_path.write_text('name,city\n"Müller, Jan",Zürich\n', encoding="utf-8")
    md_path = tmp_path / "README.md"
    md_path.write_text("# Catalog\n\nSearch *everything*.\n", encoding="utf-8")

    # When they are extracted
    csv_result = extract_text(csv_path, "text/csv")
    md_result = extract_text(md_path, "text/markdown")

    # Then the text is there as written
    assert csv_result.pages == ['name,city\n"Müller, Jan",Zürich']
    assert md_result.pages == ["# Catalog\n\nSearch *everything*."]


def test_html_keeps_visible_text_and_drops_scripts_and_styles(tmp_path: Path) -> None:
    # Given an HTML page with a script, a style sheet, entities and a table
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Opening  hours</title>"
        "<style>body { color: red }</style><script>alert(1)</script></head>"
        "<body><h1>Library</h1><p>Open   Monday&nbsp;to Friday &amp; weekends.</p>"
        "<script type='text/javascript'>document.write('<p>injected</p>')</script>"
        "<table><tr><td>Mon</td><td>9-17</td></tr></table>"
        "<noscript>Enable JavaScript</noscript><pre>  keep   spacing</pre></body></html>",
        encoding="utf-8",
    )

    # When it is extracted
    result = extract_text(path, "text/html")

    # Then only what a reader sees is kept, and the title goes to metadata
    text = result.pages[0]
    assert "alert(1)" not in text
    assert "injected" not in text
    assert "color: red" not in text
    assert "Enable JavaScript" not in text
    assert "Library" in text
    assert "Open Monday\xa0to Friday & weekends." in text
    assert "Mon\t9-17" in text
    assert "  keep   spacing" in text
    assert result.metadata["title"] == "Opening hours"


def test_binary_bytes_typed_as_text_are_corrupt(tmp_path: Path) -> None:
    # Given random bytes claiming to be plain text
    path = tmp_path / "noise.txt"
    path.write_bytes(os.urandom(4096))

    # When it is extracted / Then it is refused as not being text
    with pytest.raises(CorruptFile, match="text"):
        extract_text(path, "text/plain")


def test_oversized_text_file_is_truncated_and_noted(tmp_path: Path) -> None:
    # Given a text file larger than the character budget
    path = tmp_path / "big.txt"
    path.write_text("word " * 10_000, encoding="utf-8")

    # When it is extracted with a 1,000 character budget
    result = extract_text(path, "text/plain", limits=Limits(max_text_chars=1_000))

    # Then the text stops there and the metadata says so
    assert len(result.pages[0]) <= 1_000
    assert result.metadata["text_truncated"] is True


# --- images ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mime_type", "pil_format", "mode", "expected_format"),
    [
        ("image/png", "PNG", "RGBA", "PNG"),
        ("image/jpeg", "JPEG", "RGB", "JPEG"),
        ("image/jpeg", "JPEG", "CMYK", "JPEG"),
        ("image/gif", "GIF", "P", "GIF"),
        ("image/tiff", "TIFF", "RGB", "TIFF"),
        ("image/webp", "WEBP", "RGB", "WEBP"),
    ],
)
def test_image_metadata_comes_from_the_header(
    tmp_path: Path, mime_type: str, pil_format: str, mode: str, expected_format: str
) -> None:
    # Given a 320 x 200 image of each accepted format
    path = tmp_path / f"picture.{pil_format.lower()}"
    Image.new(mode, (320, 200)).save(path, format=pil_format)

    # When it is "extracted"
    result = extract_text(path, mime_type)

    # Then there is no text, one page, and the header's facts
    assert result.pages == []
    assert result.page_count == 1
    assert result.metadata["width"] == 320
    assert result.metadata["height"] == 200
    assert result.metadata["mode"] == mode
    assert result.metadata["format"] == expected_format


def test_animated_gif_records_its_frame_count(tmp_path: Path) -> None:
    # Given a three-frame GIF
    path = tmp_path / "spinner.gif"
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("red", "green", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:])

    # When it is extracted / Then the frames are counted
    assert extract_text(path, "image/gif").metadata["frames"] == 3


def test_png_claiming_50000_by_50000_pixels_is_refused_from_the_header(tmp_path: Path) -> None:
    # Given a tiny PNG whose header claims 2.5 gigapixels
    path = write_pixel_bomb_png(tmp_path / "bomb.png")
    assert path.stat().st_size < 1_000

    # When it is extracted / Then it is refused without decoding
    started = time.perf_counter()
    with pytest.raises(ResourceLimitExceeded, match="pixels"):
        extract_text(path, "image/png")
    assert time.perf_counter() - started < 0.2


def test_image_just_over_a_custom_pixel_limit_is_refused(tmp_path: Path) -> None:
    # Given a 101 x 100 px image and a 10,000 pixel limit
    path = tmp_path / "small.png"
    Image.new("RGB", (101, 100)).save(path)

    # When it is extracted / Then our limit, not Pillow's, decides
    with pytest.raises(ResourceLimitExceeded, match="101 x 100"):
        extract_text(path, "image/png", limits=Limits(max_image_pixels=10_000))


def test_garbage_typed_as_png_is_corrupt(tmp_path: Path) -> None:
    # Given bytes that are not an image
    path = tmp_path / "fake.png"
    path.write_bytes(b"\x89PNG but not really" + os.urandom(100))

    # When it is extracted / Then it is corrupt
    with pytest.raises(CorruptFile, match="image"):
        extract_text(path, "image/png")
