"""The review queue and summaries in the admin, through the Django test
client: lists limited to editable documents, accept / reject one by one
and in bulk, the document page with summary and provenance, regenerate."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from ai.models import AIRun, Suggestion, SuggestionKind, SuggestionStatus, Summary
from ai.tasks import regenerate_summary
from documents.models import AuditAction, AuditEvent, Document
from tests.ai.helpers import BUDGET, REMOTE, WING, ingest
from tests.factories import CollectionFactory, TagFactory
from tests.library import Library

pytestmark = pytest.mark.django_db
QUEUE = "/admin/ai/suggestion/"


@pytest.fixture
def librarian_client(client: Client, librarian) -> Client:
    librarian.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["documents", "ai"]))
    client.force_login(librarian)
    return client


def suggest(document: Document, target, confidence: float = 0.8) -> Suggestion:
    """A pending suggestion as the suggest step stores it."""
    kind = SuggestionKind.TAG if hasattr(target, "colour") else SuggestionKind.COLLECTION
    return Suggestion.objects.create(
        document=document,
        kind=kind,
        confidence=confidence,
        provider="local",
        model="neighbours/all-MiniLM-L6-v2",
        prompt_version="1",
        **{kind.value: target},
    )


@pytest.fixture
def queue(lib: Library, librarian, board_member) -> dict[str, Suggestion]:
    wing = ingest(librarian, lib.library, "Slats on a swept wing", WING)
    remote = ingest(librarian, lib.library, "Remote work policy", REMOTE)
    budget = ingest(board_member, lib.restricted, "Budget for next year", BUDGET)
    Suggestion.objects.all().delete()
    aero, policy, finance = TagFactory(name="aerodynamics"), TagFactory(name="policy"), TagFactory(name="finance")
    hr = CollectionFactory(name="Human resources", editors=[lib.librarians])
    return {
        "aero": suggest(wing, aero, 0.91),
        "policy": suggest(remote, policy, 0.74),
        "hr": suggest(remote, hr, 0.55),
        "secret": suggest(budget, finance, 0.99),
    }


def test_queue_lists_pending_suggestions_with_provenance_only_for_editable_documents(
    librarian_client: Client, queue
) -> None:
    response = librarian_client.get(QUEUE)

    content = response.content.decode()
    assert response.status_code == 200
    for title, target, confidence in (
        ("Slats on a swept wing", "aerodynamics", "91%"),
        ("Remote work policy", "policy", "74%"),
        ("Remote work policy", "Human resources", "55%"),
    ):
        assert title in content and target in content and confidence in content
    assert "local · neighbours/all-MiniLM-L6-v2 · prompt v1" in content
    assert "Budget for next year" not in content and "finance" not in content
    assert reverse("admin:ai_suggestion_accept", args=[queue["aero"].pk]) in content


def test_accept_one_applies_the_tag_and_audits(librarian_client: Client, queue, librarian) -> None:
    aero = queue["aero"]

    response = librarian_client.post(reverse("admin:ai_suggestion_accept", args=[aero.pk]), follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Accepted: tag “aerodynamics” for “Slats on a swept wing”." in response.content.decode()
    aero.refresh_from_db()
    assert aero.status == SuggestionStatus.ACCEPTED and aero.decided_by == librarian
    assert list(aero.document.tags.values_list("name", flat=True)) == ["aerodynamics"]
    assert AuditEvent.objects.filter(actor=librarian, action=AuditAction.EDIT, object_id=str(aero.document_id)).exists()
    assert reverse("admin:ai_suggestion_accept", args=[aero.pk]) not in librarian_client.get(QUEUE).content.decode()


def test_reject_one_changes_nothing_on_the_document(librarian_client: Client, queue, librarian) -> None:
    hr = queue["hr"]

    librarian_client.post(reverse("admin:ai_suggestion_reject", args=[hr.pk]))

    hr.refresh_from_db()
    assert hr.status == SuggestionStatus.REJECTED and hr.decided_by == librarian
    assert hr.document.collection.name == "Library"


def test_deciding_needs_post_and_an_editable_document(librarian_client: Client, queue) -> None:
    assert librarian_client.get(reverse("admin:ai_suggestion_accept", args=[queue["aero"].pk])).status_code == 405
    secret = queue["secret"]

    response = librarian_client.post(reverse("admin:ai_suggestion_accept", args=[secret.pk]))

    assert response.status_code == 404
    secret.refresh_from_db()
    assert secret.status == SuggestionStatus.PENDING and not secret.document.tags.exists()


def test_bulk_accept_and_reject(librarian_client: Client, queue) -> None:
    policy, hr, aero = queue["policy"], queue["hr"], queue["aero"]

    librarian_client.post(
        QUEUE, {"action": "accept_selected", "_selected_action": [policy.pk, hr.pk], "index": 0}, follow=True
    )
    response = librarian_client.post(
        QUEUE, {"action": "reject_selected", "_selected_action": [aero.pk], "index": 0}, follow=True
    )

    assert "1 suggestion(s) rejected." in response.content.decode()
    for suggestion in (policy, hr, aero):
        suggestion.refresh_from_db()
    assert policy.status == hr.status == SuggestionStatus.ACCEPTED
    assert aero.status == SuggestionStatus.REJECTED
    remote = Document.objects.get(pk=policy.document_id)
    assert remote.collection.name == "Human resources"
    assert list(remote.tags.values_list("name", flat=True)) == ["policy"]
    assert not aero.document.tags.exists()


def test_bulk_accept_reports_what_could_not_be_applied(librarian_client: Client, queue, lib: Library) -> None:
    # a collection this librarian may not add documents to
    elsewhere = CollectionFactory(name="Archive")
    blocked = suggest(queue["aero"].document, elsewhere, 0.6)

    response = librarian_client.post(
        QUEUE,
        {"action": "accept_selected", "_selected_action": [blocked.pk, queue["policy"].pk], "index": 0},
        follow=True,
    )

    content = response.content.decode()
    assert "1 suggestion(s) accepted." in content
    assert "1 suggestion(s) not accepted: you may not make that change." in content
    blocked.refresh_from_db()
    assert blocked.status == SuggestionStatus.PENDING
    assert Document.objects.get(pk=blocked.document_id).collection == lib.library


def test_document_page_shows_summary_provenance_and_pending_suggestions(librarian_client: Client, queue) -> None:
    document = queue["policy"].document
    summary = Summary.objects.get(version=document.current_version)

    response = librarian_client.get(reverse("admin:documents_document_change", args=[document.pk]))

    content = response.content.decode()
    assert summary.text[:40] in content
    assert "Made by local · extractive/all-MiniLM-L6-v2 · prompt v1" in content
    assert "Suggestions waiting for review" in content and "Human resources" in content
    assert reverse("admin:documents_document_regenerate_summary", args=[document.pk]) in content


def test_regenerate_from_the_admin_queues_a_fresh_summary(
    librarian_client: Client, queue, librarian, django_capture_on_commit_callbacks
) -> None:
    document = queue["aero"].document
    runs = AIRun.objects.filter(capability="summary", document=document)
    assert runs.count() == 1

    with django_capture_on_commit_callbacks() as callbacks:
        response = librarian_client.post(
            reverse("admin:documents_document_changelist"),
            {"action": "regenerate_summary", "_selected_action": [document.pk], "index": 0},
            follow=True,
        )

    assert "1 summary(ies) will be regenerated shortly." in response.content.decode()
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(actor=librarian, action=AuditAction.REPROCESS).exists()
    # what the worker then runs
    regenerate_summary.run(document.current_version_id, librarian.pk)
    assert runs.count() == 2
    assert runs.latest("created_at").user == librarian


def test_regenerate_is_refused_without_edit_rights(librarian_client: Client, queue, lib: Library) -> None:
    budget = queue["secret"].document

    response = librarian_client.post(reverse("admin:documents_document_regenerate_summary", args=[budget.pk]))

    assert response.status_code == 404


def test_regenerate_button_on_the_document_page(
    librarian_client: Client, queue, librarian, django_capture_on_commit_callbacks
) -> None:
    document = queue["aero"].document
    url = reverse("admin:documents_document_regenerate_summary", args=[document.pk])

    assert librarian_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks() as callbacks:
        response = librarian_client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("admin:documents_document_change", args=[document.pk]), 302)]
    assert "1 summary(ies) will be regenerated shortly." in response.content.decode()
    assert len(callbacks) == 1
