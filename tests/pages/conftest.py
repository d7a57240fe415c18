"""Documents for the page tests, processed through every pipeline step in
the test process (the browser tests use a real worker instead)."""

from __future__ import annotations

import pytest

from documents import services
from documents.demo.pdfwriter import render_pdf
from documents.models import Document
from tests.library import Library, upload

WING = (
    "Leading-edge slats on a swept wing",
    "Wind tunnel measurements of lift and drag on a swept wing model. Slats delayed the stall by four degrees "
    "and raised the maximum lift coefficient. Boundary layer transition moved forward with Reynolds number.",
)
REMOTE = (
    "Remote work policy",
    "Staff may work from home up to three days a week. The organisation provides an encrypted laptop. "
    "Report a lost laptop to the service desk within one hour.",
)
BUDGET = (
    "Confidential budget",
    "Income of four million euros and expenditure on salaries, energy and building maintenance. "
    "The board approved the budget subject to a revised estimate of energy costs.",
)


def process(document: Document) -> Document:
    for step in document.current_version.steps.order_by("position"):
        services.step_execute(version_id=document.current_version_id, step_name=step.name)
    document.refresh_from_db()
    return document


def ingest(user, collection, title: str, pages: list[str], filename: str = "doc.pdf", **kwargs) -> Document:
    data = render_pdf(title, pages)
    return process(upload(user, collection, data, filename=filename, title=title, **kwargs))


@pytest.fixture
def catalog(lib: Library, librarian, board_member) -> dict[str, Document]:
    return {
        "wing": ingest(librarian, lib.library, WING[0], [WING[1]] * 14 + ["Last page about flaps and ailerons."]),
        "remote": ingest(librarian, lib.library, REMOTE[0], [REMOTE[1]], filename="remote.pdf"),
        "budget": ingest(board_member, lib.restricted, BUDGET[0], [BUDGET[1]], filename="budget.pdf"),
    }
