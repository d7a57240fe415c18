"""Reads of AI results for pages, API and admin."""

from __future__ import annotations

from ai.models import Suggestion, SuggestionStatus, Summary


def summary_for(document) -> Summary | None:
    """The newest summary of the document's current version, if any."""
    if document.current_version_id is None:
        return None
    return Summary.objects.filter(version_id=document.current_version_id).first()


def pending_suggestions(document) -> list[Suggestion]:
    return list(
        Suggestion.objects.filter(document=document, status=SuggestionStatus.PENDING).select_related(
            "tag", "collection"
        )
    )
