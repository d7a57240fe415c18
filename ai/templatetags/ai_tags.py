"""Template access to AI results for the staff pages."""

from __future__ import annotations

from django import template

from ai.models import Summary
from ai.selectors import summary_for

register = template.Library()


@register.simple_tag
def document_summary(document) -> Summary | None:
    """The summary of the document's current version (the caller has already
    checked that the user may see the document)."""
    return summary_for(document)
