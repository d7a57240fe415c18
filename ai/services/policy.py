"""The collection AI policy, enforced in one place: the gateway asks here
before any provider sees a document's text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ai.errors import AIDisabled
from documents.models import AIPolicy

__all__ = ["AIDisabled", "ensure_allowed", "policy_for"]

_STRICTNESS = [AIPolicy.EXTERNAL_ALLOWED, AIPolicy.LOCAL_ONLY, AIPolicy.DISABLED]


def policy_for(documents: Iterable[Any]) -> AIPolicy:
    """The strictest policy among the documents' collections (``external_allowed``
    when no document is involved)."""
    strictest = AIPolicy.EXTERNAL_ALLOWED
    for document in documents:
        if document is None:
            continue
        policy = AIPolicy(document.collection.ai_policy)
        if _STRICTNESS.index(policy) > _STRICTNESS.index(strictest):
            strictest = policy
    return strictest


def ensure_allowed(documents: Iterable[Any]) -> AIPolicy:
    """The policy that applies; raises ``AIDisabled`` when it is ``disabled``."""
    policy = policy_for(documents)
    if policy == AIPolicy.DISABLED:
        raise AIDisabled("AI processing is disabled for this collection")
    return policy
