"""The AI steps through a real Celery worker and the real broker: an
uploaded PDF gets a summary and suggestions on the slow queue, and is ready."""

from __future__ import annotations

import pytest

from ai.models import AIRun, Suggestion, SuggestionStatus, Summary
from documents import services
from documents.demo.pdfwriter import render_pdf
from documents.models import Document, ProcessingStatus, StepState
from tests.ai.helpers import REMOTE, WING
from tests.ai.test_suggestions import WING_2, WING_3
from tests.conftest import WorkerProcess, wait_for
from tests.factories import TagFactory
from tests.library import Library, upload

pytestmark = pytest.mark.worker
FINAL = {ProcessingStatus.READY, ProcessingStatus.FAILED, ProcessingStatus.NEEDS_PASSWORD}


def processed(document: Document, timeout: float = 120) -> Document:
    wait_for(lambda: Document.objects.filter(pk=document.pk, status__in=FINAL).exists(), timeout=timeout, interval=0.5)
    document.refresh_from_db()
    return document


def test_uploaded_pdf_gets_a_summary_and_suggestions_from_the_worker(
    lib: Library, librarian, celery_worker_process: WorkerProcess
) -> None:
    # given two processed wing reports a librarian tagged
    aero = TagFactory(name="aerodynamics")
    TagFactory(name="finance")
    earlier = [
        upload(librarian, lib.library, render_pdf(title, text), filename=f"{n}.pdf", title=title)
        for n, (title, text) in enumerate((("Slats", WING), ("Separation", WING_2), ("Remote work", REMOTE)))
    ]
    for document in earlier:
        assert processed(document).status == ProcessingStatus.READY, document.current_version.error
    services.documents_tag(user=librarian, documents=earlier[:2], add=[aero])

    # when a new wing report is uploaded
    document = processed(upload(librarian, lib.library, render_pdf("Stall", WING_3), filename="stall.pdf"))

    # then it is ready, summarised from its own sentences, and "aerodynamics" awaits review
    version = document.current_version
    assert document.status == ProcessingStatus.READY, version.error
    assert {step.name: step.state for step in version.steps.filter(name__in=["summarise", "suggest"])} == {
        "summarise": StepState.DONE,
        "suggest": StepState.DONE,
    }
    summary = Summary.objects.get(version=version)
    assert summary.provider == "local" and "wing" in summary.text
    suggestion = Suggestion.objects.get(document=document, tag=aero)
    assert suggestion.status == SuggestionStatus.PENDING and suggestion.confidence >= 0.3
    assert AIRun.objects.filter(document=document, capability__in=["summary", "suggestions"]).count() == 2


def test_regenerating_a_summary_runs_on_the_worker(
    lib: Library, librarian, celery_worker_process: WorkerProcess
) -> None:
    from ai.services.summaries import summary_regenerate

    document = processed(upload(librarian, lib.library, render_pdf("Slats", WING), filename="slats.pdf"))
    runs = AIRun.objects.filter(document=document, capability="summary")
    assert runs.count() == 1

    summary_regenerate(document, librarian)

    wait_for(lambda: runs.count() == 2, timeout=60, interval=0.5)
    assert runs.latest("created_at").user == librarian
    assert Summary.objects.filter(version=document.current_version).count() == 1
