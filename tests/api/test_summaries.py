"""GET /documents/{uuid}/summary/ and POST …/summary/regenerate/."""

from __future__ import annotations

import pytest

from ai.models import Summary
from documents.models import AIPolicy, AuditEvent
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def url(document, suffix: str = "") -> str:
    return f"/api/v1/documents/{document.uuid}/summary/{suffix}"


def test_summary_with_its_provenance(public_doc, reader) -> None:
    response = key_client(reader, ("read",)).get(url(public_doc))

    assert response.status_code == 200
    summary = response.json()["summary"]
    stored = Summary.objects.get(version=public_doc.current_version)
    assert summary["text"] == stored.text and "slats" in summary["text"]
    assert summary["provider"] == "local" and summary["prompt_version"] == stored.prompt_version
    assert summary["truncated"] is False


def test_summary_is_null_until_one_is_made(public_doc, reader) -> None:
    Summary.objects.filter(version=public_doc.current_version).delete()

    assert key_client(reader, ("read",)).get(url(public_doc)).json() == {"summary": None}


def test_a_document_the_caller_may_not_see_is_a_404(secret_doc, reader) -> None:
    client = key_client(reader)

    assert client.get(url(secret_doc)).status_code == 404
    assert client.post(url(secret_doc, "regenerate/")).status_code == 404


def test_regenerate_is_for_editors_with_a_write_key(public_doc, librarian, reader, django_capture_on_commit_callbacks):
    assert key_client(reader).post(url(public_doc, "regenerate/")).status_code == 403
    assert key_client(librarian, ("read",)).post(url(public_doc, "regenerate/")).status_code == 403

    with django_capture_on_commit_callbacks() as callbacks:
        response = key_client(librarian).post(url(public_doc, "regenerate/"))

    assert response.status_code == 202 and response.json() == {"status": "queued"}
    assert len(callbacks) == 1  # the background task is sent once the request commits
    assert AuditEvent.objects.filter(action="reprocess", details__regenerate="summary").count() == 1


def test_regenerate_in_a_collection_without_ai_is_a_clear_409(public_doc, librarian) -> None:
    public_doc.collection.ai_policy = AIPolicy.DISABLED
    public_doc.collection.save(update_fields=["ai_policy"])

    response = key_client(librarian).post(url(public_doc, "regenerate/"))

    assert response.status_code == 409
    assert "disabled" in response.json()["error"]["message"]
