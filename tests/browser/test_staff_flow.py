"""The staff pages in a real browser, against the live server, the real
database and a real Celery worker: sign in, upload a PDF from the shared
corpus, watch it get processed, find it, read it, download it, ask about
it, sign out — and a user without rights finds no trace of it."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.models import User

from documents.models import Document
from tests.conftest import WorkerProcess
from tests.library import CORPUS, Library

pytestmark = [pytest.mark.browser, pytest.mark.worker]
PDF = CORPUS / "crazyones-pdfa.pdf"
LOCKED = CORPUS / "libreoffice-writer-password.pdf"
PASSWORD = "correct horse battery staple"


def drop_files(page, selector: str, paths: list) -> None:
    """Drop files on an element as a person dragging them from their desktop would."""
    files = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    page.wait_for_selector(f"{selector}[data-ready]", state="attached")  # the page's script has run
    page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, {type: "application/pdf"}));
            }
            const zone = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
            }
        }""",
        [selector, files],
    )


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def test_upload_find_read_download_ask_and_sign_out(
    browser,
    live_server,
    screenshot,
    lib: Library,
    librarian: User,
    outsider: User,
    celery_worker_process: WorkerProcess,
    tmp_path,
) -> None:
    base = live_server.url
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # sign in
    sign_in(page, base, "librarian")
    assert page.get_by_role("heading", name=re.compile("Welcome")).is_visible()
    screenshot(page, "signed-in")

    # drop two PDFs on the upload page: each gets its own transfer bar, then
    # its processing runs live to ready — or to failed, with the reason
    page.get_by_role("link", name="Upload", exact=True).click()
    page.get_by_label("Collection").select_option(label="Library")
    drop_files(page, "#dropzone", [PDF, LOCKED])
    for path in (PDF, LOCKED):
        bar = page.get_by_label(f"Upload of {path.name}")
        page.wait_for_function("el => el.value === 100", arg=bar.element_handle(), timeout=30_000)
    page.locator(".processing").nth(1).wait_for(timeout=30_000)
    screenshot(page, "uploading")
    page.locator('[data-status="ready"]').wait_for(timeout=240_000)
    page.locator('[data-status="needs_password"]').wait_for(timeout=60_000)
    document = Document.objects.get(current_version__original_filename=PDF.name)
    assert document.status == "ready" and document.collection == lib.library
    assert page.get_by_role("link", name=f"open {document.title}").is_visible()
    assert "password-protected PDF" in page.locator(".upload", has_text=LOCKED.name).inner_text()
    screenshot(page, "processed")

    # browse: it is in the grid with its thumbnail
    page.get_by_role("link", name="Browse", exact=True).click()
    card = page.locator(".card", has_text=document.title)
    thumbnail = card.get_by_alt_text(f"First page of {document.title}")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    screenshot(page, "browse")

    # find it by a phrase from its text
    page.get_by_label("Search the catalog").fill("misfits rebels troublemakers")
    page.get_by_label("Search the catalog").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=misfits"))
    result = page.locator(".result").first
    assert document.title in result.inner_text()
    assert result.locator("mark").count() >= 1
    screenshot(page, "search")

    # open it and see a preview
    result.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/documents/{document.uuid}/"))
    preview = page.get_by_alt_text(f"Page 1 of {document.title}")
    preview.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    screenshot(page, "document")

    # download it: the bytes are the uploaded file
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download", exact=True).click()
    download = download_info.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert download.suggested_filename == PDF.name
    assert saved.read_bytes() == PDF.read_bytes()

    # ask a question and follow a citation
    page.get_by_role("link", name="Ask", exact=True).click()
    page.get_by_label("Your question").fill("Who are the crazy ones, the misfits and the rebels?")
    page.get_by_role("button", name="Ask", exact=True).click()
    citation = page.locator(".citations a").first
    citation.wait_for()
    screenshot(page, "answer")
    citation.click()
    page.wait_for_url(re.compile(rf"/documents/{document.uuid}/"))
    assert page.get_by_role("heading", name=document.title, level=1).is_visible()
    screenshot(page, "cited-document")

    # the layout fits a phone's width
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/search/?q=misfits+rebels+troublemakers")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "search-on-a-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # sign out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_role("heading", name="Sign in").is_visible()
    screenshot(page, "signed-out")
    context.close()

    # a user without rights: the document URL is a 404, search shows nothing
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    page = other.new_page()
    sign_in(page, base, "outsider")
    response = page.goto(f"{base}/documents/{document.uuid}/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert document.title not in page.content()
    screenshot(page, "outsider-404")
    page.goto(f"{base}/search/?q=misfits+rebels+troublemakers")
    assert "0 documents" in page.locator(".summary").inner_text()
    assert document.title not in page.content()
    screenshot(page, "outsider-search")
    other.close()
