"""A librarian's decision on an AI suggestion: accept (it becomes metadata)
or reject. The change itself goes through the documents curation services,
so permissions, audit and re-indexing are the same as for a manual edit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ai.models import Suggestion, SuggestionKind, SuggestionStatus
from documents import selectors
from documents.services import RequestMeta, documents_move, documents_tag


def _require_pending_and_editable(user: Any, suggestion: Suggestion) -> None:
    if not selectors.documents_editable_by(user).filter(pk=suggestion.document_id).exists():
        raise PermissionDenied("You may not edit this document.")
    if suggestion.status != SuggestionStatus.PENDING:
        raise ValidationError(f"this suggestion was already {suggestion.get_status_display().lower()}")


@transaction.atomic
def suggestion_accept(*, user: Any, suggestion: Suggestion, meta: RequestMeta | None = None) -> Suggestion:
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    _require_pending_and_editable(user, suggestion)
    if suggestion.kind == SuggestionKind.TAG:
        documents_tag(user=user, documents=[suggestion.document], add=[suggestion.tag])
    else:
        documents_move(user=user, documents=[suggestion.document], collection=suggestion.collection, meta=meta)
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


@transaction.atomic
def suggestion_reject(*, user: Any, suggestion: Suggestion) -> Suggestion:
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    _require_pending_and_editable(user, suggestion)
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion
