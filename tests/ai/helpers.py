"""Ingesting documents through the whole pipeline in the test process."""

from __future__ import annotations

from typing import Any

from documents import services
from documents.demo.pdfwriter import render_pdf
from documents.models import Collection, Document
from tests.library import upload


def ingest(user: Any, collection: Collection, title: str, paragraphs: list[str], **kwargs: Any) -> Document:
    """Upload a PDF and run every registered step on it, as the worker would."""
    filename = "".join(c if c.isalnum() else "-" for c in title.lower())[:40] + ".pdf"
    document = upload(user, collection, render_pdf(title, paragraphs), filename=filename, title=title, **kwargs)
    run_pipeline(document)
    return document


def run_pipeline(document: Document) -> None:
    version_id = document.current_version_id
    for step in document.current_version.steps.order_by("position"):
        services.step_execute(version_id=version_id, step_name=step.name)
    document.refresh_from_db()


WING = [
    "Wind tunnel tests measured the lift and drag of a swept wing model at several angles of attack.",
    "Leading-edge slats delayed the stall of the swept wing by about four degrees.",
    "The maximum lift coefficient of the wing rose when the slats were deployed.",
    "Boundary layer transition on the wing moved forward as the Reynolds number increased.",
    "Pressure taps along the wing chord recorded the suction peak near the leading edge.",
    "The tunnel ran at a Mach number of 0.2 for every configuration of the wing.",
]
REMOTE = [
    "Staff may work from home up to three days a week with their manager's agreement.",
    "The organisation provides an encrypted laptop to everyone who works remotely.",
    "Report a lost or stolen laptop to the service desk within one hour.",
    "Remote workers must be reachable by phone during core hours from ten to four.",
    "Home offices should have a proper chair and a desk at the right height.",
]
BUDGET = [
    "The board approved a budget of four million euros for next year.",
    "Salaries account for most of the expenditure, followed by energy and building maintenance.",
    "A revised estimate of energy costs is expected before the spring meeting of the board.",
    "The reserve fund will not be touched unless income falls below three million euros.",
]
